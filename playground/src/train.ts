/**
 * The MNIST MLP of the playground's second tab, trained in the page with adjoint/nn and
 * adjoint/optim: 784 → 128 (ReLU) → 10, cross-entropy from logits, Adam, batches of 64, a few steps per animation frame so the page
 * stays live. Prediction of a drawn digit and its saliency map (|∂ logit / ∂ pixel|) come from
 * the same model.
 */
import * as T from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { crossEntropy, Linear, ReLU, Sequential } from "../../src/nn/index.js";
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
  readonly losses: number[] = [];
  /** Examples [0, test) are held out for the accuracy; the rest train. */
  readonly test: number;

  constructor(private readonly data: Digits, seed = 1, lr = 2e-3, private readonly batch = 64) {
    this.rng = T.rng(seed);
    this.model = new Sequential(new Linear(PIXELS, 128, { rng: this.rng }), new ReLU(), new Linear(128, 10, { rng: this.rng }));
    this.opt = new Adam(this.model.parameters(), { lr });
    this.test = Math.min(1000, Math.floor(data.count / 5));
  }

  get steps(): number {
    return this.opt.stepCount;
  }

  /** One Adam step on a random batch of the training part; returns its loss. */
  step(): number {
    const { data, batch } = this;
    const x = new Float32Array(batch * PIXELS);
    const y = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      const k = this.test + Math.floor(this.rng.uniform() * (data.count - this.test));
      x.set(data.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      y[i] = data.labels[k];
    }
    const loss = crossEntropy(this.model.forward(T.tensor(x, { shape: [batch, PIXELS] })), T.tensor(y, { dtype: "int32" }));
    this.opt.zeroGrad(); // before, not after: nothing else (a saliency map) may have left gradients behind
    loss.backward();
    this.opt.step();
    const l = loss.item();
    this.losses.push(l);
    return l;
  }

  /** Share of the held-out digits classified correctly. */
  accuracy(): number {
    const { data, test } = this;
    const out = T.noGrad(() => T.argmax(this.model.forward(T.tensor(data.images.subarray(0, test * PIXELS), { shape: [test, PIXELS] })), -1)).data();
    let right = 0;
    for (let i = 0; i < test; i++) if (out[i] === data.labels[i]) right++;
    return right / test;
  }

  /** Class probabilities for one 28×28 image, and the saliency map of the most likely class. */
  predict(image: Float32Array): { probabilities: Float32Array; saliency: Float32Array; digit: number } {
    const x = T.tensor(image, { shape: [1, PIXELS] });
    const probabilities = T.noGrad(() => T.softmax(this.model.forward(x), -1)).data() as Float32Array;
    let digit = 0;
    for (let c = 1; c < 10; c++) if (probabilities[c] > probabilities[digit]) digit = c;
    const pick = T.oneHot(T.tensor([digit], { dtype: "int32" }), 10);
    // JAX style on the same model: the gradient of the chosen logit with respect to the input only.
    const params = this.model.parameterTree();
    const dx = T.grad((input: Tensor) => T.sum(T.mul(this.model.call(params, input), pick)))(x) as Tensor;
    const saliency = Float32Array.from(dx.data(), Math.abs);
    return { probabilities, saliency, digit };
  }
}
