/**
 * Forward mode: `jvp(f, primals, tangents)` pushes tangents through every primitive's JVP rule as f
 * runs — true forward mode, no finite differences, one pass. Each `jvp` call opens a level with its
 * own tangent table; a rule for level i runs with levels ≥ i set aside, so nested `jvp`s never
 * confuse their perturbations, and the rule's own operations carry the tangents of the outer levels
 * (jvp of jvp gives second derivatives). Rules are ordinary primitives, so they are also recorded for
 * reverse mode when it is on (forward over reverse and reverse over forward both work).
 */
import { AdError } from "../../errors.js";
import { levelStack } from "../interpreters/levels.js";
import { formatShape, sameShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import type { Primitive } from "../primitive.js";

/** One active `jvp`: the tangent of every tensor computed from its primals. */
export class Level {
  readonly tangents = new WeakMap<Tensor, Tensor>();

  /**
   * `expand` is the shape primitive, handed in by the transform that opens the level: this module
   * sits below the primitives (`bind` calls into it), so importing them here would cycle.
   */
  constructor(readonly expand: (t: Tensor, shape: readonly number[]) => Tensor) {}
}

const tangentLevels = levelStack<Level>();
const levels = tangentLevels.levels;

export function activeLevels(): readonly Level[] {
  return tangentLevels.active();
}

export function runWithLevel<R>(level: Level, fn: () => R): R {
  return tangentLevels.runWith(level, fn);
}

/** Runs `fn` with no jvp level active (a control-flow body traced as a program of its own). */
export function asideTangentLevels<R>(fn: () => R): R {
  return tangentLevels.aside(fn);
}

/**
 * Called by `bind` after a primitive ran: for each level (outermost first) at which an input has a
 * tangent, computes the output's tangent with that level and the ones inside it set aside. Outermost
 * first, because an inner level's rule may read the output (exp's tangent is dx·y): the output must
 * already carry its outer tangents there, or jvp of jvp loses the term through y. A rule's
 * null (zero) is not stored: the output then carries no tangent at that level, like a constant.
 * Levels below `from` are skipped (those outside a vmap, for its logical outputs).
 */
export function propagateTangents<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P, output: Tensor, missing: (name: string) => Error, from = 0): void {
  for (let i = from, n = levels.length; i < n; i++) {
    const level = levels[i];
    const tangents = inputs.map((x) => level.tangents.get(x) ?? null);
    if (tangents.every((t) => t === null)) continue;
    const jvp = prim.jvp;
    if (jvp === undefined) throw missing(prim.name);
    const inner = levels.splice(i);
    let t: Tensor | null;
    try {
      const rule = jvp({ inputs, output, tangents, params });
      // Fitted here, with the inner levels still set aside: the expand carries the outer levels' tangents.
      t = rule === null ? null : fitTangent(prim, rule, output, level);
    } finally {
      levels.push(...inner);
    }
    if (t !== null) level.tangents.set(output, t);
  }
}

/**
 * A rule's tangent in the output's shape and dtype: a broadcasting primitive's term of a shape that
 * broadcasts to the output's is expanded; anything else that differs is a wrong rule (or a wrong
 * `customJvp` rule), reported instead of passed on.
 */
function fitTangent<P>(prim: Primitive<P>, t: Tensor, output: Tensor, level: Level): Tensor {
  if (t.dtype !== output.dtype) {
    throw new AdError("DTypeMismatch", `the JVP rule of ${prim.name} gave a ${t.dtype} tangent for a ${output.dtype} output`, { op: prim.name, dtypes: [t.dtype, output.dtype] });
  }
  if (sameShape(t.shape, output.shape)) return t;
  if (prim.broadcasts === true && broadcastsTo(t.shape, output.shape)) return level.expand(t, output.shape);
  throw new AdError("ShapeMismatch", `the JVP rule of ${prim.name} gave a tangent of shape ${formatShape(t.shape)} for an output of shape ${formatShape(output.shape)}`, {
    op: prim.name,
    shapes: [[...t.shape], [...output.shape]],
  });
}

/** Whether NumPy broadcasting takes `from` to exactly `to`. */
function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  const lead = to.length - from.length;
  return lead >= 0 && from.every((d, i) => d === 1 || d === to[lead + i]);
}
