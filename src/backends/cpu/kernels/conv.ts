/**
 * Reference kernels for 2-D convolution and max pooling over NCHW tensors: direct loops, no im2col.
 * Inputs may be any strided views (read through their strides and offset); outputs are new row-major
 * buffers. Shape, dtype and argument rules belong to the primitives (`tensor/primitives/conv.ts`,
 * `pool.ts`); these kernels trust the geometry they are given.
 *
 * Index convention, shared by every kernel: output position (oh, ow) with kernel tap (kh, kw) reads
 * input row ih = oh·strideH − padH + kh·dilationH (and likewise for columns); taps outside the input
 * are the padding (zero for convolution, −∞ for max pooling).
 */
import { allocate, type Storage } from "../../dtype.js";
import { type DeviceBuffer, hostStorage } from "../../buffer.js";
import type { Pair, WindowGeometry } from "../../geometry.js";
import type { View } from "../../view.js";

/** A tap's offset under one indexing, linear in its coordinates: ih·[0] + iw·[1] + kh·[2] + kw·[3]. */
type TapIndex = readonly [number, number, number, number];
/** The input element (ih, iw) read or written through strides (h, w). */
const inputAt = (h: number, w: number): TapIndex => [h, w, 0, 0];
/** The kernel tap (kh, kw) read or written through strides (h, w). */
const kernelAt = (h: number, w: number): TapIndex => [0, 0, h, w];

/**
 * The windows along one axis: window o starts at input index origin[o] = o·stride − padding, its tap
 * k reads input index origin[o] + k·dilation, and the taps inside the input (the rest are padding)
 * are k ∈ [lo, hi) of its range `group[o]`. Those ranges only shrink at the borders, so consecutive
 * windows share them and there are few.
 */
interface AxisWindows {
  readonly origin: Int32Array;
  readonly group: Int32Array;
  /** lo and hi of each range, in turn. */
  readonly ranges: number[];
}

/** The window loop, written once. */
function axisWindows(size: number, kernel: number, out: number, stride: number, padding: number, dilation: number): AxisWindows {
  const origin = new Int32Array(out);
  const group = new Int32Array(out);
  const ranges: number[] = [];
  for (let o = 0; o < out; o++) {
    origin[o] = o * stride - padding;
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < kernel; k++) {
      const i = origin[o] + k * dilation;
      if (i < 0 || i >= size) continue;
      if (hi === 0) lo = k;
      hi = k + 1;
    }
    const last = ranges.length - 2;
    if (last < 0 || ranges[last] !== lo || ranges[last + 1] !== hi) ranges.push(lo, hi);
    group[o] = ranges.length / 2 - 1;
  }
  return { origin, group, ranges };
}

/**
 * The in-bounds taps of every window, as offsets under two indexings a and b: window o = oh·outW + ow
 * owns entries j ∈ [lo[o], hi[o]), in row-major tap order, and the tap's offset under a is
 * a0[o] + a[j] (likewise b). Entries are shared by the windows with the same in-bounds taps, which is
 * all of them away from the borders, so the tables stay small.
 */
interface Taps {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly a0: Int32Array;
  readonly b0: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
}

function windowTaps(geo: WindowGeometry, input: Pair, kernel: Pair, out: Pair, a: TapIndex, b: TapIndex): Taps {
  const axis = (d: 0 | 1) => axisWindows(input[d], kernel[d], out[d], geo.stride[d], geo.padding[d], geo.dilation[d]);
  const rows = axis(0);
  const cols = axis(1);
  const [dh, dw] = geo.dilation;
  // ih = origin_h + kh·dh, so a tap's offset is origin_h·a[0] + origin_w·a[1] + kh·(dh·a[0] + a[2]) + kw·(dw·a[1] + a[3]).
  const stepA = [dh * a[0] + a[2], dw * a[1] + a[3]];
  const stepB = [dh * b[0] + b[2], dw * b[1] + b[3]];
  const groups = (rows.ranges.length / 2) * (cols.ranges.length / 2);
  const listLo = new Int32Array(groups);
  const listHi = new Int32Array(groups);
  const as = new Int32Array(groups * kernel[0] * kernel[1]);
  const bs = new Int32Array(groups * kernel[0] * kernel[1]);
  let j = 0;
  for (let r = 0, l = 0; r < rows.ranges.length; r += 2) {
    for (let c = 0; c < cols.ranges.length; c += 2, l++) {
      listLo[l] = j;
      for (let kh = rows.ranges[r]; kh < rows.ranges[r + 1]; kh++) {
        for (let kw = cols.ranges[c]; kw < cols.ranges[c + 1]; kw++) {
          as[j] = kh * stepA[0] + kw * stepA[1];
          bs[j++] = kh * stepB[0] + kw * stepB[1];
        }
      }
      listHi[l] = j;
    }
  }
  const [OH, OW] = out;
  const lo = new Int32Array(OH * OW);
  const hi = new Int32Array(OH * OW);
  const a0 = new Int32Array(OH * OW);
  const b0 = new Int32Array(OH * OW);
  const colGroups = cols.ranges.length / 2;
  for (let oh = 0, o = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++, o++) {
      const l = rows.group[oh] * colGroups + cols.group[ow];
      lo[o] = listLo[l];
      hi[o] = listHi[l];
      a0[o] = rows.origin[oh] * a[0] + cols.origin[ow] * a[1];
      b0[o] = rows.origin[oh] * b[0] + cols.origin[ow] * b[1];
    }
  }
  return { lo, hi, a0, b0, a: as, b: bs };
}

/** y[n, f, oh, ow] = Σ_{c, kh, kw} x[n, c, ih, iw] · w[f, c, kh, kw]. */
export function conv2d(x: View, w: View, geo: WindowGeometry, outH: number, outW: number): Storage {
  const [N, C, H, W] = x.shape;
  const [F, , KH, KW] = w.shape;
  const [xn, xc, xh, xw] = x.strides;
  const [wf, wc, wh, ww] = w.strides;
  const { lo, hi, a0: xo, b0: wo, a: xd, b: wd } = windowTaps(geo, [H, W], [KH, KW], [outH, outW], inputAt(xh, xw), kernelAt(wh, ww));
  const xs = hostStorage(x, "conv2d");
  const ws = hostStorage(w, "conv2d");
  const windows = outH * outW;
  const out = allocate(x.dtype, N * F * windows);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let o = 0; o < windows; o++) {
        let acc = 0;
        for (let c = 0; c < C; c++) {
          const xBase = x.offset + n * xn + c * xc + xo[o];
          const wBase = w.offset + f * wf + c * wc + wo[o];
          for (let j = lo[o]; j < hi[o]; j++) acc += xs[xBase + xd[j]] * ws[wBase + wd[j]];
        }
        out[k++] = acc;
      }
    }
  }
  return out;
}

/** Per-(n, f, c) strides of a base offset: n·[0] + f·[1] + c·[2]. */
type BaseIndex = readonly [number, number, number];

/**
 * The loop both adjoints of conv2d share: for every g[n, f, oh, ow], channel c and in-bounds tap of
 * window (oh, ow), out[base(n, f, c) + tap offset a] += g · src[src.offset + srcBase(n, f, c) + tap
 * offset b]. Only the indexings tell dx (out over the input, src = w) from dw (out over the kernel,
 * src = x).
 */
function accumulateTaps(g: View, C: number, taps: Taps, out: Storage, base: BaseIndex, src: View, srcBase: BaseIndex): void {
  const [N, F, OH, OW] = g.shape;
  const [gn, gf, gh, gw] = g.strides;
  const [bn, bf, bc] = base;
  const [sn, sf, sc] = srcBase;
  const { lo, hi, a0: ao, b0: so, a: ad, b: sd } = taps;
  const gs = hostStorage(g, "conv2d");
  const ss = hostStorage(src, "conv2d");
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const gBase = g.offset + n * gn + f * gf;
      for (let oh = 0, o = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, o++) {
          const gv = gs[gBase + oh * gh + ow * gw];
          for (let c = 0; c < C; c++) {
            const oBase = n * bn + f * bf + c * bc + ao[o];
            const sBase = src.offset + n * sn + f * sf + c * sc + so[o];
            for (let j = lo[o]; j < hi[o]; j++) out[oBase + ad[j]] += gv * ss[sBase + sd[j]];
          }
        }
      }
    }
  }
}

/** The adjoint of `conv2d` in x: dx[n, c, ih, iw] = Σ g[n, f, oh, ow] · w[f, c, kh, kw] over the taps reading (ih, iw). */
export function conv2dInputGrad(g: View, w: View, geo: WindowGeometry, inH: number, inW: number): Storage {
  const [N, , OH, OW] = g.shape;
  const [, C, KH, KW] = w.shape;
  const [wf, wc, wh, ww] = w.strides;
  const plane = inH * inW;
  const out = allocate(g.dtype, N * C * plane);
  const taps = windowTaps(geo, [inH, inW], [KH, KW], [OH, OW], inputAt(inW, 1), kernelAt(wh, ww));
  accumulateTaps(g, C, taps, out, [C * plane, 0, plane], w, [0, wf, wc]);
  return out;
}

/** The adjoint of `conv2d` in w: dw[f, c, kh, kw] = Σ_{n, oh, ow} g[n, f, oh, ow] · x[n, c, ih, iw]. */
export function conv2dWeightGrad(x: View, g: View, geo: WindowGeometry, KH: number, KW: number): Storage {
  const [, C, H, W] = x.shape;
  const [, F, OH, OW] = g.shape;
  const [xn, xc, xh, xw] = x.strides;
  const size = KH * KW;
  const out = allocate(x.dtype, F * C * size);
  const taps = windowTaps(geo, [H, W], [KH, KW], [OH, OW], kernelAt(KW, 1), inputAt(xh, xw));
  accumulateTaps(g, C, taps, out, [0, C * size, size], x, [xn, 0, xc]);
  return out;
}

/**
 * For every window of max pooling over x (kernel `kernel`, no dilation), the position ih·W + iw of
 * its maximum within its (n, c) plane: the first in row-major window order on ties, a NaN if there
 * is one (NaN propagates, as in PyTorch). Padding is −∞, so it is never chosen while the window holds
 * an input element (the primitive guarantees every window does). Laid out as [N, C, outH, outW].
 */
export function maxPool2dArgmax(x: View, kernel: Pair, geo: WindowGeometry, outH: number, outW: number): Int32Array {
  const plain = kernel[0] === 2 && kernel[1] === 2 && geo.padding.every((p) => p === 0) && geo.dilation.every((d) => d === 1);
  if (plain) return maxPool2x2Argmax(x, geo.stride, outH, outW);
  const [N, C, H, W] = x.shape;
  const [xn, xc, xh, xw] = x.strides;
  const { lo, hi, a0: xo, b0: po, a: xd, b: pd } = windowTaps(geo, [H, W], kernel, [outH, outW], inputAt(xh, xw), inputAt(W, 1));
  const xs = hostStorage(x, "maxPool2dArgmax");
  const windows = outH * outW;
  const out = new Int32Array(N * C * windows);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let o = 0; o < windows; o++) {
        const xBase = x.offset + n * xn + c * xc + xo[o];
        let best = -Infinity;
        let at = -1;
        for (let j = lo[o]; j < hi[o]; j++) {
          const v = xs[xBase + xd[j]];
          if (at < 0 || v > best || (v !== v && best === best)) {
            best = v;
            at = po[o] + pd[j];
          }
        }
        out[k++] = at;
      }
    }
  }
  return out;
}

/**
 * maxPool2dArgmax for the common 2 × 2 window without padding or dilation (every window whole), its
 * four taps unrolled: the same choice (the first maximum in row-major tap order, the first NaN
 * over any number), without the general kernel's per-window tap lists (it was most of a CNN step).
 */
function maxPool2x2Argmax(x: View, stride: Pair, outH: number, outW: number): Int32Array {
  const [N, C, , W] = x.shape;
  const [xn, xc, xh, xw] = x.strides;
  const [sh, sw] = stride;
  const xs = hostStorage(x, "maxPool2dArgmax");
  const out = new Int32Array(N * C * outH * outW);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = x.offset + n * xn + c * xc;
      for (let oh = 0; oh < outH; oh++) {
        const ih = oh * sh;
        for (let ow = 0, iw = 0; ow < outW; ow++, iw += sw) {
          const a = base + ih * xh + iw * xw;
          let best = xs[a];
          let at = 0;
          // Replace on a larger value, or on the first NaN (NaN > best is false; best === best until then).
          const v1 = xs[a + xw];
          if (v1 > best || (v1 !== v1 && best === best)) {
            best = v1;
            at = 1;
          }
          const v2 = xs[a + xh];
          if (v2 > best || (v2 !== v2 && best === best)) {
            best = v2;
            at = W;
          }
          const v3 = xs[a + xh + xw];
          if (v3 > best || (v3 !== v3 && best === best)) at = W + 1;
          out[k++] = ih * W + iw + at;
        }
      }
    }
  }
  return out;
}

/** y[n, c, o] = v[n, c, argmax[n, c, o]]: v (of x's shape) read at the window maxima. */
export function gatherPlanes(v: View, argmax: DeviceBuffer, outH: number, outW: number): Storage {
  const [N, C, , W] = v.shape;
  const [vn, vc, vh, vw] = v.strides;
  const vs = hostStorage(v, "gatherPlanes");
  const am = hostStorage({ storage: argmax }, "gatherPlanes");
  const count = outH * outW;
  const out = allocate(v.dtype, N * C * count);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = v.offset + n * vn + c * vc;
      for (let o = 0; o < count; o++, k++) {
        const at = am[k];
        out[k] = at < 0 ? NaN : vs[base + Math.floor(at / W) * vh + (at % W) * vw];
      }
    }
  }
  return out;
}

/** The adjoint of `gatherPlanes`: zeros of `[N, C, H, W]` with each g[n, c, o] added at argmax[n, c, o]. */
export function scatterPlanes(g: View, argmax: DeviceBuffer, inH: number, inW: number): Storage {
  const [N, C, OH, OW] = g.shape;
  const [gn, gc, gh, gw] = g.strides;
  const gs = hostStorage(g, "scatterPlanes");
  const am = hostStorage({ storage: argmax }, "scatterPlanes");
  const plane = inH * inW;
  const out = allocate(g.dtype, N * C * plane);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * plane;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, k++) {
          const at = am[k];
          if (at >= 0) out[base + at] += gs[g.offset + n * gn + c * gc + oh * gh + ow * gw];
        }
      }
    }
  }
  return out;
}
