/**
 * Dead-code elimination: keeps only the equations (and constants) the outputs depend on, and the
 * equations kept for their effect (`debug.print`). Every other primitive is pure (a customVjp's
 * residuals belong to its own output), so nothing else is kept.
 */
import { Program, type Equation, type Variable } from "../../tensor/index.js";
import { isEffect } from "../debug.js";

export function eliminateDeadCode(p: Program): Program {
  const live = new Set<Variable>(p.outputs);
  const kept: Equation[] = [];
  for (let i = p.equations.length - 1; i >= 0; i--) {
    const eq = p.equations[i];
    if (!live.has(eq.output) && !isEffect(eq.primitive)) continue;
    kept.push(eq);
    for (const v of eq.inputs) live.add(v);
  }
  kept.reverse();
  return new Program(
    p.inputs,
    p.constants.filter((c) => live.has(c.variable)),
    kept,
    p.outputs,
    p.rebuild,
  );
}
