/**
 * Compile-time checks of `jit` (run by `npm test` via tsc; an unused `@ts-expect-error` fails the
 * type check). Nothing here runs.
 */
import { jit, mul, sum, type Tensor } from "../../src/index.js";

export function keepsTheSignature(x: Tensor, p: { w: Tensor; b: Tensor }): number {
  const g = jit((t: Tensor, q: { w: Tensor; b: Tensor }, n: number) => ({ y: mul(t, n), s: sum(q.w) }), { static: [2] });
  const out: { y: Tensor; s: Tensor } = g(x, p, 3);
  // @ts-expect-error the static argument is still a number
  g(x, p, "3");
  // @ts-expect-error a missing argument
  g(x, p);
  const traces: number = g.traces;
  // @ts-expect-error the trace count is read only
  g.traces = 0;
  return traces + out.y.size + g.lower(x, p, 3).equations.length;
}

export function refusesUnknownOptions(): void {
  // @ts-expect-error an unknown option
  jit((t: Tensor) => t, { statics: [0] });
}
