/**
 * Connectionist temporal classification (Graves et al. 2006; PyTorch's ctc_loss): the negative log
 * of the total probability of every alignment of the target to the input frames, blanks between and
 * around the labels. Forward by the standard α recursion in log space over the extended label
 * sequence (blank, l₁, blank, l₂, …, blank), all samples of the batch at once, one step per frame;
 * the gradient is AD through that recursion (so it differentiates again).
 *
 * Unreachable states hold a large finite negative number instead of −∞: logaddexp's gradient at
 * (−∞, −∞) is NaN, at (−1e30, −1e30) a finite weight on a path of probability 0. A sample whose
 * target cannot be aligned (a loss at that scale) is +∞, or 0 with its gradient with zeroInfinity.
 */
import { AdError, describe, expectBooleanOption, expectInteger, expectLength, expectOptions, invalidArgument } from "../errors.js";
import { tensor } from "../tensor/creation.js";
import { add, div, neg } from "../tensor/primitives/arithmetic.js";
import { gt } from "../tensor/primitives/compare.js";
import { gather } from "../tensor/primitives/gather.js";
import { logaddexp } from "../tensor/primitives/binaryMath.js";
import { pad } from "../tensor/primitives/join.js";
import { expand, mean, sum } from "../tensor/primitives/reduce.js";
import { reshape, slice, squeeze } from "../tensor/primitives/shape.js";
import { where } from "../tensor/primitives/select.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { expectFloatTensor, LOSS_KEYS, reductionOf, type LossOptions } from "./lossChecks.js";

export interface CtcOptions extends LossOptions {
  /** The blank class. Default 0. */
  readonly blank?: number;
  /** A sample whose target cannot be aligned gives 0 (and no gradient) instead of +∞. Default false. */
  readonly zeroInfinity?: boolean;
}

/** log 0 for the recursion: finite, so that gradients through unreachable states are 0, not NaN. */
const NEG = -1e30;
/** Losses at NEG's scale are unreachable targets. */
const UNREACHABLE = 1e29;

/** Integers of a number[] or an int32 tensor, flat, with the tensor's shape. */
function integers(op: string, name: string, value: unknown): { values: number[]; shape: number[] } {
  if (value instanceof Tensor) {
    if (value.dtype !== "int32") throw new AdError("DTypeMismatch", `${name} must be int32 (or a number[]), got ${value.dtype}`, { op, argument: name, dtype: value.dtype });
    return { values: Array.from(value.data()), shape: [...value.shape] };
  }
  if (!Array.isArray(value)) throw invalidArgument(op, `${name} must be an int32 tensor or an array, got ${describe(value)}`, { argument: name });
  const t = tensor(value, { dtype: "float64" });
  return { values: Array.from(t.data()), shape: [...t.shape] };
}

/** The lengths of a batch of n: n integers in [0, max]. */
function lengths(op: string, name: string, value: unknown, n: number, max: number): number[] {
  const { values, shape } = integers(op, name, value);
  if (shape.length !== 1 || shape[0] !== n)
    throw new AdError("ShapeMismatch", `${name} must hold one length per sample (${n}), got shape ${formatShape(shape)}`, { op, argument: name, shapes: [[n], shape] });
  return values.map((v, i) => expectInteger(op, `${name}[${i}]`, v, 0, max));
}

/**
 * The CTC loss of log-probabilities [T, N, C] (frames, batch, classes; e.g. logSoftmax's output), with
 * targets [N, S] (padded label rows: an int32 tensor or number[][]) of `targetLengths` labels each,
 * over `inputLengths` frames each. "mean" divides each sample's loss by its target length (at least
 * 1) and then averages, as PyTorch does; "sum" adds; "none" gives the N losses.
 */
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor | readonly (readonly number[])[],
  inputLengths: Tensor | readonly number[],
  targetLengths: Tensor | readonly number[],
  options: CtcOptions = {},
): Tensor {
  const op = "ctcLoss";
  options = expectOptions<CtcOptions>(op, options, [...LOSS_KEYS, "blank", "zeroInfinity"]);
  const reduction = reductionOf(op, options.reduction);
  const zeroInfinity = expectBooleanOption(op, "zeroInfinity", options.zeroInfinity, false);
  const lp = expectFloatTensor(op, "logProbs", logProbs);
  if (lp.rank !== 3) throw new AdError("ShapeMismatch", `logProbs must be [T, N, C] (frames, batch, classes), got ${formatShape(lp.shape)}`, { op, shape: [...lp.shape] });
  const [T, N, C] = lp.shape;
  const blank = expectInteger(op, "blank", options.blank ?? 0, 0, C - 1);
  if (Array.isArray(targets)) expectLength(op, "targets", targets);
  const { values: flat, shape: tShape } = integers(op, "targets", targets);
  const S = tShape.length === 2 ? tShape[1] : 0;
  if (!(tShape.length === 2 && tShape[0] === N) && !(N === 0 && tShape.length <= 2)) {
    throw new AdError("ShapeMismatch", `targets must be [N, S] = [${N}, S] padded label rows, got ${formatShape(tShape)}`, { op, shapes: [[...lp.shape], tShape] });
  }
  const inLen = lengths(op, "inputLengths", inputLengths, N, T);
  const tgtLen = lengths(op, "targetLengths", targetLengths, N, S);

  // The extended sequences [N, L], blank-padded past 2·len + 1, and where the skip s − 2 → s is allowed.
  const L = 2 * S + 1;
  const ext = new Int32Array(N * L).fill(blank);
  const skip = new Uint8Array(N * L);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < tgtLen[n]; k++) {
      const label = flat[n * S + k];
      if (!Number.isInteger(label) || label < 0 || label >= C || label === blank) {
        throw invalidArgument(op, `target label ${label} at position [${n}, ${k}] must be an integer class in [0, ${C}) other than blank ${blank}`, {
          argument: "targets",
          label,
          position: [n, k],
        });
      }
      ext[n * L + 2 * k + 1] = label;
      if (k > 0 && flat[n * S + k - 1] !== label) skip[n * L + 2 * k + 1] = 1;
    }
  }
  const like = { dtype: lp.dtype, device: lp.device } as const;
  const mask = (values: ArrayLike<number>, shape: number[]): Tensor => gt(tensor(Float64Array.from(values), { shape, ...like }), 0);
  const emissions = gather(lp, 2, expand(reshape(tensor(ext, { shape: [1, N, L], device: lp.device }), [1, N, L]), [T, N, L]));
  const skips = mask(skip, [N, L]);
  const first = mask(
    Array.from({ length: N * L }, (_, i) => (i % L === 0 || (i % L === 1 && tgtLen[Math.floor(i / L)] > 0) ? 1 : 0)),
    [N, L],
  );
  const running = (t: number): Tensor =>
    mask(
      inLen.map((len) => (t < len ? 1 : 0)),
      [N, 1],
    );
  const shifted = (a: Tensor, by: number): Tensor =>
    pad(
      slice(a, [null, [0, L - by]]),
      [
        [0, 0],
        [by, 0],
      ],
      NEG,
    );

  const frame = (t: number): Tensor => squeeze(slice(emissions, [[t, t + 1]]), 0);
  // Before any frame only the empty prefix (state 0, probability 1) is reached: a sample of 0 frames stays there.
  const start = where(
    mask(
      Array.from({ length: N * L }, (_, i) => (i % L === 0 ? 1 : 0)),
      [N, L],
    ),
    tensor(new Float64Array(N * L), { shape: [N, L], ...like }),
    NEG,
  );
  let alpha = T === 0 ? start : where(running(0), where(first, frame(0), NEG), start);
  for (let t = 1; t < T; t++) {
    const stay = logaddexp(alpha, shifted(alpha, 1));
    const next = add(L > 2 ? logaddexp(stay, where(skips, shifted(alpha, 2), NEG)) : stay, frame(t));
    alpha = where(running(t), next, alpha);
  }
  // The paths end on the last label or the blank after it: states 2·len and 2·len − 1.
  const end = (offset: number): Tensor =>
    tensor(
      Int32Array.from(tgtLen, (len) => Math.max(2 * len - offset, 0)),
      { shape: [N, 1], device: lp.device },
    );
  const last = squeeze(gather(alpha, 1, end(0)), 1);
  const beforeLast = where(
    mask(
      tgtLen.map((len) => (len > 0 ? 1 : 0)),
      [N],
    ),
    squeeze(gather(alpha, 1, end(1)), 1),
    NEG,
  );
  let losses = neg(logaddexp(last, beforeLast));
  const lost = gt(losses, UNREACHABLE);
  losses = where(lost, zeroInfinity ? 0 : Infinity, losses);
  switch (reduction) {
    case "mean":
      return mean(
        div(
          losses,
          tensor(
            tgtLen.map((len) => Math.max(len, 1)),
            like,
          ),
        ),
      );
    case "sum":
      return sum(losses);
    default:
      return losses;
  }
}
