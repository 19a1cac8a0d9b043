/**
 * 2-D convolution on the wasm backend, as matrix products on the SIMD (and threaded) matmul: the
 * same contracts as the reference kernels (backends/cpu/kernels/conv.ts), which stay the oracle.
 *
 *   im2col:  cols[n, (c, kh, kw), (oh, ow)] = x[n, c, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw] (0 outside)
 *   conv2d:           y[n]  = W · cols[n]            W = w as [F, C·KH·KW]
 *   conv2dWeightGrad: dW    = Σₙ g[n] · cols[n]ᵀ     g[n] as [F, OH·OW]
 *   conv2dInputGrad:  dx[n] = col2im(Wᵀ · g[n])      col2im adds each column entry back to its pixel
 *
 * The gathers and the scatter are plain loops over the in-bounds range of each row of taps; the
 * products carry the arithmetic. Small convolutions are declined (undefined): the reference's direct
 * loops win where packing costs more than it saves.
 */
import type { WindowGeometry } from "../geometry.js";
import { matmul as referenceMatmul } from "../cpu/kernels/matmul.js";
import { reduce } from "../cpu/kernels/reduce.js";
import { reshapeView, rowMajor } from "../cpu/kernels/strided.js";
import { allocate, type DType, type Storage } from "../dtype.js";
import { hostStorage } from "../buffer.js";
import type { Shape } from "../shape.js";
import type { View } from "../view.js";
import { matmul } from "./matmul.js";

/** The SIMD product, or the reference loop where it declines (a product too small to pack). */
function gemm(a: View, b: View, batch: Shape): Storage {
  return matmul(a, b, batch) ?? referenceMatmul(a, b, batch);
}

/** Below this many multiply-adds (N·F·OH·OW·C·KH·KW) the direct reference loops are used (the tests pass 0). */
const MIN_WORK = 1 << 16;

interface Geometry {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly KH: number;
  readonly KW: number;
  readonly OH: number;
  readonly OW: number;
  readonly geo: WindowGeometry;
}

/**
 * The output columns ow whose tap kw reads inside the input: [first, end). Column ow reads
 * iw = ow·sw − pw + kw·dw, so 0 ≤ iw < W bounds ow on both sides.
 */
function inside(kw: number, W: number, OW: number, s: number, p: number, d: number): [number, number] {
  const shift = kw * d - p;
  const first = Math.max(0, Math.ceil(-shift / s));
  const end = Math.min(OW, Math.floor((W - 1 - shift) / s) + 1);
  return [first, Math.max(first, end)];
}

/**
 * Visits every (row r = (c, kh, kw), output row oh) of one image's im2col with its in-bounds column
 * range and the input offset of its first element: `visit(colBase, xBase, first, end, step)` where
 * column ow ∈ [first, end) of cols row r sits at colBase + ow and reads input xBase + ow·step.
 */
function forEachTapRow(
  g: Geometry,
  x: { readonly offset: number; readonly strides: readonly number[] },
  n: number,
  visit: (colBase: number, xBase: number, first: number, end: number, step: number) => void,
): void {
  const { C, H, W, KH, KW, OH, OW, geo } = g;
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.padding;
  const [dh, dw] = geo.dilation;
  const [xn, xc, xh, xw] = x.strides;
  const windows = OH * OW;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const r = (c * KH + kh) * KW + kw;
        const [first, end] = inside(kw, W, OW, sw, pw, dw);
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh - ph + kh * dh;
          if (ih < 0 || ih >= H || first >= end) continue;
          const colBase = r * windows + oh * OW;
          const xBase = x.offset + n * xn + c * xc + ih * xh + (kw * dw - pw) * xw;
          visit(colBase, xBase, first, end, sw * xw);
        }
      }
    }
  }
}

/** cols of every image: [N, C·KH·KW, OH·OW], zeros where a tap reads the padding. */
function im2col(x: View, g: Geometry): View {
  const rows = g.C * g.KH * g.KW;
  const windows = g.OH * g.OW;
  const cols = allocate(x.dtype, g.N * rows * windows);
  const src = hostStorage(x, "conv2d");
  for (let n = 0; n < g.N; n++) {
    const base = n * rows * windows;
    forEachTapRow(g, x, n, (colBase, xBase, first, end, step) => {
      for (let ow = first, i = xBase + first * step; ow < end; ow++, i += step) cols[base + colBase + ow] = src[i];
    });
  }
  return rowMajor(cols, x.dtype, [g.N, rows, windows]);
}

/** The adjoint of im2col: dx[n, c, ih, iw] = Σ of the cols entries that read (ih, iw). */
function col2im(cols: Storage, dtype: DType, g: Geometry): Storage {
  const { N, C, H, W } = g;
  const rows = C * g.KH * g.KW;
  const windows = g.OH * g.OW;
  const out = allocate(dtype, N * C * H * W);
  const strides = [C * H * W, H * W, W, 1];
  for (let n = 0; n < N; n++) {
    const base = n * rows * windows;
    forEachTapRow(g, { offset: 0, strides }, n, (colBase, xBase, first, end, step) => {
      for (let ow = first, i = xBase + first * step; ow < end; ow++, i += step) out[i] += cols[base + colBase + ow];
    });
  }
  return out;
}

function geometryOf(xShape: readonly number[], wShape: readonly number[], OH: number, OW: number, geo: WindowGeometry): Geometry {
  const [N, C, H, W] = xShape;
  const [, , KH, KW] = wShape;
  return { N, C, H, W, KH, KW, OH, OW, geo };
}

const work = (g: Geometry, F: number): number => g.N * F * g.OH * g.OW * g.C * g.KH * g.KW;

const isEmpty = (v: View): boolean => v.shape.includes(0);

/** y = conv2d(x, w): [N, C, H, W] ⋆ [F, C, KH, KW] → [N, F, OH, OW]. */
export function conv2d(x: View, w: View, geo: WindowGeometry, outH: number, outW: number, minWork = MIN_WORK): Storage | undefined {
  const g = geometryOf(x.shape, w.shape, outH, outW, geo);
  const F = w.shape[0];
  if (work(g, F) < minWork || isEmpty(x) || isEmpty(w)) return undefined;
  return gemm(reshapeView(w, [F, g.C * g.KH * g.KW]), im2col(x, g), [g.N]);
}

/** dw = Σₙ g[n] · cols[n]ᵀ, as [F, C, KH, KW]. */
export function conv2dWeightGrad(x: View, gy: View, geo: WindowGeometry, KH: number, KW: number, minWork = MIN_WORK): Storage | undefined {
  const [, F, OH, OW] = gy.shape;
  const g = geometryOf(x.shape, [F, x.shape[1], KH, KW], OH, OW, geo);
  if (work(g, F) < minWork || isEmpty(x) || isEmpty(gy)) return undefined;
  const cols = im2col(x, g);
  const [, rows, windows] = cols.shape;
  const colsT: View = { ...cols, shape: [g.N, windows, rows], strides: [rows * windows, 1, windows] };
  const perImage = gemm(reshapeView(gy, [g.N, F, OH * OW]), colsT, [g.N]);
  return reduce("sum", rowMajor(perImage, x.dtype, [g.N, F, rows]), [0], false);
}

/** dx = col2im(Wᵀ · g[n]) for every image. */
export function conv2dInputGrad(gy: View, w: View, geo: WindowGeometry, inH: number, inW: number, minWork = MIN_WORK): Storage | undefined {
  const [N, F, OH, OW] = gy.shape;
  const [, C, KH, KW] = w.shape;
  const g = geometryOf([N, C, inH, inW], w.shape, OH, OW, geo);
  if (work(g, F) < minWork || isEmpty(gy) || isEmpty(w)) return undefined;
  const w2 = reshapeView(w, [F, C * KH * KW]);
  const wt: View = { ...w2, shape: [C * KH * KW, F], strides: [1, C * KH * KW] };
  const cols = gemm(wt, reshapeView(gy, [N, F, OH * OW]), [N]);
  return col2im(cols, gy.dtype, g);
}
