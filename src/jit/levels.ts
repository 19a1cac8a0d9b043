/**
 * Topological levels of a program's equations: an equation's level is one more than the highest level
 * among the equations whose results it reads (inputs and constants are level 0). Equations of one level
 * read none of each other's results, so they may run in any order, or side by side
 * (passes/branches.ts).
 */
import type { Program, Variable } from "../tensor/index.js";

/** Each equation's level, in program order. */
export function levelsOf(p: Program): number[] {
  const levelOf = new Map<Variable, number>();
  return p.equations.map((eq) => {
    const level = 1 + eq.inputs.reduce((l, v) => Math.max(l, levelOf.get(v) ?? 0), 0);
    levelOf.set(eq.output, level);
    return level;
  });
}
