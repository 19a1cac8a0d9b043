/**
 * Algebraic simplification: equations that give back one of their inputs are dropped and their
 * output replaced by that input, and chains of layout ops become one op:
 * - `x·1`, `1·x`, `x/1`, `x+0`, `0+x`, `x−0` (a constant of ones or zeros, or its expand, reshape or
 *   permute, such as a gradient's seed broadcast by sum's VJP, that does not broadcast x to a larger
 *   shape or another dtype) → `x`;
 * - `permute(permute(x, a), b)` → `permute(x, a∘b)`, or `x` when that is the identity;
 * - `reshape(reshape(x, s), t)` → `reshape(x, t)`, or `x` when t is x's shape; a reshape or permute
 *   that changes nothing → `x`.
 * All of these give eager's bits except `x+0` at x = −0 (eager gives +0, the simplified program −0),
 * as in XLA. A returned value is never replaced by an input or constant of the program, so each call
 * returns tensors of its own. Inner ops left without consumers are dropped by dead-code elimination.
 */
import { host } from "../../backends/device.js";
import { Program, type Equation, type Tensor, type Variable } from "../../tensor/index.js";
import type { Primitive } from "../../tensor/primitive.js";
import { primitives } from "../../tensor/primitives/registry.js";

const LAYOUT = new Set<Primitive<unknown>>([primitives.expand, primitives.reshape, primitives.permute] as Primitive<unknown>[]);

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A permute's axes, negative ones counted from the end. */
const axesOf = (eq: Equation): number[] => (eq.params as { axes: readonly number[] }).axes.map((d, _, all) => (d < 0 ? d + all.length : d));

/** The value every element of host constant `t` holds, if they all hold one (−0 counts as 0). */
function uniformValue(t: Tensor): number | undefined {
  if (t.device !== host || t.requiresGrad || t.size === 0) return undefined;
  const data = t.data();
  const first = Number(data[0]);
  for (let i = 1; i < data.length; i++) if (Number(data[i]) !== first) return undefined;
  return first;
}

/** The input `eq` gives back unchanged (as a value of its output's shape and dtype), if any. */
function identityOf(eq: Equation, uniform: ReadonlyMap<Variable, number>): Variable | undefined {
  const [a, b] = eq.inputs;
  const same = (v: Variable) => v.dtype === eq.output.dtype && sameShape(v.shape, eq.output.shape);
  switch (eq.primitive) {
    case primitives.mul:
      if (same(a) && uniform.get(b) === 1) return a;
      if (same(b) && uniform.get(a) === 1) return b;
      return undefined;
    case primitives.div:
      return same(a) && uniform.get(b) === 1 ? a : undefined;
    case primitives.add:
      if (same(a) && uniform.get(b) === 0) return a;
      if (same(b) && uniform.get(a) === 0) return b;
      return undefined;
    case primitives.sub:
      return same(a) && uniform.get(b) === 0 ? a : undefined;
    case primitives.reshape:
    case primitives.permute:
      return same(a) && (eq.primitive === primitives.reshape || axesOf(eq).every((d, i) => d === i)) ? a : undefined;
    default:
      return undefined;
  }
}

export function simplifyAlgebra(p: Program): Program {
  // Values known to hold one number everywhere: constants, and their expands, reshapes and permutes
  // (a gradient's seed of ones broadcast by sum's VJP).
  const uniform = new Map<Variable, number>();
  for (const c of p.constants) {
    const value = uniformValue(c.value);
    if (value !== undefined) uniform.set(c.variable, value);
  }
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
    const spread = uniform.get(eq.inputs[0]);
    if (spread !== undefined && LAYOUT.has(eq.primitive)) uniform.set(eq.output, spread);
    const x = identityOf(eq, uniform);
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
