/// <reference types="vite/client" />
/**
 * The character-level GPT of the playground's third tab: demo/gptModel.ts's `Gpt`, tiny (2 layers,
 * 2 heads, width 64, context 32), trained eagerly with Adam on batches of 8 windows of the demo's
 * text, on the device the tab's switch picks. Like train.ts, the parameters live on that device (a
 * tree `model.call` substitutes) and every read is `await read()`.
 */
import * as T from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { crossEntropy, type ParameterTree } from "../../src/nn/index.js";
import { Adam } from "../../src/optim/index.js";
import { Gpt } from "../../demo/gptModel.js";
import { sample, tokenize, uniforms, windows } from "../../demo/gptText.js";
import shakespeare from "../../demo/data/shakespeare.txt?raw";

export class GptTrainer {
  private readonly model: Gpt;
  private readonly params: ParameterTree;
  private readonly opt: Adam;
  private readonly nextUniform: () => number;
  private readonly text = tokenize(shakespeare);
  readonly losses: number[] = [];

  constructor(
    /** "cpu" or "webgpu". */
    readonly device = "cpu",
    readonly seed = 1,
    private readonly batch = 8,
  ) {
    this.model = new Gpt({ vocab: this.text.vocab.length, layers: 2, heads: 2, width: 64, context: 32 }, T.rng(seed));
    this.nextUniform = uniforms(seed);
    const trained: Tensor[] = [];
    const onDevice = (tree: ParameterTree): ParameterTree =>
      Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v instanceof T.Tensor ? (trained[trained.length] = v.detach().to(device).requireGrad()) : onDevice(v)]));
    this.params = onDevice(this.model.parameterTree());
    this.opt = new Adam(trained, { lr: 3e-3 });
  }

  get steps(): number {
    return this.opt.stepCount;
  }

  /** One Adam step on a random batch of windows; returns its loss. */
  async step(): Promise<number> {
    const { batch, device } = this;
    const { context, vocab } = this.model.config;
    const [x, y] = windows(this.text.tokens, batch, context, this.nextUniform, 0, this.text.tokens.length);
    const rows = batch * context;
    const logits = T.reshape(this.model.call(this.params, x.to(device)), [rows, vocab]);
    // crossEntropy checks integer labels by reading them synchronously, which the GPU cannot: there one-hot rows give the same loss.
    const labels = device === "cpu" ? T.reshape(y, [rows]) : T.cast(T.oneHot(T.reshape(y, [rows]), vocab), "float32").to(device);
    const loss = crossEntropy(logits, labels);
    this.opt.zeroGrad();
    loss.backward();
    this.opt.step();
    const l = (await loss.read())[0];
    this.losses.push(l);
    return l;
  }

  /** `length` characters after a newline, temperature sampling from `random.key(seed)`. */
  async sample(length = 80, temperature = 0.8): Promise<string> {
    const { vocab, tokenOf } = this.text;
    const tokens = await sample((x) => this.model.call(this.params, x.to(this.device)), this.model.config, tokenOf.get("\n") ?? 0, length, temperature, this.seed);
    return tokens.map((t) => vocab[t]).join("");
  }
}
