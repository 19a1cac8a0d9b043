/**
 * The description of a fused elementwise group that the jit's fusion pass (src/jit/passes/fuse.ts)
 * hands a backend, so a backend can compile the group to its own code: ONE loop over `shape` that
 * reads each input once per element, computes every op in registers and writes only the last op's
 * result (or, with `sum`, adds the results up and writes the total). A backend that offers
 * `Backend.compileFused` returns a kernel for the programs it can run and undefined for the rest;
 * the jit then generates its JS loop (the fallback every host backend has).
 */
import type { DeviceBuffer } from "./buffer.js";
import type { DType, Storage } from "./dtype.js";
import type { BinaryOp, UnaryOp } from "./ops.js";
import type { Shape } from "./shape.js";
import type { View } from "./view.js";

/** An operand of a fused op: input `j` of the kernel, or the result of op `k` before it. */
export type FusedOperand = { readonly input: number } | { readonly op: number };

export interface FusedProgramOp {
  /** The op's name in the expression table (expressions.ts); `where`, `convert` and `toBool` too. */
  readonly name: UnaryOp | BinaryOp | "where" | "convert" | "toBool";
  readonly args: readonly FusedOperand[];
  /** The dtype the op's result is stored in (so rounded to). */
  readonly dtype: DType;
}

/**
 * An input read through a window of the loop (the jit's absorbed unslice): inside the box `start` …
 * `start + size` it is read at the position relative to `start` (its view's shape is `size`),
 * elsewhere it is 0.
 */
export interface FusedWindow {
  readonly start: readonly number[];
  readonly size: readonly number[];
}

export interface FusedProgram {
  readonly ops: readonly FusedProgramOp[];
  /** How many inputs the kernel reads. */
  readonly inputs: number;
  /** The loop's shape (rank ≥ 1): the last op's output shape. */
  readonly shape: Shape;
  /** Whether the last op's values are summed into one element instead of stored. */
  readonly sum: boolean;
  /**
   * With `sum`, the loop axes summed where they are not all (one total per kept position, row-major):
   * only in the programs given to a device's `compileDeviceFused`; the host's sum every axis.
   */
  readonly sumAxes?: readonly number[];
  /** Per input, its window if it has one. */
  readonly windows: readonly (FusedWindow | undefined)[];
}

/**
 * A compiled group: writes the program's result into `out` (the last op's dtype, row-major, or its
 * sum in element 0) from `inputs`, views whose strides are already broadcast to the program's shape
 * (0 along a broadcast axis). Returns false, having written nothing the caller may use, when this
 * call's data falls outside what the code computes exactly enough (the caller then runs the JS loop).
 */
export type FusedKernel = (inputs: readonly View[], out: Storage) => boolean;

/**
 * A compiled group on a device other than the host (a GPU): from `inputs` (broadcast as for a
 * `FusedKernel`) into a fresh buffer of that device, like every device kernel; never declines a call.
 */
export type DeviceFusedKernel = (inputs: readonly View[]) => DeviceBuffer;

/**
 * A fused group one of whose inputs (`product`, given to `compileEpilogue`) is the matrix product
 * a·b ([m, k]·[k, n], the group's shape [m, n]), compiled into the product as its epilogue: the
 * group runs over C's rows while they are still in cache and writes the result into `out`; the
 * product is never stored. `inputs` are the group's other inputs (the product's entry is not read),
 * broadcast to [m, n] as for a `FusedKernel`. Returns false, having written nothing the caller may
 * use, for a call it declines (the caller then runs the product and the group apart).
 */
export type EpilogueKernel = (a: View, b: View, inputs: readonly View[], out: Storage) => boolean;
