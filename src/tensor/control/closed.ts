/**
 * What the control-flow primitives share. A user's function (a loop body, a branch) is traced once
 * into a `Program` whose captured tensors (weights in its closure, lifted numbers) become leading
 * inputs, so they are operands of the primitive: differentiated, batched and traced like any other
 * input (JAX's closure conversion). A primitive gives one tensor, so the several outputs of a loop
 * (carries, stacked ys, a trip count) are packed into one flat tensor and unpacked by the caller.
 */
import { AdError } from "../../errors.js";
import type { Device } from "../../backends/device.js";
import { noGrad } from "../autograd/mode.js";
import { asideTangentLevels } from "../autograd/forward.js";
import { jvp, vjp } from "../autograd/transforms.js";
import { asideBatchLevels } from "../interpreters/batch.js";
import { allocate, isFloat, type DType } from "../dtype.js";
import { Program } from "../ir.js";
import type { AbstractValue } from "../primitive.js";
import { cast } from "../primitives/cast.js";
import { concat } from "../primitives/join.js";
import { zerosLike } from "../primitives/lift.js";
import { reshape, slice } from "../primitives/shape.js";
import { contiguousStrides, formatShape, sameShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { trace } from "../tracing.js";

/** A traced function with its captured tensors as leading inputs: run it as `program.evaluate(...consts, ...inputs)`. */
export interface Closed {
  readonly program: Program;
  readonly consts: readonly Tensor[];
}

/** A value of no storage with this type on this device: what a sub-program is traced on. */
export function blank(type: AbstractValue, device: Device): Tensor {
  return new Tensor(allocate(type.dtype, 0), type.dtype, [...type.shape], contiguousStrides(type.shape), 0, device);
}

/**
 * Traces `f` (flat tensors in, flat tensors out) on values of `types`, on its own: outside every
 * jvp and vmap level and with recording off, so a captured tensor is a constant of the trace (lifted
 * to an input here), whatever interpreter the caller runs under.
 */
export function close(f: (...xs: Tensor[]) => readonly Tensor[], types: readonly AbstractValue[], device: Device): Closed {
  const traced = asideBatchLevels(() => asideTangentLevels(() => noGrad(() => trace((...xs: Tensor[]) => [...f(...xs)])(...types.map((t) => blank(t, device))))));
  const program = new Program([...traced.constants.map((c) => c.variable), ...traced.inputs], [], traced.equations, traced.outputs, (leaves) => leaves);
  return { program, consts: traced.constants.map((c) => c.value) };
}

/** Runs a closed program's program on its consts and inputs, giving its flat outputs. */
export function run(program: Program, inputs: readonly Tensor[]): Tensor[] {
  return program.evaluate(...inputs) as Tensor[];
}

/**
 * That a loop's carry keeps its type from one iteration to the next: `ShapeMismatch` or
 * `DTypeMismatch` naming the op, the leaf and both types otherwise.
 */
export function expectSameTypes(op: string, what: string, before: readonly AbstractValue[], after: readonly AbstractValue[]): void {
  if (before.length !== after.length) {
    throw new AdError("ShapeMismatch", `${what} has ${after.length} tensors where it had ${before.length}`, { op, counts: [before.length, after.length] });
  }
  before.forEach((b, i) => {
    const a = after[i];
    if (!sameShape(a.shape, b.shape))
      throw new AdError("ShapeMismatch", `${what}: tensor ${i} changes shape from ${formatShape(b.shape)} to ${formatShape(a.shape)}`, {
        op,
        index: i,
        shapes: [[...b.shape], [...a.shape]],
      });
    if (a.dtype !== b.dtype) throw new AdError("DTypeMismatch", `${what}: tensor ${i} changes dtype from ${b.dtype} to ${a.dtype}`, { op, index: i, dtypes: [b.dtype, a.dtype] });
  });
}

/**
 * A predicate's or index's value, read on the host to decide the next step: a device that reads only
 * asynchronously (a GPU) cannot drive the loop or branch synchronously, which is an `UnsupportedOp`.
 */
export function readScalar(op: string, t: Tensor): number {
  if (t.device.readSync === undefined) {
    throw new AdError("UnsupportedOp", `${op} reads its predicate on the host to decide, and the ${t.device.name} device reads only asynchronously; run it on the host device`, {
      op,
      device: t.device.name,
    });
  }
  return t.item();
}

// ── Packing several outputs into one tensor ──

const sizeOf = (t: AbstractValue): number => t.shape.reduce((a, b) => a * b, 1);

/** One dtype for all: theirs where they agree, else float64 (which holds int32, bool and float32 exactly). */
export function packDType(types: readonly AbstractValue[]): DType {
  const first = types[0]?.dtype ?? "float32";
  return types.every((t) => t.dtype === first) ? first : "float64";
}

export function packedType(types: readonly AbstractValue[]): AbstractValue {
  return { shape: [types.reduce((n, t) => n + sizeOf(t), 0)], dtype: packDType(types) };
}

export function pack(leaves: readonly Tensor[], dtype: DType, device: Device): Tensor {
  if (leaves.length === 0) return blankZeros(dtype, device);
  const flat = leaves.map((x) => reshape(x.dtype === dtype ? x : cast(x, dtype), [x.size]));
  return flat.length === 1 ? flat[0] : concat(flat, 0);
}

/** An empty tensor (a loop with nothing to give back still gives one tensor). */
function blankZeros(dtype: DType, device: Device): Tensor {
  return new Tensor(allocate(dtype, 0), dtype, [0], [1], 0, device);
}

export function unpack(packed: Tensor, types: readonly AbstractValue[]): Tensor[] {
  let at = 0;
  return types.map((t) => {
    const n = sizeOf(t);
    // A single output is the whole packed tensor: no slice to take.
    const part = reshape(n === packed.size ? packed : slice(packed, [[at, at + n]]), t.shape);
    at += n;
    return part.dtype === t.dtype ? part : cast(part, t.dtype);
  });
}

// ── Derivatives of a program, written with the transforms (so they nest) ──

export const floatIndices = (xs: readonly AbstractValue[]): number[] => xs.flatMap((x, i) => (isFloat(x.dtype) ? [i] : []));
export const onlyFloat = <T extends AbstractValue>(xs: readonly T[]): T[] => floatIndices(xs).map((k) => xs[k]);
/** Plain copies of the types of tensors (or variables): what a sub-program is traced on. */
export const typesOf = (xs: readonly AbstractValue[]): AbstractValue[] => xs.map((x) => ({ shape: [...x.shape], dtype: x.dtype }));

/**
 * The program's outputs at `inputs` and the tangents of its float outputs along `tangents` (one per
 * float input, in order).
 */
export function pushforward(program: Program, inputs: readonly Tensor[], tangents: readonly Tensor[]): { outputs: Tensor[]; tangents: Tensor[] } {
  const at = floatIndices(inputs);
  if (at.length === 0) return { outputs: run(program, inputs), tangents: [] };
  const g = (floats: readonly Tensor[]): Tensor[] => {
    const all = [...inputs];
    at.forEach((k, i) => (all[k] = floats[i]));
    return run(program, all);
  };
  const [outputs, touts] = jvp(g as (...args: never[]) => Tensor[], [at.map((k) => inputs[k])], [[...tangents]]);
  return { outputs, tangents: floatIndices(outputs).map((k) => (isFloat(touts[k].dtype) ? touts[k] : zerosLike(outputs[k]))) };
}

/**
 * The cotangents of the program's float inputs, pulled back from `cotangents` (one per float output)
 * at `inputs`; zeros where an input does not reach an output.
 */
export function pullback(program: Program, inputs: readonly Tensor[], cotangents: readonly Tensor[]): Tensor[] {
  const at = floatIndices(inputs);
  if (at.length === 0) return [];
  const g = (floats: readonly Tensor[]): Tensor[] => {
    const all = [...inputs];
    at.forEach((k, i) => (all[k] = floats[i]));
    const outs = run(program, all);
    return floatIndices(outs).map((k) => outs[k]);
  };
  const [outs, pull] = vjp(
    g as (...args: never[]) => Tensor[],
    at.map((k) => inputs[k]),
  );
  if (outs.length === 0) return at.map((k) => zerosLike(inputs[k]));
  return pull([...cotangents])[0] as Tensor[];
}
