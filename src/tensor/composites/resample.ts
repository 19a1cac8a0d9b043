/**
 * Resampling: `interpolate` (nearest, linear, bilinear) and the pixel shuffles. Interpolation is
 * separable, one spatial axis at a time: nearest is an `indexSelect` of the source rows, (bi)linear
 * the blend (1 − λ)·x[i₀] + λ·x[i₁] of two of them, so the gradient scatters back through
 * indexSelect's rule. The pixel shuffles are a reshape, a permutation and a reshape.
 */
import { AdError, describe, expectBooleanOption, expectFinite, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { tensor } from "../creation.js";
import { add, mul } from "../primitives/arithmetic.js";
import { indexSelect } from "../primitives/gather.js";
import { permute, reshape } from "../primitives/shape.js";
import { isFloat } from "../dtype.js";
import { formatShape } from "../shape.js";
import { Tensor } from "../tensor.js";

export type InterpolateMode = "nearest" | "linear" | "bilinear";

export interface InterpolateOptions {
  /** The output's spatial size: a number for every spatial axis, or one per axis. Give this or scaleFactor. */
  readonly size?: number | readonly number[];
  /** The output's spatial size as a multiple of the input's (⌊size·scale⌋), per axis or for all. */
  readonly scaleFactor?: number | readonly number[];
  /** "nearest" (default, PyTorch's legacy nearest: source ⌊dst·in/out⌋), "linear" for [N, C, L], "bilinear" for [N, C, H, W]. */
  readonly mode?: InterpolateMode;
  /** (Bi)linear only: map the corner pixels' centres onto each other instead of their outer edges. Default false. */
  readonly alignCorners?: boolean;
}

/** The largest output axis: the source positions are computed on the host, one per output row. */
const MAX_SIZE = 2 ** 24;

const RANK: Record<InterpolateMode, readonly number[]> = { nearest: [3, 4], linear: [3], bilinear: [4] };

/** A number for each of `count` axes, or one per axis (`check` validates each). */
function perAxis(op: string, name: string, value: unknown, count: number, check: (v: unknown, name: string) => number): number[] {
  if (!Array.isArray(value)) return new Array<number>(count).fill(check(value, name));
  if (value.length !== count)
    throw invalidArgument(op, `${name} must have ${count} entries, one per spatial axis, got ${describe(value)}`, { argument: name, got: describe(value) });
  return value.map((v, i) => check(v, `${name}[${i}]`));
}

/**
 * Resizes the spatial axes of x ([N, C, L] or [N, C, H, W]) to `size`, or to ⌊in·scaleFactor⌋,
 * with PyTorch's conventions for each mode (`torch.nn.functional.interpolate`): with a scaleFactor
 * the source position uses 1 / scaleFactor, with a size in / out.
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const op = "interpolate";
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { argument: "x", got: describe(x) });
  // A tensor is not options, and reading `size` from a forged one would run Tensor's getter.
  if (Object.prototype.isPrototypeOf.call(Tensor.prototype, options)) throw invalidArgument(op, "options must be an object, got a Tensor", { argument: "options" });
  const o = expectOptions<Record<keyof InterpolateOptions, unknown>>(op, options, ["size", "scaleFactor", "mode", "alignCorners"], true);
  const mode = o.mode ?? "nearest";
  if (mode !== "nearest" && mode !== "linear" && mode !== "bilinear") {
    throw invalidArgument(op, `mode must be "nearest", "linear" or "bilinear", got ${describe(mode)}`, { argument: "mode", key: "mode", got: describe(mode) });
  }
  if (!RANK[mode].includes(x.rank)) {
    throw new AdError("ShapeMismatch", `mode "${mode}" needs x of rank ${RANK[mode].join(" or ")} ([N, C, …spatial]), got ${formatShape(x.shape)}`, {
      op,
      shape: [...x.shape],
      mode,
    });
  }
  if (!isFloat(x.dtype)) throw new AdError("DTypeMismatch", `interpolate needs a float tensor, x is ${x.dtype}`, { op, dtype: x.dtype });
  const alignCorners = expectBooleanOption(op, "alignCorners", o.alignCorners, false);
  if (o.alignCorners !== undefined && mode === "nearest")
    throw invalidArgument(op, `alignCorners applies to linear and bilinear modes only`, { argument: "alignCorners", key: "alignCorners" });
  if ((o.size === undefined) === (o.scaleFactor === undefined)) throw invalidArgument(op, "give exactly one of size and scaleFactor", { argument: "size" });
  const spatial = x.rank - 2;
  const inSizes = x.shape.slice(2);
  let outSizes: number[];
  let scales: (number | undefined)[];
  if (o.size !== undefined) {
    outSizes = perAxis(op, "size", o.size, spatial, (v, name) => expectInteger(op, name, v, 1, MAX_SIZE));
    scales = outSizes.map(() => undefined);
  } else {
    scales = perAxis(op, "scaleFactor", o.scaleFactor, spatial, (v, name) => {
      const s = expectFinite(op, name, v);
      if (!(s > 0)) throw invalidArgument(op, `${name} must be positive, got ${s}`, { argument: name, got: s });
      return s;
    });
    outSizes = inSizes.map((n, i) => Math.floor(n * (scales[i] as number)));
    if (outSizes.some((n) => n < 1 || n > MAX_SIZE))
      throw new AdError("ShapeMismatch", `scaleFactor gives an empty or too large output [${outSizes.join(", ")}] for x ${formatShape(x.shape)}`, { op, shape: [...x.shape] });
  }
  return outSizes.reduce((y, out, i) => {
    const axis = 2 + i;
    const n = inSizes[i];
    const ratio = scales[i] === undefined ? n / out : 1 / (scales[i] as number);
    return mode === "nearest" ? nearestAlong(y, axis, n, out, ratio) : linearAlong(y, axis, n, out, ratio, alignCorners);
  }, x);
}

/** The source rows as an int32 index vector on x's device. */
const indices = (x: Tensor, values: number[]): Tensor => tensor(Int32Array.from(values), { dtype: "int32", device: x.device });

function nearestAlong(x: Tensor, axis: number, n: number, out: number, ratio: number): Tensor {
  const src = Array.from({ length: out }, (_, d) => Math.min(Math.floor(d * ratio), n - 1));
  return indexSelect(x, axis, indices(x, src));
}

function linearAlong(x: Tensor, axis: number, n: number, out: number, ratio: number, alignCorners: boolean): Tensor {
  const lo: number[] = [];
  const hi: number[] = [];
  const lambda: number[] = [];
  for (let d = 0; d < out; d++) {
    const s = alignCorners ? (out > 1 ? (d * (n - 1)) / (out - 1) : 0) : Math.max((d + 0.5) * ratio - 0.5, 0);
    const i0 = Math.min(Math.floor(s), n - 1);
    lo.push(i0);
    hi.push(Math.min(i0 + 1, n - 1));
    lambda.push(s - i0);
  }
  const shape = x.shape.map((_, a) => (a === axis ? out : 1));
  const weight = (v: number[]) => tensor(Float64Array.from(v), { dtype: x.dtype, device: x.device, shape });
  return add(mul(indexSelect(x, axis, indices(x, lo)), weight(lambda.map((l) => 1 - l))), mul(indexSelect(x, axis, indices(x, hi)), weight(lambda)));
}

/** A rank-4 tensor, else AdError naming `op`. */
function expectRank4(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { argument: "x", got: describe(x) });
  if (x.rank !== 4) throw new AdError("ShapeMismatch", `x must have rank 4 [N, C, H, W], got shape ${formatShape(x.shape)}`, { op, shape: [...x.shape] });
  return x;
}

/** [N, C·r², H, W] → [N, C, H·r, W·r]: each channel block of r² becomes an r × r patch (PyTorch's pixel_shuffle). */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const op = "pixelShuffle";
  const t = expectRank4(op, x);
  const r = expectInteger(op, "upscaleFactor", upscaleFactor, 1);
  const [N, Cr, H, W] = t.shape;
  if (Cr % (r * r) !== 0)
    throw new AdError("ShapeMismatch", `x has ${Cr} channels, not a multiple of upscaleFactor² = ${r * r} (x ${formatShape(t.shape)})`, {
      op,
      shape: [...t.shape],
      upscaleFactor: r,
    });
  const C = Cr / (r * r);
  return reshape(permute(reshape(t, [N, C, r, r, H, W]), [0, 1, 4, 2, 5, 3]), [N, C, H * r, W * r]);
}

/** The inverse of `pixelShuffle`: [N, C, H·r, W·r] → [N, C·r², H, W]. */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const op = "pixelUnshuffle";
  const t = expectRank4(op, x);
  const r = expectInteger(op, "downscaleFactor", downscaleFactor, 1);
  const [N, C, Hr, Wr] = t.shape;
  if (Hr % r !== 0 || Wr % r !== 0)
    throw new AdError("ShapeMismatch", `x's height and width must be multiples of downscaleFactor ${r} (x ${formatShape(t.shape)})`, {
      op,
      shape: [...t.shape],
      downscaleFactor: r,
    });
  const [H, W] = [Hr / r, Wr / r];
  return reshape(permute(reshape(t, [N, C, H, r, W, r]), [0, 1, 3, 5, 2, 4]), [N, C * r * r, H, W]);
}
