/**
 * Composite losses cross-checked against TensorFlow.js gradients (a second, independent
 * implementation) in float32: an MLP with softmax cross-entropy, a small conv net, and a layer norm.
 * Same inputs in both libraries; every parameter's gradient must agree to 1e-5 (relative to the
 * gradient's scale).
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { add, conv2d, div, grad, logSoftmax, matmul, maxPool2d, mean, mul, randn, relu, rng, rsqrt, sub, sum, tensor, type Tensor } from "../../src/tensor/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

function expectClose(ours: Tensor, theirs: tf.Tensor, what: string): void {
  const a = Array.from(ours.data());
  const b = Array.from(theirs.dataSync());
  expect(a.length, what).toBe(b.length);
  const scale = Math.max(1e-3, ...b.map(Math.abs));
  a.forEach((x, i) => expect(Math.abs(x - b[i]) / scale, `${what}[${i}]: ${x} vs ${b[i]}`).toBeLessThanOrEqual(1e-5));
}

const toTf = (t: Tensor): tf.Tensor => tf.tensor(Array.from(t.data()), [...t.shape], "float32");

describe("against TensorFlow.js (float32)", () => {
  it("MLP with softmax cross-entropy: gradients of every weight", () => {
    const g = rng(1);
    const x = randn([8, 5], { rng: g });
    const w1 = randn([5, 6], { rng: g });
    const b1 = randn([6], { rng: g });
    const w2 = randn([6, 3], { rng: g });
    const b2 = randn([3], { rng: g });
    const labels = tensor(Array.from({ length: 8 }, (_, i) => [0, 1, 2].map((k) => (k === i % 3 ? 1 : 0))));
    const loss = (p1: Tensor, q1: Tensor, p2: Tensor, q2: Tensor) => {
      const h = relu(add(matmul(x, p1), q1));
      const logits = add(matmul(h, p2), q2);
      return div(sum(mul(labels, logSoftmax(logits))), -8);
    };
    const ours = grad(loss, { argnums: [0, 1, 2, 3] })(w1, b1, w2, b2) as Tensor[];
    const tx = toTf(x);
    const tl = toTf(labels);
    const theirs = tf.grads((p1: tf.Tensor, q1: tf.Tensor, p2: tf.Tensor, q2: tf.Tensor) => {
      const h = tf.relu(tf.add(tf.matMul(tx as tf.Tensor2D, p1 as tf.Tensor2D), q1));
      const logits = tf.add(tf.matMul(h as tf.Tensor2D, p2 as tf.Tensor2D), q2);
      return tf.losses.softmaxCrossEntropy(tl, logits);
    })([toTf(w1), toTf(b1), toTf(w2), toTf(b2)]);
    ["w1", "b1", "w2", "b2"].forEach((name, i) => expectClose(ours[i], theirs[i], name));
  });

  it("conv net (conv 3x3, relu, max pool, dense): gradients of the filters and the dense weights", () => {
    const g = rng(2);
    const x = randn([2, 3, 6, 6], { rng: g }); // NCHW
    const w = randn([4, 3, 3, 3], { rng: g }); // [F, C, KH, KW]
    const d = randn([4 * 2 * 2, 5], { rng: g });
    const loss = (filters: Tensor, dense: Tensor) => {
      const h = maxPool2d(relu(conv2d(x, filters)), { kernel: 2 }); // [2, 4, 2, 2]
      const flat = h.reshape([2, 16]);
      return sum(mul(matmul(flat, dense), matmul(flat, dense)));
    };
    const ours = grad(loss, { argnums: [0, 1] })(w, d) as Tensor[];
    // TF.js is NHWC with filters [KH, KW, C, F]; flatten in our NCHW order for the dense layer.
    const tx = tf.transpose(toTf(x), [0, 2, 3, 1]) as tf.Tensor4D;
    const theirs = tf.grads((filters: tf.Tensor, dense: tf.Tensor) => {
      const f = tf.transpose(filters, [2, 3, 1, 0]) as tf.Tensor4D;
      const h = tf.maxPool(tf.relu(tf.conv2d(tx, f, 1, "valid")), 2, 2, "valid");
      const flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [2, 16]) as tf.Tensor2D;
      const y = tf.matMul(flat, dense as tf.Tensor2D);
      return tf.sum(tf.mul(y, y));
    })([toTf(w), toTf(d)]);
    expectClose(ours[0], theirs[0], "filters");
    expectClose(ours[1], theirs[1], "dense");
  });

  it("layer norm: gradients of the input, the scale and the shift", () => {
    const g = rng(3);
    const x = randn([4, 6], { rng: g });
    const gamma = randn([6], { rng: g });
    const beta = randn([6], { rng: g });
    const target = randn([4, 6], { rng: g });
    const eps = 1e-5;
    const loss = (xs: Tensor, scale: Tensor, shift: Tensor) => {
      const mu = mean(xs, -1, true);
      const centred = sub(xs, mu);
      const variance = mean(mul(centred, centred), -1, true);
      const y = add(mul(mul(centred, rsqrt(add(variance, eps))), scale), shift);
      return sum(mul(y, target));
    };
    const ours = grad(loss, { argnums: [0, 1, 2] })(x, gamma, beta) as Tensor[];
    const tt = toTf(target);
    const theirs = tf.grads((xs: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor) => {
      const { mean: mu, variance } = tf.moments(xs, -1, true);
      const y = tf.add(tf.mul(tf.mul(tf.sub(xs, mu), tf.rsqrt(tf.add(variance, eps))), scale), shift);
      return tf.sum(tf.mul(y, tt));
    })([toTf(x), toTf(gamma), toTf(beta)]);
    ["x", "gamma", "beta"].forEach((name, i) => expectClose(ours[i], theirs[i], name));
  });
});
