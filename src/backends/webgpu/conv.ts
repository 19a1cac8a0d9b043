/**
 * conv2d and both of its adjoints on the GPU — the contracts of `Backend.conv2d`,
 * `conv2dInputGrad` and `conv2dWeightGrad` with GPU buffers, float32, as direct sums: one invocation
 * per output element, accumulating in f32 over the taps whose input position is inside the image
 * (padding is zero). The input gradient gathers, per input element, the outputs whose window holds
 * it (no atomics); the weight gradient sums per batch element, then over the batch. Both operands are
 * read through their strides. `params`:
 *
 *   [count, 0, N, C, H, W, F, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw, aOffset, a strides[4], bOffset, b strides[4]]
 *
 * with (a, b) = (x, w) for conv2d, (g, w) for the input gradient and (x, g) for the weight gradient.
 */
import type { WindowGeometry } from "../geometry.js";
import type { GPUBuffers, GPUData } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { WORKGROUP_SIZE } from "./shader.js";

function shader(body: string): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

fn A(i: i32, j: i32, k: i32, l: i32) -> f32 {
  return a[params[17] + i * params[18] + j * params[19] + k * params[20] + l * params[21]];
}

fn B(i: i32, j: i32, k: i32, l: i32) -> f32 {
  return b[params[22] + i * params[23] + j * params[24] + k * params[25] + l * params[26]];
}

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  if (e >= params[0]) { return; }
  let N = params[2]; let C = params[3]; let H = params[4]; let W = params[5]; let F = params[6];
  let OH = params[7]; let OW = params[8]; let KH = params[9]; let KW = params[10];
  let sh = params[11]; let sw = params[12]; let ph = params[13]; let pw = params[14]; let dh = params[15]; let dw = params[16];
  var acc = 0.0;
${body}
  out[e] = acc;
}
`;
}

// y[n, f, oh, ow] = Σ_{c, kh, kw} x[n, c, ih, iw] · w[f, c, kh, kw]
const FORWARD = shader(`  let ow = e % OW; let oh = (e / OW) % OH; let f = (e / (OW * OH)) % F; let n = e / (OW * OH * F);
  for (var c = 0; c < C; c++) {
    for (var kh = 0; kh < KH; kh++) {
      let ih = oh * sh - ph + kh * dh;
      if (ih < 0 || ih >= H) { continue; }
      for (var kw = 0; kw < KW; kw++) {
        let iw = ow * sw - pw + kw * dw;
        if (iw < 0 || iw >= W) { continue; }
        acc += A(n, c, ih, iw) * B(f, c, kh, kw);
      }
    }
  }`);

// dx[n, c, ih, iw] = Σ_{f, kh, kw} g[n, f, oh, ow] · w[f, c, kh, kw] over the (oh, ow) whose window reads (ih, iw)
const INPUT_GRAD = shader(`  let iw = e % W; let ih = (e / W) % H; let c = (e / (W * H)) % C; let n = e / (W * H * C);
  for (var f = 0; f < F; f++) {
    for (var kh = 0; kh < KH; kh++) {
      let th = ih + ph - kh * dh;
      if (th < 0 || th % sh != 0 || th / sh >= OH) { continue; }
      for (var kw = 0; kw < KW; kw++) {
        let tw = iw + pw - kw * dw;
        if (tw < 0 || tw % sw != 0 || tw / sw >= OW) { continue; }
        acc += A(n, f, th / sh, tw / sw) * B(f, c, kh, kw);
      }
    }
  }`);

// part[n, f, c, kh, kw] = Σ_{oh, ow} g[n, f, oh, ow] · x[n, c, ih, iw]; dw = Σ_n part (BATCH_SUM).
// One invocation per (n, f, c, kh, kw), not per weight: a conv's weights are few (288 in the bench's
// CNN) and a sum over the whole batch in each left nearly every lane of the GPU idle.
const WEIGHT_GRAD = shader(`  let kw = e % KW; let kh = (e / KW) % KH; let c = (e / (KW * KH)) % C; let f = (e / (KW * KH * C)) % F; let n = e / (KW * KH * C * F);
  for (var oh = 0; oh < OH; oh++) {
    let ih = oh * sh - ph + kh * dh;
    if (ih < 0 || ih >= H) { continue; }
    for (var ow = 0; ow < OW; ow++) {
      let iw = ow * sw - pw + kw * dw;
      if (iw < 0 || iw >= W) { continue; }
      acc += B(n, f, oh, ow) * A(n, c, ih, iw);
    }
  }`);

// out[e] = Σ_n part[n · count + e], in order of n. params = [count, N].
const BATCH_SUM = /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> part: array<f32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  let count = params[0];
  if (e >= count) { return; }
  var acc = 0.0;
  for (var n = 0; n < params[1]; n++) { acc += part[n * count + e]; }
  out[e] = acc;
}
`;

export class GPUConv {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  conv2d(x: GPUView, w: GPUView, geo: WindowGeometry, outH: number, outW: number): GPUData {
    const [N, C, H, W] = x.shape;
    const [F, , KH, KW] = w.shape;
    return this.run("conv2d", FORWARD, N * F * outH * outW, [N, C, H, W, F, outH, outW, KH, KW], geo, x, w);
  }

  conv2dInputGrad(g: GPUView, w: GPUView, geo: WindowGeometry, inH: number, inW: number): GPUData {
    const [N, F, OH, OW] = g.shape;
    const [, C, KH, KW] = w.shape;
    return this.run("conv2dInputGrad", INPUT_GRAD, N * C * inH * inW, [N, C, inH, inW, F, OH, OW, KH, KW], geo, g, w);
  }

  conv2dWeightGrad(x: GPUView, g: GPUView, geo: WindowGeometry, KH: number, KW: number): GPUData {
    const op = "conv2dWeightGrad";
    const [N, C, H, W] = x.shape;
    const [, F, OH, OW] = g.shape;
    const count = F * C * KH * KW;
    const part = this.run(op, WEIGHT_GRAD, N * count, [N, C, H, W, F, OH, OW, KH, KW], geo, x, g);
    const out = this.buffers.allocate("float32", count, op);
    if (count > 0) {
      const pipeline = this.dispatcher.pipeline(`${op}.batchSum`, () => BATCH_SUM);
      this.dispatcher.run(op, pipeline, new Int32Array([count, N]), [out.buffer, part.buffer], Math.ceil(count / WORKGROUP_SIZE));
    }
    this.buffers.free(part);
    return out;
  }

  private run(op: string, source: string, count: number, sizes: readonly number[], geo: WindowGeometry, a: GPUView, b: GPUView): GPUData {
    if (a.dtype !== "float32" || b.dtype !== "float32") throw new Error(`the webgpu ${op} is float32 only, got ${a.dtype} and ${b.dtype}`);
    const out = this.buffers.allocate("float32", count, op);
    if (count === 0) return out;
    const params = new Int32Array([count, 0, ...sizes, ...geo.stride, ...geo.padding, ...geo.dilation, a.offset, ...a.strides, b.offset, ...b.strides]);
    const pipeline = this.dispatcher.pipeline(op, () => source);
    this.dispatcher.run(op, pipeline, params, [out.buffer, a.storage.buffer, b.storage.buffer], Math.ceil(count / WORKGROUP_SIZE));
    return out;
  }
}
