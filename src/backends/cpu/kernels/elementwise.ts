/**
 * Reference elementwise kernels on typed arrays: a unary map and a broadcasting binary map. The
 * output is a new contiguous tensor; inputs may be any strided views. Shape and dtype rules belong
 * to the primitives that call these; the kernels only check that the shapes broadcast.
 */
import { allocate, type DType } from "../../../tensor/dtype.js";
import { broadcastShapes } from "../../../tensor/shape.js";
import { forEachOffset, fromStorage, type Tensor } from "../../../tensor/tensor.js";
import { broadcastStrides, forEach2 } from "./strided.js";

/** y = f(x) elementwise, into a new contiguous tensor of `dtype` (x's by default). */
export function mapUnary(x: Tensor, f: (v: number) => number, dtype: DType = x.dtype): Tensor {
  const out = allocate(dtype, x.size);
  const src = x.storage;
  let k = 0;
  forEachOffset(x.shape, x.strides, x.offset, (o) => {
    out[k++] = f(src[o]);
  });
  return fromStorage(out, dtype, [...x.shape]);
}

/** z = f(a, b) elementwise with NumPy broadcasting (`ShapeMismatch` naming `op` if they do not). */
export function mapBinary(op: string, a: Tensor, b: Tensor, f: (x: number, y: number) => number, dtype: DType = a.dtype): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = allocate(dtype, shape.reduce((p, d) => p * d, 1));
  const da = a.storage;
  const db = b.storage;
  forEach2(
    shape,
    { data: da, offset: a.offset, strides: broadcastStrides(a.shape, a.strides, shape) },
    { data: db, offset: b.offset, strides: broadcastStrides(b.shape, b.strides, shape) },
    (k, oa, ob) => {
      out[k] = f(da[oa], db[ob]);
    },
  );
  return fromStorage(out, dtype, shape);
}
