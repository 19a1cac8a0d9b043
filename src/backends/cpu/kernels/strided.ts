/**
 * Walking strided operands in the row-major order of an output shape, the part every reference
 * kernel shares. Broadcasting is a stride of 0, so a kernel never materialises an expanded input.
 *
 * A kernel first `collapse`s the walk: size-1 axes go, and neighbouring axes that every operand
 * steps through as one run merge, so a contiguous tensor of any shape is one flat loop and a bias
 * add [B, N] + [N] is two. The loops themselves are plain (no callback per element): the outer axes
 * are counted row by row, the innermost runs as a tight loop with constant strides.
 */
import { allocate, type DType, type Storage } from "../../dtype.js";
import { type DeviceBuffer, hostStorage } from "../../buffer.js";
import { contiguousStrides, sizeOf, type Shape } from "../../shape.js";
import type { View } from "../../view.js";

/**
 * Strides of a tensor of `shape` read as if broadcast to `out` (right-aligned; 0 where the tensor
 * has size 1 or lacks the axis). The caller has checked that the shapes broadcast.
 */
export function broadcastStrides(shape: Shape, strides: readonly number[], out: Shape): number[] {
  const lead = out.length - shape.length;
  return out.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : strides[i - lead]));
}

/**
 * The offsets of the current matrix of two operands of a batched product, walked over the broadcast
 * batch axes in row-major order (`next` moves both to the following matrix): the odometer every
 * backend's batched products share. `sa`/`sb` are each operand's strides along those axes (0 where
 * it is broadcast).
 */
export class BatchWalk {
  private readonly index: number[];

  constructor(
    private readonly batch: Shape,
    private readonly sa: readonly number[],
    private readonly sb: readonly number[],
    public a: number,
    public b: number,
  ) {
    this.index = new Array<number>(batch.length).fill(0);
  }

  next(): void {
    const { batch, sa, sb, index } = this;
    for (let axis = batch.length - 1; axis >= 0; axis--) {
      index[axis]++;
      this.a += sa[axis];
      this.b += sb[axis];
      if (index[axis] < batch[axis]) return;
      this.a -= sa[axis] * batch[axis];
      this.b -= sb[axis] * batch[axis];
      index[axis] = 0;
    }
  }
}

/** A walk over `shape` (rank ≥ 1) with one stride list per operand. */
export interface Walk {
  readonly shape: number[];
  readonly strides: number[][];
}

/**
 * The same walk with size-1 axes dropped and axis i merged into i+1 wherever every operand has
 * strides[i] = strides[i+1]·shape[i+1]. Always at least rank 1 (a scalar is one element of stride 0).
 */
export function collapse(shape: Shape, strides: readonly (readonly number[])[]): Walk {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let axis = 0; axis < shape.length; axis++) {
    const d = shape[axis];
    if (d === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    for (let k = 0; merge && k < strides.length; k++) merge = outStrides[k][last] === strides[k][axis] * d;
    if (merge) {
      outShape[last] *= d;
      for (let k = 0; k < strides.length; k++) outStrides[k][last] = strides[k][axis];
    } else {
      outShape.push(d);
      for (let k = 0; k < strides.length; k++) outStrides[k].push(strides[k][axis]);
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

/**
 * The storage offset of row `row` (the index over all axes but the last, row-major) for an operand
 * with `strides` starting at `offset`.
 */
export function rowOffset(shape: readonly number[], strides: readonly number[], offset: number, row: number): number {
  let o = offset;
  for (let axis = shape.length - 2; axis >= 0 && row > 0; axis--) {
    const d = shape[axis];
    const i = row % d;
    row = (row - i) / d;
    o += i * strides[axis];
  }
  return o;
}

/** The number of rows of a walk: the product of all dims but the last. */
export function rowCount(shape: readonly number[]): number {
  let rows = 1;
  for (let axis = 0; axis < shape.length - 1; axis++) rows *= shape[axis];
  return rows;
}

/** Below this run length the element loop beats making a subarray for a block copy. */
const BLOCK_MIN = 64;

/** Whether `a` and `b` are typed arrays of one type (a block copy moves their bytes as they are). */
function sameArrayType(a: unknown, b: unknown): boolean {
  return ArrayBuffer.isView(a) && ArrayBuffer.isView(b) && a.constructor === b.constructor;
}

/** Copies the elements of a strided source, in row-major order of `shape`, into strided destination positions. */
export function copyStrided(
  shape: Shape,
  src: ArrayLike<number>,
  srcOffset: number,
  srcStrides: readonly number[],
  dst: { [i: number]: number },
  dstOffset: number,
  dstStrides: readonly number[],
): void {
  for (const d of shape) if (d === 0) return;
  const walk = collapse(shape, [srcStrides, dstStrides]);
  const [ss, ds] = walk.strides;
  const last = walk.shape.length - 1;
  const inner = walk.shape[last];
  const s = ss[last];
  const t = ds[last];
  const rows = rowCount(walk.shape);
  // Long unit-stride runs between arrays of one type are block copies (memmove): an optimiser's
  // `assign` of a whole parameter is one run, several times faster than the element loop.
  const block = s === 1 && t === 1 && inner >= BLOCK_MIN && sameArrayType(src, dst);
  for (let r = 0; r < rows; r++) {
    let i = rowOffset(walk.shape, ss, srcOffset, r);
    let o = rowOffset(walk.shape, ds, dstOffset, r);
    if (block) (dst as Storage).set((src as Storage).subarray(i, i + inner) as never, o);
    else if (s === 1 && t === 1) for (const end = i + inner; i < end; i++, o++) dst[o] = src[i];
    else for (let k = 0; k < inner; k++, i += s, o += t) dst[o] = src[i];
  }
}

/** A row-major copy of the view `v` (any strides, offset) in a fresh buffer of its dtype. */
export function copy(v: View): Storage {
  const n = sizeOf(v.shape);
  const out = allocate(v.dtype, n);
  const src = hostStorage(v, "copy");
  if (isRowMajor(v.shape, v.strides)) out.set(src.subarray(v.offset, v.offset + n));
  else copyStrided(v.shape, src, v.offset, v.strides, out, 0, contiguousStrides(v.shape));
  return out;
}

/**
 * Writes `source`, broadcast to `target`'s shape, into `target`'s own buffer at its strided positions
 * (an in-place write: assignment, or a cotangent landing in a slice of a zero buffer). The caller
 * has checked that the shapes broadcast, that no two target elements share a slot, and that the
 * source does not read the target's buffer.
 */
export function copyInto(target: View, source: View): void {
  copyStrided(
    target.shape,
    hostStorage(source, "copyInto"),
    source.offset,
    broadcastStrides(source.shape, source.strides, target.shape),
    hostStorage(target, "copyInto"),
    target.offset,
    target.strides,
  );
}

/** Whether a view of `shape` with `strides` is row-major (size-1 axes may have any stride). */
export function isRowMajor(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i];
    if (d === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

/** A row-major view of `shape` over `storage` from `offset`. */
export function rowMajor(storage: DeviceBuffer, dtype: DType, shape: Shape, offset = 0): View {
  return { storage, dtype, shape, strides: contiguousStrides(shape), offset };
}

/** v itself if it is row-major, else a row-major copy of its elements. */
export function contiguousView(v: View): View {
  if (isRowMajor(v.shape, v.strides)) return v;
  const out = allocate(v.dtype, sizeOf(v.shape));
  copyStrided(v.shape, hostStorage(v, "copy"), v.offset, v.strides, out, 0, contiguousStrides(v.shape));
  return rowMajor(out, v.dtype, v.shape);
}

/** v's elements, row-major, read as `shape` (same element count): a copy only if v is not row-major. */
export function reshapeView(v: View, shape: Shape): View {
  const c = contiguousView(v);
  return rowMajor(c.storage, c.dtype, shape, c.offset);
}
