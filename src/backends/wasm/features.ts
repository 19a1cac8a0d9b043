/**
 * What this engine's WebAssembly can do, probed once with tiny modules: SIMD128 (the wasm backend
 * needs it) and relaxed SIMD (fused multiply-add, twice the arithmetic peak). Node 20's V8 has relaxed
 * SIMD behind `--experimental-wasm-relaxed-simd`; we turn that flag on through `v8.setFlagsFromString`
 * before compiling our modules, unless the environment says `ADJOINT_RELAXED_SIMD=0`. The flag only
 * lets modules that use those instructions compile; it changes nothing else in the process.
 */
import { wasm } from "./api.js";

/** A module of one function `(result v128)` with `body` (no locals). */
function probe(body: readonly number[]): number[] {
  const code = [0, ...body, 0x0b];
  return [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 10, code.length + 2, 1, code.length, ...code];
}
// f32x4.splat(0), then f32x4.relaxed_madd of three of them.
const SPLAT = [0x43, 0, 0, 0, 0, 0xfd, 0x13];
const SIMD_PROBE = probe(SPLAT);
const RELAXED_PROBE = probe([...SPLAT, ...SPLAT, ...SPLAT, 0xfd, 0x85, 0x02]);

/**
 * Whether `bytes` compile here. Compiled, not only validated: a page whose Content-Security-Policy
 * lacks 'wasm-unsafe-eval' validates any module and compiles none, and there the backend must be
 * unavailable rather than fail at its first kernel.
 */
function compiles(bytes: readonly number[]): boolean {
  try {
    return wasm !== undefined && new wasm.Module(new Uint8Array(bytes)) !== undefined;
  } catch {
    return false;
  }
}

interface NodeProcess {
  readonly versions?: { readonly node?: string };
  readonly env?: Record<string, string | undefined>;
}

const nodeProcess = (globalThis as { process?: NodeProcess }).process;
const isNode = typeof nodeProcess?.versions?.node === "string";

async function probeRelaxed(): Promise<boolean> {
  if (compiles(RELAXED_PROBE)) return true;
  if (!isNode || nodeProcess?.env?.ADJOINT_RELAXED_SIMD === "0") return false;
  try {
    const v8 = await import("node:v8");
    v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    return false;
  }
  return compiles(RELAXED_PROBE);
}

/** WebAssembly with SIMD128 is available (the wasm backend's requirement). */
export const simdAvailable: boolean = compiles(SIMD_PROBE);

/** Relaxed SIMD (FMA) is available, possibly after turning on V8's flag in Node. */
export const relaxedSimdAvailable: boolean = simdAvailable && nodeProcess?.env?.ADJOINT_RELAXED_SIMD !== "0" && (await probeRelaxed());
