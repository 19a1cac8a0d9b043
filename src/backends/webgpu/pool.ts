/**
 * Max pooling on the GPU — the contracts of `Backend.maxPool2dArgmax`, `gatherPlanes` and
 * `scatterPlanes` with GPU buffers (the argmax stays on the GPU as an int32 buffer). The argmax and
 * the gather are one invocation per output, the window walked row-major as the reference does (the
 * first maximum on ties, the first NaN if there is one). The scatter has no atomics: one invocation
 * per input element sums the outputs whose window holds it and chose it. `params`:
 *
 *   [count, 0, N, C, H, W, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw, offset, sn, sc, sh, sw]
 *
 * (the last five: the strided operand's, x for the argmax, v for the gather, g for the scatter).
 */
import type { Pair, WindowGeometry } from "../geometry.js";
import { expectGPUDType, type GPUBuffers, type GPUData } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { gridEntry, WORKGROUP_SIZE } from "./shader.js";
import { WGSL_HELPERS } from "./wgsl.js";

const HEAD = /* wgsl */ `${WGSL_HELPERS}
@group(0) @binding(0) var<storage, read> params: array<i32>;
`;

/** The grid entry with the window's geometry read from params. */
function entry(body: string): string {
  return gridEntry(`  NAN = bitcast<f32>(0x7fc00000u + u32(params[1]));
  let C = params[3]; let H = params[4]; let W = params[5]; let OH = params[6]; let OW = params[7];
  let KH = params[8]; let KW = params[9]; let sh = params[10]; let sw = params[11];
  let ph = params[12]; let pw = params[13]; let dh = params[14]; let dw = params[15];
  let off = params[16]; let s_n = params[17]; let s_c = params[18]; let s_h = params[19]; let s_w = params[20];
${body}`);
}

const ARGMAX = `${HEAD}
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
${entry(`  let ow = k % OW; let oh = (k / OW) % OH; let c = (k / (OW * OH)) % C; let n = k / (OW * OH * C);
  let base = off + n * s_n + c * s_c;
  var best = 0.0;
  var at = -1;
  for (var kh = 0; kh < KH; kh++) {
    let ih = oh * sh - ph + kh * dh;
    if (ih < 0 || ih >= H) { continue; }
    for (var kw = 0; kw < KW; kw++) {
      let iw = ow * sw - pw + kw * dw;
      if (iw < 0 || iw >= W) { continue; }
      let v = x[base + ih * s_h + iw * s_w];
      if (at < 0 || v > best || (is_nan(v) && !is_nan(best))) { best = v; at = ih * W + iw; }
    }
  }
  out[k] = at;`)}`;

const GATHER = `${HEAD}
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> argmax: array<i32>;
${entry(`  let c = (k / (OW * OH)) % C; let n = k / (OW * OH * C);
  let at = argmax[k];
  if (at < 0) { out[k] = NAN; return; }
  out[k] = v[off + n * s_n + c * s_c + (at / W) * s_h + (at % W) * s_w];`)}`;

const SCATTER = `${HEAD}
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read> argmax: array<i32>;
${entry(`  let iw = k % W; let ih = (k / W) % H; let c = (k / (W * H)) % C; let n = k / (W * H * C);
  let here = ih * W + iw;
  var acc = 0.0;
  for (var kh = KH - 1; kh >= 0; kh--) {
    let th = ih + ph - kh * dh;
    if (th < 0 || th % sh != 0 || th / sh >= OH) { continue; }
    let oh = th / sh;
    for (var kw = KW - 1; kw >= 0; kw--) {
      let tw = iw + pw - kw * dw;
      if (tw < 0 || tw % sw != 0 || tw / sw >= OW) { continue; }
      let ow = tw / sw;
      let o = ((n * C + c) * OH + oh) * OW + ow;
      if (argmax[o] == here) { acc += g[off + n * s_n + c * s_c + oh * s_h + ow * s_w]; }
    }
  }
  out[k] = acc;`)}`;

export class GPUPool {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  maxPool2dArgmax(x: GPUView, kernel: Pair, geo: WindowGeometry, outH: number, outW: number): GPUData {
    const [N, C, H, W] = x.shape;
    return this.run("maxPool2dArgmax", ARGMAX, "int32", N * C * outH * outW, x, [x.shape, [outH, outW], kernel, geo], [], [N, C, H, W]);
  }

  gatherPlanes(v: GPUView, argmax: GPUData, outH: number, outW: number): GPUData {
    const [N, C, H, W] = v.shape;
    return this.run("gatherPlanes", GATHER, "float32", N * C * outH * outW, v, [v.shape, [outH, outW], [1, 1], ONE], [argmax], [N, C, H, W]);
  }

  scatterPlanes(g: GPUView, argmax: GPUData, inH: number, inW: number, kernel: Pair, geo: WindowGeometry): GPUData {
    const [N, C] = g.shape;
    return this.run("scatterPlanes", SCATTER, "float32", N * C * inH * inW, g, [[N, C, inH, inW], [g.shape[2], g.shape[3]], kernel, geo], [argmax], [N, C, inH, inW]);
  }

  private run(
    op: string,
    source: string,
    output: "int32" | "float32",
    count: number,
    view: GPUView,
    [, [OH, OW], [KH, KW], geo]: readonly [readonly number[], Pair, Pair, WindowGeometry],
    extra: readonly GPUData[],
    [N, C, H, W]: readonly number[],
  ): GPUData {
    if (expectGPUDType(op, view.dtype) !== "float32") throw new Error(`the webgpu ${op} is float32 only, got ${view.dtype}`);
    const out = this.buffers.allocate(output, count, op);
    if (count === 0) return out;
    const params = new Int32Array([count, 0, N, C, H, W, OH, OW, KH, KW, ...geo.stride, ...geo.padding, ...geo.dilation, view.offset, ...view.strides]);
    const pipeline = this.dispatcher.pipeline(op, () => source);
    this.dispatcher.run(op, pipeline, params, [out.buffer, view.storage.buffer, ...extra.map((e) => e.buffer)], Math.ceil(count / WORKGROUP_SIZE));
    return out;
  }
}

const ONE: WindowGeometry = { stride: [1, 1], padding: [0, 0], dilation: [1, 1] };
