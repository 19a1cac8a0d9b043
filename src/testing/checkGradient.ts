/**
 * `checkGradient`: compares a gradient (from any AD mode, or written by hand) with central finite
 * differences of the plain-number function. The difference quotient is Richardson-extrapolated
 * (D(h) and D(h/2) combined to cancel the h² error term), so it is accurate to about 1e−10 relative
 * on smooth functions and tolerances can be tight enough to catch a wrong rule.
 */
import { AdError, describe, expectFinite, expectFiniteVector, expectFunction, expectInteger, expectLength, expectOptions, invalidArgument } from "../errors.js";

export interface CheckGradientOptions {
  /** The gradient to check: the values at `x`, or a function computing them. */
  readonly gradient: ArrayLike<number> | ((x: number[]) => ArrayLike<number>);
  /** Relative step; the step for component i is `step · max(1, |xᵢ|)`. Default 1e−3. */
  readonly step?: number;
  /** Relative tolerance. Default 1e−6. */
  readonly rtol?: number;
  /** Absolute tolerance. Default 1e−8. */
  readonly atol?: number;
}

export interface ComponentReport {
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
  readonly absError: number;
  /** absError / max(|analytic|, |numeric|), 0 when both are 0. */
  readonly relError: number;
  readonly ok: boolean;
}

export interface GradientReport {
  readonly ok: boolean;
  readonly components: readonly ComponentReport[];
  /** The component with the largest error relative to its tolerance (undefined for an empty x). */
  readonly worst: ComponentReport | undefined;
  /** One line per failing component, for an assertion message. */
  readonly summary: string;
}

/** d/dt f(x + t·eᵢ) at t = 0 by Richardson-extrapolated central differences. */
export function centralDifference(f: (x: number[]) => number, x: readonly number[], i: number, step = 1e-3): number {
  const op = "centralDifference";
  expectFunction(op, "f", f);
  const point = expectFiniteVector(op, "x", x);
  expectInteger(op, "i", i, 0, point.length - 1);
  return difference(op, f, point, i, expectFinite(op, "step", step));
}

/** `centralDifference` on checked arguments; `op` names the public caller in errors. */
function difference(op: string, f: (x: number[]) => number, x: readonly number[], i: number, step: number): number {
  const h = step * Math.max(1, Math.abs(x[i]));
  const at = (t: number): number => {
    const y = x.slice();
    y[i] += t;
    const v: unknown = f(y);
    if (typeof v !== "number") throw invalidArgument(op, `f must return a number, got ${describe(v)}`, { argument: "f", returned: describe(v) });
    return v;
  };
  const d1 = (at(h) - at(-h)) / (2 * h);
  const d2 = (at(h / 2) - at(-h / 2)) / h;
  return (4 * d2 - d1) / 3;
}

/**
 * Checks `opts.gradient` against finite differences of `f` at `x`, component by component:
 * component i passes when |analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|).
 */
export function checkGradient(f: (x: number[]) => number, x: ArrayLike<number>, opts: CheckGradientOptions): GradientReport {
  const op = "checkGradient";
  expectFunction(op, "f", f);
  const point = expectFiniteVector(op, "x", x);
  opts = expectOptions<CheckGradientOptions>(op, opts, ["gradient", "step", "rtol", "atol"], true);
  const step = opts.step ?? 1e-3;
  const rtol = opts.rtol ?? 1e-6;
  const atol = opts.atol ?? 1e-8;
  for (const [name, v] of [
    ["step", step],
    ["rtol", rtol],
    ["atol", atol],
  ] as const) {
    if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) {
      throw invalidArgument(op, `${name} must be a finite number ≥ 0, got ${describe(v)}`, { argument: name });
    }
  }
  const gradient: unknown = opts.gradient; // read once: a getter may answer differently the second time
  const given = typeof gradient === "function" ? (gradient as (x: number[]) => unknown)(point.slice()) : gradient;
  const analytic = expectGradientLike(op, given);
  if (analytic.length !== point.length) {
    throw new AdError("ShapeMismatch", `gradient has ${analytic.length} components but x has ${point.length}`, {
      op,
      gradientLength: analytic.length,
      xLength: point.length,
    });
  }

  const components: ComponentReport[] = [];
  let worst: ComponentReport | undefined;
  let worstRatio = -1;
  for (let i = 0; i < point.length; i++) {
    const numeric = difference(op, f, point, i, step);
    const a = analytic[i];
    const absError = Math.abs(a - numeric);
    const scale = Math.max(Math.abs(a), Math.abs(numeric));
    const relError = scale === 0 ? 0 : absError / scale;
    const tolerance = atol + rtol * scale;
    // NaN anywhere fails: a NaN derivative is never "close".
    const ok = absError <= tolerance;
    const report = { index: i, analytic: a, numeric, absError, relError, ok };
    components.push(report);
    const ratio = Number.isNaN(absError) ? Infinity : absError / tolerance;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = report;
    }
  }
  const failing = components.filter((c) => !c.ok);
  const summary =
    failing.length === 0
      ? `gradient matches finite differences in all ${components.length} components`
      : failing
          .map(
            (c) =>
              `x[${c.index}] = ${point[c.index]}: analytic ${c.analytic}, numeric ${c.numeric}, abs error ${c.absError.toExponential(2)}, rel error ${c.relError.toExponential(2)}`,
          )
          .join("\n");
  return { ok: failing.length === 0, components, worst, summary };
}

function expectGradientLike(op: string, value: unknown): number[] {
  const isTyped = ArrayBuffer.isView(value) && !(value instanceof DataView);
  if (!Array.isArray(value) && !isTyped) {
    throw invalidArgument(op, `gradient must be an array of numbers, got ${describe(value)}`);
  }
  const items = value as ArrayLike<unknown>;
  const out: number[] = [];
  const n = expectLength(op, "gradient", items);
  for (let i = 0; i < n; i++) {
    const v = items[i];
    if (typeof v !== "number") throw invalidArgument(op, `gradient[${i}] must be a number, got ${describe(v)}`);
    out.push(v);
  }
  return out;
}
