/**
 * The playground's first tab: a function typed in plain JS, its f, f′ and f″ plotted live. The
 * derivatives come from source transformation (reverse mode for f′, forward-over-reverse for f″);
 * the same function rewritten over the numeric interface runs on nested dual numbers as a check.
 */
import { derivatives } from "../../src/scalar/index.js";
import { differentiate, transformHessian } from "../../src/transform/index.js";
import { genericVersion } from "./generic.js";
import { plot } from "./plot.js";

export interface DerivativeReport {
  readonly x0: number;
  readonly f: number;
  readonly d1: number;
  readonly d2: number;
  /** Largest |transform − duals| over the plotted points, for f′ and f″ (undefined: no dual check). */
  readonly dualGap?: { readonly d1: number; readonly d2: number };
  readonly source: string;
}

const POINTS = 241;

/** Compiles `text`, plots over [a, b] into `canvas`, and returns the values at x0. Throws the AdError of a function it refuses. */
export function analyse(text: string, a: number, b: number, x0: number, canvas: HTMLCanvasElement): DerivativeReport {
  // The user's own code, in their own page: evaluating it is the point of a playground.
  const fn = new Function(`"use strict"; return (${text});`)() as (x: number) => number;
  if (typeof fn !== "function") throw new Error("type a function, e.g. x => Math.sin(x) * x");
  const df = differentiate(fn);
  const hess = transformHessian(fn);
  const at = (x: number) => {
    const h = hess(x);
    return { f: h.value, d1: h.gradient[0] as number, d2: h.hessian[0][0], g: df(x).gradient[0] as number };
  };
  const xs = Float64Array.from({ length: POINTS }, (_, i) => a + ((b - a) * i) / (POINTS - 1));
  const f = new Float64Array(POINTS);
  const d1 = new Float64Array(POINTS);
  const d2 = new Float64Array(POINTS);
  const generic = genericVersion(text);
  let gap: { d1: number; d2: number } | undefined = generic === undefined ? undefined : { d1: 0, d2: 0 };
  xs.forEach((x, i) => {
    const r = at(x);
    [f[i], d1[i], d2[i]] = [r.f, r.g, r.d2];
    if (generic !== undefined && gap !== undefined) {
      const [, e1, e2] = derivatives(generic, x, 2);
      const diff = (p: number, q: number) => (Object.is(p, q) || (Number.isNaN(p) && Number.isNaN(q)) ? 0 : Math.abs(p - q) / Math.max(1, Math.abs(q)));
      gap = { d1: Math.max(gap.d1, diff(r.g, e1)), d2: Math.max(gap.d2, diff(r.d2, e2)) };
    }
  });
  plot(canvas, {
    xs,
    series: [
      { label: "f", color: "#1f77b4", ys: f },
      { label: "f′", color: "#d62728", ys: d1 },
      { label: "f″", color: "#2ca02c", ys: d2, dashed: true },
    ],
  });
  const p = at(x0);
  return { x0, f: p.f, d1: p.g, d2: p.d2, dualGap: gap, source: df.source };
}
