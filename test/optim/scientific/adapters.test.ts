/**
 * The adapters, each driven by a small local stand-in for the library whose convention it serves
 * (fmin's `(x, fxprime) => fx`, SciPy's `jac=True`, a Levenberg–Marquardt fitter taking a
 * parameterised model and its Jacobian): the libraries themselves are not dependencies.
 */
import { describe, expect, it } from "vitest";
import { toFmin, toJacobian, toModelJacobian, toValueAndGradient } from "../../../src/optim/index.js";
import type { MultivariateFn, VectorFn } from "../../../src/scalar/scalar.js";
import { differentiate } from "../../../src/transform/index.js";
import { thrown } from "../../support/errorCode.js";

/** fmin's gradientDescent, reduced: it hands f an `fxprime` array to fill and reads it back. */
function fminGradientDescent(f: (x: number[], fxprime: number[]) => number, x0: number[], steps: number, rate: number): number[] {
  const x = x0.slice();
  const fxprime = x0.map(() => 0);
  for (let k = 0; k < steps; k++) {
    f(x, fxprime);
    for (let i = 0; i < x.length; i++) x[i] -= rate * fxprime[i];
  }
  return x;
}

/** SciPy's `minimize(fun, x0, jac=True)` shape: fun returns [value, gradient]; here steepest descent with backtracking. */
function minimizeJacTrue(fun: (x: number[]) => [number, number[]], x0: number[], steps: number): number[] {
  let x = x0.slice();
  for (let k = 0; k < steps; k++) {
    const [fx, g] = fun(x);
    let t = 1;
    let next = x.map((xi, i) => xi - t * g[i]);
    while (fun(next)[0] > fx - 0.5 * t * g.reduce((s, gi) => s + gi * gi, 0) && t > 1e-12) {
      t /= 2;
      next = x.map((xi, i) => xi - t * g[i]);
    }
    x = next;
  }
  return x;
}

/** An LM-style fitter that, unlike ml-levenberg-marquardt's finite differences, takes the model's Jacobian. */
function fitWithJacobian(
  data: { x: number[]; y: number[] },
  model: (p: number[]) => (t: number) => number,
  jacobian: (p: number[]) => number[][],
  initial: number[],
  steps: number,
): number[] {
  let p = initial.slice();
  const lambda = 1e-3;
  for (let k = 0; k < steps; k++) {
    const y = model(p);
    const r = data.x.map((t, i) => y(t) - data.y[i]);
    const J = jacobian(p);
    // 2 parameters: (JᵀJ + λI)·h = −Jᵀr by Cramer's rule.
    const a = J.reduce((s, row) => s + row[0] * row[0], lambda);
    const b = J.reduce((s, row) => s + row[0] * row[1], 0);
    const d = J.reduce((s, row) => s + row[1] * row[1], lambda);
    const g0 = J.reduce((s, row, i) => s + row[0] * r[i], 0);
    const g1 = J.reduce((s, row, i) => s + row[1] * r[i], 0);
    const det = a * d - b * b;
    p = [p[0] - (d * g0 - b * g1) / det, p[1] - (a * g1 - b * g0) / det];
  }
  return p;
}

const bowl: MultivariateFn = ([a, b], S) => S.add(S.pow(S.sub(a, 3), 2), S.mul(2, S.pow(S.add(b, 1), 2)));
const bowlDifferentiated = differentiate((x: Float64Array) => (x[0] - 3) ** 2 + 2 * (x[1] + 1) ** 2);

describe("toFmin", () => {
  it.each([
    ["the tape", bowl],
    ["a differentiate'd function", bowlDifferentiated],
  ])("fills fxprime and returns f, so fmin-style code minimises (%s)", (_, f) => {
    const fg = toFmin(f);
    const fxprime = [0, 0];
    expect(fg([1, 1], fxprime)).toBe(4 + 8);
    expect(fxprime).toEqual([-4, 8]);
    expect(fg([1, 1])).toBe(12);
    const x = fminGradientDescent(fg, [0, 0], 200, 0.1);
    expect(x[0]).toBeCloseTo(3, 8);
    expect(x[1]).toBeCloseTo(-1, 8);
  });

  it("refuses an fxprime of the wrong length, naming toFmin", () => {
    expect(thrown(() => toFmin(bowl)([1, 1], [0]))).toMatchObject({ code: "InvalidArgument", details: { op: "toFmin" } });
    expect(thrown(() => toFmin(bowl)([1, NaN]))).toMatchObject({ code: "InvalidArgument", details: { op: "toFmin" } });
    expect(thrown(() => toFmin(3 as never))).toMatchObject({ code: "InvalidArgument", details: { op: "toFmin" } });
  });
});

describe("toValueAndGradient", () => {
  it("returns [f, ∇f] as SciPy's jac=True expects", () => {
    const fg = toValueAndGradient(bowl);
    expect(fg([1, 1])).toEqual([12, [-4, 8]]);
    expect(toValueAndGradient(bowlDifferentiated)([1, 1])).toEqual([12, [-4, 8]]);
    const x = minimizeJacTrue(fg, [0, 0], 50);
    expect(x[0]).toBeCloseTo(3, 6);
    expect(x[1]).toBeCloseTo(-1, 6);
    expect(thrown(() => toValueAndGradient(bowl)("no" as never))).toMatchObject({ code: "InvalidArgument", details: { op: "toValueAndGradient" } });
  });
});

describe("Jacobians for least-squares fitters", () => {
  it("toJacobian: J[i][j] = ∂fᵢ/∂xⱼ, tall and wide", () => {
    const f: VectorFn = ([a, b], S) => [S.mul(a, b), S.sin(a), S.mul(3, b)];
    expect(toJacobian(f)([2, 5])).toEqual([
      [5, 2],
      [Math.cos(2), 0],
      [0, 3],
    ]);
    const g: VectorFn = ([a, b, c], S) => [S.add(S.mul(a, b), c)];
    expect(toJacobian(g)([2, 5, 7])).toEqual([[5, 2, 1]]);
    expect(thrown(() => toJacobian((() => 1) as never)([1]))).toMatchObject({ code: "InvalidArgument", details: { op: "toJacobian" } });
  });

  it("toModelJacobian: the parameterised model of LM fitters, fitted by a stand-in that takes J", () => {
    const ts = [0, 0.5, 1, 1.5, 2, 2.5, 3];
    const data = { x: ts, y: ts.map((t) => 2.5 * Math.exp(-1.3 * t)) };
    const jacobian = toModelJacobian(
      ([a, b], S) =>
        (t) =>
          S.mul(a, S.exp(S.mul(S.neg(b), t))),
      ts,
    );
    const J = jacobian([2, 1]);
    expect(J).toHaveLength(ts.length);
    expect(J[2][0]).toBeCloseTo(Math.exp(-1), 14);
    expect(J[2][1]).toBeCloseTo(-2 * Math.exp(-1), 14);
    const model =
      ([a, b]: number[]) =>
      (t: number) =>
        a * Math.exp(-b * t);
    const p = fitWithJacobian(data, model, jacobian as (p: number[]) => number[][], [1, 1], 40);
    expect(p[0]).toBeCloseTo(2.5, 6);
    expect(p[1]).toBeCloseTo(1.3, 6);
    expect(thrown(() => toModelJacobian((() => 3) as never, ts)([1, 2]))).toMatchObject({ code: "InvalidArgument", details: { op: "toModelJacobian" } });
    expect(thrown(() => toModelJacobian((() => (t: number) => t) as never, []))).toMatchObject({ code: "InvalidArgument", details: { op: "toModelJacobian" } });
  });
});
