/**
 * Functions written once against `Scalar<T>` give the same values on every domain and the same
 * derivatives in every AD mode, all agreeing with finite differences of the number version.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { numberScalar } from "../../src/scalar/number.js";
import type { Scalar } from "../../src/scalar/scalar.js";
import { expectAd, gradientByDual, gradientByTape } from "../support/expectAd.js";

/** A damped spring with a floor, integrated by semi-implicit Euler: a bounce is a branch on the primal. */
function springWithFloor<T>(S: Scalar<T>, [x0, v0, k]: readonly T[]): T {
  let x = x0;
  let v = v0;
  const dt = 0.01;
  for (let step = 0; step < 200; step++) {
    const a = S.sub(S.mul(S.neg(k), x), S.mul(0.3, v));
    v = S.add(v, S.mul(dt, a));
    x = S.add(x, S.mul(dt, v));
    if (S.value(x) < -0.5) v = S.mul(v, -0.8); // inelastic bounce
  }
  return S.add(S.mul(x, x), S.mul(0.5, S.mul(v, v)));
}

/** Horner's rule with the coefficients as inputs too: p(x) = Σ cᵢ xⁱ. */
function polynomial<T>(S: Scalar<T>, [x, ...c]: readonly T[]): T {
  let acc = S.from(0);
  for (let i = c.length - 1; i >= 0; i--) acc = S.add(S.mul(acc, x), c[i]);
  return acc;
}

/** √a by Newton's iteration with a data-dependent trip count: the derivative flows through the loop. */
function newtonSqrt<T>(S: Scalar<T>, [a]: readonly T[]): T {
  let y = S.from(Math.max(1, S.value(a)));
  for (let i = 0; i < 100 && Math.abs(S.value(y) * S.value(y) - S.value(a)) > 1e-15 * S.value(a); i++) {
    y = S.mul(0.5, S.add(y, S.div(a, y)));
  }
  // Two more steps after the value converges let the derivatives converge too (they lag the value).
  for (let i = 0; i < 2; i++) y = S.mul(0.5, S.add(y, S.div(a, y)));
  return y;
}

/** A loop whose body branches: a piecewise activation summed over a chain. */
function branchyChain<T>(S: Scalar<T>, xs: readonly T[]): T {
  let acc = S.from(0);
  for (let i = 0; i < xs.length; i++) {
    const u = S.add(S.mul(xs[i], 1.5), acc);
    acc = S.value(u) > 0 ? S.add(S.tanh(u), S.mul(0.1, S.exp(S.neg(u)))) : S.mul(0.2, S.sin(u));
  }
  return S.mul(acc, acc);
}

/** Refuses bad input the same way in every domain: an AdError from user code. */
function guardedLog<T>(S: Scalar<T>, [x]: readonly T[]): T {
  if (S.value(x) <= 0) throw new AdError("InvalidArgument", "log of a non-positive value", { op: "guardedLog", x: S.value(x) });
  return S.log(x);
}

const coord = fc.double({ min: -2, max: 2, noNaN: true });

describe("one function, every domain", () => {
  it("spring with a floor: values agree, gradients agree across Dual, tape and finite differences", () => {
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: 0.5, max: 4, noNaN: true }), (x0, v0, k) => {
        // A bounce just at the step where finite differences probe makes them meaningless; skip those.
        fc.pre(bouncesAreFar(x0, v0, k));
        expectAd(springWithFloor, [x0, v0, k], { rtol: 1e-6, atol: 1e-8 });
      }),
      { numRuns: 30 },
    );
  });

  it("polynomial with coefficients as inputs, first and second order", () => {
    fc.assert(
      fc.property(fc.array(coord, { minLength: 2, maxLength: 6 }), (xs) => {
        expectAd(polynomial, xs, { secondOrder: true });
      }),
      { numRuns: 40 },
    );
  });

  it("Newton's square root: d√a/da = 1/(2√a) through a data-dependent loop", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 1e4, noNaN: true }), (a) => {
        expectAd(newtonSqrt, [a], { rtol: 1e-6, secondOrder: true });
        const g = gradientByTape(newtonSqrt, [a]).gradient[0];
        expect(Math.abs(g - 0.5 / Math.sqrt(a))).toBeLessThan(1e-9 * (0.5 / Math.sqrt(a)));
      }),
      { numRuns: 40 },
    );
  });

  it("a loop with a branch, first and second order", () => {
    fc.assert(
      fc.property(fc.array(coord, { minLength: 1, maxLength: 5 }), (xs) => {
        // Finite differences straddling a branch boundary are meaningless: stay a step away from u = 0.
        fc.pre(branchPointsAreFar(xs));
        expectAd(branchyChain, xs, { secondOrder: true, rtol: 1e-6 });
      }),
      { numRuns: 60 },
    );
  });

  it("AD throws an AdError exactly when the number version does", () => {
    expectAd(guardedLog, [2]);
    expectAd(guardedLog, [-1]); // all domains must throw
    expect(() => gradientByDual(guardedLog, [0])).toThrow(AdError);
    expect(guardedLog(numberScalar, [Math.E])).toBeCloseTo(1, 15);
  });
});

function branchPointsAreFar(xs: readonly number[]): boolean {
  let acc = 0;
  for (const x of xs) {
    const u = 1.5 * x + acc;
    if (Math.abs(u) < 1e-2) return false;
    acc = u > 0 ? Math.tanh(u) + 0.1 * Math.exp(-u) : 0.2 * Math.sin(u);
  }
  return true;
}

function bouncesAreFar(x0: number, v0: number, k: number): boolean {
  let x = x0;
  let v = v0;
  for (let step = 0; step < 200; step++) {
    v += 0.01 * (-k * x - 0.3 * v);
    x += 0.01 * v;
    if (Math.abs(x + 0.5) < 1e-2) return false;
    if (x < -0.5) v *= -0.8;
  }
  return true;
}
