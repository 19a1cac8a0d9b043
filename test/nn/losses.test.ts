/** Losses against hand formulas and TF.js, their stability at extreme logits, reductions and gradients. */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { binaryCrossEntropyWithLogits, crossEntropy, mseLoss, nllLoss } from "../../src/nn/index.js";
import { grad } from "../../src/tensor/autograd/transforms.js";
import { randn, tensor } from "../../src/tensor/creation.js";
import { oneHot } from "../../src/tensor/primitives/gather.js";
import { logSoftmax } from "../../src/tensor/composites/softmax.js";
import { rng } from "../../src/tensor/rng.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { checkGradient } from "../../src/testing/checkGradient.js";
import { expectAllClose, expectClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

const f64 = { dtype: "float64" } as const;
const flat = (t: Tensor): number[] => Array.from(t.data());

/** −log softmax(row)[label], computed the long way in float64. */
function refCrossEntropy(rows: number[][], labels: number[], smoothing = 0): number[] {
  return rows.map((r, i) => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    const logp = r.map((v) => v - lse);
    const target = r.map((_, c) => (1 - smoothing) * (c === labels[i] ? 1 : 0) + smoothing / r.length);
    return -logp.reduce((s, lp, c) => s + lp * target[c], 0);
  });
}

describe("crossEntropy", () => {
  const logits = randn([5, 4], { rng: rng(0), ...f64 });
  const labels = [3, 0, 1, 1, 2];

  it("from int32 labels, number[] labels and one-hot targets alike, with every reduction", () => {
    const ref = refCrossEntropy(logits.toArray() as number[][], labels);
    expectAllClose(flat(crossEntropy(logits, tensor(labels, { dtype: "int32" }), { reduction: "none" })), ref, 1e-14, 1e-15, "none");
    expectClose(crossEntropy(logits, labels).item(), ref.reduce((a, b) => a + b) / 5, 1e-14, 0, "mean");
    expectClose(
      crossEntropy(logits, labels, { reduction: "sum" }).item(),
      ref.reduce((a, b) => a + b),
      1e-14,
      0,
      "sum",
    );
    expectClose(crossEntropy(logits, oneHot(tensor(labels, { dtype: "int32" }), 4, "float64")).item(), ref.reduce((a, b) => a + b) / 5, 1e-14, 0, "one-hot");
  });

  it("matches tf.losses.softmaxCrossEntropy, with label smoothing", () => {
    const x = randn([6, 3], { rng: rng(1) });
    const y = [0, 2, 1, 1, 0, 2];
    const tfOneHot = tf.oneHot(tf.tensor1d(y, "int32"), 3);
    const theirs = tf.losses.softmaxCrossEntropy(tfOneHot, tf.tensor(flat(x), [6, 3]), undefined, 0.2).dataSync()[0];
    expectClose(crossEntropy(x, y, { labelSmoothing: 0.2 }).item(), theirs, 1e-5, 0, "smoothed");
    expectClose(
      crossEntropy(logits, labels, { labelSmoothing: 0.1 }).item(),
      refCrossEntropy(logits.toArray() as number[][], labels, 0.1).reduce((a, b) => a + b) / 5,
      1e-14,
      0,
      "smoothed f64",
    );
  });

  it("is finite at logits of ±1000 (logSoftmax, never log(softmax))", () => {
    const x = tensor([
      [1000, -1000, 0],
      [-1000, 1000, 999],
    ]);
    const l = flat(crossEntropy(x, [0, 2], { reduction: "none" }));
    expectAllClose(l, [0, 1 + Math.log1p(Math.exp(-1))], 1e-6, 1e-6, "extreme");
    const g = grad((t: Tensor) => crossEntropy(t, [0, 2]))(x) as Tensor;
    expect(flat(g).every(Number.isFinite)).toBe(true);
  });

  it("gradients, with labels and with probabilities", () => {
    const probs = tensor(
      [
        [0.2, 0.8, 0, 0],
        [0.25, 0.25, 0.25, 0.25],
        [1, 0, 0, 0],
        [0, 0, 0.5, 0.5],
        [0.1, 0.2, 0.3, 0.4],
      ],
      f64,
    );
    for (const [what, target] of [
      ["labels", labels],
      ["probabilities", probs],
    ] as const) {
      const f = (vs: number[]) => crossEntropy(tensor(vs, { ...f64, shape: [5, 4] }), target, { labelSmoothing: 0.1 }).item();
      const g = grad((t: Tensor) => crossEntropy(t, target, { labelSmoothing: 0.1 }))(logits) as Tensor;
      const report = checkGradient(f, flat(logits), { gradient: flat(g) });
      expect(report.ok, `${what}\n${report.summary}`).toBe(true);
    }
  });

  it("refuses out-of-range labels, wrong batch shapes, float labels of the wrong shape", () => {
    expect(thrown(() => crossEntropy(logits, [4, 0, 1, 1, 2])).code).toBe("InvalidArgument");
    expect(thrown(() => crossEntropy(logits, [0, 1])).code).toBe("ShapeMismatch");
    expect(thrown(() => crossEntropy(logits, tensor([0, 1, 1, 1, 1], f64))).code).toBe("ShapeMismatch");
    expect(thrown(() => crossEntropy(logits, labels, { labelSmoothing: 1 })).code).toBe("InvalidArgument");
    expect(thrown(() => crossEntropy(logits, labels, { reduction: "avg" as never })).code).toBe("InvalidArgument");
  });
});

describe("class labels", () => {
  const logits = randn([2, 3], { rng: rng(4), ...f64 });
  const bad: [string, number[] | number[][], number, number[]][] = [
    ["a fraction", [0, 1.5], 1.5, [1]],
    ["NaN", [0, NaN], NaN, [1]],
    ["−1", [-1, 0], -1, [0]],
    ["the class count", [0, 3], 3, [1]],
    ["Infinity", [Infinity, 0], Infinity, [0]],
  ];

  it.each(bad)("refuse %s as a label (crossEntropy, nllLoss), naming the loss, the label and its position", (_, target, label, position) => {
    for (const [op, loss] of [
      ["crossEntropy", crossEntropy],
      ["nllLoss", nllLoss],
    ] as const) {
      const e = thrown(() => loss(logits, target as number[]));
      expect(e.code).toBe("InvalidArgument");
      expect(e.details).toMatchObject({ op, label, position, classes: 3 });
      expect(e.message).toContain(`label ${label} at position [${position.join(", ")}]`);
    }
  });

  it("refuse a bad label in nested batches (position in the batch shape) and in int32 tensors", () => {
    const x = randn([2, 2, 3], { rng: rng(5), ...f64 });
    expect(
      thrown(() =>
        crossEntropy(x, [
          [0, 1],
          [2, 0.25],
        ] as never),
      ).details,
    ).toMatchObject({ label: 0.25, position: [1, 1] });
    expect(
      thrown(() =>
        nllLoss(
          x,
          tensor(
            [
              [0, 1],
              [3, 0],
            ],
            { dtype: "int32" },
          ),
        ),
      ).details,
    ).toMatchObject({ label: 3, position: [1, 0] });
  });

  it("accept integer labels from a number[] exactly as from an int32 tensor", () => {
    const y = [2, 0];
    expect(nllLoss(logits, y).item()).toBe(nllLoss(logits, tensor(y, { dtype: "int32" })).item());
  });
});

describe("nllLoss", () => {
  it("is crossEntropy after logSoftmax", () => {
    const x = randn([4, 3], { rng: rng(2), ...f64 });
    const y = [2, 0, 0, 1];
    expectClose(nllLoss(logSoftmax(x, -1), y).item(), crossEntropy(x, y).item(), 1e-15, 0, "nll");
    expectAllClose(
      flat(nllLoss(x, y, { reduction: "none" })),
      y.map((c, i) => -(x.toArray() as number[][])[i][c]),
      0,
      0,
      "picks −x[label]",
    );
  });
});

describe("binaryCrossEntropyWithLogits", () => {
  it("matches tf.losses.sigmoidCrossEntropy and the formula, and stays finite at ±1000", () => {
    const x = randn([3, 4], { rng: rng(3) });
    const y = tensor([
      [1, 0, 0.5, 1],
      [0, 0, 1, 0.2],
      [1, 1, 0, 0],
    ]);
    const theirs = tf.losses.sigmoidCrossEntropy(tf.tensor(flat(y), [3, 4]), tf.tensor(flat(x), [3, 4])).dataSync()[0];
    expectClose(binaryCrossEntropyWithLogits(x, y).item(), theirs, 1e-5, 0, "vs TF.js");
    const big = flat(binaryCrossEntropyWithLogits(tensor([1000, -1000, 1000], f64), tensor([1, 0, 0], f64), { reduction: "none" }));
    expect(big).toEqual([0, 0, 1000]);
    const xs = [-2, 0.5, 3];
    const ys = [1, 0.3, 0];
    const ref = xs.map((v, i) => -(ys[i] * Math.log(1 / (1 + Math.exp(-v))) + (1 - ys[i]) * Math.log(1 - 1 / (1 + Math.exp(-v)))));
    expectAllClose(flat(binaryCrossEntropyWithLogits(tensor(xs, f64), tensor(ys, f64), { reduction: "none" })), ref, 1e-14, 1e-15, "formula");
    const g = grad((t: Tensor) => binaryCrossEntropyWithLogits(t, tensor(ys, f64), { reduction: "sum" }))(tensor(xs, f64)) as Tensor;
    // d/dx = σ(x) − y
    expectAllClose(
      flat(g),
      xs.map((v, i) => 1 / (1 + Math.exp(-v)) - ys[i]),
      1e-14,
      1e-15,
      "gradient",
    );
  });
});

describe("mseLoss", () => {
  it("mean, sum and none of (x − y)²; shapes must agree", () => {
    const x = tensor([1, 2, 4], f64);
    const y = tensor([0, 2, 1], f64);
    expect(mseLoss(x, y).item()).toBe(10 / 3);
    expect(mseLoss(x, y, { reduction: "sum" }).item()).toBe(10);
    expect(flat(mseLoss(x, y, { reduction: "none" }))).toEqual([1, 0, 9]);
    expect(flat(grad((t: Tensor) => mseLoss(t, y))(x) as Tensor)).toEqual([2 / 3, 0, 2]);
    expect(thrown(() => mseLoss(x, tensor([1, 2], f64))).code).toBe("ShapeMismatch");
  });
});
