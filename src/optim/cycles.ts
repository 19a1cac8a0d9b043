/** Cyclical schedules: oneCycleLR (Smith & Topin's one cycle) and cyclicLR (Smith's triangular cycles), PyTorch's OneCycleLR and CyclicLR. */
import { expectBooleanOption, expectInteger, expectOptions, invalidArgument } from "../errors.js";
import { expectIn } from "./optimizer.js";
import { rate, schedule, type Schedule } from "./schedules.js";

export interface OneCycleOptions {
  /** The number of steps in the cycle; steps 0 … totalSteps are defined (PyTorch refuses later ones too). */
  readonly totalSteps: number;
  /** The fraction of the cycle spent rising. Default 0.3. */
  readonly pctStart?: number;
  /** "cos" (default) or "linear" interpolation within each phase. */
  readonly annealStrategy?: "cos" | "linear";
  /** The first rate is maxLr/divFactor. Default 25. */
  readonly divFactor?: number;
  /** The last rate is the first divided by finalDivFactor. Default 1e4. */
  readonly finalDivFactor?: number;
  /** Rise, fall back to the first rate, then anneal to the last (fast.ai's schedule is two phases). Default false. */
  readonly threePhase?: boolean;
}

/** One cycle from maxLr/divFactor up to maxLr and down to far below the start (PyTorch's OneCycleLR). */
export function oneCycleLR(maxLr: number, options: OneCycleOptions): Schedule {
  const op = "oneCycleLR";
  const max = rate(op, "maxLr", maxLr);
  options = expectOptions<OneCycleOptions>(op, options, ["totalSteps", "pctStart", "annealStrategy", "divFactor", "finalDivFactor", "threePhase"], true);
  const total = expectInteger(op, "totalSteps", options.totalSteps, 1);
  const pct = expectIn(op, "pctStart", options.pctStart ?? 0.3, 0, 1);
  const strategy = options.annealStrategy ?? "cos";
  if (strategy !== "cos" && strategy !== "linear") throw invalidArgument(op, `annealStrategy must be "cos" or "linear", got ${String(strategy)}`, { argument: "annealStrategy" });
  const initial = max / expectIn(op, "divFactor", options.divFactor ?? 25, Number.MIN_VALUE, Infinity);
  const min = initial / expectIn(op, "finalDivFactor", options.finalDivFactor ?? 1e4, Number.MIN_VALUE, Infinity);
  const threePhase = expectBooleanOption(op, "threePhase", options.threePhase, false);
  // Each phase: [its last step, its start rate, its end rate]; the last steps are fractional, as in PyTorch.
  const phases: [number, number, number][] = threePhase
    ? [
        [pct * total - 1, initial, max],
        [2 * pct * total - 2, max, initial],
        [total - 1, initial, min],
      ]
    : [
        [pct * total - 1, initial, max],
        [total - 1, max, min],
      ];
  const anneal = strategy === "cos" ? (a: number, b: number, f: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * f) + 1) : (a: number, b: number, f: number) => (b - a) * f + a;
  return schedule(op, (step) => {
    if (step > total) throw invalidArgument(op, `step ${step} is past the cycle's ${total} steps`, { argument: "step", got: step, totalSteps: total });
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const [end, from, to] = phases[i];
      if (step <= end || i === phases.length - 1) return anneal(from, to, (step - start) / (end - start));
      start = end;
    }
    return min;
  });
}

export interface CyclicOptions {
  /** The top of each cycle. */
  readonly maxLr: number;
  /** Steps from the base rate up to maxLr. Default 2000. */
  readonly stepSizeUp?: number;
  /** Steps back down. Default stepSizeUp. */
  readonly stepSizeDown?: number;
  /** "triangular" (default), "triangular2" (the height halves each cycle) or "expRange" (scaled by γ^step). */
  readonly mode?: "triangular" | "triangular2" | "expRange";
  /** expRange's decay. Default 1. */
  readonly gamma?: number;
}

/** Triangular cycles between baseLr and maxLr (PyTorch's CyclicLR, without its momentum cycling). */
export function cyclicLR(baseLr: number, options: CyclicOptions): Schedule {
  const op = "cyclicLR";
  const base = rate(op, "baseLr", baseLr);
  options = expectOptions<CyclicOptions>(op, options, ["maxLr", "stepSizeUp", "stepSizeDown", "mode", "gamma"], true);
  const max = rate(op, "maxLr", options.maxLr);
  const up = expectInteger(op, "stepSizeUp", options.stepSizeUp ?? 2000, 1);
  const down = expectInteger(op, "stepSizeDown", options.stepSizeDown ?? up, 1);
  const mode = options.mode ?? "triangular";
  if (mode !== "triangular" && mode !== "triangular2" && mode !== "expRange") {
    throw invalidArgument(op, `mode must be "triangular", "triangular2" or "expRange", got ${String(mode)}`, { argument: "mode" });
  }
  const gamma = rate(op, "gamma", options.gamma ?? 1);
  const size = up + down;
  const ratio = up / size;
  return schedule(op, (step) => {
    const cycle = Math.floor(1 + step / size);
    const x = 1 + step / size - cycle;
    const height = (max - base) * (x <= ratio ? x / ratio : (x - 1) / (ratio - 1));
    const scale = mode === "triangular" ? 1 : mode === "triangular2" ? 1 / 2 ** (cycle - 1) : gamma ** step;
    return base + height * scale;
  });
}
