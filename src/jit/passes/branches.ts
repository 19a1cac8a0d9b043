/**
 * Concurrent branches (issue 20, item 2): independent products of one topological level (levels.ts) —
 * in a reverse sweep the weight gradient of one layer or head beside the input gradient or another
 * head's — run side by side on the worker threads, one whole product per thread, through the
 * backend's `matmulConcurrent` (src/backends/wasm/products.ts). Each product writes only its own
 * result, so nothing is added across threads, and the results are bit-identical to the products run
 * one after another.
 *
 * Two steps around the memory plan:
 * - `orderBranches` (before it) orders the equations by level, a level's 2-D float products first,
 *   so each level's products are adjacent (any order by level is a valid order). A program with user
 *   code or an effect (`debug.print`) keeps its order;
 * - `groupBranches` (after it) turns each run of adjacent products of one level into a group: the
 *   first equation reads every member's operands and runs them all, each later one hands over its
 *   result. The later members' operands were all computed before the first (lower levels), and the
 *   plan keeps them alive until their own position, so running them early is safe.
 * The program text shows a group as `matmul[branch=i, of=n]`.
 */
import type { View } from "../../backends/view.js";
import { Program, type Equation, type Tensor } from "../../tensor/index.js";
import { definePrimitive, type Primitive } from "../../tensor/primitive.js";
import { primitives } from "../../tensor/primitives/registry.js";
import { fromStorage } from "../../tensor/tensor.js";
import { isEffect } from "../debug.js";
import { levelsOf } from "../levels.js";
import { runsOnlyEngineCode } from "./plan.js";

/** A product that can run beside others: the matmul primitive on 2-D float operands. */
function isProduct(eq: Equation): boolean {
  return eq.primitive === (primitives.matmul as Primitive<unknown>) && eq.inputs.every((v) => v.shape.length === 2 && (v.dtype === "float32" || v.dtype === "float64"));
}

/** How many products share a level with another product. */
function pairedProducts(p: Program, levels: readonly number[]): number {
  const perLevel = new Map<number, number>();
  p.equations.forEach((eq, i) => isProduct(eq) && perLevel.set(levels[i], (perLevel.get(levels[i]) ?? 0) + 1));
  return [...perLevel.values()].filter((n) => n >= 2).reduce((a, b) => a + b, 0);
}

export function orderBranches(p: Program): Program {
  if (!runsOnlyEngineCode(p) || p.equations.some((eq) => isEffect(eq.primitive))) return p;
  const levels = levelsOf(p);
  if (pairedProducts(p, levels) === 0) return p;
  const order = p.equations.map((eq, i) => ({ eq, i, level: levels[i], product: isProduct(eq) ? 0 : 1 }));
  order.sort((x, y) => x.level - y.level || x.product - y.product || x.i - y.i);
  return new Program(
    p.inputs,
    p.constants,
    order.map(({ eq }) => eq),
    p.outputs,
    p.rebuild,
  );
}

/** The members of one group, as equations whose first runs them all. */
function grouped(members: readonly Equation[]): Equation[] {
  let results: Tensor[] | undefined;
  return members.map((eq, i) => {
    const { shape, dtype } = eq.output;
    const prim = definePrimitive("matmul", {
      abstract: () => ({ shape, dtype }),
      impl: (xs, _params, kernels) => {
        if (i === 0) {
          const pairs = members.map((_, j) => [xs[2 * j], xs[2 * j + 1]] as const satisfies readonly [View, View]);
          const buffers = kernels.matmulConcurrent?.(pairs) ?? pairs.map(([a, b]) => kernels.matmul(a, b, []));
          results = buffers.map((buffer, j) => fromStorage(buffer, members[j].output.dtype, [...members[j].output.shape]));
        }
        // The first member ran this one (they are adjacent: see the file's comment).
        const result = results?.[i] ?? fromStorage(kernels.matmul(xs[0], xs[1], []), dtype, [...shape]);
        if (i === members.length - 1) results = undefined;
        return result;
      },
    });
    return { ...eq, primitive: prim as Primitive<unknown>, inputs: i === 0 ? members.flatMap((m) => m.inputs) : eq.inputs, params: { branch: i, of: members.length } };
  });
}

export function groupBranches(p: Program): Program {
  const levels = levelsOf(p);
  if (pairedProducts(p, levels) === 0) return p;
  const equations: Equation[] = [];
  for (let i = 0; i < p.equations.length;) {
    let j = i + 1;
    if (isProduct(p.equations[i])) while (j < p.equations.length && isProduct(p.equations[j]) && levels[j] === levels[i]) j++;
    equations.push(...(j - i >= 2 ? grouped(p.equations.slice(i, j)) : [p.equations[i]]));
    i = j;
  }
  return new Program(p.inputs, p.constants, equations, p.outputs, p.rebuild);
}
