/**
 * float16 on any backend, computed in float32: a backend's kernels wrapped so that each float16
 * operand is widened to float32 (exactly), the float32 kernel runs, and its float32 result is
 * rounded back to float16 — as PyTorch's CPU half computes most ops. A kernel's result is float16
 * where its `dtype` argument says so or, without one (a result "in the input's dtype"), where an
 * input was float16; other results (indices, bool, an explicit float32) pass through. The device
 * says how to widen and narrow its buffers (host: float16.ts; the GPU: WGSL's unpack2x16float /
 * pack2x16float). Kernels without a float16 operand or result run untouched.
 */
import type { Backend } from "./backend.js";
import { hostStorage, type DeviceBuffer } from "./buffer.js";
import { allocate, DTYPES, type DType } from "./dtype.js";
import { halfValue, narrowToHalves, widenHalves } from "./float16.js";
import { contiguousStrides } from "./shape.js";
import type { View } from "./view.js";

/** How a device converts its float16 buffers (a float16 buffer holds halves; a float32 one floats). */
export interface HalfConversions {
  /** A float16 view's buffer widened: the same shape, strides and offset over a float32 buffer. */
  widen(v: View): View;
  /** A float32 buffer rounded into a new float16 buffer. */
  narrow(buffer: DeviceBuffer): DeviceBuffer;
  /** A float32 buffer rounded into the existing float16 buffer `into` (element for element, in place). */
  narrowInto(buffer: DeviceBuffer, into: DeviceBuffer): void;
  /** Whether a kernel's result is a float32 buffer (what `narrow` takes). */
  isFloat32(buffer: unknown): buffer is DeviceBuffer;
  /** Lets go of a float32 buffer made for one kernel (a widened operand, a result once narrowed): the GPU pools it, the host leaves it to the collector. */
  discard(buffer: DeviceBuffer): void;
  /** Whether the backend's own `copy` moves a float16's bits as they are (a typed array copy does; NaN payloads survive). */
  readonly copiesBits: boolean;
}

function isView(a: unknown): a is View {
  return typeof a === "object" && a !== null && "storage" in a && "strides" in a && "dtype" in a;
}

/**
 * Members that are not kernels over views: compilers of float32/float64 programs (the jit fuses no
 * float16 op), the concurrent products (the jit groups float32/float64 products only), and the
 * resident allocator (it declines float16 itself, so a float16 buffer stays in JS memory).
 */
const NOT_KERNELS = new Set(["compileFused", "compileDeviceFused", "compileEpilogue", "matmulConcurrent", "allocateResident"]);

const isDType = (a: unknown): a is DType => typeof a === "string" && (DTYPES as readonly string[]).includes(a);

/** `backend` with float16 operands and results computed in float32 through `conv`. */
export function computeHalvesInFloat32<B extends Backend>(backend: B, conv: HalfConversions): B {
  const widen = (v: View): View => (v.dtype === "float16" ? conv.widen(v) : v);
  /** Discards the widened copy `wide` of `v`, if it is one. */
  const done = (wide: View, v: View): void => {
    if (wide !== v) conv.discard(wide.storage);
  };
  /** A float32 buffer as float16; the float32 one discarded. */
  const narrow = (buffer: DeviceBuffer): DeviceBuffer => {
    const out = conv.narrow(buffer);
    conv.discard(buffer);
    return out;
  };
  /** The result as float16: a float32 buffer narrowed, a result object's float32 buffers narrowed (a solve's x). */
  const narrowed = (out: unknown): unknown => {
    if (conv.isFloat32(out)) return narrow(out);
    if (typeof out !== "object" || out === null || ArrayBuffer.isView(out)) return out;
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, conv.isFloat32(v) ? narrow(v) : v]));
  };
  /** A row-major float16 copy of any view. */
  const roundedToHalves = (v: View): View => ({
    storage: narrow(backend.unary("convert", v, "float32")),
    dtype: "float16",
    shape: v.shape,
    strides: contiguousStrides(v.shape),
    offset: 0,
  });
  const wrap =
    (kernel: (...args: unknown[]) => unknown) =>
    (...args: unknown[]): unknown => {
      const half = args.some((a) => (isView(a) ? a.dtype === "float16" : Array.isArray(a) && a.some((v) => isView(v) && v.dtype === "float16")));
      const explicit = args.find(isDType);
      if (!half && explicit !== "float16") return kernel(...args);
      const widened: [View, View][] = [];
      const wideOf = (v: View): View => {
        const wide = widen(v);
        widened.push([wide, v]);
        return wide;
      };
      const wide = args.map((a) => {
        if (isView(a)) return wideOf(a);
        if (Array.isArray(a) && a.some(isView)) return a.map((v) => (isView(v) ? wideOf(v) : v));
        return a === "float16" ? "float32" : a;
      });
      const out = kernel(...wide);
      for (const [w, v] of widened) done(w, v);
      return (explicit ?? "float16") === "float16" ? narrowed(out) : out;
    };
  const wrapped = Object.fromEntries(
    Object.entries(backend).map(([name, kernel]) => [name, typeof kernel === "function" && !NOT_KERNELS.has(name) ? wrap(kernel as (...args: unknown[]) => unknown) : kernel]),
  ) as unknown as B;
  return {
    ...wrapped,
    ...(conv.copiesBits ? { copy: backend.copy } : {}),
    // The fill value comes as the storage holds it: a float16's bits.
    pad: (x, widths, fill) => {
      if (x.dtype !== "float16") return backend.pad(x, widths, fill);
      const wide = widen(x);
      const out = narrow(backend.pad(wide, widths, halfValue(fill)));
      done(wide, x);
      return out;
    },
    copyInto: (target, source) => {
      if (target.dtype !== "float16") {
        const wide = widen(source);
        backend.copyInto(target, wide);
        return done(wide, source);
      }
      // Bits into bits, the source rounded to float16 first.
      if (conv.copiesBits) return backend.copyInto(target, source.dtype === "float16" ? source : roundedToHalves(source));
      // In place: the float16 target is widened, written, and rounded back into its own buffer.
      const [wideTarget, wideSource] = [widen(target), widen(source)];
      backend.copyInto(wideTarget, wideSource);
      conv.narrowInto(wideTarget.storage, target.storage);
      done(wideTarget, target);
      done(wideSource, source);
    },
  };
}

/** The host's conversions: a float16 storage is the halves' bits (float16.ts). */
export const hostHalves: HalfConversions = {
  widen: (v) => ({ storage: widenHalves(hostStorage(v, "float16") as Uint16Array), dtype: "float32", shape: v.shape, strides: v.strides, offset: v.offset }),
  narrow: (buffer) => narrowToHalves(buffer as Float32Array, allocate("float16", (buffer as Float32Array).length)),
  narrowInto: (buffer, into) => void narrowToHalves(buffer as Float32Array, into as Uint16Array),
  isFloat32: (buffer): buffer is DeviceBuffer => buffer instanceof Float32Array,
  discard: () => {},
  copiesBits: true,
};
