/**
 * The wasm backend's `compileFused` (../fused.ts): a fused elementwise group of one float dtype whose
 * every op has a SIMD body becomes one generated wasm function (./fusedKernels.ts), compiled once per
 * group and input layout and instantiated on the runtime's memory. Other groups get undefined: the
 * jit runs its JS loop for them.
 *
 * A call stages its inputs in the scratch memory as the elementwise driver does (./elementwise.ts):
 * a contiguous input is one copy (inputs that are runs of one storage share one), a broadcast or strided one is gathered into a contiguous run, an
 * input broadcast over the whole loop (a scalar) is one value the kernel splats. Each is padded with
 * zeros to whole vectors; the result is copied out (or, for a sum, the one double read). A large
 * call is split among the worker threads (./fusedParts.ts), bit-identical to one thread.
 */
import type { Storage } from "../dtype.js";
import type { FusedKernel, FusedProgram, FusedWindow } from "../fused.js";
import { sizeOf } from "../shape.js";
import type { View } from "../view.js";
import type { Dtype } from "./elementwiseKernels.js";
import { emitFused, wasmDtypeOf, type InputMode } from "./fusedKernels.js";
import { fusedPool, MIN_SPLIT_WORK, splitFused, type FusedModule } from "./fusedParts.js";
import { moduleBuilder, wasmRuntime, type KernelFn, type WasmRuntime } from "./runtime.js";

type FloatArray = Float32Array | Float64Array;

/** Bytes for n elements plus a vector of padding, rounded up to a cache line. */
const region = (n: number, size: number) => Math.ceil((n * size + 16) / 64) * 64;

/** Whether strides (broadcast to `shape`) walk it row-major with no gap: a view of one run of its storage. */
function contiguous(strides: readonly number[], shape: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/**
 * Writes view `v` (strides broadcast to the loop `shape`) row-major into heap[at, at + n): into its
 * window's box with zeros around it where it has a window; one copy when it is contiguous.
 */
function stage(heap: FloatArray, at: number, v: View, shape: readonly number[], n: number, window: FusedWindow | undefined): void {
  const src = v.storage as FloatArray;
  const rank = shape.length;
  const box = window?.size ?? shape;
  const start = window?.start ?? shape.map(() => 0);
  const rowStrides = shape.map((_, d) => sizeOf(shape.slice(d + 1)));
  if (window === undefined && contiguous(v.strides, shape)) {
    heap.set(src.subarray(v.offset, v.offset + n), at);
    return;
  }
  if (window !== undefined) heap.fill(0, at, at + n);
  const count = sizeOf(box);
  const inner = box[rank - 1];
  const step = v.strides[rank - 1];
  const index = new Array<number>(rank).fill(0);
  let base = v.offset;
  let to = at + start.reduce((sum, c, d) => sum + c * rowStrides[d], 0);
  for (let k = 0; k < count; k += inner) {
    // A contiguous row is one copy (the slice gradient's window is one row of the whole input).
    if (step === 1 && inner >= 16) heap.set(src.subarray(base, base + inner), to);
    else for (let i = 0, b = base; i < inner; i++, b += step) heap[to + i] = src[b];
    // The next row of the box: carry the odometer over the outer axes.
    for (let d = rank - 2; d >= 0; d--) {
      base += v.strides[d];
      to += rowStrides[d];
      if (++index[d] < box[d]) break;
      base -= index[d] * v.strides[d];
      to -= index[d] * rowStrides[d];
      index[d] = 0;
    }
  }
}

/**
 * Loops shorter than this stay JS: the fixed cost of a call (staging, the boundary crossing, ~2 µs)
 * outweighs the kernel there, as for the single kernels (./elementwise.ts: the IEEE ops break even
 * near 128–256 elements).
 */
const MIN_SIZE = 256;

/**
 * The compiled kernel of `program`, or undefined where it has an op or dtype without a SIMD body or
 * fewer than `minSize` elements; calls with `minSplitWork` of work or more are split among threads
 * (the tests pass 0 for both).
 */
export function compileFused(program: FusedProgram, minSize = MIN_SIZE, minSplitWork = MIN_SPLIT_WORK): FusedKernel | undefined {
  const dtype: Dtype | undefined = wasmDtypeOf(program);
  const n = sizeOf(program.shape);
  if (dtype === undefined || n < Math.max(minSize, 1) || wasmRuntime() === undefined) return undefined;
  const size = dtype === "float32" ? 4 : 8;
  const lanes = 16 / size;
  const vectors = Math.ceil(n / lanes);
  // One instance per runtime (trimMemory starts a new memory), input layout and kind (a sum's storing kernel).
  const instances = new WeakMap<WasmRuntime, Map<string, FusedModule>>();
  const kernelFor = (rt: WasmRuntime, modes: readonly InputMode[], storing: boolean): FusedModule => {
    let byModes = instances.get(rt);
    if (byModes === undefined) instances.set(rt, (byModes = new Map()));
    const key = `${modes.join()}${storing ? ":storing" : ""}`;
    let kernel = byModes.get(key);
    if (kernel === undefined) {
      const builder = moduleBuilder();
      emitFused(builder, program, dtype, modes, storing);
      const bytes = builder.encode();
      kernel = { fn: rt.attach(bytes).fused as KernelFn, bytes };
      byModes.set(key, kernel);
    }
    return kernel;
  };
  return (inputs: readonly View[], out: Storage): boolean => {
    const rt = wasmRuntime();
    if (rt === undefined || inputs.some((v) => v.dtype !== dtype)) return false;
    const modes: InputMode[] = inputs.map((v, j) => (program.windows[j] === undefined && v.strides.every((s) => s === 0) ? "splat" : "vector"));
    const pool = fusedPool(rt, program, n, minSplitWork);
    // Split, a sum's values are stored (then added up in order), so its output is a whole region.
    const stored = !program.sum || pool !== undefined;
    const kernel = kernelFor(rt, modes, program.sum && pool !== undefined);
    // A contiguous input resident in the wasm memory (./resident.ts) is read in place; other
    // contiguous inputs of one storage (x[0:n−1] and x[1:n], say) share one staged span of it.
    const spans = new Map<unknown, { lo: number; hi: number; at: number }>();
    const resident = inputs.map((v, j) => {
      const at = rt.arena.addressOf(v.storage);
      return at === undefined || modes[j] !== "vector" || program.windows[j] !== undefined || !contiguous(v.strides, program.shape) ? undefined : at + v.offset * size;
    });
    const inSpan = inputs.map((v, j) => resident[j] === undefined && modes[j] === "vector" && program.windows[j] === undefined && contiguous(v.strides, program.shape));
    inputs.forEach((v, j) => {
      if (!inSpan[j]) return;
      const span = spans.get(v.storage);
      if (span === undefined) spans.set(v.storage, { lo: v.offset, hi: v.offset + n, at: 0 });
      else [span.lo, span.hi] = [Math.min(span.lo, v.offset), Math.max(span.hi, v.offset + n)];
    });
    let bytes = rt.arena.scratchBase;
    for (const span of spans.values()) {
      span.at = bytes;
      bytes += region(span.hi - span.lo, size);
    }
    const at = inputs.map((v, j) => {
      if (resident[j] !== undefined) return resident[j];
      if (inSpan[j]) {
        const span = spans.get(v.storage) as { lo: number; at: number };
        return span.at + (v.offset - span.lo) * size;
      }
      bytes += modes[j] === "splat" ? 64 : region(n, size);
      return bytes - (modes[j] === "splat" ? 64 : region(n, size));
    });
    // A resident result is written where it is (its region has room for the last whole vector).
    const outResident = program.sum ? undefined : rt.arena.addressOf(out);
    const outAt = outResident ?? bytes;
    const maskAt = bytes + (stored ? region(n, size) : 64);
    const sumAt = maskAt + 32;
    if (!rt.reserve(maskAt + 64)) return false;
    const heap = dtype === "float32" ? new Float32Array(rt.memory.buffer) : new Float64Array(rt.memory.buffer);
    for (const [storage, { lo, hi, at: start }] of spans) {
      heap.set((storage as FloatArray).subarray(lo, hi), start / size);
      rt.arena.copied += (hi - lo) * size;
      heap.fill(0, start / size + hi - lo, (start + region(hi - lo, size)) / size);
    }
    inputs.forEach((v, j) => {
      const start = at[j] / size;
      if (inSpan[j] || resident[j] !== undefined) return;
      // Counted when it comes from JS memory (a resident input broadcast here is gathered inside the memory).
      if (rt.arena.addressOf(v.storage) === undefined) rt.arena.copied += modes[j] === "splat" ? size : n * size;
      if (modes[j] === "splat") heap[start] = (v.storage as FloatArray)[v.offset];
      else {
        stage(heap, start, v, program.shape, n, program.windows[j]);
        heap.fill(0, start + n, start + vectors * lanes);
      }
    });
    const rest = n % lanes;
    if (program.sum) {
      const mask = new Uint8Array(rt.memory.buffer, maskAt, 16);
      mask.fill(0);
      mask.fill(255, 0, rest * size);
    }
    const call = { at, splat: modes.map((m) => m === "splat"), out: outAt, full: program.sum ? (n - rest) / lanes : vectors, tail: program.sum && rest > 0, mask: maskAt };
    const flag = pool !== undefined ? splitFused(rt, pool, kernel, call, dtype, program.sum ? sumAt : undefined) : kernel.fn(...at, outAt, call.full, call.tail ? 1 : 0, maskAt);
    if (flag !== 0) return false;
    if (program.sum) out[0] = new Float64Array(rt.memory.buffer, stored ? sumAt : outAt, 1)[0];
    else if (outResident === undefined) (out as FloatArray).set(heap.subarray(outAt / size, outAt / size + n));
    return true;
  };
}
