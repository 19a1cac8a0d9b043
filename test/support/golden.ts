/**
 * Reading the PyTorch golden data (test/golden/*.json, written once by the scripts beside it): the
 * file, its numbers as the scripts encode them, and the comparison every golden test makes.
 */
import { readFileSync } from "node:fs";
import { expect } from "vitest";

/** A number, a nested list of them, or a bool; NaN and ±∞ are the strings JSON can hold. */
export type Encoded = number | string | boolean | Encoded[];

/** test/golden/<name>.json, parsed. */
export function loadGolden<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../golden/${name}.json`, import.meta.url), "utf8")) as T;
}

const SPECIAL: Record<string, number> = { "NaN": NaN, "Infinity": Infinity, "-Infinity": -Infinity };

/** The numbers of an encoded value, flattened in order. */
export const decode = (v: Encoded): number[] => (Array.isArray(v) ? v.flatMap(decode) : [typeof v === "string" ? SPECIAL[v] : Number(v)]);

/** NaN where expected is NaN, ±∞ exactly, else within rtol (absolute below 1). */
export function expectGolden(actual: number[], expected: number[], rtol: number, what = "element"): void {
  expect(actual.length, what).toBe(expected.length);
  expected.forEach((e, i) => {
    if (Number.isNaN(e)) expect(actual[i], `${what} ${i}`).toBeNaN();
    else if (!Number.isFinite(e)) expect(actual[i], `${what} ${i}`).toBe(e);
    else expect(Math.abs(actual[i] - e), `${what} ${i}: ${actual[i]} vs ${e}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(e)));
  });
}
