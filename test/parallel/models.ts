/** Small MLP and CNN gradient steps for the data-parallel tests: a mean loss over the batch, so the shards' weighted mean is the batch's. */
import {
  add,
  conv2d,
  logSoftmax,
  matmul,
  maxPool2d,
  mul,
  randint,
  randn,
  relu,
  reshape,
  rng,
  sum,
  oneHot,
  cast,
  valueAndGrad,
  type DType,
  type Tensor,
} from "../../src/tensor/index.js";

export type Mlp = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
export type Cnn = { wc: Tensor; bc: Tensor; wd: Tensor; bd: Tensor };
export type Batch = [x: Tensor, labels: Tensor];

/** Mean cross-entropy against one-hot labels (float, so the batch is one dtype). */
function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return mul(sum(mul(labels, logSoftmax(logits))), -1 / logits.shape[0]);
}

export const mlpLoss = (p: Mlp, [x, y]: Batch) => crossEntropy(add(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), p.b2), y);

export function cnnLoss(p: Cnn, [x, y]: Batch): Tensor {
  const n = x.shape[0];
  const features = relu(add(conv2d(x, p.wc), reshape(p.bc, [1, p.wc.shape[0], 1, 1])));
  const pooled = maxPool2d(features, { kernel: 2 });
  return crossEntropy(add(matmul(reshape(pooled, [n, pooled.size / n]), p.wd), p.bd), y);
}

export const mlpStep = valueAndGrad(mlpLoss);
export const cnnStep = valueAndGrad(cnnLoss);

export function mlpParams(seed: number, dtype: DType = "float64", [inputs, hidden, classes] = [12, 16, 3]): Mlp {
  const r = rng(seed);
  const n = (shape: number[], scale: number) => mul(randn(shape, { rng: r, dtype }), scale);
  return { w1: n([inputs, hidden], 0.4), b1: n([hidden], 0.1), w2: n([hidden, classes], 0.4), b2: n([classes], 0.1) };
}

export function cnnParams(seed: number, dtype: DType = "float64"): Cnn {
  const r = rng(seed);
  const n = (shape: number[], scale: number) => mul(randn(shape, { rng: r, dtype }), scale);
  // 8×8 images, 4 filters 3×3 → 6×6 → pooled 3×3: 36 features.
  return { wc: n([4, 1, 3, 3], 0.5), bc: n([4], 0.1), wd: n([36, 3], 0.3), bd: n([3], 0.1) };
}

export function batchOf(seed: number, rows: number, example: number[], dtype: DType = "float64", classes = 3): Batch {
  const r = rng(seed);
  return [randn([rows, ...example], { rng: r, dtype }), cast(oneHot(randint(0, classes, [rows], { rng: r }), classes), dtype)];
}
