/**
 * `expectAd`: one call checks a function written once against `Scalar<T>` on every scalar domain —
 * plain numbers, Dual, nested duals (second order), and the tape (first order, and forward over
 * reverse for second order) — against finite differences of the plain-number version, and checks
 * that AD throws an AdError exactly when the number version fails (the Stan Math `expect_ad` idea).
 */
import { expect } from "vitest";
import { isAdError } from "../../src/errors.js";
import { Dual, dualScalar } from "../../src/scalar/dual.js";
import { dualScalarOver, NestedDual } from "../../src/scalar/nestedDual.js";
import { numberScalar } from "../../src/scalar/number.js";
import type { Scalar } from "../../src/scalar/scalar.js";
import { hessian } from "../../src/scalar/functionals.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import { centralDifference } from "../../src/testing/checkGradient.js";

export type GenericFn = <T>(S: Scalar<T>, xs: readonly T[]) => T;

export interface ExpectAdOptions {
  readonly rtol?: number;
  readonly atol?: number;
  /** Also check second derivatives (nested duals vs forward-over-reverse vs differences of the gradient). */
  readonly secondOrder?: boolean;
}

function close(actual: number, expected: number, rtol: number, atol: number, what: string): void {
  const ok = Math.abs(actual - expected) <= atol + rtol * Math.max(Math.abs(actual), Math.abs(expected));
  expect(ok, `${what}: got ${actual}, expected ${expected}`).toBe(true);
}

export function gradientByDual(f: GenericFn, x: readonly number[]): number[] {
  return x.map(
    (_, j) =>
      f(
        dualScalar,
        x.map((xi, i) => Dual.variable(xi, i === j ? 1 : 0)),
      ).dx,
  );
}

export function gradientByTape(f: GenericFn, x: readonly number[]): { value: number; gradient: number[] } {
  const tape = new Tape();
  const xs = tape.variables(x);
  const y = f(tape.scalar, xs);
  return { value: y.value, gradient: tape.backward(y).wrt(xs) };
}

/** ∂²f/∂xᵢ∂xⱼ by a dual over duals: the inner level carries eᵢ, the outer eⱼ. */
export function hessianByNestedDual(f: GenericFn, x: readonly number[]): number[][] {
  const inner = dualScalarOver(numberScalar);
  const outer = dualScalarOver(inner);
  return x.map((_, i) =>
    x.map((_, j) => {
      const xs = x.map((xk, k) => new NestedDual(inner, new NestedDual(numberScalar, xk, k === i ? 1 : 0), new NestedDual(numberScalar, k === j ? 1 : 0, 0)));
      const y = f(outer, xs);
      return (y.dx as NestedDual<number>).dx;
    }),
  );
}

function throwsAdError(fn: () => unknown): boolean | "value" {
  try {
    fn();
    return "value";
  } catch (e) {
    if (isAdError(e)) return true;
    throw e;
  }
}

export function expectAd(f: GenericFn, x: readonly number[], opts: ExpectAdOptions = {}): void {
  const rtol = opts.rtol ?? 1e-7;
  const atol = opts.atol ?? 1e-9;
  const plain = (v: number[]) => f(numberScalar, v);
  const numberFails = throwsAdError(() => plain([...x]));
  if (numberFails === true) {
    // Every AD domain must fail the same way.
    expect(
      throwsAdError(() => gradientByDual(f, x)),
      "Dual should throw like the number version",
    ).toBe(true);
    expect(
      throwsAdError(() => gradientByTape(f, x)),
      "tape should throw like the number version",
    ).toBe(true);
    return;
  }
  const value = plain([...x]);
  const byDual = gradientByDual(f, x);
  const byTape = gradientByTape(f, x);
  close(byTape.value, value, 1e-14, 1e-14, "tape value");
  for (let i = 0; i < x.length; i++) {
    const fd = centralDifference(plain, x, i);
    close(byDual[i], fd, rtol * 10, atol * 10, `Dual ∂f/∂x${i} vs finite differences`);
    close(byTape.gradient[i], fd, rtol * 10, atol * 10, `tape ∂f/∂x${i} vs finite differences`);
    close(byTape.gradient[i], byDual[i], rtol, atol, `tape vs Dual ∂f/∂x${i}`);
  }
  if (opts.secondOrder) {
    const nested = hessianByNestedDual(f, x);
    const overReverse = hessian((xs, S) => f(S, xs), x);
    for (let i = 0; i < x.length; i++) {
      for (let j = 0; j < x.length; j++) {
        const fd = centralDifference((v) => gradientByDual(f, v)[i], x, j);
        close(nested[i][j], fd, rtol * 100, atol * 100, `nested Dual ∂²f/∂x${i}∂x${j} vs differences of the gradient`);
        close(overReverse[i][j], nested[i][j], rtol, atol, `forward-over-reverse vs nested Dual ∂²f/∂x${i}∂x${j}`);
      }
    }
  }
}
