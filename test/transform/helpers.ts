/** Shared helpers for the transform tests: argument arbitraries, flattening, the plain evaluator. */
import fc from "fast-check";
import { differentiatedMark } from "../../src/transform/marks.js";
import type { Argument } from "../../src/transform/index.js";
import type { Case, Shape } from "./corpus.js";

/**
 * Arguments of the given shapes in [min, max]. `uniform` draws evenly spread doubles (no bias toward
 * 0, integers and other special values, which are exactly where piecewise functions have kinks).
 */
export function argsArbitrary(shapes: readonly Shape[], [min, max]: readonly [number, number] = [-2, 2], uniform = false): fc.Arbitrary<Argument[]> {
  const x = uniform
    ? fc.integer({ min: 0, max: 2 ** 30 - 1 }).map((i) => min + ((max - min) * (i + 0.5)) / 2 ** 30)
    : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  return fc.tuple(...shapes.map((s) => (s === "num" ? x : fc.array(x, { minLength: s, maxLength: s })))) as fc.Arbitrary<Argument[]>;
}

export function flatten(args: readonly (Argument | Float64Array)[]): number[] {
  return args.flatMap((a) => (typeof a === "number" ? [a] : Array.from(a)));
}

export function unflatten(shapes: readonly Shape[], flat: readonly number[]): Argument[] {
  let at = 0;
  return shapes.map((s) => {
    if (s === "num") return flat[at++];
    const a = flat.slice(at, at + s);
    at += s;
    return a;
  });
}

/**
 * The case's function as plain JS, with its free names bound to the values in its options (a
 * function made by `differentiate` is its source function here), so it can be evaluated directly.
 */
export function plain(c: Case): (...args: Argument[]) => number {
  const bound: Record<string, unknown> = { ...(c.options?.constants ?? {}), ...(c.options?.functions ?? {}) };
  for (const [k, v] of Object.entries(bound)) {
    const m = differentiatedMark(v);
    if (m !== undefined) bound[k] = m.fn;
  }
  const names = Object.keys(bound);
  if (names.length === 0) return c.fn;
  return new Function(...names, `return (${Function.prototype.toString.call(c.fn)});`)(...names.map((n) => bound[n])) as (...args: Argument[]) => number;
}

/** Copies array arguments, so a function that writes to its input cannot change the test's copy. */
export const fresh = (args: readonly Argument[]): Argument[] => args.map((a) => (typeof a === "number" ? a : Array.from(a)));
