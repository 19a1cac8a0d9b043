/**
 * The MNIST MLP of the playground's second tab, trained in the page: 784 → 128 (ReLU) → 10,
 * cross-entropy from logits, Adam, batches of 64, a few steps per animation frame so the page
 * stays live. Prediction of a drawn digit and its saliency map (|∂ logit / ∂ pixel|) come from
 * the same model.
 */
import * as T from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";

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

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };

const logits = (p: Params, x: Tensor) => T.add(T.matmul(T.relu(T.add(T.matmul(x, p.w1), p.b1)), p.w2), p.b2);

function loss(p: Params, x: Tensor, y: Tensor): Tensor {
  return T.neg(T.mean(T.sum(T.mul(T.logSoftmax(logits(p, x), -1), y), -1)));
}

export class Trainer {
  private params: Params;
  private readonly m: Params;
  private readonly v: Params;
  private readonly rng;
  private readonly valueAndGrad = T.valueAndGrad(loss);
  private t = 0;
  readonly losses: number[] = [];
  /** Examples [0, test) are held out for the accuracy; the rest train. */
  readonly test: number;

  constructor(private readonly data: Digits, seed = 1, private readonly lr = 2e-3, private readonly batch = 64) {
    this.rng = T.rng(seed);
    const he = (fanIn: number, fanOut: number) => T.mul(T.randn([fanIn, fanOut], { rng: this.rng }), Math.sqrt(2 / fanIn));
    this.params = { w1: he(PIXELS, 128), b1: T.zeros([128]), w2: he(128, 10), b2: T.zeros([10]) };
    const zeros = (p: Params): Params => ({ w1: T.zeros(p.w1.shape), b1: T.zeros(p.b1.shape), w2: T.zeros(p.w2.shape), b2: T.zeros(p.b2.shape) });
    this.m = zeros(this.params);
    this.v = zeros(this.params);
    this.test = Math.min(1000, Math.floor(data.count / 5));
  }

  get steps(): number {
    return this.t;
  }

  /** One Adam step on a random batch of the training part; returns its loss. */
  step(): number {
    const { data, batch } = this;
    const x = new Float32Array(batch * PIXELS);
    const y = new Float32Array(batch * 10);
    for (let i = 0; i < batch; i++) {
      const k = this.test + Math.floor(this.rng.uniform() * (data.count - this.test));
      x.set(data.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      y[i * 10 + data.labels[k]] = 1;
    }
    const [value, g] = this.valueAndGrad(this.params, T.tensor(x, { shape: [batch, PIXELS] }), T.tensor(y, { shape: [batch, 10] })) as [Tensor, Params];
    this.t++;
    const [b1, b2] = [0.9, 0.999];
    const lrT = (this.lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    T.noGrad(() => {
      for (const k of ["w1", "b1", "w2", "b2"] as const) {
        this.m[k].assign(T.add(T.mul(this.m[k], b1), T.mul(g[k], 1 - b1)));
        this.v[k].assign(T.add(T.mul(this.v[k], b2), T.mul(T.mul(g[k], g[k]), 1 - b2)));
        this.params[k].assign(T.sub(this.params[k], T.mul(T.div(this.m[k], T.add(T.sqrt(this.v[k]), 1e-8)), lrT)));
      }
    });
    const l = value.item();
    this.losses.push(l);
    return l;
  }

  /** Share of the held-out digits classified correctly. */
  accuracy(): number {
    const { data, test } = this;
    const out = T.noGrad(() => T.argmax(logits(this.params, T.tensor(data.images.subarray(0, test * PIXELS), { shape: [test, PIXELS] })), -1)).data();
    let right = 0;
    for (let i = 0; i < test; i++) if (out[i] === data.labels[i]) right++;
    return right / test;
  }

  /** Class probabilities for one 28×28 image, and the saliency map of the most likely class. */
  predict(image: Float32Array): { probabilities: Float32Array; saliency: Float32Array; digit: number } {
    const x = T.tensor(image, { shape: [1, PIXELS] });
    const probabilities = T.noGrad(() => T.softmax(logits(this.params, x), -1)).data() as Float32Array;
    let digit = 0;
    for (let c = 1; c < 10; c++) if (probabilities[c] > probabilities[digit]) digit = c;
    const pick = T.oneHot(T.tensor([digit], { dtype: "int32" }), 10);
    const dx = T.grad((input: Tensor) => T.sum(T.mul(logits(this.params, input), pick)))(x) as Tensor;
    const saliency = Float32Array.from(dx.data(), Math.abs);
    return { probabilities, saliency, digit };
  }
}
