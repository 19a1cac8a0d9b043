/**
 * Static shapes, checked by `npm test` (tsc over test/): literal dims are checked and propagated,
 * `number` dims fall back to run-time checks. An unused `@ts-expect-error` fails the type check.
 * Nothing here runs.
 */
import {
  add,
  argmax,
  argmin,
  avgPool2d,
  concat,
  conv2d,
  cumsum,
  logSoftmax,
  logsumexp,
  matmul,
  max,
  maxPool2d,
  mean,
  mul,
  ones,
  prod,
  rand,
  randn,
  relu,
  reshape,
  slice,
  softmax,
  squeeze,
  stack,
  sum,
  tensor,
  unsqueeze,
  zeros,
  type Tensor,
} from "../../src/tensor/index.js";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

export function creationKeepsLiteralShapes(): void {
  const x = zeros([2, 3]);
  assertType<Equals<typeof x, Tensor<readonly [2, 3]>>>();
  const n: number = 5;
  const y = ones([n, 4]);
  assertType<Equals<typeof y, Tensor<readonly [number, 4]>>>();
  // Untyped input (tensor() from data) is a Tensor of unknown shape: everything is checked at run time.
  const z = tensor([1, 2, 3]);
  assertType<Equals<typeof z, Tensor>>();
}

export function matmulChecksInnerDims(): void {
  const a = randn([2, 3]);
  const b = randn([3, 4]);
  const c = matmul(a, b);
  assertType<Equals<typeof c, Tensor<readonly [2, 4]>>>();
  const d = a.matmul(b).relu().transpose();
  assertType<Equals<typeof d, Tensor<readonly [4, 2]>>>();
  // @ts-expect-error 3 ≠ 5: the inner dimensions are literal and differ
  matmul(a, randn([5, 4]));
  // @ts-expect-error the same through the method
  a.matmul(randn([2, 4]));
  // Batched, with broadcast batch dims; 1-D operands lose their added axis.
  const e = matmul(randn([7, 1, 2, 3]), randn([5, 3, 6]));
  assertType<Equals<typeof e, Tensor<readonly [7, 5, 2, 6]>>>();
  const v = matmul(randn([2, 3]), randn([3]));
  assertType<Equals<typeof v, Tensor<readonly [2]>>>();
  // A number dim is not checked here (the run-time check still is).
  const k: number = 5;
  matmul(a, randn([k, 4]));
}

export function elementwiseOpsBroadcastAtTypeLevel(): void {
  const a = rand([2, 1, 3]);
  const b = rand([4, 3]);
  const c = add(a, b);
  assertType<Equals<typeof c, Tensor<readonly [2, 4, 3]>>>();
  const d = mul(a, 2);
  assertType<Equals<typeof d, Tensor<readonly [2, 1, 3]>>>();
  const e = a.add(b).sub(1);
  assertType<Equals<typeof e, Tensor<readonly [2, 4, 3]>>>();
  // @ts-expect-error [2, 3] and [4] do not broadcast: 3 vs 4
  add(rand([2, 3]), rand([4]));
  // @ts-expect-error the same through the method
  rand([2, 3]).mul(rand([2]));
  const f = relu(e);
  assertType<Equals<typeof f, Tensor<readonly [2, 4, 3]>>>();
}

export function reductionsAndReshapes(): void {
  const s = sum(rand([2, 3]));
  assertType<Equals<typeof s, Tensor<readonly []>>>();
  const r = rand([2, 3]).reshape([3, -1]);
  assertType<Equals<typeof r, Tensor<readonly [3, number]>>>();
  const m = rand([2, 3]).mean();
  assertType<Equals<typeof m, Tensor<readonly []>>>();
  // One literal axis: removed, or kept as 1; negative axes count from the end.
  const a1 = sum(rand([2, 3, 4]), 1);
  assertType<Equals<typeof a1, Tensor<readonly [2, 4]>>>();
  const a2 = sum(rand([2, 3, 4]), -1, true);
  assertType<Equals<typeof a2, Tensor<readonly [2, 3, 1]>>>();
  const a3 = max(rand([2, 3]), 0);
  assertType<Equals<typeof a3, Tensor<readonly [3]>>>();
  const a4 = mean(rand([2, 3]), undefined, true);
  assertType<Equals<typeof a4, Tensor<readonly [1, 1]>>>();
  // Several axes, or a computed one: unknown shape, checked at run time.
  const viaMethod = rand([2, 3, 4]).max(0, true);
  assertType<Equals<typeof viaMethod, Tensor<readonly [1, 3, 4]>>>();
  const axis: number = 1;
  const a5 = sum(rand([2, 3]), axis);
  assertType<Equals<typeof a5, Tensor>>();
}

export function reductionsOverAxisTuples(): void {
  const x = rand([2, 3, 4]);
  // A tuple of literal axes (negative ones count from the end): all removed, or kept as 1.
  const a = sum(x, [0, -1]);
  assertType<Equals<typeof a, Tensor<readonly [3]>>>();
  const b = sum(x, [0, -1], true);
  assertType<Equals<typeof b, Tensor<readonly [1, 3, 1]>>>();
  const c = x.mean([2, 1]);
  assertType<Equals<typeof c, Tensor<readonly [2]>>>();
  const d = prod(x, [1]);
  assertType<Equals<typeof d, Tensor<readonly [2, 4]>>>();
  // argmax/argmin take one axis (or none: an index into the flattened tensor).
  const e = argmax(x, 1);
  assertType<Equals<typeof e, Tensor<readonly [2, 4]>>>();
  const f = argmin(x, -1, true);
  assertType<Equals<typeof f, Tensor<readonly [2, 3, 1]>>>();
  const g = x.argmax();
  assertType<Equals<typeof g, Tensor<readonly []>>>();
  // cumsum and the softmax family keep the shape; logsumexp reduces like sum.
  const h = cumsum(x, 1);
  assertType<Equals<typeof h, Tensor<readonly [2, 3, 4]>>>();
  const i = softmax(x, 0);
  assertType<Equals<typeof i, Tensor<readonly [2, 3, 4]>>>();
  const j = x.logSoftmax();
  assertType<Equals<typeof j, Tensor<readonly [2, 3, 4]>>>();
  const k = logsumexp(x, [1, 2]);
  assertType<Equals<typeof k, Tensor<readonly [2]>>>();
  const l = logSoftmax(x);
  assertType<Equals<typeof l, Tensor<readonly [2, 3, 4]>>>();
  // A result shape is checked downstream: [3] does not broadcast with [4].
  // @ts-expect-error [3] and [4] do not broadcast
  add(sum(x, [0, -1]), zeros([4]));
  // @ts-expect-error logsumexp over [1, 2] leaves [2], and [2] does not broadcast with [3]
  add(logsumexp(x, [1, 2]), zeros([3]));
  // Repeated or out-of-range axes (a run-time error), or axes that are not literals: unknown shape.
  const m = sum(x, [0, 0]);
  assertType<Equals<typeof m, Tensor>>();
  const axes: number[] = [0];
  const n = sum(x, axes, true);
  assertType<Equals<typeof n, Tensor<readonly [number, number, number]>>>();
}

export function reshapeChecksTheElementCount(): void {
  const x = rand([2, 3]);
  const a = reshape(x, [3, 2]);
  assertType<Equals<typeof a, Tensor<readonly [3, 2]>>>();
  const b = x.reshape([6, 1]);
  assertType<Equals<typeof b, Tensor<readonly [6, 1]>>>();
  // Counted digit by digit, so large shapes cost no more than small ones.
  const images = zeros([64, 3, 224, 224]);
  const flat = images.reshape([64, 150528]);
  assertType<Equals<typeof flat, Tensor<readonly [64, 150528]>>>();
  // @ts-expect-error 64·3·224·224 = 9633792 ≠ 64·150529
  images.reshape([64, 150529]);
  // @ts-expect-error [2, 3] has 6 elements, [4, 2] has 8
  reshape(x, [4, 2]);
  // @ts-expect-error the same through the method
  x.reshape([5]);
  // −1 or a `number` dim: checked at run time.
  const n: number = 7;
  const c = x.reshape([n, 2]);
  assertType<Equals<typeof c, Tensor<readonly [number, 2]>>>();
  const d = x.reshape([-1]);
  assertType<Equals<typeof d, Tensor<readonly [number]>>>();
}

export function concatAndStack(): void {
  const a = rand([2, 3]);
  const b = rand([4, 3]);
  const c = concat([a, b]);
  assertType<Equals<typeof c, Tensor<readonly [6, 3]>>>();
  const d = concat([a, rand([2, 5]), a], -1);
  assertType<Equals<typeof d, Tensor<readonly [2, 11]>>>();
  // @ts-expect-error [2, 3] and [2, 4] differ off axis 0
  concat([a, rand([2, 4])], 0);
  // @ts-expect-error ranks differ
  concat([a, rand([2, 3, 1])], 1);
  // An array of one literal shape: the axis' total is unknown.
  const list = [a, a];
  const e = concat(list, 1);
  assertType<Equals<typeof e, Tensor<readonly [2, number]>>>();
  // A `number` dim is summed to `number`.
  const n: number = 3;
  const f = concat([a, rand([n, 3])]);
  assertType<Equals<typeof f, Tensor<readonly [number, 3]>>>();
  const s = stack([a, a, a]);
  assertType<Equals<typeof s, Tensor<readonly [3, 2, 3]>>>();
  const t = stack([a, a], -1);
  assertType<Equals<typeof t, Tensor<readonly [2, 3, 2]>>>();
  // @ts-expect-error stack needs equal shapes: [2, 3] and [3, 2]
  stack([a, rand([3, 2])]);
}

export function slicesAndSqueezes(): void {
  const x = rand([4, 5, 6]);
  // An index drops its axis, null keeps it, a range with literal bounds has a literal length.
  const a = x.slice(1);
  assertType<Equals<typeof a, Tensor<readonly [5, 6]>>>();
  const b = x.slice(null, [1, 4]);
  assertType<Equals<typeof b, Tensor<readonly [4, 3, 6]>>>();
  const c = slice(x, [[null, null, 2], -1, { start: -2 }]);
  assertType<Equals<typeof c, Tensor<readonly [2, 2]>>>();
  const d = x.slice([1, 100], [3, 1]);
  assertType<Equals<typeof d, Tensor<readonly [3, 0, 6]>>>();
  const e = x.slice(null, [0, 5, 3], [-4]);
  assertType<Equals<typeof e, Tensor<readonly [4, 2, 4]>>>();
  // A negative step or a computed bound: the rank is known, the length is not.
  const i: number = 2;
  const f = x.slice([null, null, -1], [0, i]);
  assertType<Equals<typeof f, Tensor<readonly [number, number, 6]>>>();
  // @ts-expect-error the slice is [4, 3, 6], and [4, 3, 6] does not broadcast with [4, 4, 6]
  add(x.slice(null, [1, 4]), zeros([4, 4, 6]));
  const y = rand([1, 3, 1]);
  const g = squeeze(y);
  assertType<Equals<typeof g, Tensor<readonly [3]>>>();
  const h = y.squeeze(-1);
  assertType<Equals<typeof h, Tensor<readonly [1, 3]>>>();
  const u = unsqueeze(y, -1);
  assertType<Equals<typeof u, Tensor<readonly [1, 3, 1, 1]>>>();
  const v = x.unsqueeze(1);
  assertType<Equals<typeof v, Tensor<readonly [4, 1, 5, 6]>>>();
  // @ts-expect-error axis 1 of [1, 3, 1] has size 3, not 1
  squeeze(y, 1);
  // @ts-expect-error the same through the method
  x.squeeze(0);
}

export function convolutionsAndPools(): void {
  const x = randn([8, 3, 32, 32]);
  const w = randn([16, 3, 3, 3]);
  const a = conv2d(x, w, { padding: 1 });
  assertType<Equals<typeof a, Tensor<readonly [8, 16, 32, 32]>>>();
  const b = conv2d(x, w, { stride: 2 });
  assertType<Equals<typeof b, Tensor<readonly [8, 16, 15, 15]>>>();
  const c = conv2d(x, w, { stride: [1, 2], padding: [0, 3], dilation: 2 });
  assertType<Equals<typeof c, Tensor<readonly [8, 16, 28, 17]>>>();
  // @ts-expect-error x has 3 channels, w expects 4
  conv2d(x, randn([16, 4, 3, 3]));
  // A `number` size or option: those dims are `number`, N and F stay literal.
  const n: number = 5;
  const d = conv2d(randn([8, 3, n, 32]), w);
  assertType<Equals<typeof d, Tensor<readonly [8, 16, number, 30]>>>();
  const e = conv2d(x, w, { stride: n });
  assertType<Equals<typeof e, Tensor<readonly [8, 16, number, number]>>>();
  // Large sizes cost no more than small ones.
  const big = conv2d(randn([1, 3, 4096, 1000]), randn([2, 3, 7, 7]), { stride: 3, padding: 2 });
  assertType<Equals<typeof big, Tensor<readonly [1, 2, 1365, 333]>>>();
  const p = maxPool2d(x, { kernel: 2 });
  assertType<Equals<typeof p, Tensor<readonly [8, 3, 16, 16]>>>();
  const q = avgPool2d(x, { kernel: [3, 2], stride: 1, padding: [1, 0] });
  assertType<Equals<typeof q, Tensor<readonly [8, 3, 32, 31]>>>();
  // Dilation spaces the taps: the window spans (3 − 1)·2 + 1 = 5 rows and columns.
  const dilated = maxPool2d(x, { kernel: 3, stride: 1, dilation: [2, 1] });
  assertType<Equals<typeof dilated, Tensor<readonly [8, 3, 28, 30]>>>();
  // @ts-expect-error the pooled shape is [8, 3, 16, 16], and it does not broadcast with [8, 3, 32, 32]
  add(maxPool2d(x, { kernel: 2 }), x);
  // With groups, w has C / groups channels: checked at run time, not refused here.
  const depthwise = conv2d(x, randn([3, 1, 3, 3]), { groups: 3, padding: 1 });
  assertType<Equals<typeof depthwise, Tensor<readonly [8, 3, 32, 32]>>>();
  // ceilMode's sizes are left to run time.
  const ceiled = maxPool2d(x, { kernel: 3, stride: 2, ceilMode: true });
  assertType<Equals<typeof ceiled, Tensor<readonly [8, 3, number, number]>>>();
  const floored = avgPool2d(x, { kernel: 3, stride: 2, ceilMode: false, countIncludePad: false });
  assertType<Equals<typeof floored, Tensor<readonly [8, 3, 15, 15]>>>();
}

// Explicit resource management: a tensor is Disposable, so `using` frees it at the end of the block.
export function disposable(): void {
  const t: Disposable = tensor([1, 2]);
  t[Symbol.dispose]();
  using u = ones([2, 3]);
  assertType<Equals<typeof u, Tensor<readonly [2, 3]>>>();
}
