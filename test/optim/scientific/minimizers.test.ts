/**
 * lbfgs and newtonCG on the Moré–Garbow–Hillstrom classics, from the paper's starting points to its
 * published minima, through each input convention: a Scalar-generic function on the tape, a
 * function of tensors, and a `differentiate`d function. Evaluation counts are reported in
 * docs/optimisation.md beside SciPy's, not asserted here.
 */
import { describe, expect, it } from "vitest";
import { lbfgs, newtonCG } from "../../../src/optim/index.js";
import { tensor } from "../../../src/tensor/creation.js";
import { slice } from "../../../src/tensor/primitives/shape.js";
import type { Tensor } from "../../../src/tensor/tensor.js";
import { differentiate } from "../../../src/transform/index.js";
import { thrown } from "../../support/errorCode.js";
import { freudensteinRoth, nearestMinimum, PROBLEMS, powellSingular, sumOfSquares, type Problem } from "./problems.js";

const f64 = { dtype: "float64" } as const;
const tight = { gradientTolerance: 1e-8 };

/** How close x must come to the minimiser: Powell's singular Hessian allows only about f^¼. */
const closeness = (p: Problem) => (p === powellSingular ? 1e-2 : 1e-5);

/** The minimum it reached, checked against the published one: value and place. */
function expectPublishedMinimum(p: Problem, x: ArrayLike<number>, fun: number, index = 0): void {
  const near = nearestMinimum(p, x);
  expect(near.index).toBe(index);
  expect(near.distance).toBeLessThan(closeness(p));
  expect(Math.abs(fun - p.minima[index].f)).toBeLessThan(1e-6 * Math.max(1, p.minima[index].f));
}

describe.each([
  ["lbfgs", lbfgs],
  ["newtonCG", newtonCG as typeof lbfgs],
])("%s on the Moré–Garbow–Hillstrom problems (the tape)", (_, minimize) => {
  it.each(PROBLEMS.map((p) => [p.name, p] as const))("%s reaches the published minimum", (_name, p) => {
    const r = minimize(sumOfSquares(p.residuals), p.x0, tight);
    expect(r.converged).toBe(true);
    expect(["gradient", "function", "step"]).toContain(r.reason);
    // Freudenstein–Roth's local minimum (f = 48.98…) is what a descent method finds from x0, as in the paper.
    expectPublishedMinimum(p, r.x, r.fun, p === freudensteinRoth ? 1 : 0);
    expect(r.x).toBeInstanceOf(Float64Array);
    expect(r.grad).toHaveLength(p.x0.length);
    expect(r.evaluations).toBeGreaterThan(r.iterations);
  });
});

/** Rosenbrock in n (even) variables over tensors: pairs (a, b) of 100(b − a²)² + (1 − a)². */
const rosenbrockTensor = (x: Tensor) => {
  const pairs = x.reshape([x.size / 2, 2]);
  const a = slice(pairs, [null, 0]);
  const b = slice(pairs, [null, 1]);
  const valley = b.sub(a.mul(a));
  const one = a.neg().add(1);
  return valley.mul(valley).mul(100).add(one.mul(one)).sum();
};
const start = (n: number) =>
  tensor(
    Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1)),
    f64,
  );

describe("functions of tensors", () => {
  it.each([2, 100])("lbfgs and newtonCG minimise Rosenbrock in %i dimensions, returning tensors of x0's shape", (n) => {
    for (const minimize of [lbfgs, newtonCG as typeof lbfgs]) {
      const r = minimize(rosenbrockTensor, start(n), tight);
      expect(r.converged).toBe(true);
      expect(r.x.shape).toEqual([n]);
      expect(r.grad.shape).toEqual([n]);
      for (const v of r.x.data()) expect(v).toBeCloseTo(1, 5);
      expect(r.fun).toBeLessThan(1e-10);
    }
  });

  it("keeps a matrix-shaped x0's shape", () => {
    const target = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      f64,
    );
    const r = lbfgs(
      (x: Tensor) => x.sub(target).pow(2).sum(),
      tensor(
        [
          [0, 0],
          [0, 0],
        ],
        f64,
      ),
    );
    expect(r.x.shape).toEqual([2, 2]);
    expect(Array.from(r.x.data())).toEqual([1, 2, 3, 4].map((v) => expect.closeTo(v, 6)));
  });
});

describe("a differentiate'd function", () => {
  const rosen = differentiate((x: Float64Array) => 100 * (x[1] - x[0] * x[0]) ** 2 + (1 - x[0]) ** 2);

  it("lbfgs minimises it with the gradient it returns", () => {
    const r = lbfgs(rosen, [-1.2, 1], tight);
    expect(r.converged).toBe(true);
    expectPublishedMinimum(PROBLEMS[0], r.x, r.fun);
  });

  it("newtonCG refuses it alone (it gives no Hessian-vector products), and takes forward mode over it as hessianVectorProduct", () => {
    expect(thrown(() => newtonCG(rosen, [-1.2, 1]))).toMatchObject({ code: "UnsupportedOp", details: { op: "newtonCG" } });
    const hv = differentiate(rosen, { mode: "forward" });
    const r = newtonCG(rosen, [-1.2, 1], { hessianVectorProduct: (x, v) => hv([x], [v]).tangent[0] as Float64Array, ...tight });
    expect(r.converged).toBe(true);
    expect(r.hessianProducts).toBeGreaterThan(0);
    expectPublishedMinimum(PROBLEMS[0], r.x, r.fun);
  });

  it("hessianVectorProduct is checked, and refused beside an f the engine differentiates", () => {
    const op = "newtonCG";
    expect(thrown(() => newtonCG(rosen, [-1.2, 1], { hessianVectorProduct: 3 as never }))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => newtonCG(rosen, [-1.2, 1], { hessianVectorProduct: () => [1] }))).toMatchObject({ code: "ShapeMismatch", details: { op } });
    expect(thrown(() => newtonCG(rosen, [-1.2, 1], { hessianVectorProduct: () => [1, NaN] }))).toMatchObject({ code: "InvalidArgument", details: { op } });
    const onTape = sumOfSquares(PROBLEMS[0].residuals);
    expect(thrown(() => newtonCG(onTape, [-1.2, 1], { hessianVectorProduct: (_x, v) => v }))).toMatchObject({ code: "InvalidArgument", details: { op } });
  });
});

describe("why it stopped", () => {
  const rosen = sumOfSquares(PROBLEMS[0].residuals);

  it("at x0 when the gradient is already small", () => {
    const r = lbfgs(rosen, [1, 1]);
    expect(r).toMatchObject({ reason: "gradient", converged: true, iterations: 0, evaluations: 1, fun: 0 });
  });

  it.each([
    ["lbfgs", lbfgs],
    ["newtonCG", newtonCG as typeof lbfgs],
  ])("%s: the iteration and evaluation budgets", (_, minimize) => {
    const byIterations = minimize(rosen, [-1.2, 1], { maxIterations: 3 });
    expect(byIterations).toMatchObject({ reason: "maxIterations", converged: false, iterations: 3 });
    const byEvaluations = minimize(rosen, [-1.2, 1], { maxEvaluations: 5 });
    expect(byEvaluations).toMatchObject({ reason: "maxEvaluations", converged: false });
    expect(byEvaluations.evaluations).toBeLessThanOrEqual(5);
    // The point it returns is the last accepted one, whose value and gradient it reports.
    expect(byEvaluations.fun).toBeLessThan(24.2);
  });

  it("by the function tolerance when it is loose", () => {
    const r = lbfgs(rosen, [-1.2, 1], { functionTolerance: 1e-3, gradientTolerance: 0 });
    expect(r).toMatchObject({ reason: "function", converged: true });
  });

  it("by the step tolerance when it is loose", () => {
    const r = lbfgs(rosen, [-1.2, 1], { stepTolerance: 0.5, gradientTolerance: 0, functionTolerance: 0 });
    expect(r).toMatchObject({ reason: "step", converged: true });
  });

  it("history 1 still converges (one pair of curvature information)", () => {
    const r = lbfgs(rosen, [-1.2, 1], { history: 1, ...tight });
    expect(r.converged).toBe(true);
    expect(r.fun).toBeLessThan(1e-8);
  });
});

describe("errors name the optimiser", () => {
  const quadratic = sumOfSquares(PROBLEMS[0].residuals);
  it.each([
    ["lbfgs", lbfgs],
    ["newtonCG", newtonCG as typeof lbfgs],
  ])("%s", (op, minimize) => {
    expect(thrown(() => minimize(42 as never, [1, 2]))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => minimize(quadratic, [] as never))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => minimize(quadratic, [1, NaN]))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => minimize(quadratic, [1, 2], { maxIterations: -1 }))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => minimize(quadratic, [1, 2], { gradientTolerance: -1 }))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => minimize((() => "no") as never, [1, 2]))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => minimize(((xs: readonly unknown[]) => xs) as never, [1, 2]))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => minimize((() => Infinity) as never, [1, 2]))).toMatchObject({ code: "NonFinite", details: { op } });
    const x32 = tensor([1, 2]);
    expect(thrown(() => minimize(((x: Tensor) => x.sum()) as never, x32 as never))).toMatchObject({ code: "DTypeMismatch", details: { op } });
    expect(thrown(() => minimize(((x: Tensor) => x) as never, tensor([1, 2], f64) as never))).toMatchObject({ code: "InvalidArgument", details: { op } });
  });
});
