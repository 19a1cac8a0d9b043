/**
 * End to end: a 2-layer MLP learns XOR with each optimiser, in the PyTorch style (`backward` +
 * `step`) and in the JAX style (`valueAndGrad` over `parameterTree()` + `call` + `update`); a linear
 * regression fitted with minibatches; a tiny conv net with BatchNorm and Dropout whose loss falls.
 */
import { describe, expect, it } from "vitest";
import { BatchNorm2d, Conv2d, crossEntropy, DataLoader, Dropout, Flatten, Linear, MaxPool2d, mseLoss, ReLU, Sequential, Tanh, type ParameterTree } from "../../src/nn/index.js";
import { Adam, AdamW, RMSprop, SGD, clipGradNorm, warmupCosine, type Optimizer, type Params } from "../../src/optim/index.js";
import { valueAndGrad } from "../../src/tensor/autograd/transforms.js";
import { noGrad } from "../../src/tensor/autograd/mode.js";
import { randn, tensor } from "../../src/tensor/creation.js";
import { add, mul } from "../../src/tensor/primitives/arithmetic.js";
import { matmul } from "../../src/tensor/primitives/matmul.js";
import { argmax } from "../../src/tensor/primitives/reduce.js";
import { rng } from "../../src/tensor/rng.js";

const x = tensor([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const y = [0, 1, 1, 0];
const mlp = () => new Sequential(new Linear(2, 16, { rng: rng(1) }), new Tanh(), new Linear(16, 2, { rng: rng(2) }));

const optimisers: [string, (ps: Params) => Optimizer, number][] = [
  ["SGD", (ps) => new SGD(ps, { lr: 0.5, momentum: 0.9 }), 300],
  ["Adam", (ps) => new Adam(ps, { lr: 0.05 }), 200],
  ["AdamW", (ps) => new AdamW(ps, { lr: 0.05, weightDecay: 0.01 }), 200],
  ["RMSprop", (ps) => new RMSprop(ps, { lr: 0.02 }), 200],
];

describe("an MLP learns XOR", () => {
  it.each(optimisers)("%s, PyTorch style", (_name, make, steps) => {
    const model = mlp();
    const opt = make(model.parameters());
    const first = crossEntropy(model.forward(x), y).item();
    let last = first;
    for (let i = 0; i < steps; i++) {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      last = loss.item();
    }
    expect(first).toBeGreaterThan(0.5);
    expect(last).toBeLessThan(0.05);
    expect(
      Array.from(
        argmax(
          noGrad(() => model.forward(x)),
          -1,
        ).data(),
      ),
    ).toEqual(y);
  });

  it.each(optimisers)("%s, JAX style (the same trajectory as the PyTorch style)", (_name, make, steps) => {
    const model = mlp();
    const params = model.parameterTree();
    const opt = make(params);
    const step = valueAndGrad((p: ParameterTree) => crossEntropy(model.call(p, x), y));
    const twin = mlp();
    const twinOpt = make(twin.parameters());
    let last = Infinity;
    for (let i = 0; i < steps; i++) {
      const [loss, g] = step(params);
      opt.update(g);
      last = loss.item();
      twinOpt.zeroGrad();
      crossEntropy(twin.forward(x), y).backward();
      twinOpt.step();
    }
    expect(last).toBeLessThan(0.05);
    // In-place updates of the tree are updates of the module.
    expect(Array.from(argmax(model.forward(x), -1).data())).toEqual(y);
    twin.parameters().forEach((p, i) => expect(Array.from(p.data())).toEqual(Array.from(model.parameters()[i].data())));
  });
});

describe("minibatch training", () => {
  it("linear regression with a DataLoader, Adam, warm-up + cosine and clipping reaches the noise floor", () => {
    const r = rng(3);
    const xs = randn([256, 3], { rng: r });
    const wTrue = tensor([[2], [-1], [0.5]]);
    const ys = add(add(matmul(xs, wTrue), 0.3), mul(randn([256, 1], { rng: r }), 0.01));
    const model = new Linear(3, 1, { rng: rng(4) });
    const epochs = 30;
    const loader = new DataLoader([xs, ys], { batchSize: 32, shuffle: true, seed: 5 });
    const opt = new Adam(model.parameters(), { lr: warmupCosine(0.1, { warmupSteps: 10, totalSteps: epochs * loader.length, minLr: 1e-3 }) });
    for (let e = 0; e < epochs; e++) {
      for (const [xb, yb] of loader) {
        opt.zeroGrad();
        mseLoss(model.forward(xb), yb).backward();
        clipGradNorm(model.parameters(), 5);
        opt.step();
      }
    }
    const final = noGrad(() => mseLoss(model.forward(xs), ys)).item();
    expect(final).toBeLessThan(5e-4);
    expect(Array.from(model.weight.data()).map((v) => Math.round(v * 10) / 10)).toEqual([2, -1, 0.5]);
  });

  it("a conv net with BatchNorm and Dropout: the loss falls, and eval mode is deterministic", () => {
    const r = rng(6);
    const images = randn([32, 1, 6, 6], { rng: r });
    // The class is the sign of the mean of the top half minus the bottom half.
    const data = images.toArray() as number[][][][];
    const labels = data.map((img) =>
      img[0]
        .slice(0, 3)
        .flat()
        .reduce((a, b) => a + b) >
      img[0]
        .slice(3)
        .flat()
        .reduce((a, b) => a + b)
        ? 1
        : 0,
    );
    const net = new Sequential(
      new Conv2d(1, 4, 3, { rng: rng(7), padding: 1 }),
      new BatchNorm2d(4),
      new ReLU(),
      new MaxPool2d({ kernel: 2 }),
      new Flatten(),
      new Dropout(0.1, { rng: rng(8) }),
      new Linear(36, 2, { rng: rng(9) }),
    );
    const opt = new Adam(net.parameters(), { lr: 0.01 });
    const losses: number[] = [];
    for (let i = 0; i < 60; i++) {
      opt.zeroGrad();
      const loss = crossEntropy(net.forward(images), labels);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[59]).toBeLessThan(losses[0] / 3);
    net.eval();
    const a = net.forward(images);
    const b = net.forward(images);
    expect(Array.from(a.data())).toEqual(Array.from(b.data()));
    const accuracy = Array.from(argmax(a, -1).data()).filter((v, i) => v === labels[i]).length / 32;
    expect(accuracy).toBeGreaterThan(0.9);
  });
});
