/**
 * Erasing the cuts: `stopGradient` (what `detach()` records) only matters to a transform, so the
 * program a call no transform watches runs without it, and an elementwise chain through a cut fuses
 * as one. The replayed program keeps every cut, since an outer grad or jvp must meet it there. A
 * returned cut stays (a view, no kernel): replacing it by its input could return an argument of the
 * call, or one tensor twice, where eager returns tensors of their own.
 */
import { Program, type Equation, type Variable } from "../../tensor/index.js";
import { primitives } from "../../tensor/primitives/registry.js";

export function eraseStopGradients(p: Program): Program {
  const returned = new Set(p.outputs);
  const replaced = new Map<Variable, Variable>();
  const equations: Equation[] = [];
  for (const original of p.equations) {
    const inputs = original.inputs.map((v) => replaced.get(v) ?? v);
    if (original.primitive === primitives.stopGradient && !returned.has(original.output)) {
      replaced.set(original.output, inputs[0]);
      continue;
    }
    equations.push(inputs.every((v, i) => v === original.inputs[i]) ? original : { ...original, inputs });
  }
  if (replaced.size === 0) return p;
  return new Program(p.inputs, p.constants, equations, p.outputs, p.rebuild);
}
