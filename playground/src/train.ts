/**
 * The MNIST MLP of the playground's second tab, trained in the page with adjoint/nn and
 * adjoint/optim: 784 → 128 (ReLU) → 10, cross-entropy from logits, Adam, batches of 64, a few steps per animation frame so the page
 * stays live. Prediction of a drawn digit and its saliency map (|∂ logit / ∂ pixel|) come from
 * the same model. The parameters live on the device the trainer was made for (a tree that
 * `model.call` substitutes), and every read is `await t.read()`, which every device answers.
 */
import * as T from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { crossEntropy, Linear, ReLU, Sequential, type ParameterTree } from "../../src/nn/index.js";
import { Adam } from "../../src/optim/index.js";

export const PIXELS = 784;

export interface Digits {
  readonly count: number;
  readonly labels: Uint8Array;
  /** count × 784 grey levels in [0, 1]. */
  readonly images: Float32Array;
}

export async function fetchDigits(url = "digits.bin"): Promise<Digits> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const count = new DataView(bytes.buffer).getUint32(0, true);
  const labels = bytes.slice(4, 4 + count);
  const images = new Float32Array(count * PIXELS);
  for (let i = 0; i < images.length; i++) images[i] = bytes[4 + count + i] / 255;
  return { count, labels, images };
}

export class Trainer {
  private readonly rng;
  private readonly model: Sequential;
  private readonly opt: Adam;
  private readonly params: ParameterTree;
  readonly losses: number[] = [];
  /** Examples [0, test) are held out for the accuracy; the rest train. */
  readonly test: number;

  constructor(
    private readonly data: Digits,
    /** The device the parameters and batches are on: "cpu" or "webgpu". */
    readonly device = "cpu",
    seed = 1,
    lr = 2e-3,
    private readonly batch = 64,
  ) {
    this.rng = T.rng(seed);
    this.model = new Sequential(new Linear(PIXELS, 128, { rng: this.rng }), new ReLU(), new Linear(128, 10, { rng: this.rng }));
    const trained: Tensor[] = [];
    const onDevice = (tree: ParameterTree): ParameterTree =>
      Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v instanceof T.Tensor ? (trained[trained.length] = v.detach().to(device).requireGrad()) : onDevice(v)]));
    this.params = onDevice(this.model.parameterTree());
    this.opt = new Adam(trained, { lr });
    this.test = Math.min(1000, Math.floor(data.count / 5));
  }

  private forward(x: Tensor): Tensor {
    return this.model.call(this.params, x);
  }

  /** crossEntropy checks integer labels by reading them synchronously, which the GPU cannot: there one-hot rows give the same loss. */
  private labels(y: Int32Array): Tensor {
    const t = T.tensor(y, { dtype: "int32" });
    return this.device === "cpu" ? t : T.cast(T.oneHot(t, 10), "float32").to(this.device);
  }

  get steps(): number {
    return this.opt.stepCount;
  }

  /** One Adam step on a random batch of the training part; returns its loss. */
  async step(): Promise<number> {
    const { data, batch } = this;
    const x = new Float32Array(batch * PIXELS);
    const y = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      const k = this.test + Math.floor(this.rng.uniform() * (data.count - this.test));
      x.set(data.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      y[i] = data.labels[k];
    }
    const loss = crossEntropy(this.forward(T.tensor(x, { shape: [batch, PIXELS] }).to(this.device)), this.labels(y));
    this.opt.zeroGrad(); // before, not after: nothing else (a saliency map) may have left gradients behind
    loss.backward();
    this.opt.step();
    const l = (await loss.read())[0];
    this.losses.push(l);
    return l;
  }

  /** Share of the held-out digits classified correctly. */
  async accuracy(): Promise<number> {
    const { data, test } = this;
    const out = await T.noGrad(() => T.argmax(this.forward(T.tensor(data.images.subarray(0, test * PIXELS), { shape: [test, PIXELS] }).to(this.device)), -1)).read();
    let right = 0;
    for (let i = 0; i < test; i++) if (out[i] === data.labels[i]) right++;
    return right / test;
  }

  /** Class probabilities for one 28×28 image, and the saliency map of the most likely class. */
  async predict(image: Float32Array): Promise<{ probabilities: Float32Array; saliency: Float32Array; digit: number }> {
    const x = T.tensor(image, { shape: [1, PIXELS] }).to(this.device);
    const probabilities = (await T.noGrad(() => T.softmax(this.forward(x), -1)).read()) as Float32Array;
    let digit = 0;
    for (let c = 1; c < 10; c++) if (probabilities[c] > probabilities[digit]) digit = c;
    const pick = T.oneHot(T.tensor([digit], { dtype: "int32" }), 10).to(this.device);
    // JAX style on the same model: the gradient of the chosen logit with respect to the input only.
    const dx = T.grad((input: Tensor) => T.sum(T.mul(this.forward(input), pick)))(x) as Tensor;
    const saliency = Float32Array.from(await dx.read(), Math.abs);
    return { probabilities, saliency, digit };
  }
}
