/**
 * Every primitive's JVP with a tangent on ONE input at a time, and on all of them, for every
 * broadcasting pattern its inputs allow (issue 14: add's rule returned the lone tangent unbroadcast,
 * which no test with tangents on every input could see). Each case checks that the tangent has the
 * output's shape and dtype, and its value against (a) central differences in float64 of
 * s ↦ ⟨c, f(x + s·t)⟩ (`checkGradient`) and (b) the VJP, by ⟨c, J·t⟩ = ⟨Jᵀ·c, t⟩.
 *
 * The table is keyed by the registry's names and checked for completeness twice: by the compiler
 * (`satisfies Record<PrimitiveName, Entry>`) and by the first test, so a new primitive without a row
 * (or a reason it has none) fails here.
 */
import { describe, expect, it } from "vitest";
import { getDevice, gt, jvp, randn, rng, tensor, to, vjp, type Tensor } from "../../src/tensor/index.js";
import { bind, type Primitive } from "../../src/tensor/primitive.js";
import { poolWindow } from "../../src/tensor/primitives/pool.js";
import { constantPrimitives, primitives, type PrimitiveName } from "../../src/tensor/primitives/registry.js";
import { checkGradient } from "../../src/testing/checkGradient.js";
import { countingDevice } from "../support/countingDevice.js";
import { f64, flat, sizeOf } from "../support/tensors.js";

const g = rng(20261207);
const uniform = (lo: number, hi: number): number => lo + (hi - lo) * g.uniform();
const fill = (shape: number[], value: () => number): Tensor => f64(Array.from({ length: sizeOf(shape) }, value), shape);
/** float64 values in [lo, hi). */
const vals = (shape: number[], lo = -1, hi = 1): Tensor => fill(shape, () => uniform(lo, hi));
const positive = (shape: number[]): Tensor => vals(shape, 0.5, 2);
/** |v| in [0.5, 1], either sign: a finite-difference step never crosses the kink at 0 (abs, relu, sign). */
const away = (shape: number[]): Tensor => fill(shape, () => (g.uniform() < 0.5 ? -1 : 1) * uniform(0.5, 1));
/** Values in [−0.25, 0.25]: against `away`, |a − b| ≥ 0.25, so maximum and minimum never tie within a step. */
const near = (shape: number[]): Tensor => vals(shape, -0.25, 0.25);
/** Distinct values 0.3 apart, shuffled: no ties within a step (max, min, pooling). */
const spread = (shape: number[]): Tensor => {
  const n = sizeOf(shape);
  const v = Array.from({ length: n }, (_, k) => 0.3 * k - 0.15 * n + uniform(0, 0.01));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(g.uniform() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return f64(v, shape);
};
/** |v| in [0.05, 0.4], either sign: off the integers and half-integers (the rounding functions), and a/b off the integers for b in [0.5, 2) (fmod, remainder). */
const offInteger = (shape: number[]): Tensor => fill(shape, () => (g.uniform() < 0.5 ? -1 : 1) * uniform(0.05, 0.4));
const ints = (values: number[], shape: number[]): Tensor => tensor(values, { dtype: "int32", shape });
/** Matrices with diagonals in [2, 4] (off the diagonal in [−1, 1]): triangular solves and LU without pivoting stay well conditioned. */
const dominant = (shape: number[]): Tensor => {
  const n = shape[shape.length - 1];
  return f64(
    Array.from({ length: sizeOf(shape) }, (_, k) => (Math.floor(k / n) % n === k % n ? uniform(2, 4) : uniform(-1, 1))),
    shape,
  );
};
/** Symmetric positive definite matrices: B·Bᵀ + n·I. */
const spd = (shape: number[]): Tensor => {
  const n = shape[shape.length - 1];
  const b = Array.from({ length: sizeOf(shape) }, () => uniform(-1, 1));
  const out = b.map((_, k) => {
    const base = k - (k % (n * n));
    const [i, j] = [Math.floor((k % (n * n)) / n), k % n];
    let s = i === j ? n : 0;
    for (let q = 0; q < n; q++) s += b[base + i * n + q] * b[base + j * n + q];
    return s;
  });
  return f64(out, shape);
};
/** A second device, read only asynchronously: values are compared after a copy to the host. */
const counting = countingDevice();
const host = (t: Tensor): number[] => flat(to(t, "cpu"));

interface Case {
  readonly label: string;
  readonly inputs: readonly Tensor[];
  readonly params?: unknown;
  /** Relative tolerance of the finite-difference check (a float32 output is only good to ~1e−4). */
  readonly tol?: number;
}
type Entry = { readonly cases: () => Case[] } | { readonly notDifferentiable: string };
type Values = (shape: number[]) => Tensor;

/** The broadcasting patterns of two operands. */
const PAIRS: readonly [string, number[], number[]][] = [
  ["same shape", [2, 3], [2, 3]],
  ["scalar and tensor", [], [2, 3]],
  ["tensor and scalar", [2, 3], []],
  ["[3, 1] and [1, 4]", [3, 1], [1, 4]],
  ["rank 1 and rank 2", [4], [3, 4]],
  ["rank 2 and rank 1", [3, 4], [4]],
  ["both broadcast, ranks 3 and 2", [2, 1, 3], [4, 1]],
];
const binary = (a: Values = vals, b: Values = vals): Entry => ({ cases: () => PAIRS.map(([label, sa, sb]) => ({ label, inputs: [a(sa), b(sb)] })) });
/** maximum/minimum: each pattern twice, so that either operand wins somewhere. */
const extremum: Entry = {
  cases: () =>
    PAIRS.flatMap(([label, sa, sb]) => [
      { label, inputs: [away(sa), near(sb)] },
      { label: `${label}, swapped values`, inputs: [near(sa), away(sb)] },
    ]),
};
const unary = (x: Values = vals): Entry => ({
  cases: () => [
    { label: "scalar", inputs: [x([])] },
    { label: "[2, 3]", inputs: [x([2, 3])] },
  ],
});
const reduction = (x: Values = vals): Entry => ({
  cases: () => [
    { label: "all axes", inputs: [x([2, 3])], params: { axes: [0, 1], keepDims: false } },
    { label: "axis 1, keepDims", inputs: [x([2, 3])], params: { axes: [1], keepDims: true } },
    { label: "axis 0", inputs: [x([3, 2])], params: { axes: [0], keepDims: false } },
    { label: "a scalar over no axes", inputs: [x([])], params: { axes: [], keepDims: false } },
  ],
});

/** conv2d's geometry: the plain one, and strided, padded and dilated. */
const GEOMETRIES = [
  { stride: [1, 1], padding: [0, 0], dilation: [1, 1] },
  { stride: [2, 2], padding: [1, 1], dilation: [1, 2] },
] as const;
const convOutput = (x: Tensor, w: Tensor, geo: (typeof GEOMETRIES)[number]): number[] => [...bind(primitives.conv2d, [x, w], geo).shape];
const POOLS = [poolWindow("maxPool2d", { kernel: 2 }), poolWindow("maxPool2d", { kernel: 3, stride: 1, padding: 1 })];
const poolOutput = (x: Tensor, p: (typeof POOLS)[number]): number[] => [...bind(primitives.maxPool2d, [x], p).shape];

const TABLE = {
  add: binary(),
  sub: binary(),
  mul: binary(),
  div: binary(vals, positive),
  floorDiv: binary(offInteger, positive),
  neg: unary(),
  mulSafe: binary(),
  divSafe: binary(vals, positive),
  pow: binary(positive, (s) => vals(s, -1, 2)),
  exp: unary(),
  log: unary(positive),
  sin: unary(),
  cos: unary(),
  tanh: unary(),
  sqrt: unary(positive),
  rsqrt: unary(positive),
  abs: unary(away),
  sign: unary(away),
  relu: unary(away),
  reluGrad: binary(vals, away),
  sigmoid: unary(),
  softplus: unary(),
  erf: unary(),
  gelu: unary(),
  geluTanh: unary(),
  eq: binary(),
  ne: binary(),
  lt: binary(),
  le: binary(),
  gt: binary(),
  ge: binary(),
  where: {
    cases: () =>
      (
        [
          ["same shape", [2, 3], [2, 3], [2, 3]],
          ["cond [3, 1], branches [1, 4] and scalar", [3, 1], [1, 4], []],
          ["scalar cond, branches [2, 3] and [3]", [], [2, 3], [3]],
          ["three ways: [1, 4, 1], [3, 1, 1], [1, 1, 5]", [1, 4, 1], [3, 1, 1], [1, 1, 5]],
        ] as const
      ).map(([label, sc, sa, sb]) => ({ label, inputs: [gt(vals([...sc]), 0), vals([...sa]), vals([...sb])] })),
  },
  maximum: extremum,
  minimum: extremum,
  cast: {
    cases: () => [
      { label: "float64 to float64", inputs: [vals([2, 3])], params: { dtype: "float64" } },
      { label: "float64 to float32", inputs: [vals([2, 3])], params: { dtype: "float32" }, tol: 1e-3 },
      { label: "float64 to int32", inputs: [vals([2, 3], -5, 5)], params: { dtype: "int32" } },
      { label: "float64 to bool", inputs: [vals([2, 3])], params: { dtype: "bool" } },
    ],
  },
  sum: reduction(),
  max: reduction(spread),
  min: reduction(spread),
  prod: reduction(positive),
  prodOthers: {
    cases: () => [
      { label: "axis 1", inputs: [positive([2, 3])], params: { axes: [1] } },
      { label: "all axes", inputs: [positive([2, 3])], params: { axes: [0, 1] } },
    ],
  },
  cumsum: {
    cases: () => [
      { label: "axis 0", inputs: [vals([3, 2])], params: { axis: 0 } },
      { label: "axis 1", inputs: [vals([2, 4])], params: { axis: 1 } },
    ],
  },
  // Piecewise constant: its zero rule, at inputs without ties (where it is differentiable).
  tieShare: { cases: () => [{ label: "max, axis 1", inputs: [vals([2, 3])], params: { axes: [1], extreme: "max" } }] },
  argExtreme: { notDifferentiable: "int32 indices (a declared constant primitive)" },
  matmul: {
    cases: () =>
      (
        [
          ["matrices", [2, 3], [3, 4]],
          ["a batch against one matrix", [2, 3, 4], [4, 2]],
          ["batch 1 against batch 2", [1, 2, 3], [2, 3, 2]],
          ["both batches broadcast", [2, 1, 2, 3], [3, 3, 2]],
        ] as const
      ).map(([label, sa, sb]) => ({ label, inputs: [vals([...sa]), vals([...sb])] })),
  },
  conv2d: {
    cases: () => GEOMETRIES.map((geo, i) => ({ label: `geometry ${i}`, inputs: [vals([2, 2, 5, 5]), vals([3, 2, 3, 3])], params: geo })),
  },
  conv2dInputGrad: {
    cases: () =>
      GEOMETRIES.map((geo, i) => {
        const w = vals([3, 2, 3, 3]);
        return { label: `geometry ${i}`, inputs: [vals(convOutput(vals([2, 2, 5, 5]), w, geo)), w], params: { ...geo, inputSize: [5, 5] } };
      }),
  },
  conv2dWeightGrad: {
    cases: () =>
      GEOMETRIES.map((geo, i) => {
        const x = vals([2, 2, 5, 5]);
        return { label: `geometry ${i}`, inputs: [x, vals(convOutput(x, vals([3, 2, 3, 3]), geo))], params: { ...geo, kernelSize: [3, 3] } };
      }),
  },
  maxPool2d: { cases: () => POOLS.map((p, i) => ({ label: `window ${i}`, inputs: [spread([1, 2, 4, 4])], params: p })) },
  // v has x's shape (it is read where x's windows peak), g the output's.
  maxPool2dSelect: { cases: () => POOLS.map((p, i) => ({ label: `window ${i}`, inputs: [spread([1, 2, 4, 4]), vals([1, 2, 4, 4])], params: p })) },
  maxPool2dGrad: {
    cases: () =>
      POOLS.map((p, i) => {
        const x = spread([1, 2, 4, 4]);
        return { label: `window ${i}`, inputs: [x, vals(poolOutput(x, p))], params: p };
      }),
  },
  concat: {
    cases: () => [
      { label: "three blocks along axis 0", inputs: [vals([2, 3]), vals([1, 3]), vals([4, 3])], params: { axis: 0 } },
      { label: "two blocks along axis 1", inputs: [vals([2, 1]), vals([2, 3])], params: { axis: 1 } },
    ],
  },
  pad: {
    cases: () => [
      {
        label: "[2, 3] with a value",
        inputs: [vals([2, 3])],
        params: {
          widths: [
            [1, 0],
            [0, 2],
          ],
          value: 0.5,
        },
      },
      { label: "a size-1 axis", inputs: [vals([1])], params: { widths: [[1, 1]], value: 0 } },
    ],
  },
  gather: {
    cases: () => [
      { label: "axis 0", inputs: [vals([3, 2]), ints([2, 0, 1, 1], [2, 2])], params: { axis: 0 } },
      { label: "axis 1, fewer indices", inputs: [vals([2, 3]), ints([2, 0], [2, 1])], params: { axis: 1 } },
    ],
  },
  scatterAdd: {
    cases: () => [
      { label: "axis 1, repeated indices", inputs: [vals([2, 2]), ints([1, 0, 0, 0], [2, 2]), vals([2, 2])], params: { axis: 1 } },
      { label: "axis 0, src larger than the indices", inputs: [vals([3, 2]), ints([2, 0], [1, 2]), vals([2, 3])], params: { axis: 0 } },
    ],
  },
  oneHot: { notDifferentiable: "its one input is int32 indices: no input can carry a tangent" },
  reshape: {
    cases: () => [
      { label: "[2, 3] to [3, 2]", inputs: [vals([2, 3])], params: { shape: [3, 2] } },
      { label: "[6] to [1, 2, 3]", inputs: [vals([6])], params: { shape: [1, 2, 3] } },
    ],
  },
  expand: {
    cases: () => [
      { label: "[3, 1] to [2, 3, 4]", inputs: [vals([3, 1])], params: { shape: [2, 3, 4] } },
      { label: "a scalar to [2]", inputs: [vals([])], params: { shape: [2] } },
    ],
  },
  permute: { cases: () => [{ label: "[2, 3, 4] by [2, 0, 1]", inputs: [vals([2, 3, 4])], params: { axes: [2, 0, 1] } }] },
  slice: {
    cases: () => [
      { label: "a column range", inputs: [vals([3, 4])], params: { specs: [null, [1, 3]] } },
      { label: "reversed rows", inputs: [vals([3, 4])], params: { specs: [[null, null, -1]] } },
    ],
  },
  unslice: { cases: () => [{ label: "into [3, 4]", inputs: [vals([3, 2])], params: { shape: [3, 4], specs: [null, [1, 3]] } }] },
  contiguous: {
    cases: () => [
      { label: "scalar", inputs: [vals([])] },
      { label: "[2, 3]", inputs: [vals([2, 3])] },
    ],
  },
  // Zero rules by definition, where finite differences see its identity forward: test/jit/stopGradient.test.ts compares it with eager detach.
  stopGradient: { notDifferentiable: "the cut: a constant to every derivative (zero JVP, no cotangent), though its forward is the identity" },
  to: {
    cases: () => [
      { label: "host to the counting device", inputs: [vals([2, 3])], params: { device: counting } },
      { label: "the counting device to host", inputs: [to(vals([2, 3]), counting)], params: { device: getDevice("cpu") } },
    ],
  },
  triangularSolve: {
    cases: () =>
      [false, true].flatMap((lower) =>
        [false, true].flatMap((transpose) =>
          [false, true].map((unitDiagonal) => ({
            label: `lower ${lower}, transpose ${transpose}, unit diagonal ${unitDiagonal}, batched`,
            inputs: [dominant([2, 3, 3]), vals([2, 3, 2])],
            params: { lower, transpose, unitDiagonal },
          })),
        ),
      ),
  },
  cholesky: {
    cases: () => [
      { label: "3×3", inputs: [spd([3, 3])], params: { check: true } },
      { label: "a batch of 2×2", inputs: [spd([2, 2, 2])], params: { check: true } },
    ],
  },
  lu: {
    cases: () => [
      { label: "3×3 (no row swaps)", inputs: [dominant([3, 3])], params: { check: true } },
      // Fixed values (no draw, so later rows keep theirs): partial pivoting swaps rows 0 and 2, then 1 and 2.
      { label: "3×3 with row swaps", inputs: [f64([1, 2, 0.5, 0.5, 1, 3, 4, 0.5, 1], [3, 3])], params: { check: true } },
      { label: "a batch of 2×2", inputs: [dominant([2, 2, 2])], params: { check: true } },
    ],
  },
  // issue 18's elementwise functions (after the others, so the values drawn for those are unchanged).
  cbrt: unary(positive),
  expm1: unary(),
  log1p: unary(),
  log2: unary(positive),
  log10: unary(positive),
  tan: unary(),
  asin: unary((s) => vals(s, -0.9, 0.9)),
  acos: unary((s) => vals(s, -0.9, 0.9)),
  atan: unary(),
  sinh: unary(),
  cosh: unary(),
  asinh: unary(),
  acosh: unary((s) => vals(s, 1.5, 3)),
  atanh: unary((s) => vals(s, -0.9, 0.9)),
  floor: unary(offInteger),
  ceil: unary(offInteger),
  round: unary(offInteger),
  trunc: unary(offInteger),
  // |a/b| < 0.8 and a ≠ 0: a step never crosses a jump of the quotient.
  fmod: binary(offInteger, positive),
  remainder: binary(offInteger, positive),
  atan2: binary(away, away),
  hypot: binary(away, away),
  logaddexp: binary(),
  qr: {
    cases: () => [
      { label: "4×3 reduced", inputs: [dominant([4, 3])], params: { complete: false } },
      { label: "a batch of 2×2, complete", inputs: [dominant([2, 2, 2])], params: { complete: true } },
    ],
  },
  eigh: {
    cases: () => [
      { label: "3×3", inputs: [spd([3, 3])], params: { check: true } },
      { label: "a batch of 2×2", inputs: [spd([2, 2, 2])], params: { check: true } },
    ],
  },
  svd: {
    cases: () => [
      { label: "4×3", inputs: [dominant([4, 3])] },
      { label: "a batch of 2×2", inputs: [dominant([2, 2, 2])] },
    ],
  },
  threefry2x32: { notDifferentiable: "int32 random bits (a declared constant primitive)" },
  argsort: { notDifferentiable: "int32 indices (a declared constant primitive)" },
  cumArgExtreme: { notDifferentiable: "int32 indices (a declared constant primitive)" },
  searchsorted: { notDifferentiable: "int32 insertion points (a declared constant primitive)" },
} satisfies Record<PrimitiveName, Entry>;

const isFloat = (t: Tensor): boolean => t.dtype === "float64" || t.dtype === "float32";
const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);

/** The tangent subsets checked: each float input alone, then all of them. */
function subsets(inputs: readonly Tensor[]): number[][] {
  const free = inputs.flatMap((x, i) => (isFloat(x) ? [i] : []));
  return free.length > 1 ? [...free.map((i) => [i]), free] : [free];
}

function checkCase(name: PrimitiveName, spec: Case, which: number[]): void {
  const prim = primitives[name] as Primitive<unknown>;
  const f = (...xs: Tensor[]): Tensor =>
    bind(
      prim,
      spec.inputs.map((x, i) => (which.includes(i) ? xs[which.indexOf(i)] : x)),
      spec.params,
    );
  const primals = which.map((i) => spec.inputs[i]);
  const tangents = primals.map((x) => to(randn([...x.shape], { rng: g, dtype: "float64" }), x.device));
  const [y, t] = jvp(f, primals, tangents);
  expect(t.shape, "the tangent has the output's shape").toEqual(y.shape);
  expect(t.dtype, "the tangent has the output's dtype").toBe(y.dtype);
  if (!isFloat(y)) {
    // A comparison or a cast to int32/bool: piecewise constant, so the tangent is zero.
    expect(host(t).every((v) => v === 0)).toBe(true);
    return;
  }
  const cotangent = to(randn([...y.shape], { rng: g, dtype: y.dtype === "float32" ? "float32" : "float64" }), y.device);
  const c = host(cotangent);
  const forward = dot(c, host(t));
  // (a) ⟨c, J·t⟩ is the derivative of s ↦ ⟨c, f(x + s·t)⟩ at 0.
  const along = ([s]: number[]) =>
    dot(
      c,
      host(
        f(
          ...primals.map((x, k) =>
            to(
              f64(
                host(x).map((v, e) => v + s * host(tangents[k])[e]),
                x.shape,
              ),
              x.device,
            ),
          ),
        ),
      ),
    );
  const report = checkGradient(along, [0], { gradient: [forward], rtol: spec.tol ?? 1e-6, atol: 1e-8 });
  expect(report.ok, `finite differences: ${report.summary}`).toBe(true);
  // (b) ⟨c, J·t⟩ = Σᵢ ⟨Jᵢᵀ·c, tᵢ⟩.
  const [, pullback] = vjp(f, ...primals);
  const reverse = pullback(cotangent).reduce((sum, ct, k) => sum + dot(host(ct), host(tangents[k])), 0);
  const tol = spec.tol === undefined ? 1e-10 : 1e-6;
  expect(Math.abs(forward - reverse), `JVP ${forward} vs VJP ${reverse}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(reverse)));
}

describe("JVP with a tangent on one input at a time", () => {
  it("the table covers every registered primitive, or says why it has no JVP", () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(primitives).sort());
    for (const [name, entry] of Object.entries(TABLE) as [PrimitiveName, Entry][]) {
      if ("notDifferentiable" in entry) {
        expect(entry.notDifferentiable.length, name).toBeGreaterThan(0);
        // Only the declared constants lack a rule; oneHot has one but no input that can carry a tangent.
        if (primitives[name].jvp === undefined) expect(constantPrimitives).toContain(name);
        continue;
      }
      expect(primitives[name].jvp, `${name} has cases but no JVP rule`).toBeDefined();
      expect(entry.cases().length, name).toBeGreaterThan(0);
    }
  });

  const rows = (Object.entries(TABLE) as [PrimitiveName, Entry][]).filter((row): row is [PrimitiveName, { cases: () => Case[] }] => "cases" in row[1]);
  it.each(rows)("%s: each broadcasting pattern, each input alone and all together", (name, entry) => {
    for (const spec of entry.cases()) {
      for (const which of subsets(spec.inputs)) {
        try {
          checkCase(name, spec, which);
        } catch (e) {
          const shapes = spec.inputs.map((x) => `[${x.shape.join(", ")}]`).join(", ");
          throw new Error(`${name}, ${spec.label} (inputs ${shapes}), tangent on input${which.length > 1 ? "s" : ""} ${which.join(" and ")}: ${(e as Error).message}`);
        }
      }
    }
  });
});
