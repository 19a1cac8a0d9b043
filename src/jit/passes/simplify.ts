/**
 * Algebraic simplification: equations that give back one of their inputs are dropped and their
 * output replaced by that input, and chains of layout ops become one op:
 * - `x·1`, `1·x`, `x/1`, `x+0`, `0+x`, `x−0` (a constant of ones or zeros that does not broadcast x to
 *   a larger shape or another dtype) → `x`;
 * - `permute(permute(x, a), b)` → `permute(x, a∘b)`, or `x` when that is the identity;
 * - `reshape(reshape(x, s), t)` → `reshape(x, t)`, or `x` when t is x's shape; a reshape or permute
 *   that changes nothing → `x`.
 * All of these give eager's bits except `x+0` at x = −0 (eager gives +0, the simplified program −0),
 * as in XLA. A returned value is never replaced by an input or constant of the program, so each call
 * returns tensors of its own. Inner ops left without consumers are dropped by dead-code elimination.
 */
import { host } from "../../backends/device.js";
import { Program, type Equation, type Tensor, type Variable } from "../../tensor/index.js";
import { primitives } from "../../tensor/primitives/registry.js";

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A permute's axes, negative ones counted from the end. */
const axesOf = (eq: Equation): number[] => (eq.params as { axes: readonly number[] }).axes.map((d, _, all) => (d < 0 ? d + all.length : d));

/** True where `t` is a host constant whose every element is `value` (−0 counts as 0). */
function filledWith(t: Tensor | undefined, value: number): boolean {
  if (t === undefined || t.device !== host || t.requiresGrad) return false;
  const data = t.data();
  for (let i = 0; i < data.length; i++) if (Number(data[i]) !== value) return false;
  return true;
}

/** The input `eq` gives back unchanged (as a value of its output's shape and dtype), if any. */
function identityOf(eq: Equation, constant: (v: Variable) => Tensor | undefined): Variable | undefined {
  const [a, b] = eq.inputs;
  const same = (v: Variable) => v.dtype === eq.output.dtype && sameShape(v.shape, eq.output.shape);
  switch (eq.primitive) {
    case primitives.mul:
      if (same(a) && filledWith(constant(b), 1)) return a;
      if (same(b) && filledWith(constant(a), 1)) return b;
      return undefined;
    case primitives.div:
      return same(a) && filledWith(constant(b), 1) ? a : undefined;
    case primitives.add:
      if (same(a) && filledWith(constant(b), 0)) return a;
      if (same(b) && filledWith(constant(a), 0)) return b;
      return undefined;
    case primitives.sub:
      return same(a) && filledWith(constant(b), 0) ? a : undefined;
    case primitives.reshape:
    case primitives.permute:
      return same(a) && (eq.primitive === primitives.reshape || axesOf(eq).every((d, i) => d === i)) ? a : undefined;
    default:
      return undefined;
  }
}

export function simplifyAlgebra(p: Program): Program {
  const constants = new Map<Variable, Tensor>(p.constants.map((c) => [c.variable, c.value]));
  const producer = new Map<Variable, Equation>();
  const replaced = new Map<Variable, Variable>();
  const outer = new Set<Variable>([...p.inputs, ...p.constants.map((c) => c.variable)]);
  const returned = new Set(p.outputs);
  const equations: Equation[] = [];
  for (const original of p.equations) {
    let eq: Equation = { ...original, inputs: original.inputs.map((v) => replaced.get(v) ?? v) };
    const inner = producer.get(eq.inputs[0]);
    // A layout op of a layout op of the same kind reads the inner op's input instead.
    if (inner !== undefined && inner.primitive === eq.primitive && eq.primitive === primitives.reshape) eq = { ...eq, inputs: inner.inputs };
    else if (inner !== undefined && inner.primitive === eq.primitive && eq.primitive === primitives.permute) {
      // permute(permute(x, a), b) has axis i = x's axis a[b[i]].
      const a = axesOf(inner);
      eq = { ...eq, inputs: inner.inputs, params: { axes: axesOf(eq).map((d) => a[d]) } };
    }
    const x = identityOf(eq, (v) => constants.get(v));
    if (x !== undefined && !(returned.has(eq.output) && outer.has(x))) {
      replaced.set(eq.output, x);
      continue;
    }
    const kept = eq.inputs.every((v, i) => v === original.inputs[i]) && eq.params === original.params ? original : eq;
    producer.set(kept.output, kept);
    equations.push(kept);
  }
  return new Program(
    p.inputs,
    p.constants,
    equations,
    p.outputs.map((v) => replaced.get(v) ?? v),
    p.rebuild,
  );
}
