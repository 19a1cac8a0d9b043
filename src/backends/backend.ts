/**
 * Backend selection: which kernels the primitives run. `"cpu"` is the reference (plain typed-array
 * loops, always there); `"wasm"` runs the hot kernels (matmul, the common elementwise ops and
 * reductions) as generated WebAssembly SIMD, falling back to the reference for what it does not
 * cover (each wasm kernel declines what it has no kernel for, and the reference runs it: the
 * chain is written per kernel in `BACKENDS` below). The default is the fastest available:
 * `"wasm"` where the engine has WebAssembly SIMD, unless `ADJOINT_BACKEND=cpu` is set. The choice is
 * one visible setting (`setBackend` / `getBackend`), not hidden state: results agree between backends
 * to rounding (the tests hold every wasm kernel to the reference).
 */
import { AdError, describe } from "../errors.js";
import type { DeviceBuffer } from "./buffer.js";
import type { DType, Storage } from "./dtype.js";
import type { DeviceFusedKernel, EpilogueKernel, FusedKernel, FusedProgram } from "./fused.js";
import type { Pair, WindowGeometry } from "./geometry.js";
import type { SolveResult, TriangularSolveOptions } from "./linalg.js";
import { computeHalvesInFloat32, hostHalves } from "./halves.js";
import type { Shape } from "./shape.js";
import type { View } from "./view.js";
import * as cpuElementwise from "./cpu/kernels/elementwise.js";
import * as cpuConv from "./cpu/kernels/conv.js";
import * as cpuGather from "./cpu/kernels/gather.js";
import * as cpuGroups from "./cpu/kernels/groups.js";
import * as cpuSort from "./cpu/kernels/sort.js";
import * as cpuJoin from "./cpu/kernels/join.js";
import * as cpuLinalg from "./cpu/kernels/linalg.js";
import * as cpuDecompositions from "./cpu/kernels/decompositions.js";
import * as cpuStrided from "./cpu/kernels/strided.js";
import { threefry2x32 } from "./cpu/kernels/threefry.js";
import { matmul as cpuMatmul } from "./cpu/kernels/matmul.js";
import { reduce as cpuReduce } from "./cpu/kernels/reduce.js";
import type { BinaryOp, ReduceOp, UnaryOp } from "./ops.js";
import * as wasmConv from "./wasm/conv.js";
import { binary as wasmBinary, unary as wasmUnary } from "./wasm/elementwise.js";
import { compileFused as wasmCompileFused } from "./wasm/fused.js";
import { compileEpilogue as wasmCompileEpilogue } from "./wasm/epilogue.js";
import { simdAvailable } from "./wasm/features.js";
import { matmul as wasmMatmul } from "./wasm/matmul.js";
import { eigh as wasmEigh } from "./wasm/eigh.js";
import { matmulConcurrent as wasmMatmulConcurrent } from "./wasm/products.js";
import * as wasmLinalg from "./wasm/linalg.js";
import { qr as wasmQr } from "./wasm/qr.js";
import { svd as wasmSvd } from "./wasm/svd.js";
import { reduce as wasmReduce } from "./wasm/reduce.js";
import { isResidentStorage, residentStorage } from "./wasm/runtime.js";

export { getThreads, setThreads, stopThreads } from "./wasm/pool.js";
export { trimMemory } from "./wasm/runtime.js";

export type BackendName = "cpu" | "wasm";

/** A host kernel's signature with a buffer of any device in and out (what another device implements). */
type OnDevice<F> = F extends (...args: infer A) => Storage ? (...args: A) => DeviceBuffer : never;

/**
 * The kernels a backend provides (the primitives call these). Each takes views of its device's
 * buffers and returns a fresh buffer of that device (a typed array on the host, a GPU buffer's handle
 * on a GPU); a kernel a device lacks throws, and `bind` reports it as `UnsupportedOp`.
 */
export interface Backend {
  /** "cpu" or "wasm" for the host's, a device's own name otherwise. */
  readonly name: string;
  /** [...batchA, m, k] · [...batchB, k, n] into a new row-major [...batch, m, n] in `dtype` (a's by default). */
  matmul(a: View, b: View, batch: Shape, dtype?: DType): DeviceBuffer;
  conv2d: OnDevice<typeof cpuConv.conv2d>;
  conv2dInputGrad: OnDevice<typeof cpuConv.conv2dInputGrad>;
  conv2dWeightGrad: OnDevice<typeof cpuConv.conv2dWeightGrad>;
  gather: OnDevice<typeof cpuGather.gather>;
  scatterAdd: OnDevice<typeof cpuGather.scatterAdd>;
  oneHot: OnDevice<typeof cpuGather.oneHot>;
  cumsum: OnDevice<typeof cpuGroups.cumsum>;
  tieShare: OnDevice<typeof cpuGroups.tieShare>;
  prodOthers: OnDevice<typeof cpuGroups.prodOthers>;
  argExtreme: OnDevice<typeof cpuGroups.argExtreme>;
  /** The stable sorting permutation along an axis, int32 (cpu/kernels/sort.ts). */
  argsort: OnDevice<typeof cpuSort.argsort>;
  /** The index of each position's running max (min) along an axis, int32. */
  cumArgExtreme: OnDevice<typeof cpuSort.cumArgExtreme>;
  /** Insertion points of values in the rows of a sorted tensor, by binary search, int32. */
  searchsorted: OnDevice<typeof cpuSort.searchsorted>;
  concat: OnDevice<typeof cpuJoin.concat>;
  pad: OnDevice<typeof cpuJoin.pad>;
  /** The flat index (ih · W + iw) of each window's first maximum, −1 for a window of padding only: int32 [N, C, outH, outW]. */
  maxPool2dArgmax: OnDevice<typeof cpuConv.maxPool2dArgmax>;
  gatherPlanes: OnDevice<typeof cpuConv.gatherPlanes>;
  /** The adjoint of `gatherPlanes`; the window (kernel, geometry) lets a device gather instead of scatter. */
  scatterPlanes(g: View, argmax: DeviceBuffer, inH: number, inW: number, kernel: Pair, geo: WindowGeometry): DeviceBuffer;
  /** op over `axes` (normalised, sorted) into a new row-major buffer of the kept axes, in `dtype` (x's by default). */
  reduce(op: ReduceOp, x: View, axes: readonly number[], keepDims: boolean, dtype?: DType): DeviceBuffer;
  // The expressions (expressions.ts): every op of the table, on any views; a fresh row-major buffer.
  /** The unary `op` of x elementwise, stored as `dtype`. */
  unary(op: UnaryOp, x: View, dtype: DType): DeviceBuffer;
  /** The binary `op` of a and b broadcast to `shape` (the caller's broadcast of theirs), stored as `dtype`. */
  binary(op: BinaryOp, a: View, b: View, shape: Shape, dtype: DType): DeviceBuffer;
  /** cond ? a : b elementwise (cond "≠ 0"), all three broadcast to `shape`, in a's dtype. */
  where(cond: View, a: View, b: View, shape: Shape): DeviceBuffer;
  /** A row-major copy of any strided view (contiguous, reading out, moving between devices). */
  copy(v: View): DeviceBuffer;
  /** An in-place strided write of a (broadcast) source into the target's buffer (assign, the slice VJP). */
  copyInto(target: View, source: View): void;
  // Dense linear algebra (cpu/kernels/linalg.ts): square matrices batched over one batch shape; a singular pivot is reported, not thrown.
  /** The lower Cholesky factor of each matrix's lower triangle. */
  cholesky: typeof cpuLinalg.cholesky;
  /** Packed LU with partial pivoting and the row permutation. */
  lu: typeof cpuLinalg.lu;
  /** X with op(A)·X = B, A triangular. */
  triangularSolve(a: View, b: View, options: TriangularSolveOptions): SolveResult<DeviceBuffer>;
  /** Q of Householder QR (LAPACK's signs), reduced or complete (cpu/kernels/decompositions.ts). */
  qr: typeof cpuDecompositions.qr;
  /** Eigenvalues (ascending) and eigenvectors of symmetric matrices, packed [..., n + 1, n]. */
  eigh: typeof cpuDecompositions.eigh;
  /** Thin SVD (m ≥ n) by one-sided Jacobi, packed [..., 1 + m + n, n]: s descending, U, V. */
  svd: typeof cpuDecompositions.svd;
  /** Threefry-2x32 (20 rounds) of int32 [..., 2] counter pairs under [..., 2] key pairs, broadcast to `shape` (cpu/kernels/threefry.ts). */
  threefry2x32: OnDevice<typeof threefry2x32>;
  /**
   * Optional: the jit's fused elementwise group (fused.ts) compiled to this backend's own code, or
   * undefined for a group it cannot run, which the jit then runs as a generated JS loop (so a
   * backend without it, like the reference, loses nothing but speed).
   */
  compileFused?(program: FusedProgram): FusedKernel | undefined;
  /**
   * Optional, for a device whose buffers the host cannot read (a GPU): `compileFused`'s counterpart,
   * a kernel returning a fresh buffer of the device, or undefined for a group it cannot run; the jit
   * then leaves that group's ops unfused (there is no JS loop to fall back to on such a device).
   */
  compileDeviceFused?(program: FusedProgram): DeviceFusedKernel | undefined;
  /**
   * Optional: independent 2-D products [m, k] · [k, n] (one level of a jitted reverse sweep) run side
   * by side on the worker threads, bit-identical to `matmul` one after another (the jit calls
   * `matmul` for each where a backend lacks it).
   */
  matmulConcurrent?(products: readonly (readonly [View, View])[]): DeviceBuffer[];
  /**
   * Optional: the group `program` compiled as the epilogue of the matrix product that is its input
   * `product` (fused.ts `EpilogueKernel`), or undefined; without it the product and the group run
   * apart (the reference runs them so).
   */
  compileEpilogue?(program: FusedProgram, product: number): EpilogueKernel | undefined;
  /**
   * Optional: a zeroed storage that this backend's kernels read and write in place (the wasm
   * backend: inside its memory), or undefined; the jit keeps a compiled program's buffers there so
   * its kernels copy nothing in or out. Called between kernel calls only.
   */
  allocateResident?(dtype: DType, n: number): Storage | undefined;
  /**
   * With `allocateResident`: whether `storage` is one of those in the backend's current memory (the
   * wasm backend's memory is replaced by `trimMemory` or after a worker died inside a kernel; the
   * storages made in the old one are then copied in like JS arrays).
   */
  isResident?(storage: Storage): boolean;
}

/** The host's kernels ("cpu" and "wasm"): their buffers are typed arrays. */
export interface HostBackend extends Backend {
  readonly name: BackendName;
  matmul(a: View, b: View, batch: Shape, dtype?: DType): Storage;
  reduce(op: ReduceOp, x: View, axes: readonly number[], keepDims: boolean, dtype?: DType): Storage;
  unary(op: UnaryOp, x: View, dtype: DType): Storage;
  binary(op: BinaryOp, a: View, b: View, shape: Shape, dtype: DType): Storage;
  where(cond: View, a: View, b: View, shape: Shape): Storage;
  copy(v: View): Storage;
  conv2d: typeof cpuConv.conv2d;
  conv2dInputGrad: typeof cpuConv.conv2dInputGrad;
  conv2dWeightGrad: typeof cpuConv.conv2dWeightGrad;
  maxPool2dArgmax: typeof cpuConv.maxPool2dArgmax;
  gatherPlanes: typeof cpuConv.gatherPlanes;
  scatterPlanes: typeof cpuConv.scatterPlanes;
  cumsum: typeof cpuGroups.cumsum;
  tieShare: typeof cpuGroups.tieShare;
  prodOthers: typeof cpuGroups.prodOthers;
  argExtreme: typeof cpuGroups.argExtreme;
  argsort: typeof cpuSort.argsort;
  cumArgExtreme: typeof cpuSort.cumArgExtreme;
  searchsorted: typeof cpuSort.searchsorted;
  concat: typeof cpuJoin.concat;
  pad: typeof cpuJoin.pad;
  triangularSolve: typeof cpuLinalg.triangularSolve;
  gather: typeof cpuGather.gather;
  scatterAdd: typeof cpuGather.scatterAdd;
  oneHot: typeof cpuGather.oneHot;
  threefry2x32: typeof threefry2x32;
}

// The routines no backend but the reference implements yet: every backend runs the reference's.
const { gather, scatterAdd, oneHot } = cpuGather;
const { cumsum, tieShare, prodOthers, argExtreme } = cpuGroups;
const { argsort, cumArgExtreme, searchsorted } = cpuSort;
const { concat, pad } = cpuJoin;
const { maxPool2dArgmax, gatherPlanes, scatterPlanes } = cpuConv;
const { copy, copyInto } = cpuStrided;
const routines = {
  gather,
  scatterAdd,
  oneHot,
  cumsum,
  tieShare,
  prodOthers,
  argExtreme,
  argsort,
  cumArgExtreme,
  searchsorted,
  concat,
  pad,
  maxPool2dArgmax,
  gatherPlanes,
  scatterPlanes,
  threefry2x32,
};
const linalg = {
  cholesky: cpuLinalg.cholesky,
  lu: cpuLinalg.lu,
  triangularSolve: cpuLinalg.triangularSolve,
  qr: cpuDecompositions.qr,
  eigh: cpuDecompositions.eigh,
  svd: cpuDecompositions.svd,
};

// float16 runs every kernel in float32 and rounds the result back (halves.ts).
const BACKENDS: Record<BackendName, HostBackend> = {
  cpu: computeHalvesInFloat32<HostBackend>(
    {
      name: "cpu",
      matmul: cpuMatmul,
      conv2d: cpuConv.conv2d,
      conv2dInputGrad: cpuConv.conv2dInputGrad,
      conv2dWeightGrad: cpuConv.conv2dWeightGrad,
      ...routines,
      reduce: cpuReduce,
      unary: cpuElementwise.unary,
      binary: cpuElementwise.binary,
      where: cpuElementwise.where,
      copy,
      copyInto,
      ...linalg,
    },
    hostHalves,
  ),
  // Each wasm kernel declines (undefined) what it has no kernel for; the reference runs that.
  wasm: computeHalvesInFloat32<HostBackend>(
    {
      name: "wasm",
      matmul: (a, b, batch, dtype) => wasmMatmul(a, b, batch, dtype) ?? cpuMatmul(a, b, batch, dtype),
      conv2d: (x, w, geo, outH, outW) => wasmConv.conv2d(x, w, geo, outH, outW) ?? cpuConv.conv2d(x, w, geo, outH, outW),
      conv2dInputGrad: (g, w, geo, inH, inW) => wasmConv.conv2dInputGrad(g, w, geo, inH, inW) ?? cpuConv.conv2dInputGrad(g, w, geo, inH, inW),
      conv2dWeightGrad: (x, g, geo, KH, KW) => wasmConv.conv2dWeightGrad(x, g, geo, KH, KW) ?? cpuConv.conv2dWeightGrad(x, g, geo, KH, KW),
      ...routines,
      reduce: (op, x, axes, keepDims, dtype) => wasmReduce(op, x, axes, keepDims, dtype) ?? cpuReduce(op, x, axes, keepDims, dtype),
      unary: (op, x, dtype) => wasmUnary(op, x, dtype) ?? cpuElementwise.unary(op, x, dtype),
      binary: (op, a, b, shape, dtype) => wasmBinary(op, a, b, shape, dtype) ?? cpuElementwise.binary(op, a, b, shape, dtype),
      where: cpuElementwise.where,
      copy,
      copyInto,
      ...linalg,
      compileFused: (program) => wasmCompileFused(program),
      compileEpilogue: (program, product) => wasmCompileEpilogue(program, product),
      allocateResident: (dtype, n) => residentStorage(dtype, n),
      isResident: (storage) => isResidentStorage(storage),
      // Only float32/float64 products are grouped (jit/passes/branches.ts), so no half reaches this.
      matmulConcurrent: (products) =>
        wasmMatmulConcurrent(products).map((c, i) => c ?? wasmMatmul(products[i][0], products[i][1], []) ?? cpuMatmul(products[i][0], products[i][1], [])),
      cholesky: (a) => wasmLinalg.cholesky(a) ?? cpuLinalg.cholesky(a),
      lu: (a) => wasmLinalg.lu(a) ?? cpuLinalg.lu(a),
      qr: (a, complete) => wasmQr(a, complete) ?? cpuDecompositions.qr(a, complete),
      eigh: (a) => wasmEigh(a) ?? cpuDecompositions.eigh(a),
      svd: (a) => wasmSvd(a) ?? cpuDecompositions.svd(a),
    },
    hostHalves,
  ),
};

/** The backends this engine can run, fastest first. */
export function availableBackends(): BackendName[] {
  return simdAvailable ? ["wasm", "cpu"] : ["cpu"];
}

function initialBackend(): BackendName {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.ADJOINT_BACKEND;
  if (env === "cpu" || (env === "wasm" && simdAvailable)) return env;
  return availableBackends()[0];
}

let current = BACKENDS[initialBackend()];

/** Selects the kernels every later op runs with; throws `UnsupportedOp` for one this engine cannot run. */
export function setBackend(name: BackendName): void {
  current = runnable("setBackend", name);
}

/** The named backend's kernels, for `op`: `InvalidArgument` for an unknown name, `UnsupportedOp` for one this engine cannot run. */
function runnable(op: string, name: BackendName): HostBackend {
  if (name !== "cpu" && name !== "wasm") {
    throw new AdError("InvalidArgument", `unknown backend ${describe(name)}; the backends are "cpu" and "wasm"`, { op, got: describe(name) });
  }
  if (!availableBackends().includes(name)) {
    throw new AdError(
      "UnsupportedOp",
      `the ${name} backend needs WebAssembly SIMD, which this engine does not have or may not compile (a Content-Security-Policy without 'wasm-unsafe-eval')`,
      { op, backend: name },
    );
  }
  return BACKENDS[name];
}

/** The name of the backend in use. */
export function getBackend(): BackendName {
  return current.name;
}

/** The kernels of `setBackend`'s choice: the host device's (device.ts reads them at each op). */
export function kernels(): HostBackend {
  return current;
}

/** The kernels of the named backend, whatever `setBackend` chose (a device may reuse or wrap them). */
export function backendKernels(name: BackendName): HostBackend {
  return runnable("backendKernels", name);
}
