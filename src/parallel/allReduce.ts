/**
 * The all-reduce of a data-parallel step, over one shared buffer: a region per shard, where that
 * shard's worker writes its outputs (its loss and its thread-local gradients), then a region for the
 * result. Each worker then reduces its own contiguous range of the result's elements, so no two
 * threads write one element, and every element is the same sum in the same order whoever computes
 * it: result[e] = Σ_{s = 0…S−1} weight[s] · shard_s[e], accumulated in float64 from shard 0 up and
 * rounded once to the output's dtype. The result depends only on the shards' values and the shard
 * count — bit-identical from run to run, and on however many threads the reduction runs.
 *
 * The workers meet at a barrier between the two halves (`arrive`): a step's control block holds the
 * count of shards written, a cancel flag the calling thread raises when a request fails (so a worker
 * never waits for one that died), and one word per shard, set when that shard is written (so the
 * calling thread knows which workers a late step is waiting for).
 */
import { CONSTRUCTORS, type FloatDType } from "../backends/dtype.js";
import { asBuffer } from "./shared.js";

/** The words of a step's control block. */
export const ARRIVED = 0;
export const CANCEL = 1;
/** Word FIRST + s is 1 once shard s is written. */
const FIRST = 2;

/** The words of a control block for `shards` shards. */
export function controlBlockWords(shards: number): number {
  return FIRST + shards;
}

/** A new control block for a step of `shards` shards. */
export function controlBlock(shards: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * controlBlockWords(shards)));
}

/** Whether shard s has been written. */
export function arrived(ctrl: Int32Array, s: number): boolean {
  return Atomics.load(ctrl, FIRST + s) !== 0;
}
/** How long a worker sleeps at most between its checks at the barrier. */
const SLICE_MS = 50;

/**
 * Shard `s` is written: count it, then wait until all `shards` are (true) or the step is cancelled
 * (false).
 */
export function arrive(ctrl: Int32Array, s: number, shards: number): boolean {
  Atomics.store(ctrl, FIRST + s, 1);
  Atomics.add(ctrl, ARRIVED, 1);
  Atomics.notify(ctrl, ARRIVED);
  for (;;) {
    const seen = Atomics.load(ctrl, ARRIVED);
    if (seen >= shards) return true;
    if (Atomics.load(ctrl, CANCEL) !== 0) return false;
    Atomics.wait(ctrl, ARRIVED, seen, SLICE_MS);
  }
}

/** Tells the others at the barrier that this shard will not arrive. */
export function cancel(ctrl: Int32Array): void {
  Atomics.store(ctrl, CANCEL, 1);
  Atomics.notify(ctrl, ARRIVED);
}

/** One output of the step: its dtype, element count and byte offset inside a region. */
export interface LeafSlot {
  readonly dtype: FloatDType;
  readonly size: number;
  readonly byteOffset: number;
}

/** Where each output sits in a region; `bytes` is a region's size (a multiple of 8). */
export interface Layout {
  readonly leaves: readonly LeafSlot[];
  readonly bytes: number;
  /** All outputs' elements together: what the reduction's ranges split. */
  readonly elements: number;
}

export function layoutOf(outputs: readonly { readonly dtype: FloatDType; readonly size: number }[]): Layout {
  let bytes = 0;
  let elements = 0;
  const leaves = outputs.map(({ dtype, size }) => {
    const slot = { dtype, size, byteOffset: bytes };
    // 8-byte aligned, so a float64 output can be viewed where it starts.
    bytes += Math.ceil((size * CONSTRUCTORS[dtype].BYTES_PER_ELEMENT) / 8) * 8;
    elements += size;
    return slot;
  });
  return { leaves, bytes, elements };
}

/** The view of output `leaf` in region `region` (a shard's index, or the shard count for the result). */
export function slotView(buffer: SharedArrayBuffer, layout: Layout, region: number, leaf: number): Float32Array | Float64Array {
  const { dtype, size, byteOffset } = layout.leaves[leaf];
  // Outputs are float32 or float64 (dataParallel refuses other dtypes before a layout is made).
  return new CONSTRUCTORS[dtype as "float32" | "float64"](asBuffer(buffer), region * layout.bytes + byteOffset, size);
}

/** Elements [from, to) of the result, summed over `weights.length` shards in order (see the file's comment). */
export function reduceRange(buffer: SharedArrayBuffer, layout: Layout, weights: readonly number[], from: number, to: number): void {
  let start = 0;
  for (let j = 0; j < layout.leaves.length; j++) {
    const size = layout.leaves[j].size;
    const a = Math.max(from, start) - start;
    const b = Math.min(to, start + size) - start;
    start += size;
    if (a < b)
      reduceLeaf(
        weights.map((_, s) => slotView(buffer, layout, s, j)),
        slotView(buffer, layout, weights.length, j),
        weights,
        a,
        b,
      );
  }
}

/**
 * out[e] = Σₛ weights[s] · parts[s][e] for e in [a, b), in float64 from shard 0 up. One and two
 * shards (the common cases) have loops of their own, with the same operations in the same order.
 */
function reduceLeaf(parts: readonly (Float32Array | Float64Array)[], out: Float32Array | Float64Array, weights: readonly number[], a: number, b: number): void {
  const [p0, p1] = parts;
  const [w0, w1] = weights;
  if (parts.length === 1) {
    for (let e = a; e < b; e++) out[e] = w0 * p0[e];
  } else if (parts.length === 2) {
    for (let e = a; e < b; e++) out[e] = w0 * p0[e] + w1 * p1[e];
  } else {
    for (let e = a; e < b; e++) {
      let acc = w0 * p0[e];
      for (let s = 1; s < parts.length; s++) acc += weights[s] * parts[s][e];
      out[e] = acc;
    }
  }
}

/** The range of the result's elements that reducer r of `reducers` computes. */
export function reducerRange(elements: number, r: number, reducers: number): [number, number] {
  return [Math.floor((elements * r) / reducers), Math.floor((elements * (r + 1)) / reducers)];
}
