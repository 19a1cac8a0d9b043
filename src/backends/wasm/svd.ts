/**
 * The thin SVD on the wasm backend for 32 ≤ n < 128 (larger n: bidiagonalSvd.ts): the reference's
 * one-sided Jacobi (cpu/kernels/decompositions.ts: the same cyclic order, rotation, convergence test and packing, so
 * small singular values keep their relative accuracy), with A's columns and V's held as contiguous,
 * zero-padded rows in wasm memory and each pair's three dot products and its rotation in wasm SIMD.
 * The dot products add in two lanes, so the result agrees with the reference's to rounding, not bit
 * for bit. Its own small module, attached to the runtime's memory (as jit's fused kernels are).
 */
import { allocate, type Storage } from "../dtype.js";
import type { View } from "../view.js";
import { columnRotation, MAX_SWEEPS, packSvd } from "../cpu/kernels/decompositions.js";
import { copy } from "../cpu/kernels/strided.js";
import { bidiagonalSvd } from "./bidiagonalSvd.js";
import { Val } from "./encoder.js";
import { moduleBuilder, wasmRuntime, type KernelFn, type WasmRuntime } from "./runtime.js";

const I32 = Val.i32;
const F64 = Val.f64;
const V128 = Val.v128;

/** Below this many columns the reference runs (the pairs are few and the calls would dominate). */
const SMALLEST = 32;

/** From this many columns on, bidiagonalisation and QR (bidiagonalSvd.ts): O(m·n²) in all, normwise accuracy. */
const BIDIAGONAL_FROM = 128;

interface Kernels {
  /** dots(x, y, vectors, out): xᵀx, yᵀy, xᵀy over `vectors` f64x2 of two rows, stored as three doubles at out. */
  readonly dots: KernelFn;
  /** rotate(x, y, vectors, c, s): (x, y) ↦ (c·x − s·y, s·x + c·y) over `vectors` f64x2. */
  readonly rotate: KernelFn;
}

const compiled = new WeakMap<WasmRuntime, Kernels>();

function kernelsFor(rt: WasmRuntime): Kernels {
  const known = compiled.get(rt);
  if (known !== undefined) return known;
  const builder = moduleBuilder();
  const [X, Y, VECTORS] = [0, 1, 2];
  {
    const f = builder.func("dots", [I32, I32, I32, I32]);
    const OUT = 3;
    const [xx, yy, xy, x, y] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
    f.v128Zero().set(xx).v128Zero().set(yy).v128Zero().set(xy);
    f.block().get(VECTORS).i32Eqz().brIf(0).loop();
    {
      f.get(X).v128Load().set(x);
      f.get(Y).v128Load().set(y);
      f.get(xx).get(x).get(x).vMul(F64).vAdd(F64).set(xx);
      f.get(yy).get(y).get(y).vMul(F64).vAdd(F64).set(yy);
      f.get(xy).get(x).get(y).vMul(F64).vAdd(F64).set(xy);
      f.get(X).i32(16).i32Add().set(X);
      f.get(Y).i32(16).i32Add().set(Y);
      f.get(VECTORS).i32(1).i32Sub().tee(VECTORS).brIf(0);
    }
    f.end().end();
    for (const [slot, acc] of [xx, yy, xy].entries())
      f.get(OUT)
        .get(acc)
        .extractLane(F64, 0)
        .get(acc)
        .extractLane(F64, 1)
        .fAdd(F64)
        .store(F64, 8 * slot);
  }
  {
    const f = builder.func("rotate", [I32, I32, I32, F64, F64]);
    const [C, S] = [3, 4];
    const [c, s, ns, x, y] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
    f.get(C).splat(F64).set(c);
    f.get(S).splat(F64).tee(s).vNeg(F64).set(ns);
    f.block().get(VECTORS).i32Eqz().brIf(0).loop();
    {
      f.get(X).v128Load().set(x);
      f.get(Y).v128Load().set(y);
      // c·x − s·y as c·x + (−s)·y: the negation is exact, so the rounding is the reference's.
      f.get(X).get(c).get(x).vMul(F64).get(ns).get(y).vMul(F64).vAdd(F64).v128Store();
      f.get(Y).get(s).get(x).vMul(F64).get(c).get(y).vMul(F64).vAdd(F64).v128Store();
      f.get(X).i32(16).i32Add().set(X);
      f.get(Y).i32(16).i32Add().set(Y);
      f.get(VECTORS).i32(1).i32Sub().tee(VECTORS).brIf(0);
    }
    f.end().end();
  }
  const e = rt.attach(builder.encode());
  const kernels = { dots: e.dots as KernelFn, rotate: e.rotate as KernelFn };
  compiled.set(rt, kernels);
  return kernels;
}

/**
 * svd's packed result ([..., 1 + m + n, n], m ≥ n): for n ≥ 128 by bidiagonalisation, for n ≥ 32
 * by Jacobi here; undefined (the reference runs) below, or where wasm memory cannot hold it.
 */
export function svd(a: View): Storage | undefined {
  const m = a.shape[a.shape.length - 2];
  const n = a.shape[a.shape.length - 1];
  if (n >= BIDIAGONAL_FROM) {
    const out = bidiagonalSvd(a);
    if (out !== undefined) return out;
  }
  if (n < SMALLEST) return undefined;
  const rt = wasmRuntime();
  if (rt === undefined) return undefined;
  // Column j of A is row j here, m values padded with zeros to whole vectors (zeros stay zero).
  const uWidth = 2 * Math.ceil(m / 2);
  const vWidth = 2 * Math.ceil(n / 2);
  // In the scratch area, above the jit's resident buffers (resident.ts).
  const base = rt.arena.scratchBase;
  const [U, V, OUT] = [base, base + n * uWidth * 8, base + n * (uWidth + vWidth) * 8];
  if (!rt.reserve(OUT + 64)) return undefined;
  const { dots, rotate } = kernelsFor(rt);
  const heap = new Float64Array(rt.memory.buffer, base, (OUT - base) / 8 + 3);
  const ut = heap.subarray(0, n * uWidth);
  const vt = heap.subarray(n * uWidth, n * (uWidth + vWidth));
  const count = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const src = copy(a);
  const rowsOut = 1 + m + n;
  const out = allocate(a.dtype, count * rowsOut * n);
  for (let p = 0; p < count; p++) {
    ut.fill(0);
    vt.fill(0);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) ut[j * uWidth + i] = src[p * m * n + i * n + j];
    for (let i = 0; i < n; i++) vt[i * vWidth + i] = 1;
    for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      let rotated = false;
      for (let pp = 0; pp < n; pp++) {
        for (let qq = pp + 1; qq < n; qq++) {
          dots(U + pp * uWidth * 8, U + qq * uWidth * 8, uWidth / 2, OUT);
          const rotation = columnRotation(heap[(OUT - base) / 8], heap[(OUT - base) / 8 + 1], heap[(OUT - base) / 8 + 2]);
          if (rotation === undefined) continue;
          rotated = true;
          const [c, s] = rotation;
          rotate(U + pp * uWidth * 8, U + qq * uWidth * 8, uWidth / 2, c, s);
          rotate(V + pp * vWidth * 8, V + qq * vWidth * 8, vWidth / 2, c, s);
        }
      }
      if (!rotated) break;
    }
    packSvd(
      out,
      p * rowsOut * n,
      m,
      n,
      (j, i) => ut[j * uWidth + i],
      (j, i) => vt[j * vWidth + i],
    );
  }
  return out;
}
