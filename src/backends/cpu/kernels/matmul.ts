/**
 * Reference batched matrix product: a of shape [...batchA, m, k] times b of shape [...batchB, k, n]
 * into a new row-major buffer of [...batch, m, n], where `batch` is the broadcast of the two batch shapes. Each
 * operand is made contiguous once; each matrix product is a plain i-k-j loop (the inner loop walks a
 * row of b and a row of the output, both contiguous). Shape checks belong to the primitive.
 */
import { allocate, type DType, type Storage } from "../../dtype.js";
import { hostStorage } from "../../buffer.js";
import { contiguousStrides, type Shape } from "../../shape.js";
import type { View } from "../../view.js";
import { BatchWalk, broadcastStrides, contiguousView } from "./strided.js";

export function matmul(a: View, b: View, batch: Shape, dtype: DType = a.dtype): Storage {
  const m = a.shape[a.shape.length - 2];
  const k = a.shape[a.shape.length - 1];
  const n = b.shape[b.shape.length - 1];
  const ca = contiguousView(a);
  const cb = contiguousView(b);
  const da = hostStorage(ca, "matmul");
  const db = hostStorage(cb, "matmul");
  let count = 1;
  for (const d of batch) count *= d;
  const out = allocate(dtype, count * m * n);
  const int = dtype === "int32";
  if (out.length > 0 && k > 0) {
    // Matrix strides of each operand along the broadcast batch axes (0 where it is broadcast).
    const sa = broadcastStrides(a.shape.slice(0, -2), contiguousStrides(a.shape.slice(0, -2)), batch).map((s) => s * m * k);
    const sb = broadcastStrides(b.shape.slice(0, -2), contiguousStrides(b.shape.slice(0, -2)), batch).map((s) => s * k * n);
    const walk = new BatchWalk(batch, sa, sb, ca.offset, cb.offset);
    for (let p = 0, baseC = 0; p < count; p++, baseC += m * n, walk.next()) {
      const baseA = walk.a;
      const baseB = walk.b;
      for (let i = 0; i < m; i++) {
        const rowA = baseA + i * k;
        const rowC = baseC + i * n;
        for (let q = 0; q < k; q++) {
          const aiq = da[rowA + q];
          const rowB = baseB + q * n;
          // int32: Math.imul keeps each product exact modulo 2³², and the store wraps the sum.
          if (int) for (let j = 0; j < n; j++) out[rowC + j] += Math.imul(aiq, db[rowB + j]);
          else for (let j = 0; j < n; j++) out[rowC + j] += aiq * db[rowB + j];
        }
      }
    }
  }
  return out;
}
