/**
 * The wasm backend's one module and its memory. The kernels are generated (./gemm.ts,
 * ./elementwiseKernels.ts, ./reduceKernels.ts), compiled and instantiated on first use; the memory
 * is a scratch area the drivers pack operands into, grown on demand and reused by every call (a
 * kernel call owns it from start to end: calls do not overlap). The memory is shared where the
 * platform allows, so worker threads (pool.ts) run the same module on it, each over its own part
 * of the output.
 *
 * Wasm memory can only grow, so the memory stays at the largest size any call needed (its high-water
 * mark: about 5 × n² × 4 bytes after an n × n float32 product, 83 MB at n = 2048) until
 * `trimMemory()` drops it and the workers that share it; the next call starts a fresh one (the
 * compiled module is kept).
 *
 * Below the scratch area sits the arena of resident storage (./resident.ts): typed arrays the jit
 * keeps its compiled programs' buffers in, which the drivers read and write in place; the scratch
 * area starts above it (`arena.scratchBase`).
 */
import type { DType, Storage } from "../dtype.js";
import { wasm, type WasmApi, type WasmMemory } from "./api.js";
import { emitElementwise } from "./elementwiseKernels.js";
import { ModuleBuilder, Val } from "./encoder.js";
import { relaxedSimdAvailable, simdAvailable } from "./features.js";
import { emitGemm, type GemmShape } from "./gemm.js";
import { emitOuter } from "./outerKernel.js";
import { emitPack } from "./pack.js";
import { abandoned, stopThreads, type PoolTarget } from "./pool.js";
import { emitReductions } from "./reduceKernels.js";
import { Arena } from "./resident.js";

const PAGE = 65536;
const INITIAL_PAGES = 16;
const MAX_PAGES = 32768;
/** Kernel addresses are compared as signed i32: stay below 2 GiB. */
const MAX_BYTES = MAX_PAGES * PAGE - PAGE;

/** Register tiles per dtype: 4 × 8 f32 (8 accumulators) and 4 × 4 f64 — both fit x64's 16 SIMD registers. */
export const GEMM_F32: Omit<GemmShape, "relaxed"> = { type: Val.f32, mr: 4, nr: 8 };
export const GEMM_F64: Omit<GemmShape, "relaxed"> = { type: Val.f64, mr: 4, nr: 4 };

type GemmFn = (k: number, ap: number, bp: number, cp: number, ldcBytes: number, i0: number, i1: number, j0: number, j1: number) => void;
/** pack(src, sD, sK, D, k, dst, q0, q1, full): see pack.ts. */
export type PackFn = (src: number, sD: number, sK: number, D: number, k: number, dst: number, q0: number, q1: number, full: number) => void;
/** An elementwise or reduction kernel: byte addresses and counts in, a flag (or nothing) out. */
export type KernelFn = (...args: number[]) => number;

export interface Kernels {
  readonly gemmF32: GemmFn;
  readonly gemmF64: GemmFn;
  /** Packing into panels of 4 (A's rows) and NR (B's columns) values, per dtype. */
  readonly packF32x4: PackFn;
  readonly packF32x8: PackFn;
  readonly packF64x4: PackFn;
  /** Whether the kernels use relaxed SIMD's fused multiply-add. */
  readonly relaxed: boolean;
}

/**
 * Threads need a shared memory: always in Node; in a browser only on a cross-origin-isolated page
 * (elsewhere SharedArrayBuffer is missing and the kernels run on the calling thread).
 */
const canShare = typeof SharedArrayBuffer === "function" && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;

export class WasmRuntime {
  readonly memory: WasmMemory;
  readonly kernels: Kernels;
  /** What the worker pool instantiates (undefined when the memory cannot be shared). */
  readonly poolTarget: PoolTarget | undefined;
  /** The elementwise and reduction kernels by name (their drivers know the names and signatures). */
  readonly named: Readonly<Record<string, KernelFn | undefined>>;
  /** Resident storage at the low end of the memory (./resident.ts); the scratch area starts above it. */
  readonly arena = new Arena();

  constructor(api: WasmApi, module: object, relaxed: boolean) {
    this.memory = new api.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: canShare });
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    const e = instance.exports as unknown as Omit<Kernels, "relaxed">;
    this.kernels = { gemmF32: e.gemmF32, gemmF64: e.gemmF64, packF32x4: e.packF32x4, packF32x8: e.packF32x8, packF64x4: e.packF64x4, relaxed };
    this.named = instance.exports as Record<string, KernelFn | undefined>;
    // Workers may run any exported kernel, named by its index in this list (pool.ts).
    const names = Object.keys(instance.exports).filter((k) => typeof instance.exports[k] === "function");
    this.poolTarget = canShare ? { module, memory: this.memory, names } : undefined;
  }

  /**
   * Compiles a module built by `moduleBuilder()` (a jit program's fused kernel, ./fused.ts) and
   * instantiates it on this runtime's memory: its functions by name. The workers run it only once
   * its bytes are attached to the pool too (pool.ts `attach`).
   */
  attach(bytes: Uint8Array): Readonly<Record<string, KernelFn | undefined>> {
    const api = wasm as WasmApi;
    return new api.Instance(new api.Module(bytes), { env: { memory: this.memory } }).exports as Record<string, KernelFn | undefined>;
  }

  /**
   * Makes the memory at least `bytes` long (views taken before must be taken again); false when it
   * cannot grow that far (addresses are i32: at most 2 GiB), and the caller uses the reference kernel.
   */
  reserve(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    if (bytes > MAX_BYTES) return false;
    try {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * A zeroed float storage of n elements inside the wasm memory, which this backend's kernels read and
 * write in place (./resident.ts), or undefined where it cannot make one. Only between kernel calls.
 */
export function residentStorage(dtype: DType, n: number): Storage | undefined {
  const rt = wasmRuntime();
  return rt?.arena.make(rt, dtype, n, canShare);
}

/** Whether `storage` lives in the current wasm memory (one made before `trimMemory` does not). */
export function isResidentStorage(storage: Storage): boolean {
  return runtime?.arena.addressOf(storage) !== undefined;
}

/** Bytes the drivers have copied from JS memory into the wasm memory since the runtime started. */
export function copiedIntoWasm(): number {
  return runtime?.arena.copied ?? 0;
}

/** A builder of a module that imports the runtime's memory (as every module of this backend does). */
export function moduleBuilder(): ModuleBuilder {
  return new ModuleBuilder({ initialPages: 1, maximumPages: MAX_PAGES, shared: canShare });
}

/** The kernels' module (with relaxed SIMD's FMA where the engine has it). */
function compile(api: WasmApi, relaxed: boolean): object {
  const builder = moduleBuilder();
  emitGemm(builder, "gemmF32", { ...GEMM_F32, relaxed });
  emitGemm(builder, "gemmF64", { ...GEMM_F64, relaxed });
  emitPack(builder, "packF32x4", Val.f32, 4);
  emitPack(builder, "packF32x8", Val.f32, 8);
  emitPack(builder, "packF64x4", Val.f64, 4);
  emitOuter(builder, "outerF32", Val.f32);
  emitOuter(builder, "outerF64", Val.f64);
  emitElementwise(builder);
  emitReductions(builder);
  return new api.Module(builder.encode());
}

let module: object | undefined;
let runtime: WasmRuntime | undefined;

/**
 * The process's wasm runtime, compiled on first use; undefined where WebAssembly SIMD is not
 * available. A runtime whose pool gave up on a worker inside a kernel (pool.ts) is replaced.
 */
export function wasmRuntime(): WasmRuntime | undefined {
  if (runtime?.poolTarget !== undefined && abandoned(runtime.poolTarget)) trimMemory();
  if (runtime === undefined && wasm !== undefined && simdAvailable) {
    module ??= compile(wasm, relaxedSimdAvailable);
    runtime = new WasmRuntime(wasm, module, relaxedSimdAvailable);
  }
  return runtime;
}

/**
 * Gives the wasm backend's memory back: drops the scratch memory (which stays at the largest size
 * any call needed) and stops the worker threads that share it; the next call starts a fresh memory
 * of 1 MiB and its workers. Returns the bytes dropped (0 when there was none). Safe at any time
 * between calls: a kernel call never outlives the op that made it, and every result is a copy. The
 * resident buffers of jitted programs stay valid (the kernels then copy them as JS memory) and keep
 * the old memory alive until they are collected.
 */
export function trimMemory(): number {
  const bytes = runtime?.memory.buffer.byteLength ?? 0;
  stopThreads();
  runtime = undefined;
  return bytes;
}
