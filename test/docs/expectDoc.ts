/**
 * The checks behind a docs block's `// → expected` and `// throws Code` comments. `expected` is read
 * as a JS literal in which a number written with a trailing "…" matches to the digits shown; objects
 * match on the keys written (a `Dual { x, dx }` comment names only what it shows); tensors and typed
 * arrays compare as arrays. Text after " — " is a remark for the reader.
 */
import { expect } from "vitest";
import { AdError } from "../../src/errors.js";

interface Approx {
  readonly approx: number;
  readonly digits: number;
}

const isApprox = (v: unknown): v is Approx => typeof v === "object" && v !== null && "approx" in v && "digits" in v;

function parseExpected(text: string): unknown {
  const literal = text
    .split(" — ")[0]
    .replace(/^[A-Z]\w* (?=\{)/, "") // a class name before an object literal, as `Dual { … }`
    .replace(/(-?\d+(?:\.(\d+))?)…/g, (_, n: string, frac: string | undefined) => `{ approx: ${n}, digits: ${frac?.length ?? 0} }`);
  return new Function(`return (${literal});`)();
}

function plain(actual: unknown): unknown {
  if (typeof actual === "object" && actual !== null && "toArray" in actual && typeof actual.toArray === "function") return actual.toArray();
  if (ArrayBuffer.isView(actual)) return Array.from(actual as unknown as ArrayLike<number>);
  return actual;
}

function matches(actual: unknown, expected: unknown, path: string): void {
  actual = plain(actual);
  if (isApprox(expected)) {
    expect(typeof actual, path).toBe("number");
    expect(Math.abs((actual as number) - expected.approx), path).toBeLessThanOrEqual(10 ** -expected.digits);
  } else if (typeof expected === "number") {
    expect(typeof actual, path).toBe("number");
    const tol = 1e-12 * Math.max(1, Math.abs(expected));
    if (!(Number.isNaN(expected) && Number.isNaN(actual))) expect(Math.abs((actual as number) - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((e, i) => matches((actual as unknown[])[i], e, `${path}[${i}]`));
  } else if (typeof expected === "object" && expected !== null) {
    expect(typeof actual, path).toBe("object");
    for (const [k, e] of Object.entries(expected)) matches((actual as Record<string, unknown>)[k], e, `${path}.${k}`);
  } else expect(actual, path).toEqual(expected);
}

export function __expectDoc(actual: unknown, expected: string, where: string): void {
  matches(actual, parseExpected(expected), `${where} (→ ${expected})`);
}

export function __expectThrows(fn: () => unknown, code: string, where: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, where).toBeInstanceOf(AdError);
  expect((thrown as AdError).code, where).toBe(code);
}
