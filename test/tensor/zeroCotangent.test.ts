/**
 * The zero-(co)tangent convention (docs/errors-and-edges.md, "Derivatives at the edges") in every mode: where a local
 * derivative is ±∞ or NaN (sqrt, log, 1/√x at 0, xʸ at x = 0 or x < 0, a zero denominator, asin at
 * ±1…), a zero cotangent into it gives a zero gradient, and a zero tangent into it a zero tangent —
 * tensor reverse and forward mode on each backend, the scalar tape, Dual, and the source transform.
 *
 * Reverse mode differentiates op(x)·0 + w (op's cotangent is 0), forward mode op(x) + w with the
 * tangent only on w: the expected derivative is 0 for x and 1 for w. Sizes of 1024 elements reach the
 * wasm kernels (smaller tensors run the reference loops on either backend).
 */
import { describe, expect, it } from "vitest";
import { crossEntropy } from "../../src/nn/losses.js";
import { Dual, dualScalar } from "../../src/scalar/dual.js";
import type { Scalar } from "../../src/scalar/scalar.js";
import * as T from "../../src/tensor/index.js";
import { availableBackends, type Tensor } from "../../src/tensor/index.js";
import { checkGradient } from "../../src/testing/checkGradient.js";
import { differentiate } from "../../src/transform/index.js";
import { onBackend } from "../support/backends.js";
import { gradientByTape } from "../support/expectAd.js";

interface Case {
  readonly name: string;
  /** The inputs at the edge. */
  readonly point: readonly number[];
  readonly scalar: <S>(S: Scalar<S>, xs: readonly S[]) => S;
  /** The same op on tensors; absent where the tensor engine has no such op. */
  readonly tensor?: (xs: readonly Tensor[]) => Tensor;
  /** For the source transform: op(xs)·0 + w and op(xs) + w. */
  readonly js: { readonly reverse: (...args: number[]) => number; readonly forward: (...args: number[]) => number };
}

const cases: readonly Case[] = [
  {
    name: "sqrt at 0",
    point: [0],
    scalar: (S, [x]) => S.sqrt(x),
    tensor: ([x]) => T.sqrt(x),
    js: { reverse: (x, w) => Math.sqrt(x) * 0 + w, forward: (x, w) => Math.sqrt(x) + w },
  },
  {
    name: "log at 0",
    point: [0],
    scalar: (S, [x]) => S.log(x),
    tensor: ([x]) => T.log(x),
    js: { reverse: (x, w) => Math.log(x) * 0 + w, forward: (x, w) => Math.log(x) + w },
  },
  {
    name: "1/√x at 0",
    point: [0],
    scalar: (S, [x]) => S.div(1, S.sqrt(x)),
    tensor: ([x]) => T.rsqrt(x),
    js: { reverse: (x, w) => (1 / Math.sqrt(x)) * 0 + w, forward: (x, w) => 1 / Math.sqrt(x) + w },
  },
  {
    name: "pow(x, 0.5) at 0",
    point: [0],
    scalar: (S, [x]) => S.pow(x, 0.5),
    tensor: ([x]) => T.pow(x, 0.5),
    js: { reverse: (x, w) => Math.pow(x, 0.5) * 0 + w, forward: (x, w) => Math.pow(x, 0.5) + w },
  },
  {
    name: "xʸ at x = 0, y = 0.5",
    point: [0, 0.5],
    scalar: (S, [x, y]) => S.pow(x, y),
    tensor: ([x, y]) => T.pow(x, y),
    js: { reverse: (x, y, w) => Math.pow(x, y) * 0 + w, forward: (x, y, w) => Math.pow(x, y) + w },
  },
  {
    name: "xʸ at x = −1, y = 0.5 (∂/∂y is NaN)",
    point: [-1, 0.5],
    scalar: (S, [x, y]) => S.pow(x, y),
    tensor: ([x, y]) => T.pow(x, y),
    js: { reverse: (x, y, w) => Math.pow(x, y) * 0 + w, forward: (x, y, w) => Math.pow(x, y) + w },
  },
  {
    name: "1/x at 0",
    point: [0],
    scalar: (S, [x]) => S.div(1, x),
    tensor: ([x]) => T.div(1, x),
    js: { reverse: (x, w) => (1 / x) * 0 + w, forward: (x, w) => 1 / x + w },
  },
  {
    name: "a/b at b = 0",
    point: [1, 0],
    scalar: (S, [a, b]) => S.div(a, b),
    tensor: ([a, b]) => T.div(a, b),
    js: { reverse: (a, b, w) => (a / b) * 0 + w, forward: (a, b, w) => a / b + w },
  },
  {
    name: "0/0",
    point: [0, 0],
    scalar: (S, [a, b]) => S.div(a, b),
    tensor: ([a, b]) => T.div(a, b),
    js: { reverse: (a, b, w) => (a / b) * 0 + w, forward: (a, b, w) => a / b + w },
  },
  {
    name: "sqrt(|x|) at 0",
    point: [0],
    scalar: (S, [x]) => S.sqrt(S.abs(x)),
    tensor: ([x]) => T.sqrt(T.abs(x)),
    js: { reverse: (x, w) => Math.sqrt(Math.abs(x)) * 0 + w, forward: (x, w) => Math.sqrt(Math.abs(x)) + w },
  },
  {
    name: "asin at 1",
    point: [1],
    scalar: (S, [x]) => S.asin(x),
    js: { reverse: (x, w) => Math.asin(x) * 0 + w, forward: (x, w) => Math.asin(x) + w },
  },
  {
    name: "acos at −1",
    point: [-1],
    scalar: (S, [x]) => S.acos(x),
    js: { reverse: (x, w) => Math.acos(x) * 0 + w, forward: (x, w) => Math.acos(x) + w },
  },
  {
    name: "atanh at −1",
    point: [-1],
    scalar: (S, [x]) => S.atanh(x),
    js: { reverse: (x, w) => Math.atanh(x) * 0 + w, forward: (x, w) => Math.atanh(x) + w },
  },
];

const SIZE = 1024;
const W = 0.25;
const filled = (v: number) => T.full([SIZE], v, { dtype: "float64" });
/** Every element of each tensor, as one list per tensor. */
const valuesOf = (ts: readonly Tensor[]) => ts.map((t) => Array.from(new Set(t.data())));
/** The reverse-mode gradient we expect: 0 for the edge inputs, 1 for w. */
const reverseExpected = (c: Case) => [...c.point.map(() => 0), 1];

describe.each(availableBackends())("tensor engine on %s", (backend) => {
  const tensorCases = cases.filter((c) => c.tensor !== undefined);

  it.each(tensorCases)("reverse mode: a zero cotangent into $name gives 0", (c) => {
    const f = (xs: Tensor[]) => T.sum(T.add(T.mul(c.tensor!(xs.slice(0, -1)), 0), xs[xs.length - 1]));
    const g = onBackend(backend, () => T.grad(f)([...c.point, W].map(filled)) as Tensor[]);
    expect(valuesOf(g)).toEqual(reverseExpected(c).map((v) => [v]));
  });

  it.each(tensorCases)("forward mode: a zero tangent into $name gives 0", (c) => {
    const f = (...xs: Tensor[]) => T.add(c.tensor!(xs.slice(0, -1)), xs[xs.length - 1]);
    const primals = [...c.point, W].map(filled);
    const tangents = [...c.point.map(() => filled(0)), filled(1)];
    const [, t] = onBackend(backend, () => T.jvp(f, primals, tangents));
    expect(valuesOf([t])).toEqual([[1]]);
  });

  it("grad of grad keeps the convention: d²/dx² of sqrt(x)·0 and of log(x)·0 at 0 are 0", () => {
    for (const op of [T.sqrt, T.log]) {
      const inner = (x: Tensor) => T.sum(T.mul(op(x), 0));
      const g2 = onBackend(backend, () => T.grad((x: Tensor) => T.sum(T.grad(inner)(x) as Tensor))(filled(0)) as Tensor);
      expect(valuesOf([g2])).toEqual([[0]]);
    }
  });
});

describe("scalar modes", () => {
  it.each(cases)("the tape: a zero cotangent into $name gives 0", (c) => {
    const f = <S>(S: Scalar<S>, xs: readonly S[]) => S.add(S.mul(c.scalar(S, xs.slice(0, -1)), 0), xs[xs.length - 1]);
    expect(gradientByTape(f, [...c.point, W]).gradient).toEqual(reverseExpected(c));
  });

  it.each(cases)("Dual: a zero tangent into $name gives 0", (c) => {
    const xs = [...c.point.map((x) => Dual.variable(x, 0)), Dual.variable(W, 1)];
    expect(dualScalar.add(c.scalar(dualScalar, xs.slice(0, -1)), xs[xs.length - 1]).dx).toBe(1);
  });

  it.each(cases)("the source transform: $name, reverse and forward", (c) => {
    expect(differentiate(c.js.reverse)(...c.point, W).gradient).toEqual(reverseExpected(c));
    const forward = differentiate(c.js.forward, { mode: "forward" });
    expect(forward([...c.point, W], [...c.point.map(() => 0), 1]).tangent).toBe(1);
  });
});

describe("higher orders through the zero-safe rules, away from the edges", () => {
  const x = T.tensor([0.3, 1.7, 2.5], { dtype: "float64" });
  const v = T.tensor([0.5, -1, 2], { dtype: "float64" });
  const ops: [string, (t: Tensor) => Tensor][] = [
    ["sqrt", T.sqrt],
    ["log", T.log],
    ["rsqrt", T.rsqrt],
    ["pow(x, 1.5)", (t) => T.pow(t, 1.5)],
    ["pow(2, x)", (t) => T.pow(T.full([3], 2, { dtype: "float64" }), t)],
    ["1/x", (t) => T.div(1, t)],
    ["x/(x + 1)", (t) => T.div(t, T.add(t, 1))],
  ];

  it.each(ops)("grad of grad of %s matches finite differences of the gradient", (_, op) => {
    const directional = (t: Tensor) => T.sum(T.mul(T.grad((u: Tensor) => T.sum(op(u)))(t) as Tensor, v));
    const second = T.grad(directional)(x) as Tensor;
    const report = checkGradient((xs: number[]) => directional(T.tensor(xs, { dtype: "float64" })).item(), Array.from(x.data()), { gradient: Array.from(second.data()) });
    expect(report.ok, report.summary).toBe(true);
  });

  it.each(ops)("jvp of grad of %s equals grad of grad", (_, op) => {
    const g = (t: Tensor) => T.grad((u: Tensor) => T.sum(op(u)))(t) as Tensor;
    const [, forwardOverReverse] = T.jvp(g, [x], [v]);
    const reverseOverReverse = T.grad((t: Tensor) => T.sum(T.mul(g(t), v)))(x) as Tensor;
    const a = forwardOverReverse.data();
    const b = reverseOverReverse.data();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b[i])));
  });
});

describe("crossEntropy with a probability target of 0 at a logit of −∞", () => {
  it("the class contributes 0 to the value and the gradient, as if it were not there", () => {
    const f64 = { dtype: "float64" } as const;
    const withClass = T.tensor([[0.5, -Infinity, 1.5]], f64);
    const target = T.tensor([[0.25, 0, 0.75]], f64);
    const without = T.tensor([[0.5, 1.5]], f64);
    const targetWithout = T.tensor([[0.25, 0.75]], f64);
    const [value, g] = T.valueAndGrad((t: Tensor) => crossEntropy(t, target))(withClass) as [Tensor, Tensor];
    const [valueWithout, gWithout] = T.valueAndGrad((t: Tensor) => crossEntropy(t, targetWithout))(without) as [Tensor, Tensor];
    expect(value.item()).toBe(valueWithout.item());
    const [g0, g1, g2] = g.data();
    expect([g0, g1, g2]).toEqual([gWithout.data()[0], 0, gWithout.data()[1]]);
  });
});
