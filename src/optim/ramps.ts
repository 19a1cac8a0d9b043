/** Schedules that scale a base rate by a factor of the step: exponentialLR and linearLR (PyTorch's ExponentialLR and LinearLR). */
import { expectInteger, expectOptions, invalidArgument } from "../errors.js";
import { expectIn } from "./optimizer.js";
import { rate, schedule, type Schedule } from "./schedules.js";

/** lr·γ^step (PyTorch's ExponentialLR). */
export function exponentialLR(lr: number, options: { readonly gamma: number }): Schedule {
  const op = "exponentialLR";
  const base = rate(op, "lr", lr);
  options = expectOptions<typeof options>(op, options, ["gamma"], true);
  const gamma = rate(op, "gamma", options.gamma);
  return schedule(op, (step) => base * gamma ** step);
}

/**
 * lr times a factor going linearly from startFactor to endFactor over totalIters steps, then
 * endFactor (PyTorch's LinearLR: defaults 1/3, 1 and 5). A warm-up from a fraction of the rate.
 */
export function linearLR(lr: number, options: { readonly startFactor?: number; readonly endFactor?: number; readonly totalIters?: number } = {}): Schedule {
  const op = "linearLR";
  const base = rate(op, "lr", lr);
  options = expectOptions<typeof options>(op, options, ["startFactor", "endFactor", "totalIters"]);
  const start = expectIn(op, "startFactor", options.startFactor ?? 1 / 3, 0, 1);
  const end = expectIn(op, "endFactor", options.endFactor ?? 1, 0, 1);
  if (start === 0) throw invalidArgument(op, "startFactor must be > 0 (PyTorch refuses 0 too)", { argument: "startFactor", got: 0 });
  const total = expectInteger(op, "totalIters", options.totalIters ?? 5, 1);
  return schedule(op, (step) => base * (start + ((end - start) * Math.min(step, total)) / total));
}
