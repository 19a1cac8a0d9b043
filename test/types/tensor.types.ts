/**
 * Static shapes, checked by `npm test` (tsc over test/): literal dims are checked and propagated,
 * `number` dims fall back to run-time checks. An unused `@ts-expect-error` fails the type check.
 * Nothing here runs.
 */
import { add, matmul, max, mean, mul, ones, rand, randn, relu, sum, tensor, zeros, type Tensor } from "../../src/tensor/index.js";

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
