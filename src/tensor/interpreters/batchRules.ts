/**
 * The batching rule of every primitive of the registry (see batch.ts): each takes the physical inputs
 * (batch axis first where batched) and returns the physical output, [B, ...logical output], written
 * with primitives so the rules run under grad, jvp and trace like any other code. Keyed by
 * `PrimitiveName`, so a primitive added to the registry without a rule is a compile error. Most rules
 * are one of a few shapes: elementwise (line the batch axes up and let broadcasting do the rest), axis
 * shifts (the batch axis is axis 0, so every axis parameter moves up by one), leading batch dims
 * (matmul and linalg already batch over leading axes), folding the batch into N (conv, pooling), and,
 * where no better rule exists, a loop over the examples.
 */
import type { Primitive } from "../primitive.js";
import { bind } from "../primitive.js";
import { zeros } from "../creation.js";
import { concat } from "../primitives/join.js";
import { expand } from "../primitives/reduce.js";
import { reshape, slice } from "../primitives/shape.js";
import type { PrimitiveName, primitives } from "../primitives/registry.js";
import type { Tensor } from "../tensor.js";
import { registeredBatchRule, type BatchArgs, type BatchRule } from "./batch.js";

type ParamsOf<K extends PrimitiveName> = (typeof primitives)[K] extends Primitive<infer P> ? P : never;

/** Inserts size-1 axes after the batch axis so a batched input has `rank` logical axes. */
function toRank(x: Tensor, rank: number): Tensor {
  const logical = x.shape.slice(1);
  return logical.length >= rank ? x : reshape(x, [x.shape[0], ...new Array<number>(rank - logical.length).fill(1), ...logical]);
}

/** Every input batched: the unbatched ones broadcast (a view) along a new batch axis. */
function allBatched({ inputs, batched, size }: BatchArgs<unknown>): Tensor[] {
  return inputs.map((x, i) => (batched[i] ? x : expand(reshape(x, [1, ...x.shape]), [size, ...x.shape])));
}

/**
 * Elementwise over broadcast inputs: batched inputs get the output's rank (ones after the batch
 * axis), so NumPy broadcasting lines their batch axes up; unbatched inputs broadcast as they are.
 */
function elementwise<P>(args: BatchArgs<P>): Tensor {
  const rank = args.type.shape.length;
  return bind(
    args.primitive,
    args.inputs.map((x, i) => (args.batched[i] ? toRank(x, rank) : x)),
    args.params,
  );
}

/** One input, and the primitive works per leading position or per element: the batch axis is one more. */
function unary<P>({ primitive, inputs, params }: BatchArgs<P>): Tensor {
  return bind(primitive, inputs, params);
}

/** Every example on its own, stacked: correct for any primitive, used where nothing better exists. */
function loop<P>({ primitive, inputs, batched, params, size, type }: BatchArgs<P>): Tensor {
  // An empty batch has no example to run: its output is empty, on the inputs' device.
  if (size === 0) return zeros([0, ...type.shape], { dtype: type.dtype, device: inputs[0]?.device });
  const outs: Tensor[] = [];
  for (let b = 0; b < size; b++) {
    const example = inputs.map((x, i) => (batched[i] ? slice(x, [b]) : x));
    // Params of its own for each example: customVjp's keep the residuals its forward computed.
    const y = bind(primitive, example, typeof params === "object" && params !== null ? { ...params } : params);
    outs.push(reshape(y, [1, ...y.shape]));
  }
  return concat(outs, 0);
}

/** Every input batched and the primitive's rule applied with its axis parameters shifted past the batch axis. */
function shifted<P>(shift: (p: P, rank: number) => P): BatchRule<P> {
  return (args) => bind(args.primitive, allBatched(args as BatchArgs<unknown>), shift(args.params, args.inputs[0].shape.length - (args.batched[0] ? 1 : 0)));
}

const up = (a: number, rank: number): number => (a < 0 ? a + rank : a) + 1;
const axesUp = <P extends { readonly axes: readonly number[] }>(p: P, rank: number): P => ({ ...p, axes: p.axes.map((a) => up(a, rank)) });
const axisUp = <P extends { readonly axis: number }>(p: P, rank: number): P => ({ ...p, axis: up(p.axis, rank) });

/**
 * A primitive over [N, ...] inputs whose examples are independent (conv's x with an unbatched kernel,
 * pooling): the batch folds into N and back out. `folded` says which inputs carry N.
 */
function foldIntoN<P>(folded: readonly boolean[]): BatchRule<P> {
  return (args) => {
    if (args.inputs.some((_, i) => !folded[i] && args.batched[i])) return loop(args);
    const all = allBatched(args as BatchArgs<unknown>);
    const ins = args.inputs.map((x, i) => (folded[i] ? reshape(all[i], [all[i].shape[0] * all[i].shape[1], ...all[i].shape.slice(2)]) : x));
    const y = bind(args.primitive, ins, args.params);
    return reshape(y, [args.size, ...args.type.shape]);
  };
}

/** Linear algebra over leading batch axes: every input batched, the batch one more leading axis. */
function leadingBatch<P>(args: BatchArgs<P>): Tensor {
  return bind(args.primitive, allBatched(args as BatchArgs<unknown>), args.params);
}

/**
 * matmul batches over leading axes and broadcasts them; a 1-D operand is a row (a) or a column (b)
 * first, so that it does not take the batch axis for a matrix axis, and the result is reshaped back.
 */
function matmulRule(args: BatchArgs<undefined>): Tensor {
  const [a, b] = args.inputs.map((x, i) => {
    const rank = x.shape.length - (args.batched[i] ? 1 : 0);
    if (rank >= 2) return x;
    const lead = args.batched[i] ? [x.shape[0]] : [];
    return reshape(x, i === 0 ? [...lead, 1, x.shape[x.shape.length - 1]] : [...lead, x.shape[x.shape.length - 1], 1]);
  });
  // Examples times one matrix (a layer's weights): the batch folds into a's rows, one large product.
  if (args.batched[0] && !args.batched[1] && a.shape.length === 3 && b.shape.length === 2) {
    return reshape(bind(args.primitive, [reshape(a, [a.shape[0] * a.shape[1], a.shape[2]]), b], args.params), [args.size, ...args.type.shape]);
  }
  const rank = Math.max(a.shape.length - (args.batched[0] ? 1 : 0), b.shape.length - (args.batched[1] ? 1 : 0));
  const y = bind(args.primitive, [args.batched[0] ? toRank(a, rank) : a, args.batched[1] ? toRank(b, rank) : b], args.params);
  return reshape(y, [args.size, ...args.type.shape]);
}

/** The axis-free view primitives: the batch axis is prepended to their shape or spec parameters. */
function withShape<P extends { readonly shape: readonly number[] }>(args: BatchArgs<P>): Tensor {
  return bind(args.primitive, args.inputs, { ...args.params, shape: [args.size, ...args.type.shape] });
}

export const batchRules: { readonly [K in PrimitiveName]: BatchRule<ParamsOf<K>> } = {
  add: elementwise,
  sub: elementwise,
  mul: elementwise,
  div: elementwise,
  floorDiv: elementwise,
  neg: unary,
  mulSafe: elementwise,
  divSafe: elementwise,
  pow: elementwise,
  exp: unary,
  log: unary,
  sin: unary,
  cos: unary,
  tanh: unary,
  sqrt: unary,
  rsqrt: unary,
  abs: unary,
  sign: unary,
  relu: unary,
  reluGrad: elementwise,
  sigmoid: unary,
  softplus: unary,
  erf: unary,
  gelu: unary,
  geluTanh: unary,
  cbrt: unary,
  expm1: unary,
  log1p: unary,
  log2: unary,
  log10: unary,
  tan: unary,
  asin: unary,
  acos: unary,
  atan: unary,
  sinh: unary,
  cosh: unary,
  asinh: unary,
  acosh: unary,
  atanh: unary,
  floor: unary,
  ceil: unary,
  round: unary,
  trunc: unary,
  fmod: elementwise,
  remainder: elementwise,
  atan2: elementwise,
  hypot: elementwise,
  logaddexp: elementwise,
  eq: elementwise,
  ne: elementwise,
  lt: elementwise,
  le: elementwise,
  gt: elementwise,
  ge: elementwise,
  where: elementwise,
  maximum: elementwise,
  minimum: elementwise,
  cast: unary,
  sum: shifted(axesUp),
  max: shifted(axesUp),
  min: shifted(axesUp),
  prod: shifted(axesUp),
  prodOthers: shifted(axesUp),
  cumsum: shifted(axisUp),
  tieShare: shifted(axesUp),
  argExtreme: shifted(axesUp),
  matmul: matmulRule,
  conv2d: foldIntoN([true, false]),
  conv2dInputGrad: foldIntoN([true, false]),
  // The kernel's gradient sums over N, so examples cannot share one call.
  conv2dWeightGrad: loop,
  maxPool2d: foldIntoN([true]),
  maxPool2dSelect: foldIntoN([true, true]),
  maxPool2dGrad: foldIntoN([true, true]),
  concat: shifted(axisUp),
  pad: shifted((p) => ({ ...p, widths: [[0, 0] as const, ...p.widths] })),
  gather: shifted(axisUp),
  scatterAdd: shifted(axisUp),
  oneHot: unary,
  reshape: withShape,
  // A batched input of lower rank gets its ones after the batch axis, where expand's NumPy rule wants them.
  expand: (args) => bind(args.primitive, [toRank(args.inputs[0], args.type.shape.length)], { shape: [args.size, ...args.type.shape] }),
  permute: shifted((p, rank) => ({ axes: [0, ...p.axes.map((a) => up(a, rank))] })),
  slice: (args) => bind(args.primitive, args.inputs, { specs: [null, ...args.params.specs] }),
  unslice: (args) => bind(args.primitive, args.inputs, { shape: [args.size, ...args.params.shape], specs: [null, ...args.params.specs] }),
  contiguous: unary,
  stopGradient: unary,
  to: unary,
  triangularSolve: leadingBatch,
  cholesky: leadingBatch,
  lu: leadingBatch,
  qr: leadingBatch,
  eigh: leadingBatch,
  svd: leadingBatch,
  threefry2x32: elementwise,
  argsort: shifted(axisUp),
  cumArgExtreme: shifted(axisUp),
  // Both operands carry the same leading axes: the batch axis becomes one more of them.
  searchsorted: (args) => bind(args.primitive, allBatched(args as BatchArgs<unknown>), args.params),
};

/** The rule for a primitive by name (control flow registers its own); a primitive made at run time (customVjp, checkpoint) loops. */
export function batchRuleFor(name: string): BatchRule<unknown> {
  return Object.hasOwn(batchRules, name) ? (batchRules as Record<string, BatchRule<unknown>>)[name] : (registeredBatchRule(name) ?? loop);
}
