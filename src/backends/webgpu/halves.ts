/**
 * float16 on the GPU, as storage: a float16 buffer packs two halves into each u32 word (element
 * 2w in the low half of word w), and the device's kernels run on it widened to float32, their
 * float32 results rounded back (../halves.ts wraps every kernel). Both conversions are integer bit
 * arithmetic rather than WGSL's `unpack2x16float`/`pack2x16float`: WGSL leaves the rounding of
 * `pack2x16float` to the implementation and its result for values past the half range
 * indeterminate, while these give round to nearest even, ±∞ from 65520 on, subnormals and NaN
 * exactly as the host does (float16.ts), so the GPU's halves equal the cpu's bit for bit. They need
 * no `shader-f16` and run on every adapter. Narrowing runs one invocation per output word, so two
 * invocations never write halves of the same word.
 */
import type { HalfConversions } from "../halves.js";
import type { View } from "../view.js";
import type { GPUBuffers, GPUData } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import { gridEntry, WORKGROUP_SIZE } from "./shader.js";

const WIDEN = `@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> halves: array<u32>;
${gridEntry(`  let h = (halves[k / 2] >> (u32(k % 2) * 16u)) & 0xffffu;
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  var bits: u32;
  if (e == 0u) {
    // A subnormal half (or zero) is m · 2⁻²⁴: a normal float32, exact.
    bits = sign | bitcast<u32>(f32(m) * 5.9604644775390625e-8);
  } else if (e == 31u) {
    bits = sign | 0x7f800000u | (m << 13u);
  } else {
    bits = sign | ((e + 112u) << 23u) | (m << 13u);
  }
  out[k] = bitcast<f32>(bits);`)}`;

const NARROW = `@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

// The half nearest x (ties to even), as bits.
fn half_bits(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let sign = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u; }
  // 65520 and above round to infinity.
  if (a >= 0x477ff000u) { return sign | 0x7c00u; }
  if (a < 0x38800000u) {
    // Below 2⁻¹⁴: a subnormal half, m · 2⁻²⁴; at most 2⁻²⁵ rounds to 0.
    if (a <= 0x33000000u) { return sign; }
    let shift = 126u - (a >> 23u);
    let m = (a & 0x7fffffu) | 0x800000u;
    let q = m >> shift;
    let r = m & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    return sign | select(q, q + 1u, r > half || (r == half && (q & 1u) == 1u));
  }
  // Rebias the exponent (127 → 15) and round off 13 mantissa bits; a carry moves into the exponent.
  let q = (a - (112u << 23u)) >> 13u;
  let r = a & 0x1fffu;
  return sign | select(q, q + 1u, r > 0x1000u || (r == 0x1000u && (q & 1u) == 1u));
}
${gridEntry(`  let n = params[1];
  let lo = half_bits(x[2 * k]);
  let hi = select(0u, half_bits(x[min(2 * k + 1, n - 1)]), 2 * k + 1 < n);
  out[k] = lo | (hi << 16u);`)}`;

/** The GPU's float16 conversions, for `computeHalvesInFloat32`. */
export function gpuHalves(buffers: GPUBuffers, dispatcher: Dispatcher): HalfConversions {
  /** Writes `source` (float32, `n` elements) rounded to halves into `target`'s words. */
  const narrowInto = (source: GPUData, target: GPUData): void => {
    const n = source.length;
    const words = Math.ceil(n / 2);
    if (words === 0) return;
    const pipeline = dispatcher.pipeline("float16.narrow", () => NARROW);
    dispatcher.run("float16.narrow", pipeline, new Int32Array([words, n]), [target.buffer, source.buffer], Math.ceil(words / WORKGROUP_SIZE));
  };
  return {
    widen: (v: View): View => {
      const halves = v.storage as GPUData;
      const out = buffers.allocate("float32", halves.length, "float16.widen");
      if (halves.length > 0) {
        const pipeline = dispatcher.pipeline("float16.widen", () => WIDEN);
        dispatcher.run("float16.widen", pipeline, new Int32Array([halves.length]), [out.buffer, halves.buffer], Math.ceil(halves.length / WORKGROUP_SIZE));
      }
      return { storage: out, dtype: "float32", shape: v.shape, strides: v.strides, offset: v.offset };
    },
    narrow: (buffer) => {
      const source = buffer as GPUData;
      const out = buffers.allocate("float16", source.length, "float16.narrow");
      narrowInto(source, out);
      return out;
    },
    narrowInto: (buffer, into) => narrowInto(buffer as GPUData, into as GPUData),
    isFloat32: (buffer): buffer is GPUData =>
      typeof buffer === "object" && buffer !== null && !ArrayBuffer.isView(buffer) && (buffer as GPUData).dtype === "float32" && "slot" in buffer,
    discard: (buffer) => buffers.free(buffer as GPUData),
    copiesBits: false,
  };
}
