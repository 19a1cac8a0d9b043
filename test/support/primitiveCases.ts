/**
 * One small call per primitive of the registry, shared by the meta-tests that walk it (trace,
 * backend): each call's trace holds its primitive; primitives that only appear inside derivative
 * rules are reached through grad, vjp or jvp. Keyed by `PrimitiveName`, so a primitive added to the
 * registry without a case is a compile error. `view` marks the primitives that only re-stride.
 */
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import * as linalg from "../../src/linalg/index.js";
import { divSafe, mulSafe } from "../../src/tensor/primitives/arithmetic.js";
import type { PrimitiveName } from "../../src/tensor/primitives/registry.js";
import { threefry2x32 } from "../../src/tensor/primitives/threefry.js";
import { cumArgExtremeP } from "../../src/tensor/primitives/sort.js";
import { bind } from "../../src/tensor/primitive.js";
import { countingDevice } from "./countingDevice.js";

export interface PrimitiveCase {
  readonly inputs: readonly Tensor[];
  readonly f: (...xs: Tensor[]) => unknown;
  /** Declared a view: a new shape/strides/offset over the input's buffer, no kernel. */
  readonly view?: true;
}

const g = ops.rng(20261207);
const r = (shape: number[], lo = -1, hi = 1): Tensor => ops.add(ops.mul(ops.rand(shape, { rng: g, dtype: "float64" }), hi - lo), lo);
const ints = (values: number[], shape: number[]): Tensor => ops.tensor(values, { dtype: "int32", shape });
const gradOf = (f: (x: Tensor) => Tensor) => (x: Tensor) => ops.grad((u: Tensor) => ops.sum(f(u)))(x) as Tensor;
const tangentOf = (f: (x: Tensor) => Tensor) => (x: Tensor, t: Tensor) => ops.jvp(f, [x], [t])[1];
const pool = { kernel: 2, stride: 1 } as const;
/** A batch of matrices with diagonals in [2, 4]: well conditioned, so solves and factors are exact enough to compare. */
const dominant = (shape: number[]): Tensor => ops.add(r(shape), ops.mul(ops.eye(shape[shape.length - 1], undefined, { dtype: "float64" }), 3));
/** Symmetric positive definite: B·Bᵀ + n·I. */
const spd = (shape: number[]): Tensor => {
  const b = r(shape);
  return ops.add(ops.matmul(b, ops.transpose(b)), ops.mul(ops.eye(shape[shape.length - 1], undefined, { dtype: "float64" }), shape[shape.length - 1]));
};
/** A second device; it reads only asynchronously, so `to`'s case comes back to the host before it is compared. */
export const counting = countingDevice();

export const PRIMITIVE_CASES: { readonly [K in PrimitiveName]: PrimitiveCase } = {
  add: { inputs: [r([2, 3]), r([3])], f: (a, b) => ops.add(a, b) },
  sub: { inputs: [r([2, 1]), r([3])], f: (a, b) => ops.sub(a, b) },
  mul: { inputs: [r([2, 3]), r([2, 3])], f: (a, b) => ops.mul(a, b) },
  div: { inputs: [r([2, 3]), r([3], 1, 2)], f: (a, b) => ops.div(a, b) },
  floorDiv: { inputs: [r([2, 3], -5, 5), r([3], 1, 2)], f: (a, b) => ops.floorDiv(a, b) },
  neg: { inputs: [r([4])], f: (a) => ops.neg(a) },
  mulSafe: { inputs: [r([3]), r([3])], f: (a, b) => mulSafe(a, b) },
  divSafe: { inputs: [r([3]), r([3], 1, 2)], f: (a, b) => divSafe(a, b) },
  pow: { inputs: [r([2, 3], 0.5, 2), r([3])], f: (a, b) => ops.pow(a, b) },
  exp: { inputs: [r([3])], f: (a) => ops.exp(a) },
  log: { inputs: [r([3], 0.5, 2)], f: (a) => ops.log(a) },
  sin: { inputs: [r([3])], f: (a) => ops.sin(a) },
  cos: { inputs: [r([3])], f: (a) => ops.cos(a) },
  tanh: { inputs: [r([3])], f: (a) => ops.tanh(a) },
  sqrt: { inputs: [r([3], 0.5, 2)], f: (a) => ops.sqrt(a) },
  rsqrt: { inputs: [r([3], 0.5, 2)], f: (a) => ops.rsqrt(a) },
  abs: { inputs: [r([3])], f: (a) => ops.abs(a) },
  sign: { inputs: [r([3])], f: (a) => ops.sign(a) },
  relu: { inputs: [r([3])], f: (a) => ops.relu(a) },
  reluGrad: { inputs: [r([5])], f: gradOf(ops.relu) },
  sigmoid: { inputs: [r([3])], f: (a) => ops.sigmoid(a) },
  softplus: { inputs: [r([3])], f: (a) => ops.softplus(a) },
  erf: { inputs: [r([3])], f: (a) => ops.erf(a) },
  gelu: { inputs: [r([3])], f: (a) => ops.gelu(a) },
  geluTanh: { inputs: [r([3])], f: (a) => ops.gelu(a, { approximate: "tanh" }) },
  cbrt: { inputs: [r([3], 0.5, 2)], f: (a) => ops.cbrt(a) },
  expm1: { inputs: [r([3])], f: (a) => ops.expm1(a) },
  log1p: { inputs: [r([3])], f: (a) => ops.log1p(a) },
  log2: { inputs: [r([3], 0.5, 2)], f: (a) => ops.log2(a) },
  log10: { inputs: [r([3], 0.5, 2)], f: (a) => ops.log10(a) },
  tan: { inputs: [r([3])], f: (a) => ops.tan(a) },
  asin: { inputs: [r([3], -0.75, 0.75)], f: (a) => ops.asin(a) },
  acos: { inputs: [r([3], -0.75, 0.75)], f: (a) => ops.acos(a) },
  atan: { inputs: [r([3])], f: (a) => ops.atan(a) },
  sinh: { inputs: [r([3])], f: (a) => ops.sinh(a) },
  cosh: { inputs: [r([3])], f: (a) => ops.cosh(a) },
  asinh: { inputs: [r([3])], f: (a) => ops.asinh(a) },
  acosh: { inputs: [r([3], 1.5, 3)], f: (a) => ops.acosh(a) },
  atanh: { inputs: [r([3], -0.75, 0.75)], f: (a) => ops.atanh(a) },
  floor: { inputs: [r([3], -3, 3)], f: (a) => ops.floor(a) },
  ceil: { inputs: [r([3], -3, 3)], f: (a) => ops.ceil(a) },
  round: { inputs: [r([3], -3, 3)], f: (a) => ops.round(a) },
  trunc: { inputs: [r([3], -3, 3)], f: (a) => ops.trunc(a) },
  fmod: { inputs: [r([2, 3], -5, 5), r([3], 1, 2)], f: (a, b) => ops.fmod(a, b) },
  remainder: { inputs: [r([2, 3], -5, 5), r([3], 1, 2)], f: (a, b) => ops.remainder(a, b) },
  atan2: { inputs: [r([2, 3]), r([3])], f: (a, b) => ops.atan2(a, b) },
  hypot: { inputs: [r([2, 3]), r([3])], f: (a, b) => ops.hypot(a, b) },
  logaddexp: { inputs: [r([2, 3]), r([3])], f: (a, b) => ops.logaddexp(a, b) },
  eq: { inputs: [r([3]), r([3])], f: (a, b) => ops.eq(a, b) },
  ne: { inputs: [r([3]), r([3])], f: (a, b) => ops.ne(a, b) },
  lt: { inputs: [r([3]), r([3])], f: (a, b) => ops.lt(a, b) },
  le: { inputs: [r([3]), r([3])], f: (a, b) => ops.le(a, b) },
  gt: { inputs: [r([3]), r([3])], f: (a, b) => ops.gt(a, b) },
  ge: { inputs: [r([3]), r([3])], f: (a, b) => ops.ge(a, b) },
  where: { inputs: [r([2, 3]), r([3]), r([2, 1])], f: (c, a, b) => ops.where(ops.gt(c, 0), a, b) },
  maximum: { inputs: [r([2, 3]), r([3])], f: (a, b) => ops.maximum(a, b) },
  minimum: { inputs: [r([2, 3]), r([3])], f: (a, b) => ops.minimum(a, b) },
  cast: { inputs: [r([3])], f: (a) => ops.cast(a, "float32") },
  sum: { inputs: [r([2, 3])], f: (a) => ops.sum(a, 1) },
  max: { inputs: [r([2, 3])], f: (a) => ops.max(a, 0) },
  min: { inputs: [r([2, 3])], f: (a) => ops.min(a, 1, true) },
  prod: { inputs: [r([2, 3])], f: (a) => ops.prod(a, 1) },
  prodOthers: { inputs: [r([2, 3])], f: gradOf((a) => ops.prod(a, 1)) },
  cumsum: { inputs: [r([2, 3])], f: (a) => ops.cumsum(a, 1) },
  tieShare: { inputs: [r([2, 3])], f: gradOf((a) => ops.max(a, 1)) },
  argExtreme: { inputs: [r([2, 3])], f: (a) => ops.argmax(a, 1) },
  matmul: { inputs: [r([2, 3, 4]), r([4, 2])], f: (a, b) => ops.matmul(a, b) },
  conv2d: { inputs: [r([1, 2, 5, 5]), r([2, 2, 3, 3])], f: (x, w) => ops.conv2d(x, w, { stride: 2, padding: 1 }) },
  conv2dInputGrad: { inputs: [r([1, 2, 5, 5]), r([2, 2, 3, 3])], f: (x, w) => gradOf((u) => ops.conv2d(u, w, { padding: 1 }))(x) },
  conv2dWeightGrad: { inputs: [r([1, 2, 5, 5]), r([2, 2, 3, 3])], f: (x, w) => gradOf((v) => ops.conv2d(x, v, { padding: 1 }))(w) },
  maxPool2d: { inputs: [r([1, 1, 4, 4])], f: (x) => ops.maxPool2d(x, pool) },
  maxPool2dSelect: { inputs: [r([1, 1, 3, 3]), r([1, 1, 3, 3])], f: tangentOf((x) => ops.maxPool2d(x, pool)) },
  maxPool2dGrad: { inputs: [r([1, 1, 4, 4])], f: gradOf((x) => ops.maxPool2d(x, pool)) },
  concat: { inputs: [r([2, 3]), r([1, 3])], f: (a, b) => ops.concat([a, b]) },
  pad: {
    inputs: [r([2, 3])],
    f: (a) =>
      ops.pad(
        a,
        [
          [1, 0],
          [0, 2],
        ],
        0.5,
      ),
  },
  gather: { inputs: [r([3, 2]), ints([2, 0, 1, 1], [2, 2])], f: (x, i) => ops.gather(x, 0, i) },
  scatterAdd: { inputs: [r([2, 2]), ints([1, 0, 0, 0], [2, 2]), r([2, 2])], f: (x, i, s) => ops.scatterAdd(x, 1, i, s) },
  oneHot: { inputs: [ints([2, 0, 1], [3])], f: (i) => ops.oneHot(i, 4, "float32") },
  reshape: { inputs: [r([6])], f: (a) => ops.reshape(a, [2, 3]), view: true },
  expand: { inputs: [r([1, 3])], f: (a) => ops.expand(a, [2, 3]), view: true },
  permute: { inputs: [r([2, 3, 4])], f: (a) => ops.permute(a, [2, 0, 1]), view: true },
  slice: { inputs: [r([4, 3])], f: (a) => ops.slice(a, [[1, 3], null]), view: true },
  unslice: { inputs: [r([4, 3])], f: gradOf((a) => ops.slice(a, [[1, 3], null])) },
  // contiguous is a view only of what already is contiguous; of a transpose it is a copy.
  contiguous: { inputs: [r([2, 3])], f: (a) => ops.contiguous(ops.transpose(a)) },
  stopGradient: { inputs: [r([2, 3])], f: (a) => ops.stopGradient(a), view: true },
  to: { inputs: [r([2, 3])], f: (a) => ops.to(ops.mul(ops.to(a, "counting"), 2), "cpu") },
  triangularSolve: { inputs: [dominant([2, 3, 3]), r([2, 3, 2])], f: (a, b) => linalg.triangularSolve(a, b, { lower: true }) },
  cholesky: { inputs: [spd([2, 3, 3])], f: (a) => linalg.cholesky(a) },
  lu: { inputs: [r([2, 3, 3])], f: (a) => linalg.luFactor(a).LU },
  qr: { inputs: [r([2, 4, 3])], f: (a) => linalg.qr(a).Q },
  eigh: { inputs: [spd([2, 3, 3])], f: (a) => linalg.eigh(a).eigenvectors },
  svd: { inputs: [r([2, 4, 3])], f: (a) => linalg.svd(a).U },
  threefry2x32: { inputs: [ints([0, 42], [2]), ints([0, 1, 2, 3, -1, -7], [3, 2])], f: (k, c) => threefry2x32(k, c) },
  argsort: { inputs: [r([2, 4])], f: (a) => ops.argsort(a, { descending: true }) },
  searchsorted: { inputs: [ops.sort(r([2, 4])).values, r([2, 3])], f: (s, v) => ops.searchsorted(s, v) },
  // The primitive alone: cummax also gathers its values, which is not on every device yet.
  cumArgExtreme: { inputs: [r([3, 2])], f: (a) => bind(cumArgExtremeP, [a], { axis: 0, extreme: "min" }) },
};
