/**
 * Indexing along an axis on the GPU — the contracts of `Backend.gather`, `scatterAdd` and `oneHot`
 * with GPU buffers and int32 indices over any strided views. Out-of-range indices are found by a
 * deferred check (deferredChecks.ts) and raised at the next read as the reference raises them
 * (outOfRange.ts); the kernels skip a bad index.
 *
 * scatterAdd uses no atomics: one invocation per output element sums, in order along the axis, the
 * sources whose index points at it — the reference's order of additions, so its results are the
 * same run to run and equal the reference's bit for bit.
 *
 *   gather:     [n, size, x's axis stride, indices shape[rank], indices offset, strides[rank], x offset, strides[rank] (axis: 0)]
 *   scatterAdd: [n, axis, rank, x shape[rank], indices shape[rank], x offset, strides[rank],
 *                indices offset, strides[rank], src offset, strides[rank]]
 *   oneHot:     [n, depth, rank, indices shape[rank], indices offset, strides[rank]]
 */
import type { DType } from "../dtype.js";
import { outOfRange } from "../outOfRange.js";
import { contiguousStrides, sizeOf, type Shape } from "../shape.js";
import { expectGPUDType, type GPUBuffers, type GPUData } from "./buffers.js";
import type { Check, DeferredChecks } from "./deferredChecks.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { gridEntry, STORAGE_TYPE, WORKGROUP_SIZE } from "./shader.js";

function gatherShader(type: string, rank: number): string {
  const idx = 3 + rank;
  const x = idx + 1 + rank;
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${type}>;
@group(0) @binding(2) var<storage, read> x: array<${type}>;
@group(0) @binding(3) var<storage, read> indices: array<i32>;
${gridEntry(`  var oi = params[${idx}];
  var ox = params[${x}];
  var rem = k;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let c = rem % params[3 + d];
    rem = rem / params[3 + d];
    oi += c * params[${idx + 1} + d];
    ox += c * params[${x + 1} + d];
  }
  let i = indices[oi];
  var v = ${type}(0);
  if (i >= 0 && i < params[1]) { v = x[ox + i * params[2]]; }
  out[k] = v;`)}`;
}

function scatterAddShader(type: string, rank: number): string {
  const shape = 3;
  const ishape = shape + rank;
  const [x, idx, src] = [ishape + rank, ishape + 2 * rank + 1, ishape + 3 * rank + 2];
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${type}>;
@group(0) @binding(2) var<storage, read> x: array<${type}>;
@group(0) @binding(3) var<storage, read> indices: array<i32>;
@group(0) @binding(4) var<storage, read> src: array<${type}>;
${gridEntry(`  let axis = params[1];
  var ox = params[${x}];
  var oi = params[${idx}];
  var os = params[${src}];
  var dest = 0;
  var reached = true;
  var rem = k;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let c = rem % params[${shape} + d];
    rem = rem / params[${shape} + d];
    ox += c * params[${x + 1} + d];
    if (d == axis) { dest = c; } else {
      reached = reached && c < params[${ishape} + d];
      oi += c * params[${idx + 1} + d];
      os += c * params[${src + 1} + d];
    }
  }
  var acc = x[ox];
  if (reached) {
    for (var j = 0; j < params[${ishape} + axis]; j++) {
      if (indices[oi + j * params[${idx + 1} + axis]] == dest) { acc += src[os + j * params[${src + 1} + axis]]; }
    }
  }
  out[k] = acc;`)}`;
}

function oneHotShader(rank: number): string {
  const idx = 3 + rank;
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
${gridEntry(`  let depth = params[1];
  var oi = params[${idx}];
  var rem = k / depth;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let c = rem % params[3 + d];
    rem = rem / params[3 + d];
    oi += c * params[${idx + 1} + d];
  }
  out[k] = select(0.0, 1.0, indices[oi] == k % depth);`)}`;
}

/**
 * The check that every index of a view is in [0, size): params [size, shape[rank], offset, strides[rank]]
 * after the check's two. The error names `op`, and `axis` as the axis the indices select along.
 */
function indexCheck(op: string, shape: Shape, axis: number, size: number): Check {
  const rank = shape.length;
  return {
    op,
    key: String(rank),
    wgsl: /* wgsl */ `
@group(0) @binding(3) var<storage, read> indices: array<i32>;
fn offset_of(k: i32) -> i32 {
  var o = params[${3 + rank}];
  var rem = k;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let size = params[3 + d];
    o += (rem % size) * params[${4 + rank} + d];
    rem = rem / size;
  }
  return o;
}
fn value(k: i32) -> i32 { return indices[offset_of(k)]; }
fn bad(k: i32) -> bool { let v = value(k); return v < 0 || v >= params[2]; }`,
    raise: (position: number, value: number) => {
      const strides = contiguousStrides(shape);
      return outOfRange(
        op,
        value,
        strides.map((s, i) => Math.floor(position / s) % shape[i]),
        axis,
        size,
      );
    },
  };
}

export class GPUIndexing {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
    readonly checks: DeferredChecks,
  ) {}

  /** Enqueues the check of `indices` against [0, size) for `op`. */
  private check(op: string, indices: GPUView, axis: number, size: number): void {
    const params = [size, ...indices.shape, indices.offset, ...indices.strides];
    this.checks.enqueue(indexCheck(op, indices.shape, axis, size), sizeOf(indices.shape), params, [indices.storage.buffer]);
  }

  /** out[…i…] = x[…indices[…i…]…] along `axis`; out has the shape of `indices` and x's dtype. */
  gather(x: GPUView, indices: GPUView, axis: number): GPUData {
    const op = "gather";
    const dtype = expectGPUDType(op, x.dtype);
    const n = sizeOf(indices.shape);
    const out = this.buffers.allocate(dtype, n, op);
    if (n === 0) return out;
    const size = x.shape[axis];
    this.check(op, indices, axis, size);
    const rank = indices.shape.length;
    const xStrides = x.strides.map((s, i) => (i === axis ? 0 : s));
    const params = new Int32Array([n, size, x.strides[axis], ...indices.shape, indices.offset, ...indices.strides, x.offset, ...xStrides]);
    const type = STORAGE_TYPE[dtype];
    const pipeline = this.dispatcher.pipeline(`${op}|${type}|${rank}`, () => gatherShader(type, rank));
    this.dispatcher.run(op, pipeline, params, [out.buffer, x.storage.buffer, indices.storage.buffer], Math.ceil(n / WORKGROUP_SIZE));
    return out;
  }

  /** A row-major copy of x with out[…indices[…i…]…] += src[…i…] along `axis` (repeats accumulate in order). */
  scatterAdd(x: GPUView, indices: GPUView, src: GPUView, axis: number): GPUData {
    const op = "scatterAdd";
    const dtype = expectGPUDType(op, x.dtype);
    if (dtype === "bool") throw new Error("the webgpu scatterAdd takes float32 or int32");
    const n = sizeOf(x.shape);
    const out = this.buffers.allocate(dtype, n, op);
    if (n === 0) return out;
    this.check(op, indices, axis, x.shape[axis]);
    const rank = x.shape.length;
    const view = (v: GPUView) => [v.offset, ...v.strides];
    const params = new Int32Array([n, axis, rank, ...x.shape, ...indices.shape, ...view(x), ...view(indices), ...view(src)]);
    const type = STORAGE_TYPE[dtype];
    const pipeline = this.dispatcher.pipeline(`${op}|${type}|${rank}`, () => scatterAddShader(type, rank));
    const bound = [out.buffer, x.storage.buffer, indices.storage.buffer, src.storage.buffer];
    this.dispatcher.run(op, pipeline, params, bound, Math.ceil(n / WORKGROUP_SIZE));
    return out;
  }

  /** [...indices.shape, depth] of `dtype` (float32 here): 1 at each index, 0 elsewhere. */
  oneHot(indices: GPUView, depth: number, dtype: DType): GPUData {
    const op = "oneHot";
    if (expectGPUDType(op, dtype) !== "float32") throw new Error(`the webgpu oneHot makes float32, not ${dtype}`);
    const n = sizeOf(indices.shape) * depth;
    const out = this.buffers.allocate("float32", n, op);
    if (n === 0) return out;
    this.check(op, indices, indices.shape.length, depth);
    const rank = indices.shape.length;
    const params = new Int32Array([n, depth, rank, ...indices.shape, indices.offset, ...indices.strides]);
    const pipeline = this.dispatcher.pipeline(`${op}|${rank}`, () => oneHotShader(rank));
    this.dispatcher.run(op, pipeline, params, [out.buffer, indices.storage.buffer], Math.ceil(n / WORKGROUP_SIZE));
    return out;
  }
}
