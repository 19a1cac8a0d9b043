/**
 * MultiheadAttention with PyTorch's parameters (`in_proj_weight` [3E, E] holding the q, k, v
 * projections in that order, `in_proj_bias`, and the child `out_proj`) and mask conventions: a bool
 * mask is true where attention is NOT allowed, a float mask is added to the scores. Composed of
 * matmul, softmax and where, so its gradients come from their rules.
 */
import { AdError, asOp, expectBooleanOption, expectFinite, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { noGrad } from "../../tensor/autograd/mode.js";
import { softmax } from "../../tensor/composites/softmax.js";
import { tensor, zeros } from "../../tensor/creation.js";
import type { FloatDType } from "../../tensor/dtype.js";
import { add, mul } from "../../tensor/primitives/arithmetic.js";
import { matmul } from "../../tensor/primitives/matmul.js";
import { mean } from "../../tensor/primitives/reduce.js";
import { where } from "../../tensor/primitives/select.js";
import { reshape, slice, transpose } from "../../tensor/primitives/shape.js";
import type { Rng } from "../../tensor/rng.js";
import { formatShape } from "../../tensor/shape.js";
import { Tensor } from "../../tensor/tensor.js";
import { expectRng, floatDTypeOption } from "../checks.js";
import { xavierUniform } from "../init.js";
import { Module } from "../module.js";
import { dropout } from "./dropout.js";
import { Linear } from "./linear.js";

export interface MultiheadAttentionOptions {
  readonly rng: Rng;
  /** Biases of the input and output projections. Default true. */
  readonly bias?: boolean;
  /** Dropout on the attention weights in training mode (a key per call is then required). Default 0. */
  readonly dropout?: number;
  /** Inputs [N, L, E] instead of [L, N, E]. Default false. */
  readonly batchFirst?: boolean;
  readonly dtype?: FloatDType;
}

export interface AttendOptions {
  /** [N, S] bool (true: ignore that key) or float (added). */
  readonly keyPaddingMask?: Tensor;
  /** [L, S] or [N·heads, L, S], bool (true: not allowed) or float (added). */
  readonly attnMask?: Tensor;
  /** Each position attends only to itself and earlier ones (a causal mask; with attnMask, both apply). */
  readonly isCausal?: boolean;
  /** Return the weights averaged over heads ([N, L, S], default) or per head ([N, heads, L, S]). */
  readonly averageAttnWeights?: boolean;
  /** The dropout key, required in training mode when dropout > 0. */
  readonly key?: Tensor;
}

export interface AttentionResult {
  readonly output: Tensor;
  /** The attention weights after softmax (before dropout). */
  readonly weights: Tensor;
}

export class MultiheadAttention extends Module {
  readonly in_proj_weight: Tensor;
  readonly in_proj_bias: Tensor | null = null;
  readonly out_proj: Linear;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly headDim: number;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions,
  ) {
    super();
    const op = "MultiheadAttention";
    expectInteger(op, "embedDim", embedDim, 1, 2 ** 20);
    expectInteger(op, "numHeads", numHeads, 1, 2 ** 20);
    if (embedDim % numHeads !== 0) throw invalidArgument(op, `numHeads ${numHeads} must divide embedDim ${embedDim}`, { embedDim, numHeads });
    const o = expectOptions<MultiheadAttentionOptions>(op, options, ["rng", "bias", "dropout", "batchFirst", "dtype"], true);
    expectRng(op, o.rng);
    const dtype = floatDTypeOption(op, o.dtype);
    const bias = expectBooleanOption(op, "bias", o.bias, true);
    this.dropout = expectDropout(op, o.dropout);
    this.batchFirst = expectBooleanOption(op, "batchFirst", o.batchFirst, false);
    this.headDim = embedDim / numHeads;
    // PyTorch's init: xavier-uniform in_proj, zero biases, out_proj a Linear with a zero bias.
    this.in_proj_weight = this.parameter("in_proj_weight", xavierUniform([3 * embedDim, embedDim], { rng: o.rng, dtype }));
    if (bias) this.in_proj_bias = this.parameter("in_proj_bias", zeros([3 * embedDim], { dtype }));
    this.out_proj = this.child("out_proj", new Linear(embedDim, embedDim, { rng: o.rng, dtype, bias }));
    const outBias = this.out_proj.bias;
    if (outBias !== null) noGrad(() => outBias.assign(zeros([embedDim], { dtype })));
  }

  /** Attention of query [L, N, E] over key/value [S, N, E] ([N, …] with batchFirst): the output [L, N, E] and the weights. */
  attend(query: Tensor, key: Tensor, value: Tensor, options: AttendOptions = {}): AttentionResult {
    // Inner ops (a matmul refusing a bool input, …) report as the layer the user called.
    return asOp("MultiheadAttention.forward", () => this.#attend(query, key, value, options));
  }

  #attend(query: Tensor, key: Tensor, value: Tensor, options: AttendOptions): AttentionResult {
    const op = "MultiheadAttention.forward";
    const o = expectOptions<AttendOptions>(op, options, ["keyPaddingMask", "attnMask", "isCausal", "averageAttnWeights", "key"]);
    const E = this.embedDim;
    for (const [name, t] of [
      ["query", query],
      ["key", key],
      ["value", value],
    ] as const) {
      if (!(t instanceof Tensor) || t.rank !== 3 || t.shape[2] !== E) {
        throw new AdError("ShapeMismatch", `${name} must be [L, N, ${E}] (or [N, L, ${E}] with batchFirst), got ${t instanceof Tensor ? formatShape(t.shape) : typeof t}`, {
          op,
          argument: name,
        });
      }
    }
    // Batch-first [N, L, E] from here on.
    const [q0, k0, v0] = this.batchFirst ? [query, key, value] : [query, key, value].map((t) => transpose(t, 0, 1));
    const [N, L] = q0.shape;
    const S = k0.shape[1];
    if (k0.shape[0] !== N || v0.shape[0] !== N || v0.shape[1] !== S) {
      throw new AdError(
        "ShapeMismatch",
        `query, key and value must share the batch, and key and value the length: ${formatShape(query.shape)}, ${formatShape(key.shape)}, ${formatShape(value.shape)}`,
        { op },
      );
    }
    const H = this.numHeads;
    const d = this.headDim;
    const project = (x: Tensor, i: number, len: number): Tensor => {
      let y = matmul(x, transpose(slice(this.in_proj_weight, [[i * E, (i + 1) * E]])));
      if (this.in_proj_bias !== null) y = add(y, slice(this.in_proj_bias, [[i * E, (i + 1) * E]]));
      return transpose(reshape(y, [N, len, H, d]), 1, 2); // [N, H, len, d]
    };
    const q = project(q0, 0, L);
    const k = project(k0, 1, S);
    const v = project(v0, 2, S);
    let scores = mul(matmul(q, transpose(k, 2, 3)), 1 / Math.sqrt(d)); // [N, H, L, S]
    scores = applyMask(op, scores, o.attnMask, "attnMask", (m) => (m.rank === 2 ? m : reshape(m, [N, H, L, S])), [
      [L, S],
      [N * H, L, S],
    ]);
    scores = applyMask(op, scores, o.keyPaddingMask, "keyPaddingMask", (m) => reshape(m, [N, 1, 1, S]), [[N, S]]);
    if (expectBooleanOption(op, "isCausal", o.isCausal, false)) scores = applyMask(op, scores, causalMask(L, S, scores), "isCausal", (m) => m, [[L, S]]);
    const weights = softmax(scores, -1);
    const dropped = this.training && this.dropout > 0 ? dropout(weights, this.dropout, { key: expectKeyGiven(op, o.key) }) : weights;
    const heads = reshape(transpose(matmul(dropped, v), 1, 2), [N, L, E]);
    const out = this.out_proj.forward(heads);
    return {
      output: this.batchFirst ? out : transpose(out, 0, 1),
      weights: expectBooleanOption(op, "averageAttnWeights", o.averageAttnWeights, true) ? mean(weights, 1) : weights,
    };
  }

  /** The attention output alone, without masks: `attend(query, key, value).output`. */
  forward(query: Tensor, key?: Tensor, value?: Tensor): Tensor {
    return this.attend(query, key ?? query, value ?? key ?? query).output;
  }
}

/** A dropout probability in [0, 1), default 0. */
export function expectDropout(op: string, value: unknown): number {
  const p = value === undefined ? 0 : expectFinite(op, "dropout", value);
  if (!(p >= 0 && p < 1)) throw invalidArgument(op, `dropout must be in [0, 1), got ${p}`, { argument: "dropout", got: p });
  return p;
}

/** The dropout key, required in training mode with dropout > 0. */
export function expectKeyGiven(op: string, key: Tensor | undefined): Tensor {
  if (key === undefined) throw invalidArgument(op, "dropout > 0 in training mode needs a key: pass { key } (or call eval())", { argument: "key" });
  return key;
}

/** The [L, S] bool mask of the positions j > i (the future). */
function causalMask(L: number, S: number, like: Tensor): Tensor {
  const m = new Uint8Array(L * S);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) m[i * S + j] = 1;
  return tensor(m, { dtype: "bool", device: like.device, shape: [L, S] });
}

/** scores with a bool mask applied as −∞ where true, or a float mask added; the mask's shape must be one of `shapes`. */
function applyMask(op: string, scores: Tensor, mask: Tensor | undefined, name: string, view: (m: Tensor) => Tensor, shapes: number[][]): Tensor {
  if (mask === undefined) return scores;
  if (!(mask instanceof Tensor) || !shapes.some((s) => s.length === mask.rank && s.every((d, i) => d === mask.shape[i]))) {
    throw new AdError("ShapeMismatch", `${name} must be ${shapes.map((s) => formatShape(s)).join(" or ")}, got ${mask instanceof Tensor ? formatShape(mask.shape) : typeof mask}`, {
      op,
      argument: name,
    });
  }
  const m = view(mask);
  return mask.dtype === "bool" ? where(m, -Infinity, scores) : add(scores, m);
}
