/**
 * What every loss shares: the reduction, the float-tensor and same-shape checks, class labels and
 * per-class weights, each failure an AdError naming the loss the user called.
 */
import { AdError, describe, expectFinite, expectInteger, invalidArgument } from "../errors.js";
import { tensor } from "../tensor/creation.js";
import { mean, sum } from "../tensor/primitives/reduce.js";
import { isAbstract } from "../tensor/interpreters/abstract.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { expectFloatTensor } from "./checks.js";

export type Reduction = "mean" | "sum" | "none";

export interface LossOptions {
  readonly reduction?: Reduction;
}

export const LOSS_KEYS = ["reduction"] as const;

export { expectFloatTensor };

/** The reduction option, checked: "mean" (the default), "sum" or "none" (or one of `extra`, e.g. klDiv's "batchmean"). */
export function reductionOf(op: string, reduction: unknown, extra: readonly string[] = []): string {
  const r = reduction ?? "mean";
  if (r === "mean" || r === "sum" || r === "none" || extra.includes(r as string)) return r as string;
  const names = ["mean", "sum", "none", ...extra].map((n) => `"${n}"`);
  throw invalidArgument(op, `reduction must be ${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}, got ${describe(reduction)}`, { argument: "reduction" });
}

/** Per-element losses reduced as the option says. */
export function reduce(op: string, losses: Tensor, reduction: unknown): Tensor {
  switch (reductionOf(op, reduction)) {
    case "mean":
      return mean(losses);
    case "sum":
      return sum(losses);
    default:
      return losses;
  }
}

/** Float tensors of one shape (the input and the target of an elementwise loss). */
export function floatPair(op: string, inputName: string, input: unknown, target: unknown, targetName = "target"): [Tensor, Tensor] {
  const x = expectFloatTensor(op, inputName, input);
  const y = expectFloatTensor(op, targetName, target);
  if (!sameShape(x.shape, y.shape)) {
    throw new AdError("ShapeMismatch", `${inputName} ${formatShape(x.shape)} and ${targetName} ${formatShape(y.shape)} must have the same shape`, {
      op,
      shapes: [[...x.shape], [...y.shape]],
    });
  }
  return [x, y];
}

/** A finite option ≥ `min` (> `min` when `strict`), or its default. */
export function expectAtLeast(op: string, name: string, value: unknown, fallback: number, min: number, strict = false): number {
  const v = expectFinite(op, name, value ?? fallback);
  if (!(strict ? v > min : v >= min)) throw invalidArgument(op, `${name} must be ${strict ? ">" : "≥"} ${min}, got ${v}`, { argument: name, got: v });
  return v;
}

/** Class labels: an int32 tensor or a number[] (of the batch shape), or probabilities [..., C]. */
export type Target = Tensor | readonly number[];

/** PyTorch's default ignoreIndex: a label of −100 contributes nothing. */
export const IGNORE_INDEX = -100;

export function ignoreIndexOf(op: string, value: unknown): number {
  return expectInteger(op, "ignoreIndex", value ?? IGNORE_INDEX, -(2 ** 31), 2 ** 31 - 1);
}

/**
 * Labels as an int32 tensor of the batch shape [...], checked against scores [..., C]: each an integer
 * in [0, C) or `ignoreIndex`. A number[] is read as float64 first so that 1.5 or NaN is refused, not
 * truncated to 1 or 0 by the int32 store.
 */
export function labels(op: string, scores: Tensor, target: Target, ignoreIndex: number): Tensor {
  const fromArray = Array.isArray(target);
  const t = fromArray ? tensor(target, { dtype: "float64" }) : (target as Tensor);
  if (!(t instanceof Tensor)) throw invalidArgument(op, `target must be a Tensor or a number[], got ${describe(target)}`, { argument: "target" });
  if (!fromArray && t.dtype !== "int32") {
    throw new AdError("DTypeMismatch", `class labels must be int32 (or a number[]), got ${t.dtype}; float targets must be [..., C] probabilities`, { op, dtype: t.dtype });
  }
  if (!sameShape(t.shape, scores.shape.slice(0, -1))) {
    throw new AdError("ShapeMismatch", `labels ${formatShape(t.shape)} must have the batch shape of the input ${formatShape(scores.shape)} (all axes but the last)`, {
      op,
      shapes: [[...scores.shape], [...t.shape]],
    });
  }
  // Traced labels (a jitted step) have no values to check, and a GPU's cannot be read without waiting:
  // gather's own index check runs when the program does (on the GPU, at the next read).
  if (isAbstract(t) || t.device.readSync === undefined) return t;
  const c = scores.shape[scores.rank - 1];
  const values = t.data();
  for (let k = 0; k < values.length; k++) {
    const label = values[k];
    if ((Number.isInteger(label) && label >= 0 && label < c) || label === ignoreIndex) continue;
    const position = positionIn(k, t.shape);
    const why = Number.isInteger(label) ? `is out of range for ${c} classes (and is not ignoreIndex ${ignoreIndex})` : "is not an integer class index";
    throw invalidArgument(op, `label ${label} at position [${position.join(", ")}] ${why}`, { argument: "target", label, position, classes: c });
  }
  return t.dtype === "int32" ? t : tensor(Int32Array.from(values), { shape: [...t.shape] });
}

/** The multi-index of the k-th element (row-major) of `shape`, for error messages. */
function positionIn(k: number, shape: readonly number[]): number[] {
  const position = new Array<number>(shape.length);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    position[axis] = k % shape[axis];
    k = Math.floor(k / shape[axis]);
  }
  return position;
}

/** An optional per-class (or broadcast) weight: a float tensor of `input`'s dtype and the given shape. */
export function weightOf(op: string, name: string, value: unknown, like: Tensor, shape: readonly number[]): Tensor | undefined {
  if (value === undefined) return undefined;
  const w = expectFloatTensor(op, name, value);
  if (w.dtype !== like.dtype) throw new AdError("DTypeMismatch", `${name} is ${w.dtype}, the input ${like.dtype}`, { op, argument: name, dtypes: [like.dtype, w.dtype] });
  if (!sameShape(w.shape, shape)) {
    throw new AdError("ShapeMismatch", `${name} must have shape ${formatShape(shape)}, got ${formatShape(w.shape)}`, { op, argument: name, shapes: [[...shape], [...w.shape]] });
  }
  return w;
}

/** An optional float weight that broadcasts to x's shape without growing it. */
export function broadcastWeight(op: string, name: string, value: unknown, x: Tensor): Tensor | undefined {
  if (value === undefined) return undefined;
  const w = expectFloatTensor(op, name, value);
  const fits = w.rank <= x.rank && w.shape.every((d, i) => d === 1 || d === x.shape[x.rank - w.rank + i]);
  if (!fits)
    throw new AdError("ShapeMismatch", `${name} ${formatShape(w.shape)} does not broadcast to the input's shape ${formatShape(x.shape)}`, {
      op,
      argument: name,
      shapes: [[...x.shape], [...w.shape]],
    });
  return w;
}
