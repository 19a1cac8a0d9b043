/**
 * The math, view, autograd and device methods of `Tensor` (`x.mul(w).sum()` ≡ `sum(mul(x, w))`),
 * declared on the class's type and installed on its prototype here, not in tensor.ts: every
 * primitive imports `Tensor`, so a class that imported the primitives back would close a run-time
 * import cycle through every one of them. Nothing in src/tensor/ imports this module; every entry
 * point (tensor/index.ts, and through it the package root, nn, optim and testing) imports it first,
 * so a tensor a user can reach always has its methods.
 */
import type { Device } from "../backends/device.js";
import { assign } from "./assign.js";
import { backward, backwardAsync, type BackwardOptions } from "./autograd/backward.js";
import { diagonal, tril, triu } from "./composites/diagonals.js";
import { index, indexAdd, maskedFill, scatter, take, takeAlongDim, type IndexAddOptions, type IndexSpec, type ScatterOptions } from "./composites/indexing.js";
import { norm, type NormOptions } from "./composites/norm.js";
import { chunk, flip, moveaxis, movedim, narrow, repeat, repeatInterleave, roll, tile, unbind } from "./composites/rearrange.js";
import { logSoftmax, softmax } from "./composites/softmax.js";
import { add, div, floorDiv, mul, neg, sub } from "./primitives/arithmetic.js";
import type { TensorLike } from "./primitives/lift.js";
import { matmul } from "./primitives/matmul.js";
import { argmax, expand, max, mean, min, sum } from "./primitives/reduce.js";
import { contiguous, permute, reshape, slice, squeeze, transpose, unsqueeze } from "./primitives/shape.js";
import { detachAs } from "./primitives/stopGradient.js";
import { transfer, transferAsync } from "./primitives/to.js";
import { abs, cos, exp, log, pow, relu, sigmoid, sin, sqrt, tanh } from "./primitives/unary.js";
import type { Shape } from "./shape.js";
import { Tensor } from "./tensor.js";
import type { BinaryResult, BroadcastCheck, MatMul, MatMulCheck, Reduced, ReshapeCheck, Reshaped, SqueezeCheck, Sliced, Squeezed, Transposed, Unsqueezed } from "./types.js";
import type { SliceSpec } from "./view.js";

/** The methods, with the precise shape types of the functions they call. */
export interface TensorMethods<S extends Shape = Shape> {
  // ── Math (the same primitives as the functions) ──
  add<Y extends TensorLike>(b: Y & BroadcastCheck<Tensor<S>, Y>): Tensor<BinaryResult<Tensor<S>, Y>>;
  sub<Y extends TensorLike>(b: Y & BroadcastCheck<Tensor<S>, Y>): Tensor<BinaryResult<Tensor<S>, Y>>;
  mul<Y extends TensorLike>(b: Y & BroadcastCheck<Tensor<S>, Y>): Tensor<BinaryResult<Tensor<S>, Y>>;
  div<Y extends TensorLike>(b: Y & BroadcastCheck<Tensor<S>, Y>): Tensor<BinaryResult<Tensor<S>, Y>>;
  floorDiv<Y extends TensorLike>(b: Y & BroadcastCheck<Tensor<S>, Y>): Tensor<BinaryResult<Tensor<S>, Y>>;
  neg(): Tensor<S>;
  pow(b: TensorLike): Tensor;
  matmul<B extends Shape>(b: Tensor<B> & MatMulCheck<S, B>): Tensor<MatMul<S, B>>;
  exp(): Tensor<S>;
  log(): Tensor<S>;
  sin(): Tensor<S>;
  cos(): Tensor<S>;
  tanh(): Tensor<S>;
  sqrt(): Tensor<S>;
  abs(): Tensor<S>;
  relu(): Tensor<S>;
  sigmoid(): Tensor<S>;
  /** Reductions over `axis` (all axes by default); literal shapes and axes give literal result shapes. */
  sum<const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(axis?: A, keepDims?: K): Tensor<Reduced<S, A, K>>;
  mean<const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(axis?: A, keepDims?: K): Tensor<Reduced<S, A, K>>;
  max<const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(axis?: A, keepDims?: K): Tensor<Reduced<S, A, K>>;
  min<const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(axis?: A, keepDims?: K): Tensor<Reduced<S, A, K>>;
  argmax<const A extends number | undefined = undefined, const K extends boolean = false>(axis?: A, keepDims?: K): Tensor<Reduced<S, A, K>>;
  softmax(axis?: number): Tensor<S>;
  logSoftmax(axis?: number): Tensor<S>;
  norm<const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(options?: NormOptions<A, K>): Tensor<Reduced<S, A, K>>;

  // ── Shape and indexing (composites/rearrange.ts, indexing.ts, diagonals.ts) ──
  flip(axes: number | readonly number[]): Tensor<S>;
  roll(shifts: number | readonly number[], axes?: number | readonly number[]): Tensor<S>;
  repeat(reps: number | readonly number[]): Tensor;
  tile(reps: number | readonly number[]): Tensor;
  repeatInterleave(repeats: number | readonly number[] | Tensor, axis?: number): Tensor;
  narrow(axis: number, start: number, length: number): Tensor;
  chunk(chunks: number, axis?: number): Tensor[];
  unbind(axis?: number): Tensor[];
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor;
  moveaxis(source: number | readonly number[], destination: number | readonly number[]): Tensor;
  maskedFill(mask: Tensor, value: number | Tensor): Tensor<S>;
  indexAdd(axis: number, index: Tensor, source: Tensor, options?: IndexAddOptions): Tensor<S>;
  scatter(axis: number, index: Tensor, src: Tensor, options?: ScatterOptions): Tensor<S>;
  takeAlongDim(indices: Tensor, axis?: number): Tensor;
  take(indices: Tensor): Tensor;
  /** NumPy-style indexing: `x.index(null, idx)` is `x[:, idx]` (slice specs and int32 position tensors). */
  index(...specs: readonly IndexSpec[]): Tensor;
  tril(k?: number): Tensor<S>;
  triu(k?: number): Tensor<S>;
  diagonal(k?: number, axis1?: number, axis2?: number): Tensor;

  // ── Autograd (PyTorch style) ──
  /** Accumulates the gradient of this tensor into `.grad` of every leaf that requires one. */
  backward(options?: BackwardOptions): void;
  /** `backward` for a graph whose cotangents must come back from a device that reads only asynchronously (host tensors moved to the GPU). */
  backwardAsync(options?: BackwardOptions): Promise<void>;
  /** The same data, cut from the graph: no node, no gradient, no tangent; under `jit` the cut is traced (`stopGradient`). */
  detach(): Tensor<S>;
  /**
   * Writes `value` (a tensor or number of this dtype, broadcast to this shape) into this tensor's
   * elements, in place, and returns it. For leaves: under `noGrad` when it requires a gradient
   * (`noGrad(() => w.assign(sub(w, mul(w.grad, lr))))`). A graph recorded before the write refuses
   * to run backward through this tensor.
   */
  assign(value: TensorLike): this;

  // ── Views (no copy unless the data must be rearranged; recorded for autograd) ──
  /** A literal shape reshaped to a literal target of another element count is a compile error naming both. */
  reshape<const T extends readonly number[]>(shape: T & ReshapeCheck<S, T>): Tensor<Reshaped<T>>;
  permute(axes: readonly number[]): Tensor;
  /** Swaps two axes; with no arguments, the last two (typed as such for literal shapes). */
  transpose(): Tensor<Transposed<S>>;
  transpose(axis0: number, axis1?: number): Tensor;
  expand(shape: readonly number[]): Tensor;
  broadcastTo(shape: readonly number[]): Tensor;
  slice<const Sp extends readonly SliceSpec[]>(...specs: Sp): Tensor<Sliced<S, Sp>>;
  squeeze<const A extends number | undefined = undefined>(axis?: A & SqueezeCheck<S, A>): Tensor<Squeezed<S, A>>;
  unsqueeze<const A extends number>(axis: A): Tensor<Unsqueezed<S, A>>;
  contiguous(): Tensor<S>;

  // ── Devices ──
  /** A copy on `device` (a device or its name); differentiable: the cotangent is copied back. */
  to(device: Device | string): Tensor<S>;
  /** `to` for a device that reads only asynchronously (off the GPU: `await x.toAsync("cpu")`); differentiable too. */
  toAsync(device: Device | string): Promise<Tensor<S>>;
}

declare module "./tensor.js" {
  // Merges into the class's type: `x.add(y)` type-checks wherever `Tensor` is imported.
  interface Tensor<S extends Shape = Shape> extends TensorMethods<S> {}
}

// The types above are the contract; these bodies only forward `this` as the first argument, so the
// arguments' shape types, checked at the call site, are not restated here (`never`).
const methods = {
  add(this: Tensor, b: TensorLike) {
    return add(this, b as never);
  },
  sub(this: Tensor, b: TensorLike) {
    return sub(this, b as never);
  },
  mul(this: Tensor, b: TensorLike) {
    return mul(this, b as never);
  },
  div(this: Tensor, b: TensorLike) {
    return div(this, b as never);
  },
  floorDiv(this: Tensor, b: TensorLike) {
    return floorDiv(this, b as never);
  },
  neg(this: Tensor) {
    return neg(this);
  },
  pow(this: Tensor, b: TensorLike) {
    return pow(this, b);
  },
  matmul(this: Tensor, b: Tensor) {
    return matmul(this, b as never);
  },
  exp(this: Tensor) {
    return exp(this);
  },
  log(this: Tensor) {
    return log(this);
  },
  sin(this: Tensor) {
    return sin(this);
  },
  cos(this: Tensor) {
    return cos(this);
  },
  tanh(this: Tensor) {
    return tanh(this);
  },
  sqrt(this: Tensor) {
    return sqrt(this);
  },
  abs(this: Tensor) {
    return abs(this);
  },
  relu(this: Tensor) {
    return relu(this);
  },
  sigmoid(this: Tensor) {
    return sigmoid(this);
  },
  sum(this: Tensor, axis?: number | readonly number[], keepDims?: boolean) {
    return sum(this, axis, keepDims);
  },
  mean(this: Tensor, axis?: number | readonly number[], keepDims?: boolean) {
    return mean(this, axis, keepDims);
  },
  max(this: Tensor, axis?: number | readonly number[], keepDims?: boolean) {
    return max(this, axis, keepDims);
  },
  min(this: Tensor, axis?: number | readonly number[], keepDims?: boolean) {
    return min(this, axis, keepDims);
  },
  argmax(this: Tensor, axis?: number, keepDims?: boolean) {
    return argmax(this, axis, keepDims);
  },
  softmax(this: Tensor, axis = -1) {
    return softmax(this, axis);
  },
  logSoftmax(this: Tensor, axis = -1) {
    return logSoftmax(this, axis);
  },
  norm(this: Tensor, options?: NormOptions) {
    return norm(this, options);
  },
  flip(this: Tensor, axes: number | readonly number[]) {
    return flip(this, axes);
  },
  roll(this: Tensor, shifts: number | readonly number[], axes?: number | readonly number[]) {
    return roll(this, shifts, axes);
  },
  repeat(this: Tensor, reps: number | readonly number[]) {
    return repeat(this, reps);
  },
  tile(this: Tensor, reps: number | readonly number[]) {
    return tile(this, reps);
  },
  repeatInterleave(this: Tensor, repeats: number | readonly number[] | Tensor, axis?: number) {
    return repeatInterleave(this, repeats, axis);
  },
  narrow(this: Tensor, axis: number, start: number, length: number) {
    return narrow(this, axis, start, length);
  },
  chunk(this: Tensor, chunks: number, axis?: number) {
    return chunk(this, chunks, axis);
  },
  unbind(this: Tensor, axis?: number) {
    return unbind(this, axis);
  },
  movedim(this: Tensor, source: number | readonly number[], destination: number | readonly number[]) {
    return movedim(this, source, destination);
  },
  moveaxis(this: Tensor, source: number | readonly number[], destination: number | readonly number[]) {
    return moveaxis(this, source, destination);
  },
  maskedFill(this: Tensor, mask: Tensor, value: number | Tensor) {
    return maskedFill(this, mask, value);
  },
  indexAdd(this: Tensor, axis: number, index: Tensor, source: Tensor, options?: IndexAddOptions) {
    return indexAdd(this, axis, index, source, options);
  },
  scatter(this: Tensor, axis: number, index: Tensor, src: Tensor, options?: ScatterOptions) {
    return scatter(this, axis, index, src, options);
  },
  takeAlongDim(this: Tensor, indices: Tensor, axis?: number) {
    return takeAlongDim(this, indices, axis);
  },
  take(this: Tensor, indices: Tensor) {
    return take(this, indices);
  },
  index(this: Tensor, ...specs: IndexSpec[]) {
    return index(this, ...specs);
  },
  tril(this: Tensor, k?: number) {
    return tril(this, k);
  },
  triu(this: Tensor, k?: number) {
    return triu(this, k);
  },
  diagonal(this: Tensor, k?: number, axis1?: number, axis2?: number) {
    return diagonal(this, k, axis1, axis2);
  },
  backward(this: Tensor, options?: BackwardOptions) {
    backward(this, options);
  },
  backwardAsync(this: Tensor, options?: BackwardOptions) {
    return backwardAsync(this, options);
  },
  detach(this: Tensor) {
    return detachAs("Tensor.detach", this);
  },
  assign(this: Tensor, value: TensorLike) {
    return assign(this, value);
  },
  reshape(this: Tensor, shape: readonly number[]) {
    return reshape(this, shape as never);
  },
  permute(this: Tensor, axes: readonly number[]) {
    return permute(this, axes);
  },
  transpose(this: Tensor, axis0 = -2, axis1 = -1) {
    return transpose(this, axis0, axis1);
  },
  expand(this: Tensor, shape: readonly number[]) {
    return expand(this, shape);
  },
  broadcastTo(this: Tensor, shape: readonly number[]) {
    return expand(this, shape);
  },
  slice(this: Tensor, ...specs: SliceSpec[]) {
    return slice(this, specs);
  },
  squeeze(this: Tensor, axis?: number) {
    return squeeze(this, axis as never);
  },
  unsqueeze(this: Tensor, axis: number) {
    return unsqueeze(this, axis);
  },
  contiguous(this: Tensor) {
    return contiguous(this);
  },
  to(this: Tensor, device: Device | string) {
    return transfer("Tensor.to", this, device);
  },
  toAsync(this: Tensor, device: Device | string) {
    return transferAsync("Tensor.toAsync", this, device);
  },
} satisfies { [K in keyof TensorMethods]: (this: Tensor, ...args: never[]) => unknown };

// Installed as a class body would define them: non-enumerable, writable, configurable.
for (const [name, value] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value, writable: true, configurable: true });
}
