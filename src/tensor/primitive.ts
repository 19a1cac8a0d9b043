/**
 * A primitive is defined once with its kernel and its derivative rules; every way of differentiating
 * tensors (backward, grad, vjp, and later jvp and jit) interprets the same definitions. Rules are
 * written with other primitives, so the backward pass can itself be recorded (`createGraph`) and
 * differentiated again.
 *
 * The VJP rule may return a cotangent in the broadcast (output) shape: the engine reduces it to the
 * input's shape, once, for every primitive (`sumTo`), instead of each rule doing it. In the other
 * direction, a broadcasting primitive's JVP rule may return a tangent of a shape that broadcasts to
 * the output's (add's da alone), and the engine expands it; any other tangent whose shape or dtype is
 * not the output's is an AdError naming the primitive, never a silently wrong tangent.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { checkFinite, isAnomalyDetectionEnabled } from "./autograd/anomaly.js";
import { activeLevels, propagateTangents } from "./autograd/forward.js";
import { activeTrace } from "./interpreters/trace.js";
import { batchPrimitive } from "./interpreters/batch.js";
import { isGradEnabled, noGrad } from "./autograd/mode.js";
import { Node } from "./autograd/node.js";
import { allocate, nameAllocation, type DType } from "./dtype.js";
import { contiguousStrides } from "./shape.js";
import { disposedError, Tensor } from "./tensor.js";
import type { Backend } from "../backends/backend.js";
import { host, type Device } from "../backends/device.js";

export interface VjpArgs<P> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly cotangent: Tensor;
  readonly params: P;
  /**
   * Which inputs need a cotangent (those that require a gradient). A rule may return null for the
   * others to skip work: matmul's x·W in a first layer needs no gradient for the data x.
   */
  readonly needs: readonly boolean[];
}

export interface JvpArgs<P> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  /** One tangent per input; null where the input carries none (zero). */
  readonly tangents: readonly (Tensor | null)[];
  readonly params: P;
}

/** What the abstract rule sees of a value: its shape and dtype (a Tensor is one). */
export interface AbstractValue {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface PrimitiveDef<P> {
  /**
   * The output's shape and dtype from the inputs' (no kernel runs): where bad input gets its AdError.
   * `bind` calls it first on every path; under trace it is all that runs. Required, so a primitive
   * without one is a compile error rather than a trace that runs kernels.
   */
  readonly abstract: (inputs: readonly AbstractValue[], params: P) => AbstractValue;
  /**
   * Computes the output, on inputs the abstract rule has accepted, with the kernels of the inputs'
   * device (`bind` passes them: no primitive picks a backend itself).
   */
  readonly impl: (inputs: readonly Tensor[], params: P, kernels: Backend) => Tensor;
  /** One cotangent per input (null: no gradient flows to it). Missing: MissingDerivative. */
  readonly vjp?: (args: VjpArgs<P>) => readonly (Tensor | null)[];
  /**
   * The output tangent, or null where it is zero whatever the given tangents are (a comparison): no
   * zeros are allocated until a user asks for the tangent. Never called with every tangent null.
   * Missing: MissingDerivative.
   */
  readonly jvp?: (args: JvpArgs<P>) => Tensor | null;
  /**
   * Elementwise over inputs broadcast NumPy-style to the output's shape. A JVP term computed from some
   * of the inputs then has a shape that only broadcasts to the output's (add's da when db is zero),
   * which the engine expands once, for every such primitive; other primitives must return the
   * output's shape exactly.
   */
  readonly broadcasts?: boolean;
  /** The output's device where it is not the inputs' (a copy between devices). */
  readonly placement?: (params: P) => Device;
}

export interface Primitive<P = unknown> extends PrimitiveDef<P> {
  readonly name: string;
}

export function definePrimitive<P = undefined>(name: string, def: PrimitiveDef<P>): Primitive<P> {
  return { name, ...def };
}

/**
 * Applies a primitive: runs its kernel with recording off, and, when recording is on and an input
 * requires a gradient, links the output to a graph node. All inputs must be on one device.
 */
export function bind<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P): Tensor {
  const device = inputs[0]?.device ?? host;
  for (const t of inputs) {
    if (!(t instanceof Tensor)) throw invalidArgument(prim.name, `expected a Tensor, got ${describe(t)}`, { got: describe(t) });
    if (t.device !== device) {
      const devices = inputs.map((x) => x.device.name);
      throw new AdError("DeviceMismatch", `${prim.name} needs its inputs on one device, they are on ${devices.join(" and ")}; copy one with .to(device)`, {
        op: prim.name,
        devices,
      });
    }
    if (t.disposed) throw disposedError(prim.name, t);
  }
  const type = prim.abstract(inputs, params);
  // Under vmap, a batched input's primitive runs on the batch and its output is the logical example.
  const batched = batchPrimitive(prim, inputs, params, type);
  const output = batched?.output ?? evaluate(prim, inputs, params, type, device);
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    output.requiresGrad = true;
    output.node = new Node(prim as Primitive<unknown>, inputs, params, output);
  }
  if (activeLevels().length > 0) {
    const missing = (name: string) => new AdError("MissingDerivative", `${name} has no JVP rule`, { op: name });
    propagateTangents(prim, inputs, params, output, missing, batched?.level.outerJvpLevels ?? 0);
  }
  return output;
}

/** Runs the kernel of the inputs' device (or, under trace, records an equation with an abstract output). */
function evaluate<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P, type: AbstractValue, device: Device): Tensor {
  const place = prim.placement?.(params) ?? device;
  const trace = activeTrace();
  let output = noGrad(() => {
    try {
      if (trace === undefined) return device === host ? prim.impl(inputs, params, host.kernels) : device.run(prim.name, () => prim.impl(inputs, params, device.kernels));
      // Under trace the abstract rule's type is the output: no kernel runs, nothing is allocated.
      return abstractTensor(type, place);
    } catch (error) {
      // Another device's kernels are not ours: whatever they throw becomes an AdError naming the op.
      if (device !== host && !(error instanceof AdError)) throw deviceFailure(prim.name, device, error);
      // A kernel allocates its output without knowing which op it serves: name it here.
      throw nameAllocation(error, prim.name);
    }
  });
  // A kernel may hand back an input unchanged (contiguous of a contiguous tensor): the output needs a
  // tensor object of its own, or linking it to its node would rewrite the input's history.
  if (inputs.includes(output)) output = new Tensor(output.storage, output.dtype, output.shape, output.strides, output.offset, output.device);
  // Kernels allocate their outputs in host memory: the inputs' device takes each fresh one over.
  else if (output.device !== place) output = new Tensor(place.adopt(output.storage) as typeof output.storage, output.dtype, output.shape, output.strides, output.offset, place);
  if (trace !== undefined) trace.record(prim, inputs, params, output);
  else if (isAnomalyDetectionEnabled()) checkFinite(prim.name, "forward", output, inputs);
  return output;
}

/** `UnsupportedOp` for a device whose kernels failed (or lack one) in primitive `op`. */
function deviceFailure(op: string, device: Device, error: unknown): AdError {
  const reason = error instanceof Error ? error.message : describe(error);
  return new AdError("UnsupportedOp", `the ${device.name} device could not run ${op}: ${reason}`, { op, device: device.name, reason });
}

/** An abstract value's tensor: its shape and dtype, with empty storage (nothing to read). */
function abstractTensor(type: AbstractValue, device: Device): Tensor {
  return new Tensor(allocate(type.dtype, 0), type.dtype, [...type.shape], contiguousStrides(type.shape), 0, device);
}
