/**
 * Reference elementwise kernels on typed arrays: the unary and broadcasting binary ops of the
 * expression table (expressions.ts) and the three-way select of `where`. Inputs may be any strided
 * views; the output is a new row-major buffer of the dtype and (broadcast) shape the primitive's
 * abstract rule gave, which has also checked that the shapes broadcast.
 *
 * Each op gets its own copy of the loop with its function inlined (see specialize.ts), made at its
 * first use and kept, so no element pays a call.
 */
import { allocate, type DType, type Storage } from "../../dtype.js";
import { hostStorage } from "../../buffer.js";
import { BINARY_EXPRESSIONS, type BinaryOp, INT32_BINARY_EXPRESSIONS, UNARY_EXPRESSIONS, type UnaryOp } from "../../expressions.js";
import { sizeOf, type Shape } from "../../shape.js";
import type { View } from "../../view.js";
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

export type UnaryKernel = (x: View, dtype: DType) => Storage;
export type BinaryKernel = (a: View, b: View, shape: Shape, dtype: DType) => Storage;

/** The kernel y = f(x) elementwise, into a new row-major buffer of `dtype`. */
export function unaryKernel(f: Unary): UnaryKernel {
  let loop: ReturnType<typeof unaryLoop> | undefined;
  return (x, dtype) => {
    loop ??= specialize(unaryLoop, f.name || String(f))(f, rowOffset, rowCount);
    const out = allocate(dtype, sizeOf(x.shape));
    if (out.length > 0) {
      const walk = collapse(x.shape, [x.strides]);
      loop(walk.shape, hostStorage(x, "unary"), x.offset, walk.strides[0], out);
    }
    return out;
  };
}

/** The kernel z = f(a, b) elementwise, a and b broadcast to `shape`, into a new row-major buffer of `dtype`. */
export function binaryKernel(f: Binary): BinaryKernel {
  let loop: ReturnType<typeof binaryLoop> | undefined;
  return (a, b, shape, dtype) => {
    loop ??= specialize(binaryLoop, f.name || String(f))(f, rowOffset, rowCount);
    const out = allocate(dtype, sizeOf(shape));
    if (out.length > 0) {
      const walk = collapse(shape, [broadcastStrides(a.shape, a.strides, shape), broadcastStrides(b.shape, b.strides, shape)]);
      loop(walk.shape, hostStorage(a, "binary"), a.offset, walk.strides[0], hostStorage(b, "binary"), b.offset, walk.strides[1], out);
    }
    return out;
  };
}

// One kernel per op of the table, its loop specialised at first use.
const unaryKernels = new Map<UnaryOp, UnaryKernel>();
const binaryKernels = new Map<BinaryOp, BinaryKernel>();
const int32Kernels = new Map<BinaryOp, BinaryKernel>();

/** The table's unary `op` of x elementwise, into a new row-major buffer of `dtype`. */
export function unary(op: UnaryOp, x: View, dtype: DType): Storage {
  let kernel = unaryKernels.get(op);
  if (kernel === undefined) unaryKernels.set(op, (kernel = unaryKernel(UNARY_EXPRESSIONS[op])));
  return kernel(x, dtype);
}

/** The table's binary `op` of a and b broadcast to `shape`, into a new row-major buffer of `dtype`. */
export function binary(op: BinaryOp, a: View, b: View, shape: Shape, dtype: DType): Storage {
  const int32 = dtype === "int32" ? INT32_BINARY_EXPRESSIONS[op] : undefined;
  if (int32 !== undefined) {
    let kernel = int32Kernels.get(op);
    if (kernel === undefined) int32Kernels.set(op, (kernel = binaryKernel(int32)));
    return kernel(a, b, shape, dtype);
  }
  let kernel = binaryKernels.get(op);
  if (kernel === undefined) binaryKernels.set(op, (kernel = binaryKernel(BINARY_EXPRESSIONS[op])));
  return kernel(a, b, shape, dtype);
}

/** cond ? a : b elementwise (cond read as "≠ 0"), all three broadcast to `shape`, in a's dtype. */
export function where(cond: View, a: View, b: View, shape: Shape): Storage {
  const out = allocate(a.dtype, sizeOf(shape));
  if (out.length === 0) return out;
  const walk = collapse(
    shape,
    [cond, a, b].map((t) => broadcastStrides(t.shape, t.strides, shape)),
  );
  const [cs, as, bs] = walk.strides;
  const dims = walk.shape;
  const last = dims.length - 1;
  const inner = dims[last];
  const [c, x, y] = [hostStorage(cond, "where"), hostStorage(a, "where"), hostStorage(b, "where")];
  for (let r = 0, k = 0, rows = rowCount(dims); r < rows; r++) {
    let oc = rowOffset(dims, cs, cond.offset, r);
    let oa = rowOffset(dims, as, a.offset, r);
    let ob = rowOffset(dims, bs, b.offset, r);
    for (const end = k + inner; k < end; k++, oc += cs[last], oa += as[last], ob += bs[last]) out[k] = c[oc] !== 0 ? x[oa] : y[ob];
  }
  return out;
}
