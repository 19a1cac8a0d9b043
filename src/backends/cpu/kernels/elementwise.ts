/**
 * Reference elementwise kernels on typed arrays: unary and broadcasting binary maps, and the
 * three-way select of `where`. The output is a new contiguous tensor; inputs may be any strided
 * views. Shape and dtype rules belong to the primitives; the kernels only check that shapes broadcast.
 *
 * `unaryKernel(f)` / `binaryKernel(f)` are called once per primitive, at its definition: each gets
 * its own copy of the loop with `f` inlined (see specialize.ts), so no element pays a call.
 */
import { allocate, type DType, type Storage } from "../../dtype.js";
import { broadcastShapes, sizeOf } from "../../shape.js";
import { fromStorage, type Tensor } from "../../../tensor/tensor.js";
import { specialize } from "./specialize.js";
import { broadcastStrides, collapse, rowCount, rowOffset } from "./strided.js";

type Unary = (x: number) => number;
type Binary = (x: number, y: number) => number;

type RowOffset = typeof rowOffset;
type RowCount = typeof rowCount;

// The loop factories, self-contained (see specialize): `f` and the row-offset helper come in as arguments.

const unaryLoop =
  (f: Unary, offsetOf: RowOffset, rowCount: RowCount) =>
  (shape: readonly number[], x: ArrayLike<number>, xo: number, xs: readonly number[], out: Storage): void => {
    const last = shape.length - 1;
    const inner = shape[last];
    const s = xs[last];
    const rows = rowCount(shape);
    for (let r = 0, k = 0; r < rows; r++) {
      let o = offsetOf(shape, xs, xo, r);
      if (s === 1) for (const end = k + inner; k < end; k++, o++) out[k] = f(x[o]);
      else for (const end = k + inner; k < end; k++, o += s) out[k] = f(x[o]);
    }
  };

const binaryLoop =
  (f: Binary, offsetOf: RowOffset, rowCount: RowCount) =>
  (shape: readonly number[], a: ArrayLike<number>, ao: number, as: readonly number[], b: ArrayLike<number>, bo: number, bs: readonly number[], out: Storage): void => {
    const last = shape.length - 1;
    const inner = shape[last];
    const sa = as[last];
    const sb = bs[last];
    const rows = rowCount(shape);
    for (let r = 0, k = 0; r < rows; r++) {
      let oa = offsetOf(shape, as, ao, r);
      let ob = offsetOf(shape, bs, bo, r);
      const end = k + inner;
      if (sa === 1 && sb === 1) for (; k < end; k++, oa++, ob++) out[k] = f(a[oa], b[ob]);
      else if (sb === 0) {
        const y = b[ob];
        for (; k < end; k++, oa += sa) out[k] = f(a[oa], y);
      } else if (sa === 0) {
        const x = a[oa];
        for (; k < end; k++, ob += sb) out[k] = f(x, b[ob]);
      } else for (; k < end; k++, oa += sa, ob += sb) out[k] = f(a[oa], b[ob]);
    }
  };

export type UnaryKernel = (x: Tensor, dtype?: DType) => Tensor;
export type BinaryKernel = (op: string, a: Tensor, b: Tensor, dtype?: DType) => Tensor;

/** The kernel y = f(x) elementwise, into a new contiguous tensor of `dtype` (x's by default). */
export function unaryKernel(f: Unary): UnaryKernel {
  let loop: ReturnType<typeof unaryLoop> | undefined; // made at first use: primitives define kernels while modules load
  return (x, dtype = x.dtype) => {
    loop ??= specialize(unaryLoop, f.name || String(f))(f, rowOffset, rowCount);
    const out = allocate(dtype, x.size);
    if (x.size > 0) {
      const walk = collapse(x.shape, [x.strides]);
      loop(walk.shape, x.storage, x.offset, walk.strides[0], out);
    }
    return fromStorage(out, dtype, [...x.shape]);
  };
}

/** The kernel z = f(a, b) elementwise with NumPy broadcasting (`ShapeMismatch` naming `op` if they do not). */
export function binaryKernel(f: Binary): BinaryKernel {
  let loop: ReturnType<typeof binaryLoop> | undefined;
  return (op, a, b, dtype = a.dtype) => {
    loop ??= specialize(binaryLoop, f.name || String(f))(f, rowOffset, rowCount);
    const shape = broadcastShapes(op, a.shape, b.shape);
    const out = allocate(dtype, sizeOf(shape));
    if (out.length > 0) {
      const walk = collapse(shape, [broadcastStrides(a.shape, a.strides, shape), broadcastStrides(b.shape, b.strides, shape)]);
      loop(walk.shape, a.storage, a.offset, walk.strides[0], b.storage, b.offset, walk.strides[1], out);
    }
    return fromStorage(out, dtype, shape);
  };
}

/** cond ? a : b elementwise over the broadcast of all three (cond a bool tensor), in a's dtype. */
export function select(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const op = "where";
  const shape = broadcastShapes(op, broadcastShapes(op, cond.shape, a.shape), b.shape);
  const out = allocate(a.dtype, sizeOf(shape));
  if (out.length === 0) return fromStorage(out, a.dtype, shape);
  const walk = collapse(
    shape,
    [cond, a, b].map((t) => broadcastStrides(t.shape, t.strides, shape)),
  );
  const [cs, as, bs] = walk.strides;
  const dims = walk.shape;
  const last = dims.length - 1;
  const inner = dims[last];
  const [c, x, y] = [cond.storage, a.storage, b.storage];
  for (let r = 0, k = 0, rows = rowCount(dims); r < rows; r++) {
    let oc = rowOffset(dims, cs, cond.offset, r);
    let oa = rowOffset(dims, as, a.offset, r);
    let ob = rowOffset(dims, bs, b.offset, r);
    for (const end = k + inner; k < end; k++, oc += cs[last], oa += as[last], ob += bs[last]) out[k] = c[oc] !== 0 ? x[oa] : y[ob];
  }
  return fromStorage(out, a.dtype, shape);
}
