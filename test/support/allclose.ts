/** Closeness assertions for plain numbers, vectors and matrices, each failure naming what and where. */
import { expect } from "vitest";

/** |actual − expected| ≤ atol + rtol·max(|actual|, |expected|); equal infinities pass, NaN never does. */
export function isClose(actual: number, expected: number, rtol: number, atol = 0): boolean {
  if (actual === expected) return true;
  return Math.abs(actual - expected) <= atol + rtol * Math.max(Math.abs(actual), Math.abs(expected));
}

export function expectClose(actual: number, expected: number, rtol: number, atol: number, what: string): void {
  expect(isClose(actual, expected, rtol, atol), `${what}: got ${actual}, expected ${expected} (rtol ${rtol}, atol ${atol})`).toBe(true);
}

/** Elementwise `expectClose`, after the lengths agree. */
export function expectAllClose(actual: readonly number[], expected: readonly number[], rtol: number, atol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expectClose(actual[i], expected[i], rtol, atol, `${what}[${i}]`);
}

/** Row by row `expectAllClose`, after the row counts agree. */
export function expectMatrixClose(actual: readonly (readonly number[])[], expected: readonly (readonly number[])[], rtol: number, atol: number, what: string): void {
  expect(actual.length, `${what}: rows`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expectAllClose(actual[i], expected[i], rtol, atol, `${what}[${i}]`);
}
