/**
 * Constant folding: an equation whose inputs are all constants of the program (tensors the traced
 * function captured or made, none requiring a gradient) is computed once, when the program is
 * compiled, and its output becomes a constant. Only registry primitives that are elementwise or
 * reshape/permute/expand are folded (their kernels run on the constants' host buffers), and only when
 * the result is no larger than its largest input, so folding never grows the program's memory. A
 * returned value is not folded: each call returns a tensor of its own, never one kept by the program.
 */
import { host } from "../../backends/device.js";
import { BINARY_EXPRESSIONS, UNARY_EXPRESSIONS } from "../../backends/expressions.js";
import { noGrad } from "../../tensor/autograd/mode.js";
import { Program, type Equation, type Tensor, type Variable } from "../../tensor/index.js";
import type { Primitive } from "../../tensor/primitive.js";
import { primitives } from "../../tensor/primitives/registry.js";

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const FOLDABLE = new Set<Primitive<unknown>>(
  Object.entries(primitives)
    .filter(([name]) => name in UNARY_EXPRESSIONS || name in BINARY_EXPRESSIONS || ["where", "cast", "reshape", "permute", "expand"].includes(name))
    .map(([, p]) => p as Primitive<unknown>),
);

export function foldConstants(p: Program): Program {
  const values = new Map<Variable, Tensor>();
  for (const c of p.constants) if (c.value.device === host && !c.value.requiresGrad) values.set(c.variable, c.value);
  const constants = [...p.constants];
  const equations: Equation[] = [];
  const returned = new Set(p.outputs);
  for (const eq of p.equations) {
    const inputs = eq.inputs.map((v) => values.get(v));
    const foldable =
      FOLDABLE.has(eq.primitive) &&
      !returned.has(eq.output) &&
      inputs.length > 0 &&
      inputs.every((t) => t !== undefined) &&
      size(eq.output.shape) <= Math.max(...eq.inputs.map((v) => size(v.shape)));
    if (!foldable) {
      equations.push(eq);
      continue;
    }
    const value = noGrad(() => eq.primitive.impl(inputs as Tensor[], eq.params, host.kernels));
    values.set(eq.output, value);
    constants.push({ variable: eq.output, value });
  }
  return new Program(p.inputs, constants, equations, p.outputs, p.rebuild);
}
