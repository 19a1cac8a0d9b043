/**
 * The fused program's loop for a call no interpreter watches (jit.ts): each equation's inputs are
 * resolved to slots of one array once, when the program is compiled, and its primitive's kernel is
 * called directly. `Program.evaluate` instead goes through `bind` per equation: a map lookup per
 * input, the device and disposal checks, the abstract rule, the interpreters' dispatch and the graph
 * test — work the trace and the signature already did, or that is moot with nothing watching. The
 * kernels and their inputs are the same, so are the bits.
 */
import { host } from "../backends/device.js";
import { nameAllocation } from "../backends/dtype.js";
import { isAnomalyDetectionEnabled, noGrad, Tensor, type Program, type Variable } from "../tensor/index.js";
import type { Primitive } from "../tensor/primitive.js";

interface Step {
  readonly primitive: Primitive<unknown>;
  readonly params: unknown;
  readonly inputs: readonly number[];
  readonly output: number;
}

/**
 * `p` as a function of its input tensors. `Program.evaluate` where a tensor is disposed or anomaly
 * detection is on (its errors and checks), and for a program that moves a value to another device
 * (`to`: its kernels are that device's).
 */
export function prepared(p: Program): (inputs: readonly Tensor[]) => unknown {
  if (p.equations.some((eq) => eq.primitive.placement !== undefined)) return (inputs) => p.evaluate(...inputs);
  const slots = new Map<Variable, number>();
  const slot = (v: Variable) => slots.get(v) ?? (slots.set(v, slots.size), slots.size - 1);
  p.inputs.forEach(slot);
  p.constants.forEach((c) => slot(c.variable));
  const steps: Step[] = p.equations.map((eq) => ({ primitive: eq.primitive, params: eq.params, inputs: eq.inputs.map(slot), output: slot(eq.output) }));
  const outputs = p.outputs.map(slot);
  const constants = p.constants.map((c) => c.value);
  const size = slots.size;
  const run = (inputs: readonly Tensor[]) => {
    const values = new Array<Tensor>(size);
    inputs.forEach((t, i) => (values[i] = t));
    constants.forEach((t, i) => (values[inputs.length + i] = t));
    for (const { primitive, params, inputs: at, output } of steps) {
      const xs = at.map((i) => values[i]);
      let y: Tensor;
      try {
        y = primitive.impl(xs, params, host.kernels);
      } catch (error) {
        throw nameAllocation(error, primitive.name);
      }
      // As bind: an input handed back unchanged gets a tensor object of its own.
      if (xs.includes(y)) y = new Tensor(y.storage, y.dtype, y.shape, y.strides, y.offset, y.device);
      values[output] = y;
    }
    return p.rebuild(outputs.map((i) => values[i]));
  };
  return (inputs) => {
    if (isAnomalyDetectionEnabled() || inputs.some((t) => t.disposed) || constants.some((t) => t.disposed)) return p.evaluate(...inputs);
    return noGrad(() => run(inputs));
  };
}
