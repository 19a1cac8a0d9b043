/**
 * The optimisers against TensorFlow.js's on the same problem and the same gradients (float32): 5
 * steps of tf.train.sgd, momentum (plain and Nesterov), adam and rmsprop. Conventions compared where
 * they coincide: TF.js's Adam is PyTorch's (ε on √v̂); its RMSprop takes ε inside the root and lr
 * inside the momentum buffer, so ε is made negligible (1e-10 against v ~ 1) and lr is constant.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, it } from "vitest";
import { Adam, RMSprop, SGD, type Optimizer } from "../../src/optim/index.js";
import { tensor } from "../../src/tensor/creation.js";
import { mul, sub } from "../../src/tensor/primitives/arithmetic.js";
import { sum } from "../../src/tensor/primitives/reduce.js";
import { tanh } from "../../src/tensor/primitives/unary.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { expectAllClose } from "../support/allclose.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

const p0 = [0.5, 1.5, -2, 0.3];
const c = [2, -1, 0.5, 0];
// A non-quadratic loss, so the gradient changes in a way that tests the whole trajectory.
const ours = (p: Tensor) => {
  const d = sub(tanh(p), tensor(c));
  return sum(mul(d, d));
};
const theirs = (p: tf.Variable) => tf.sum(tf.square(tf.sub(tf.tanh(p), tf.tensor1d(c))));

let variables = 0;

function compare(what: string, make: (p: Tensor) => Optimizer, tfOpt: tf.Optimizer, rtol = 2e-5): void {
  const p = tensor(p0).requireGrad();
  const opt = make(p);
  const v = tf.variable(tf.tensor1d(p0), true, `optim_p${variables++}`);
  for (let step = 0; step < 5; step++) {
    opt.zeroGrad();
    ours(p).backward();
    opt.step();
    const { grads } = tf.variableGrads(() => theirs(v) as tf.Scalar, [v]);
    tfOpt.applyGradients(grads);
    expectAllClose(Array.from(p.data()), Array.from(v.dataSync()), rtol, 1e-6, `${what}, step ${step + 1}`);
  }
  v.dispose();
  tfOpt.dispose();
}

describe("optimisers agree with TensorFlow.js", () => {
  it("sgd", () => compare("sgd", (p) => new SGD([p], { lr: 0.1 }), tf.train.sgd(0.1)));
  it("momentum", () => compare("momentum", (p) => new SGD([p], { lr: 0.1, momentum: 0.9 }), tf.train.momentum(0.1, 0.9)));
  it("Nesterov momentum", () => compare("nesterov", (p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), tf.train.momentum(0.1, 0.9, true)));
  it("adam", () => compare("adam", (p) => new Adam([p], { lr: 0.05, betas: [0.9, 0.99], eps: 1e-7 }), tf.train.adam(0.05, 0.9, 0.99, 1e-7)));
  it("rmsprop", () => compare("rmsprop", (p) => new RMSprop([p], { lr: 0.01, alpha: 0.9, eps: 1e-10 }), tf.train.rmsprop(0.01, 0.9, 0, 1e-10)));
  it("rmsprop with momentum", () => compare("rmsprop-m", (p) => new RMSprop([p], { lr: 0.01, alpha: 0.9, momentum: 0.8, eps: 1e-10 }), tf.train.rmsprop(0.01, 0.9, 0.8, 1e-10)));
  it("centered rmsprop", () => compare("rmsprop-c", (p) => new RMSprop([p], { lr: 0.01, alpha: 0.9, centered: true, eps: 1e-10 }), tf.train.rmsprop(0.01, 0.9, 0, 1e-10, true)));
});
