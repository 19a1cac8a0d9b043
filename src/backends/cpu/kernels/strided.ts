/**
 * Walking strided operands in the row-major order of an output shape: the one loop every reference
 * kernel shares. Broadcasting is a stride of 0, so a kernel never materialises an expanded input.
 */
import type { Shape } from "../../../tensor/shape.js";

/** One operand as a kernel sees it: storage, offset and strides aligned to the output's axes. */
export interface Operand {
  readonly data: ArrayLike<number>;
  readonly offset: number;
  readonly strides: readonly number[];
}

/**
 * Strides of a tensor of `shape` read as if broadcast to `out` (right-aligned; 0 where the tensor
 * has size 1 or lacks the axis). The caller has checked that the shapes broadcast.
 */
export function broadcastStrides(shape: Shape, strides: readonly number[], out: Shape): number[] {
  const lead = out.length - shape.length;
  return out.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : strides[i - lead]));
}

/**
 * Calls `body(k, o0, o1)` for every element k of `out` (row-major) with the matching offsets into
 * two operands. The innermost axis runs as a tight loop; the outer axes as an odometer.
 */
export function forEach2(out: Shape, a: Operand, b: Operand, body: (k: number, oa: number, ob: number) => void): void {
  const rank = out.length;
  let n = 1;
  for (const d of out) n *= d;
  if (n === 0) return;
  if (rank === 0) {
    body(0, a.offset, b.offset);
    return;
  }
  const last = rank - 1;
  const inner = out[last];
  const sa = a.strides[last];
  const sb = b.strides[last];
  const index = new Array<number>(rank).fill(0);
  let baseA = a.offset;
  let baseB = b.offset;
  let k = 0;
  for (;;) {
    for (let i = 0, oa = baseA, ob = baseB; i < inner; i++, oa += sa, ob += sb) body(k++, oa, ob);
    let axis = last - 1;
    for (; axis >= 0; axis--) {
      index[axis]++;
      baseA += a.strides[axis];
      baseB += b.strides[axis];
      if (index[axis] < out[axis]) break;
      baseA -= a.strides[axis] * out[axis];
      baseB -= b.strides[axis] * out[axis];
      index[axis] = 0;
    }
    if (axis < 0) return;
  }
}
