/**
 * Learning-rate schedules: plain functions from the step index (0-based, the step about to be taken)
 * to a learning rate, so they compose by ordinary function composition and an optimiser takes one
 * wherever it takes a number (`new Adam(params, { lr: warmupCosine(1e-3, { … }) })`).
 */
import { expectFinite, expectFunction, expectInteger, expectLength, expectOptions, invalidArgument } from "../errors.js";

export type Schedule = (step: number) => number;

export function rate(op: string, name: string, v: unknown): number {
  const x = expectFinite(op, name, v);
  if (x < 0) throw invalidArgument(op, `${name} must be ≥ 0, got ${x}`, { argument: name, got: x });
  return x;
}

function valueAt(s: number | Schedule, step: number): number {
  return typeof s === "number" ? s : s(step);
}

/**
 * `rateAt` as a schedule whose step is checked: a step is a count of optimiser steps, so NaN, 1.5 or
 * −1 is an InvalidArgument naming the schedule's maker (not NaN, or a rate above the base one).
 */
export function schedule(op: string, rateAt: (step: number) => number): Schedule {
  return (step) => rateAt(expectInteger(op, "step", step, 0));
}

/** lr · γ^⌊step / stepSize⌋ (PyTorch's StepLR). */
export function stepDecay(lr: number, options: { readonly stepSize: number; readonly gamma?: number }): Schedule {
  const op = "stepDecay";
  const base = rate(op, "lr", lr);
  options = expectOptions<typeof options>(op, options, ["stepSize", "gamma"], true);
  const size = expectInteger(op, "stepSize", options.stepSize, 1);
  const gamma = rate(op, "gamma", options.gamma ?? 0.1);
  return schedule(op, (step) => base * gamma ** Math.floor(step / size));
}

/**
 * Half a cosine from lr down to minLr over totalSteps, then minLr:
 * minLr + (lr − minLr)·(1 + cos(π·min(step, T)/T))/2 (PyTorch's CosineAnnealingLR, one cycle).
 */
export function cosineDecay(lr: number, options: { readonly totalSteps: number; readonly minLr?: number }): Schedule {
  const op = "cosineDecay";
  const base = rate(op, "lr", lr);
  options = expectOptions<typeof options>(op, options, ["totalSteps", "minLr"], true);
  const total = expectInteger(op, "totalSteps", options.totalSteps, 1);
  const min = rate(op, "minLr", options.minLr ?? 0);
  return schedule(op, (step) => min + ((base - min) * (1 + Math.cos((Math.PI * Math.min(step, total)) / total))) / 2);
}

/**
 * A linear ramp into `after` (a number or a schedule): step s < W runs at after(0)·(s + 1)/W, so the
 * last warm-up step reaches the full rate; from step W on, `after` runs from its own step 0.
 */
export function linearWarmup(after: number | Schedule, options: { readonly warmupSteps: number }): Schedule {
  const op = "linearWarmup";
  if (typeof after !== "number") expectFunction(op, "after", after);
  else rate(op, "after", after);
  options = expectOptions<typeof options>(op, options, ["warmupSteps"], true);
  const w = expectInteger(op, "warmupSteps", options.warmupSteps, 0);
  return schedule(op, (step) => (step < w ? (valueAt(after, 0) * (step + 1)) / w : valueAt(after, step - w)));
}

/** Linear warm-up for warmupSteps, then a cosine decay to minLr over the remaining steps. */
export function warmupCosine(lr: number, options: { readonly warmupSteps: number; readonly totalSteps: number; readonly minLr?: number }): Schedule {
  const op = "warmupCosine";
  rate(op, "lr", lr);
  options = expectOptions<typeof options>(op, options, ["warmupSteps", "totalSteps", "minLr"], true);
  const w = expectInteger(op, "warmupSteps", options.warmupSteps, 0);
  const total = expectInteger(op, "totalSteps", options.totalSteps, w + 1);
  const minLr = rate(op, "minLr", options.minLr ?? 0);
  const warm = linearWarmup(cosineDecay(lr, { totalSteps: total - w, minLr }), { warmupSteps: w });
  return schedule(op, warm);
}

/**
 * Schedules one after another (PyTorch's SequentialLR): schedules[i] runs from milestones[i − 1],
 * counting its steps from 0 there; `milestones` are increasing, one fewer than the schedules.
 */
export function chainSchedules(schedules: readonly (number | Schedule)[], milestones: readonly number[]): Schedule {
  const op = "chainSchedules";
  const n = Array.isArray(schedules) ? expectLength(op, "schedules", schedules) : 0;
  if (n === 0 || !Array.isArray(milestones) || expectLength(op, "milestones", milestones) !== n - 1) {
    throw invalidArgument(op, "needs n ≥ 1 schedules and n − 1 milestones");
  }
  // Checked copies, indexed (holes are refused, not skipped): the schedule reads only these.
  const marks: number[] = [];
  const parts: (number | Schedule)[] = [];
  for (let i = 0; i < n - 1; i++) marks.push(expectInteger(op, `milestones[${i}]`, milestones[i], i === 0 ? 1 : marks[i - 1] + 1));
  for (let i = 0; i < n; i++) {
    const s: unknown = schedules[i];
    parts.push(typeof s === "number" ? rate(op, `schedules[${i}]`, s) : (expectFunction(op, `schedules[${i}]`, s) as Schedule));
  }
  return schedule(op, (step) => {
    let i = 0;
    while (i < marks.length && step >= marks[i]) i++;
    return valueAt(parts[i], step - (i === 0 ? 0 : marks[i - 1]));
  });
}
