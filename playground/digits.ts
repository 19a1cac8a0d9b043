/**
 * The digits the playground trains on, packed at build time from the `mnist` package (nothing is
 * downloaded): `count` (u32, little-endian), then `count` labels (u8), then `count` × 784 grey
 * levels (u8, 0–255). The first `perClass` of each digit, interleaved class by class.
 */
import { loadDigits, PIXELS } from "../demo/mnist.js";

export function packDigits(perClass = 700): Uint8Array {
  const d = loadDigits();
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < d.count; i++) if (byClass[d.labels[i]].length < perClass) byClass[d.labels[i]].push(i);
  const order: number[] = [];
  for (let k = 0; k < perClass; k++) for (let c = 0; c < 10; c++) if (k < byClass[c].length) order.push(byClass[c][k]);
  const out = new Uint8Array(4 + order.length * (1 + PIXELS));
  new DataView(out.buffer).setUint32(0, order.length, true);
  order.forEach((src, i) => {
    out[4 + i] = d.labels[src];
    const base = 4 + order.length + i * PIXELS;
    for (let p = 0; p < PIXELS; p++) out[base + p] = Math.round(d.images[src * PIXELS + p] * 255);
  });
  return out;
}
