/**
 * gaussNewton and levenbergMarquardt on the Moré–Garbow–Hillstrom problems as residuals (the form
 * the paper states them in), over the tape and over tensors; the Jacobian's mode chosen by shape;
 * a fit to data; budgets and errors.
 */
import { describe, expect, it } from "vitest";
import { gaussNewton, levenbergMarquardt } from "../../../src/optim/index.js";
import type { VectorFn } from "../../../src/scalar/scalar.js";
import { tensor } from "../../../src/tensor/creation.js";
import { slice } from "../../../src/tensor/primitives/shape.js";
import type { Tensor } from "../../../src/tensor/tensor.js";
import { thrown } from "../../support/errorCode.js";
import { freudensteinRoth, nearestMinimum, PROBLEMS, powellSingular, type Problem } from "./problems.js";

const f64 = { dtype: "float64" } as const;
const tight = { gradientTolerance: 1e-10, functionTolerance: 1e-15 };
const closeness = (p: Problem) => (p === powellSingular ? 1e-2 : 1e-5);

/** Gauss–Newton has no global convergence on a problem whose residual stays large: Freudenstein–Roth. */
const GN_PROBLEMS = PROBLEMS.filter((p) => p !== freudensteinRoth);

describe.each([
  ["gaussNewton", gaussNewton, GN_PROBLEMS],
  ["levenbergMarquardt", levenbergMarquardt as typeof gaussNewton, PROBLEMS],
])("%s on the Moré–Garbow–Hillstrom residuals (the tape)", (_, fit, problems) => {
  it.each(problems.map((p) => [p.name, p] as const))("%s reaches the published minimum", (_name, p) => {
    const r = fit(p.residuals as VectorFn, p.x0, tight);
    expect(r.converged).toBe(true);
    const index = p === freudensteinRoth ? 1 : 0;
    const near = nearestMinimum(p, r.x);
    expect(near.index).toBe(index);
    expect(near.distance).toBeLessThan(closeness(p));
    // fun is ½‖r‖²; the paper's f is ‖r‖².
    expect(Math.abs(2 * r.fun - p.minima[index].f)).toBeLessThan(1e-6 * Math.max(1, p.minima[index].f));
    expect(r.jacobianEvaluations).toBeGreaterThan(0);
  });
});

describe("the Jacobian's mode follows the shape", () => {
  // Three residuals of two variables: forward (2 passes); one residual of three variables: reverse.
  const tall: VectorFn = ([a, b], S) => [S.sub(a, 1), S.sub(b, 2), S.mul(a, b)];
  const wide: VectorFn = ([a, b, c], S) => [S.add(S.mul(a, a), S.add(S.mul(b, b), S.mul(c, c)))];

  it("on the tape", () => {
    expect(levenbergMarquardt(tall, [0, 0]).jacobianMode).toBe("forward");
    expect(levenbergMarquardt(wide, [1, 2, 3]).jacobianMode).toBe("reverse");
  });

  it("over tensors, and the answer is the same as on the tape", () => {
    const tallTensor = (x: Tensor) => x.sub(tensor([1, 2], f64)).reshape([2]);
    const r = gaussNewton(tallTensor, tensor([0, 0], f64));
    expect(r.jacobianMode).toBe("forward");
    expect(Array.from(r.x.data())).toEqual([expect.closeTo(1, 10), expect.closeTo(2, 10)]);
    const wideTensor = (x: Tensor) => x.mul(x).sum().reshape([1]);
    const w = levenbergMarquardt(wideTensor, tensor([1, 2, 3], f64), tight);
    expect(w.jacobianMode).toBe("reverse");
    expect(w.x.shape).toEqual([3]);
    const onTape = levenbergMarquardt(wide, [1, 2, 3], tight);
    expect(Array.from(w.x.data())).toEqual(Array.from(onTape.x).map((v) => expect.closeTo(v, 12)));
  });
});

describe("fitting y = a·exp(−b·t) to data", () => {
  const ts = [0, 0.5, 1, 1.5, 2, 2.5, 3];
  // Made with a = 2.5, b = 1.3 plus fixed noise, so the fit is close to but not exactly those.
  const noise = [0.01, -0.02, 0.015, 0, -0.01, 0.005, -0.004];
  const ys = ts.map((t, i) => 2.5 * Math.exp(-1.3 * t) + noise[i]);

  it("over tensors and on the tape, both optimisers agree", () => {
    const residualsT = (p: Tensor) =>
      slice(p, [0])
        .mul(slice(p, [1]).neg().mul(tensor(ts, f64)).exp())
        .sub(tensor(ys, f64));
    const residualsS: VectorFn = ([a, b], S) => ts.map((t, i) => S.sub(S.mul(a, S.exp(S.mul(S.neg(b), t))), ys[i]));
    const fits = [
      Array.from(gaussNewton(residualsT, tensor([1, 1], f64), tight).x.data()),
      Array.from(levenbergMarquardt(residualsT, tensor([1, 1], f64), tight).x.data()),
      Array.from(gaussNewton(residualsS, [1, 1], tight).x),
      Array.from(levenbergMarquardt(residualsS, [1, 1], tight).x),
    ];
    for (const p of fits) {
      expect(p[0]).toBeCloseTo(2.5, 1);
      expect(p[1]).toBeCloseTo(1.3, 1);
      expect(p[0]).toBeCloseTo(fits[0][0], 8);
      expect(p[1]).toBeCloseTo(fits[0][1], 8);
    }
  });
});

describe("why it stopped, and errors", () => {
  const rosen = PROBLEMS[0].residuals as VectorFn;
  it.each([
    ["gaussNewton", gaussNewton],
    ["levenbergMarquardt", levenbergMarquardt as typeof gaussNewton],
  ])("%s", (op, fit) => {
    expect(fit(rosen, [-1.2, 1], { maxIterations: 1 })).toMatchObject({ reason: "maxIterations", converged: false, iterations: 1 });
    const budget = fit(rosen, [-1.2, 1], { maxEvaluations: 5 });
    expect(budget).toMatchObject({ reason: "maxEvaluations", converged: false });
    expect(budget.evaluations + budget.jacobianEvaluations).toBeLessThanOrEqual(5);
    expect(fit(rosen, [1, 1])).toMatchObject({ reason: "gradient", converged: true, iterations: 0, fun: 0 });
    expect(thrown(() => fit(42 as never, [1, 2]))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => fit(rosen, [1, Infinity]))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => fit(rosen, [1, 2], { maxEvaluations: 0 }))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => fit((() => 3) as never, [1, 2]))).toMatchObject({ code: "InvalidArgument", details: { op } });
    expect(thrown(() => fit((() => []) as never, [1, 2]))).toMatchObject({ code: "InvalidArgument", details: { op } });
    let calls = 0;
    const growing: VectorFn = (xs) => (calls++ === 0 ? [xs[0]] : [xs[0], xs[1]]);
    expect(thrown(() => fit(growing, [1, 2]))).toMatchObject({ code: "ShapeMismatch", details: { op } });
    expect(thrown(() => fit(((x: Tensor) => x.sum()) as never, tensor([1, 2]) as never))).toMatchObject({ code: "DTypeMismatch", details: { op } });
    expect(thrown(() => fit((() => tensor([1, 2])) as never, tensor([1, 2], f64) as never))).toMatchObject({ code: "InvalidArgument", details: { op } });
  });
});
