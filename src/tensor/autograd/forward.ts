/**
 * Forward mode: `jvp(f, primals, tangents)` pushes tangents through every primitive's JVP rule as f
 * runs — true forward mode, no finite differences, one pass. Each `jvp` call opens a level with its
 * own tangent table; a rule for level i runs with levels ≥ i set aside, so nested `jvp`s never
 * confuse their perturbations, and the rule's own operations carry the tangents of the outer levels
 * (jvp of jvp gives second derivatives). Rules are ordinary primitives, so they are also recorded for
 * reverse mode when it is on (forward over reverse and reverse over forward both work).
 */
import type { Tensor } from "../tensor.js";
import type { Primitive } from "../primitive.js";

/** One active `jvp`: the tangent of every tensor computed from its primals. */
export class Level {
  readonly tangents = new WeakMap<Tensor, Tensor>();
}

const levels: Level[] = [];

export function activeLevels(): readonly Level[] {
  return levels;
}

export function runWithLevel<R>(level: Level, fn: () => R): R {
  levels.push(level);
  try {
    return fn();
  } finally {
    const i = levels.lastIndexOf(level);
    if (i >= 0) levels.splice(i, 1);
  }
}

/**
 * Called by `bind` after a primitive ran: for each level (innermost first) at which an input has a
 * tangent, computes the output's tangent with that level and the ones inside it set aside.
 */
export function propagateTangents<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P, output: Tensor, missing: (name: string) => Error): void {
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = levels[i];
    const tangents = inputs.map((x) => level.tangents.get(x) ?? null);
    if (tangents.every((t) => t === null)) continue;
    const jvp = prim.jvp;
    if (jvp === undefined) throw missing(prim.name);
    const inner = levels.splice(i);
    let t: Tensor;
    try {
      t = jvp({ inputs, output, tangents, params });
    } finally {
      levels.push(...inner);
    }
    level.tangents.set(output, t);
  }
}
