/**
 * Reference kernels for 2-D convolution and max pooling over NCHW tensors: direct loops, no im2col.
 * Inputs may be any strided views (read through their strides and offset); outputs are new contiguous
 * tensors. Shape, dtype and argument rules belong to the primitives (`tensor/primitives/conv.ts`,
 * `pool.ts`); these kernels trust the geometry they are given.
 *
 * Index convention, shared by every kernel: output position (oh, ow) with kernel tap (kh, kw) reads
 * input row ih = oh·strideH − padH + kh·dilationH (and likewise for columns); taps outside the input
 * are the padding (zero for convolution, −∞ for max pooling).
 */
import { allocate } from "../../../tensor/dtype.js";
import { fromStorage, type Tensor } from "../../../tensor/tensor.js";

/** A pair of per-axis values: [height, width]. */
export type Pair = readonly [number, number];

export interface WindowGeometry {
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
}

/** The number of output positions along one axis (may be ≤ 0: the caller rejects that). */
export function windowCount(size: number, kernel: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** y[n, f, oh, ow] = Σ_{c, kh, kw} x[n, c, ih, iw] · w[f, c, kh, kw]. */
export function conv2d(x: Tensor, w: Tensor, geo: WindowGeometry, outH: number, outW: number): Tensor {
  const [N, C, H, W] = x.shape;
  const [F, , KH, KW] = w.shape;
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.padding;
  const [dh, dw] = geo.dilation;
  const [xn, xc, xh, xw] = x.strides;
  const [wf, wc, wh, ww] = w.strides;
  const xs = x.storage;
  const ws = w.storage;
  const out = allocate(x.dtype, N * F * outH * outW);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          let acc = 0;
          for (let c = 0; c < C; c++) {
            const xBase = x.offset + n * xn + c * xc;
            const wBase = w.offset + f * wf + c * wc;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                acc += xs[xBase + ih * xh + iw * xw] * ws[wBase + kh * wh + kw * ww];
              }
            }
          }
          out[k++] = acc;
        }
      }
    }
  }
  return fromStorage(out, x.dtype, [N, F, outH, outW]);
}

/** The adjoint of `conv2d` in x: dx[n, c, ih, iw] = Σ g[n, f, oh, ow] · w[f, c, kh, kw] over the taps reading (ih, iw). */
export function conv2dInputGrad(g: Tensor, w: Tensor, geo: WindowGeometry, inH: number, inW: number): Tensor {
  const [N, F, OH, OW] = g.shape;
  const [, C, KH, KW] = w.shape;
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.padding;
  const [dh, dw] = geo.dilation;
  const [gn, gf, gh, gw] = g.strides;
  const [wf, wc, wh, ww] = w.strides;
  const gs = g.storage;
  const ws = w.storage;
  const plane = inH * inW;
  const out = allocate(g.dtype, N * C * plane);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const gv = gs[g.offset + n * gn + f * gf + oh * gh + ow * gw];
          for (let c = 0; c < C; c++) {
            const oBase = (n * C + c) * plane;
            const wBase = w.offset + f * wf + c * wc;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= inH) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= inW) continue;
                out[oBase + ih * inW + iw] += gv * ws[wBase + kh * wh + kw * ww];
              }
            }
          }
        }
      }
    }
  }
  return fromStorage(out, g.dtype, [N, C, inH, inW]);
}

/** The adjoint of `conv2d` in w: dw[f, c, kh, kw] = Σ_{n, oh, ow} g[n, f, oh, ow] · x[n, c, ih, iw]. */
export function conv2dWeightGrad(x: Tensor, g: Tensor, geo: WindowGeometry, KH: number, KW: number): Tensor {
  const [N, C, H, W] = x.shape;
  const [, F, OH, OW] = g.shape;
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.padding;
  const [dh, dw] = geo.dilation;
  const [xn, xc, xh, xw] = x.strides;
  const [gn, gf, gh, gw] = g.strides;
  const xs = x.storage;
  const gs = g.storage;
  const taps = KH * KW;
  const out = allocate(x.dtype, F * C * taps);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const gv = gs[g.offset + n * gn + f * gf + oh * gh + ow * gw];
          for (let c = 0; c < C; c++) {
            const xBase = x.offset + n * xn + c * xc;
            const oBase = (f * C + c) * taps;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                out[oBase + kh * KW + kw] += gv * xs[xBase + ih * xh + iw * xw];
              }
            }
          }
        }
      }
    }
  }
  return fromStorage(out, x.dtype, [F, C, KH, KW]);
}

/**
 * For every window of max pooling over x (kernel `kernel`, no dilation), the position ih·W + iw of
 * its maximum within its (n, c) plane: the first in row-major window order on ties, a NaN if there
 * is one (NaN propagates, as in PyTorch). Padding is −∞, so it is never chosen while the window holds
 * an input element (the primitive guarantees every window does). Laid out as [N, C, outH, outW].
 */
export function maxPool2dArgmax(x: Tensor, kernel: Pair, geo: WindowGeometry, outH: number, outW: number): Int32Array {
  const [N, C, H, W] = x.shape;
  const [KH, KW] = kernel;
  const [sh, sw] = geo.stride;
  const [ph, pw] = geo.padding;
  const [dh, dw] = geo.dilation;
  const [xn, xc, xh, xw] = x.strides;
  const xs = x.storage;
  const out = new Int32Array(N * C * outH * outW);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xBase = x.offset + n * xn + c * xc;
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          let best = -Infinity;
          let at = -1;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * sw - pw + kw * dw;
              if (iw < 0 || iw >= W) continue;
              const v = xs[xBase + ih * xh + iw * xw];
              if (at < 0 || v > best || (v !== v && best === best)) {
                best = v;
                at = ih * W + iw;
              }
            }
          }
          out[k++] = at;
        }
      }
    }
  }
  return out;
}

/** y[n, c, o] = v[n, c, argmax[n, c, o]]: v (of x's shape) read at the window maxima. */
export function gatherPlanes(v: Tensor, argmax: Int32Array, outH: number, outW: number): Tensor {
  const [N, C, , W] = v.shape;
  const [vn, vc, vh, vw] = v.strides;
  const vs = v.storage;
  const count = outH * outW;
  const out = allocate(v.dtype, N * C * count);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = v.offset + n * vn + c * vc;
      for (let o = 0; o < count; o++, k++) {
        const at = argmax[k];
        out[k] = at < 0 ? NaN : vs[base + Math.floor(at / W) * vh + (at % W) * vw];
      }
    }
  }
  return fromStorage(out, v.dtype, [N, C, outH, outW]);
}

/** The adjoint of `gatherPlanes`: zeros of `[N, C, H, W]` with each g[n, c, o] added at argmax[n, c, o]. */
export function scatterPlanes(g: Tensor, argmax: Int32Array, inH: number, inW: number): Tensor {
  const [N, C, OH, OW] = g.shape;
  const [gn, gc, gh, gw] = g.strides;
  const gs = g.storage;
  const plane = inH * inW;
  const out = allocate(g.dtype, N * C * plane);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * plane;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, k++) {
          const at = argmax[k];
          if (at >= 0) out[base + at] += gs[g.offset + n * gn + c * gc + oh * gh + ow * gw];
        }
      }
    }
  }
  return fromStorage(out, g.dtype, [N, C, inH, inW]);
}
