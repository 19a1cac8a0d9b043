/**
 * The machine line of the tensor report, and the arithmetic peak the matmul rows are measured against:
 *
 *   SIMD128 f32 peak per thread = 4 lanes × 2 flops per FMA × FMA pipes × clock,
 *
 * with 2 FMA pipes assumed (as on recent x86 server cores) and the clock that /proc/cpuinfo reports as
 * `cpu MHz`. Both are assumptions, not measurements: turbo, the hypervisor's reporting and frequency
 * offsets under vector load move the true peak. It counts FMAs: a kernel without relaxed SIMD has no
 * wasm FMA instruction, and its own bound is half of this.
 */
import { wasm } from "../../src/backends/wasm/api.js";
import { relaxedSimdAvailable, simdAvailable } from "../../src/backends/wasm/features.js";
import { cpuInfo } from "../harness.js";

export const FMA_PIPES = 2;

export interface Machine {
  readonly line: string;
  /** GFLOPS per thread, null when the clock is unknown. */
  readonly peakGflops: number | null;
}

// jax-js probes for relaxed SIMD with exactly this module (its src/backend/wasm/featureProbe.ts).
const JAX_RELAXED_PROBE = "0061736d0100000001080160037b7b7b017b030201000a0d010b00200020012002fd85020b";

function validatesHex(hex: string): boolean {
  try {
    return wasm !== undefined && wasm.validate(Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)));
  } catch {
    return false;
  }
}

export function machine(): Machine {
  const cpu = cpuInfo();
  const peakGflops = cpu.mhz === null ? null : (4 * 2 * FMA_PIPES * cpu.mhz) / 1000;
  const clock = cpu.mhz === null ? "clock unknown" : `${(cpu.mhz / 1000).toFixed(2)} GHz (cpu MHz in /proc/cpuinfo)`;
  const peak =
    peakGflops === null
      ? "SIMD128 f32 peak unknown (no clock)"
      : `SIMD128 f32 peak ${peakGflops.toFixed(1)} GFLOPS per thread = 4 lanes × 2 (FMA) × ${FMA_PIPES} FMA pipes (assumed) × clock`;
  const relaxed = relaxedSimdAvailable ? "on" : "off";
  const line =
    `${cpu.model}, ${cpu.logicalCores} logical cores, ${clock}; Node ${process.version}, V8 ${process.versions.v8}, ${process.platform}/${process.arch}. ` +
    `${peak}. WebAssembly SIMD128 ${simdAvailable ? "yes" : "no"}; relaxed SIMD (FMA) ${relaxed} — adjoint turns on V8's flag for it at load, ` +
    `so every library here runs in the same engine (jax-js's own relaxed-SIMD probe module: ${validatesHex(JAX_RELAXED_PROBE) ? "validates" : "does not validate"}).`;
  return { line, peakGflops };
}
