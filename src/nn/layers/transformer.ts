/**
 * TransformerEncoderLayer and TransformerDecoderLayer with PyTorch's structure and parameter names
 * (`self_attn`, `multihead_attn`, `linear1`, `linear2`, `norm1`…`norm3`), post-norm by default and
 * pre-norm with `normFirst`. Dropout is applied in training mode from a key passed per call
 * (`encode(src, { key })`), split once per dropout site, so a jitted step equals the eager one.
 */
import { asOp, expectBooleanOption, expectFinite, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { gelu, relu } from "../../tensor/primitives/unary.js";
import { add } from "../../tensor/primitives/arithmetic.js";
import { reshape, slice } from "../../tensor/primitives/shape.js";
import { split } from "../../tensor/random.js";
import type { FloatDType } from "../../tensor/dtype.js";
import type { Rng } from "../../tensor/rng.js";
import type { Tensor } from "../../tensor/tensor.js";
import { expectRng, floatDTypeOption } from "../checks.js";
import { Module } from "../module.js";
import { MultiheadAttention, expectDropout, expectKeyGiven, type AttendOptions } from "./attention.js";
import { dropout } from "./dropout.js";
import { Linear } from "./linear.js";
import { LayerNorm } from "./norm.js";

export interface TransformerLayerOptions {
  readonly rng: Rng;
  /** The feed-forward width. Default 2048. */
  readonly dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (training mode; needs a key per call). Default 0.1. */
  readonly dropout?: number;
  /** The feed-forward nonlinearity. Default "relu". */
  readonly activation?: "relu" | "gelu";
  /** LayerNorm's eps. Default 1e-5. */
  readonly layerNormEps?: number;
  /** Inputs [N, L, E] instead of [L, N, E]. Default false. */
  readonly batchFirst?: boolean;
  /** LayerNorm before each block (pre-norm) instead of after the residual. Default false. */
  readonly normFirst?: boolean;
  /** Biases in the linear layers and attention. Default true. */
  readonly bias?: boolean;
  readonly dtype?: FloatDType;
}

const KEYS = ["rng", "dimFeedforward", "dropout", "activation", "layerNormEps", "batchFirst", "normFirst", "bias", "dtype"] as const;

/** The checked options, with the sublayers' common settings. */
function settings(op: string, dModel: number, nhead: number, options: TransformerLayerOptions) {
  expectInteger(op, "dModel", dModel, 1, 2 ** 20);
  expectInteger(op, "nhead", nhead, 1, 2 ** 20);
  const o = expectOptions<TransformerLayerOptions>(op, options, KEYS, true);
  expectRng(op, o.rng);
  const activation = o.activation ?? "relu";
  if (activation !== "relu" && activation !== "gelu")
    throw invalidArgument(op, `activation must be "relu" or "gelu", got ${String(activation)}`, { argument: "activation", key: "activation" });
  const eps = o.layerNormEps === undefined ? 1e-5 : expectFinite(op, "layerNormEps", o.layerNormEps);
  return {
    rng: o.rng,
    dtype: floatDTypeOption(op, o.dtype),
    dimFeedforward: o.dimFeedforward === undefined ? 2048 : expectInteger(op, "dimFeedforward", o.dimFeedforward, 1, 2 ** 24),
    dropout: o.dropout === undefined ? 0.1 : expectDropout(op, o.dropout),
    activation,
    eps,
    batchFirst: expectBooleanOption(op, "batchFirst", o.batchFirst, false),
    normFirst: expectBooleanOption(op, "normFirst", o.normFirst, false),
    bias: expectBooleanOption(op, "bias", o.bias, true),
  };
}

type Settings = ReturnType<typeof settings>;

/** The parts both layers share: self-attention, the feed-forward block and dropout from per-call keys. */
abstract class TransformerLayer extends Module {
  readonly self_attn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  protected readonly s: Settings;

  constructor(op: string, dModel: number, nhead: number, options: TransformerLayerOptions) {
    super();
    const s = settings(op, dModel, nhead, options);
    this.s = s;
    const init = { rng: s.rng, dtype: s.dtype, bias: s.bias };
    this.self_attn = this.child("self_attn", new MultiheadAttention(dModel, nhead, { ...init, dropout: s.dropout, batchFirst: s.batchFirst }));
    this.linear1 = this.child("linear1", new Linear(dModel, s.dimFeedforward, init));
    this.linear2 = this.child("linear2", new Linear(s.dimFeedforward, dModel, init));
    this.norm1 = this.child("norm1", new LayerNorm(dModel, { eps: s.eps, dtype: s.dtype }));
    this.norm2 = this.child("norm2", new LayerNorm(dModel, { eps: s.eps, dtype: s.dtype }));
  }

  /** Dropout sites draw from `keys` in order (none outside training or with p = 0). */
  protected drop(x: Tensor, keys: Tensor[] | null): Tensor {
    if (keys === null) return x;
    return dropout(x, this.s.dropout, { key: keys.shift() as Tensor });
  }

  /** `count` keys split from the call's key when dropout is active, else null. */
  protected keys(op: string, key: Tensor | undefined, count: number): Tensor[] | null {
    if (!this.training || this.s.dropout === 0) return null;
    const all = split(expectKeyGiven(op, key), count);
    return Array.from({ length: count }, (_, i) => reshape(slice(all, [[i, i + 1]]), [-1]));
  }

  protected feedForward(x: Tensor, keys: Tensor[] | null): Tensor {
    const h = this.linear1.forward(x);
    return this.drop(this.linear2.forward(this.drop(this.s.activation === "relu" ? relu(h) : gelu(h), keys)), keys);
  }

  /** `x + block(norm(x))` with normFirst, else `norm(x + block(x))`. */
  protected residual(x: Tensor, norm: LayerNorm, block: (t: Tensor) => Tensor): Tensor {
    return this.s.normFirst ? add(x, block(norm.forward(x))) : norm.forward(add(x, block(x)));
  }
}

export interface EncodeOptions {
  /** Self-attention mask [L, L] (see MultiheadAttention). */
  readonly srcMask?: Tensor;
  /** [N, L], true at padding. */
  readonly srcKeyPaddingMask?: Tensor;
  readonly isCausal?: boolean;
  /** The dropout key in training mode. */
  readonly key?: Tensor;
}

/** Self-attention then a feed-forward block, each with a residual connection and LayerNorm. */
export class TransformerEncoderLayer extends TransformerLayer {
  constructor(dModel: number, nhead: number, options: TransformerLayerOptions) {
    super("TransformerEncoderLayer", dModel, nhead, options);
  }

  encode(src: Tensor, options: EncodeOptions = {}): Tensor {
    const op = "TransformerEncoderLayer.forward";
    const o = expectOptions<EncodeOptions>(op, options, ["srcMask", "srcKeyPaddingMask", "isCausal", "key"]);
    const keys = this.keys(op, o.key, 4);
    const attend: AttendOptions = { attnMask: o.srcMask, keyPaddingMask: o.srcKeyPaddingMask, isCausal: o.isCausal, key: keys?.shift() };
    // Inner ops (a matmul refusing a bool input, …) report as the layer the user called.
    return asOp(op, () => {
      const x = this.residual(src, this.norm1, (t) => this.drop(this.self_attn.attend(t, t, t, attend).output, keys));
      return this.residual(x, this.norm2, (t) => this.feedForward(t, keys));
    });
  }

  forward(src: Tensor): Tensor {
    return this.encode(src);
  }
}

export interface DecodeOptions {
  readonly tgtMask?: Tensor;
  readonly memoryMask?: Tensor;
  readonly tgtKeyPaddingMask?: Tensor;
  readonly memoryKeyPaddingMask?: Tensor;
  readonly tgtIsCausal?: boolean;
  readonly key?: Tensor;
}

/** Self-attention, attention over the encoder's memory, then a feed-forward block, each with a residual connection and LayerNorm. */
export class TransformerDecoderLayer extends TransformerLayer {
  readonly multihead_attn: MultiheadAttention;
  readonly norm3: LayerNorm;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions) {
    super("TransformerDecoderLayer", dModel, nhead, options);
    const s = this.s;
    this.multihead_attn = this.child(
      "multihead_attn",
      new MultiheadAttention(dModel, nhead, { rng: s.rng, dtype: s.dtype, bias: s.bias, dropout: s.dropout, batchFirst: s.batchFirst }),
    );
    this.norm3 = this.child("norm3", new LayerNorm(dModel, { eps: s.eps, dtype: s.dtype }));
  }

  decode(tgt: Tensor, memory: Tensor, options: DecodeOptions = {}): Tensor {
    const op = "TransformerDecoderLayer.forward";
    const o = expectOptions<DecodeOptions>(op, options, ["tgtMask", "memoryMask", "tgtKeyPaddingMask", "memoryKeyPaddingMask", "tgtIsCausal", "key"]);
    const keys = this.keys(op, o.key, 6);
    const self: AttendOptions = { attnMask: o.tgtMask, keyPaddingMask: o.tgtKeyPaddingMask, isCausal: o.tgtIsCausal, key: keys?.shift() };
    const cross: AttendOptions = { attnMask: o.memoryMask, keyPaddingMask: o.memoryKeyPaddingMask, key: keys?.shift() };
    // Inner ops (a matmul refusing a bool input, …) report as the layer the user called.
    return asOp(op, () => {
      const x = this.residual(tgt, this.norm1, (t) => this.drop(this.self_attn.attend(t, t, t, self).output, keys));
      const y = this.residual(x, this.norm2, (t) => this.drop(this.multihead_attn.attend(t, memory, memory, cross).output, keys));
      return this.residual(y, this.norm3, (t) => this.feedForward(t, keys));
    });
  }

  forward(tgt: Tensor, memory: Tensor): Tensor {
    return this.decode(tgt, memory);
  }
}
