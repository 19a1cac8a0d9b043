/**
 * A character-level GPT for `npm run demo:gpt`: token and learned position embeddings, pre-norm
 * causal transformer blocks (nn's TransformerEncoderLayer with normFirst and isCausal), a final
 * LayerNorm and a separate (untied) linear head. Built from nn's layers only, so its gradients,
 * `Module.call` (what the jitted step differentiates) and its state dict come from them.
 */
import { Embedding, LayerNorm, Linear, Module, normal, TransformerEncoderLayer } from "../src/nn/index.js";
import * as T from "../src/tensor/index.js";
import type { Tensor } from "../src/tensor/index.js";

export interface GptConfig {
  readonly vocab: number;
  readonly layers: number;
  readonly heads: number;
  readonly width: number;
  /** The longest sequence the position table covers. */
  readonly context: number;
}

export class Gpt extends Module {
  readonly tokens: Embedding;
  readonly positions: Embedding;
  readonly blocks: TransformerEncoderLayer[];
  readonly norm: LayerNorm;
  readonly head: Linear;

  constructor(
    readonly config: GptConfig,
    rng: T.Rng,
  ) {
    super();
    const { vocab, layers, heads, width, context } = config;
    this.tokens = this.child("tokens", new Embedding(vocab, width, { rng }));
    this.positions = this.child("positions", new Embedding(context, width, { rng }));
    // No dropout: the demo trains for a few thousand steps, far from overfitting 300 KB of text.
    const block = () => new TransformerEncoderLayer(width, heads, { rng, dimFeedforward: 4 * width, dropout: 0, activation: "gelu", batchFirst: true, normFirst: true });
    this.blocks = Array.from({ length: layers }, (_, i) => this.child(`block${i}`, block()));
    this.norm = this.child("norm", new LayerNorm(width));
    this.head = this.child("head", new Linear(width, vocab, { rng }));
    // GPT-2's N(0, 0.02) embeddings: PyTorch's N(0, 1) default would swamp the residual stream at the start.
    T.noGrad(() => {
      for (const e of [this.tokens, this.positions]) e.weight.assign(normal(e.weight.shape, 0, 0.02, { rng }));
    });
  }

  /** Token indices [B, T] (int32, T ≤ context) → next-token logits [B, T, vocab]. */
  forward(indices: Tensor): Tensor {
    const length = indices.shape[1];
    let x = T.add(this.tokens.forward(indices), T.slice(this.positions.weight, [[0, length]]));
    for (const block of this.blocks) x = block.encode(x, { isCausal: true });
    return this.head.forward(this.norm.forward(x));
  }
}
