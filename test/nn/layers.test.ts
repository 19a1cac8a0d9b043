/**
 * Each layer's forward against a reference (a hand-written loop, or TensorFlow.js for convolution and
 * pooling), and its gradients (parameters and input) against central differences, in both styles.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Embedding,
  Flatten,
  GELU,
  LayerNorm,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
  Sigmoid,
  Tanh,
} from "../../src/nn/index.js";
import { randn, tensor } from "../../src/tensor/creation.js";
import { rng } from "../../src/tensor/rng.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { erf } from "../../src/scalar/index.js";
import { expectAllClose } from "../support/allclose.js";
import { countingDevice } from "../support/countingDevice.js";
import { thrown } from "../support/errorCode.js";
import { checkModuleGradients } from "./gradcheck.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

const f64 = { dtype: "float64" } as const;
const flat = (t: Tensor): number[] => Array.from(t.data());
const nchwToNhwc = (t: Tensor) => tf.tensor(flat(t), [...t.shape]).transpose([0, 2, 3, 1]);
const nhwcToFlatNchw = (t: tf.Tensor) => Array.from(t.transpose([0, 3, 1, 2]).dataSync());

describe("Linear", () => {
  it("is x·Wᵀ + b over the last axis, for any leading shape", () => {
    const lin = new Linear(3, 2, { rng: rng(0), ...f64 });
    const x = randn([2, 4, 3], { rng: rng(1), ...f64 });
    const w = lin.weight.toArray() as number[][];
    const b = flat(lin.bias!);
    const expected = (x.toArray() as number[][][]).flatMap((m) => m.flatMap((row) => w.map((wr, o) => wr.reduce((s, wi, i) => s + wi * row[i], b[o]))));
    expect(lin.forward(x).shape).toEqual([2, 4, 2]);
    expectAllClose(flat(lin.forward(x)), expected, 1e-14, 1e-14, "Linear");
    expect(new Linear(3, 2, { rng: rng(0), bias: false }).bias).toBeNull();
    expect(thrown(() => lin.forward(randn([2, 4], f64))).code).toBe("ShapeMismatch");
  });

  it("default init is PyTorch's: weight and bias within ±1/√in", () => {
    const lin = new Linear(16, 64, { rng: rng(3) });
    const bound = 1 / 4;
    expect(Math.max(...flat(lin.weight).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...flat(lin.weight).map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(Math.max(...flat(lin.bias!).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(flat(new Linear(16, 64, { rng: rng(3) }).weight)).toEqual(flat(lin.weight));
  });

  it("gradients", () => checkModuleGradients(new Linear(3, 2, { rng: rng(0), ...f64 }), randn([4, 3], { rng: rng(1), ...f64 }), "Linear"));
});

describe("Conv2d", () => {
  it("matches tf.conv2d plus a per-channel bias, with stride and padding", () => {
    const conv = new Conv2d(2, 3, [3, 2], { rng: rng(0), stride: [2, 1], padding: 1 });
    const x = randn([2, 2, 5, 4], { rng: rng(1) });
    const kernel = tf.tensor(flat(conv.weight), [3, 2, 3, 2]).transpose([2, 3, 1, 0]); // [kh, kw, in, out]
    const padded = tf.pad(nchwToNhwc(x), [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    const ref = tf.conv2d(padded as tf.Tensor4D, kernel as tf.Tensor4D, [2, 1], "valid").add(tf.tensor(flat(conv.bias!)));
    const y = conv.forward(x);
    expect(y.shape).toEqual([2, 3, 3, 5]);
    expectAllClose(flat(y), nhwcToFlatNchw(ref), 1e-5, 1e-6, "Conv2d");
    expect(thrown(() => conv.forward(randn([2, 3, 5, 4]))).code).toBe("ShapeMismatch");
  });

  it("gradients", () => checkModuleGradients(new Conv2d(2, 2, 2, { rng: rng(0), padding: 1, ...f64 }), randn([1, 2, 3, 3], { rng: rng(1), ...f64 }), "Conv2d"));
});

describe("pooling and Flatten", () => {
  it("MaxPool2d and AvgPool2d match tf.maxPool and tf.avgPool", () => {
    const x = randn([2, 3, 6, 4], { rng: rng(2) });
    const max = new MaxPool2d({ kernel: 2 }).forward(x);
    const avg = new AvgPool2d({ kernel: [3, 2], stride: [3, 2] }).forward(x);
    expect(max.shape).toEqual([2, 3, 3, 2]);
    expectAllClose(flat(max), nhwcToFlatNchw(tf.maxPool(nchwToNhwc(x) as tf.Tensor4D, 2, 2, "valid")), 1e-6, 0, "MaxPool2d");
    expectAllClose(flat(avg), nhwcToFlatNchw(tf.avgPool(nchwToNhwc(x) as tf.Tensor4D, [3, 2], [3, 2], "valid")), 1e-5, 1e-7, "AvgPool2d");
  });

  it("Flatten merges axes 1… by default, and any range", () => {
    const x = randn([2, 3, 4, 5]);
    expect(new Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new Flatten(0, 1).forward(x).shape).toEqual([6, 4, 5]);
    expect(flat(new Flatten().forward(x))).toEqual(flat(x));
  });

  it("gradients through a small conv net", () => {
    const net = new Sequential(
      new Conv2d(1, 2, 3, { rng: rng(0), padding: 1, ...f64 }),
      new Tanh(),
      new AvgPool2d({ kernel: 2 }),
      new Flatten(),
      new Linear(8, 3, { rng: rng(1), ...f64 }),
    );
    checkModuleGradients(net, randn([2, 1, 4, 4], { rng: rng(5), ...f64 }), "conv net");
  });
});

describe("activations", () => {
  it("compute their formulas", () => {
    const x = tensor([-3, -0.5, 0, 0.7, 2], f64);
    const v = flat(x);
    expectAllClose(
      flat(new ReLU().forward(x)),
      v.map((t) => Math.max(0, t)),
      0,
      0,
      "ReLU",
    );
    expectAllClose(flat(new Tanh().forward(x)), v.map(Math.tanh), 1e-15, 1e-16, "Tanh");
    expectAllClose(
      flat(new Sigmoid().forward(x)),
      v.map((t) => 1 / (1 + Math.exp(-t))),
      1e-15,
      1e-16,
      "Sigmoid",
    );
    expectAllClose(
      flat(new GELU().forward(x)),
      v.map((t) => 0.5 * t * (1 + erf(t / Math.SQRT2))),
      1e-14,
      1e-15,
      "GELU",
    );
    const tanhForm = v.map((t) => 0.5 * t * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (t + 0.044715 * t ** 3))));
    expectAllClose(flat(new GELU({ approximate: "tanh" }).forward(x)), tanhForm, 1e-14, 1e-15, "GELU tanh");
  });

  it("gradients", () => {
    for (const m of [new GELU(), new Tanh(), new Sigmoid()]) checkModuleGradients(m, randn([3, 2], { rng: rng(1), ...f64 }), m.constructor.name);
  });
});

describe("LayerNorm", () => {
  it("normalises each sample over the trailing axes (biased variance), then scales and shifts", () => {
    const ln = new LayerNorm([2, 3], f64);
    ln.weight!.detach().assign(
      tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        f64,
      ),
    );
    ln.bias!.detach().assign(
      tensor(
        [
          [0, 1, 0],
          [1, 0, 1],
        ],
        f64,
      ),
    );
    const x = randn([4, 2, 3], { rng: rng(3), ...f64 });
    const w = flat(ln.weight!);
    const b = flat(ln.bias!);
    const rows = flat(x);
    const expected: number[] = [];
    for (let s = 0; s < 4; s++) {
      const r = rows.slice(s * 6, s * 6 + 6);
      const mu = r.reduce((a, c) => a + c, 0) / 6;
      const variance = r.reduce((a, c) => a + (c - mu) ** 2, 0) / 6;
      r.forEach((c, i) => expected.push(((c - mu) / Math.sqrt(variance + 1e-5)) * w[i] + b[i]));
    }
    expectAllClose(flat(ln.forward(x)), expected, 1e-12, 1e-12, "LayerNorm");
    expect(thrown(() => ln.forward(randn([4, 3, 2], f64))).code).toBe("ShapeMismatch");
  });

  it("gradients", () => {
    const ln = new LayerNorm(4, f64);
    ln.weight!.detach().assign(randn([4], { rng: rng(8), ...f64 }));
    checkModuleGradients(ln, randn([3, 4], { rng: rng(2), ...f64 }), "LayerNorm");
  });
});

describe("BatchNorm", () => {
  it("training mode: batch statistics per channel; running stats move by momentum with the unbiased variance", () => {
    const bn = new BatchNorm2d(2, { momentum: 0.25, ...f64 });
    const x = randn([3, 2, 2, 2], { rng: rng(4), ...f64 });
    const y = bn.forward(x);
    const v = flat(x);
    const channel = (c: number) => v.filter((_, i) => Math.floor(i / 4) % 2 === c);
    for (const c of [0, 1]) {
      const xs = channel(c);
      const n = xs.length;
      const mu = xs.reduce((a, b) => a + b, 0) / n;
      const variance = xs.reduce((a, b) => a + (b - mu) ** 2, 0) / n;
      const ys = flat(y).filter((_, i) => Math.floor(i / 4) % 2 === c);
      expectAllClose(
        ys,
        xs.map((t) => (t - mu) / Math.sqrt(variance + 1e-5)),
        1e-12,
        1e-12,
        `channel ${c}`,
      );
      expectAllClose([flat(bn.running_mean)[c], flat(bn.running_var)[c]], [0.25 * mu, 0.75 + 0.25 * variance * (n / (n - 1))], 1e-14, 1e-15, `running stats ${c}`);
    }
    expect(bn.num_batches_tracked.item()).toBe(1);
    expect(bn.running_mean.requiresGrad || bn.running_mean.node !== null).toBe(false);
  });

  it("evaluation mode: running statistics, and no update", () => {
    const bn = new BatchNorm1d(3, f64);
    bn.running_mean.assign(tensor([1, 2, 3], f64));
    bn.running_var.assign(tensor([4, 1, 0.25], f64));
    bn.weight!.detach().assign(tensor([1, 2, 1], f64));
    bn.eval();
    const x = tensor(
      [
        [1, 2, 3],
        [3, 3, 4],
      ],
      f64,
    );
    expectAllClose(flat(bn.forward(x)), [0, 0, 0, 2 / Math.sqrt(4 + 1e-5), 2 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(0.25 + 1e-5)], 1e-14, 1e-15, "eval");
    expect(flat(bn.running_mean)).toEqual([1, 2, 3]);
    expect(bn.num_batches_tracked.item()).toBe(0);
  });

  it("BatchNorm1d accepts [N, C, L]; shapes are checked; one sample per channel is refused in training", () => {
    const bn = new BatchNorm1d(2);
    expect(bn.forward(randn([3, 2, 5])).shape).toEqual([3, 2, 5]);
    expect(thrown(() => bn.forward(randn([3, 4]))).code).toBe("ShapeMismatch");
    expect(thrown(() => new BatchNorm2d(2).forward(randn([3, 2]))).code).toBe("ShapeMismatch");
    expect(thrown(() => bn.forward(randn([1, 2]))).code).toBe("InvalidArgument");
  });

  it("gradients through batch statistics (train) and running statistics (eval)", () => {
    const bn = new BatchNorm1d(3, f64);
    bn.weight!.detach().assign(randn([3], { rng: rng(9), ...f64 }));
    checkModuleGradients(bn, randn([4, 3], { rng: rng(2), ...f64 }), "BatchNorm1d train");
    bn.eval();
    checkModuleGradients(bn, randn([4, 3], { rng: rng(2), ...f64 }), "BatchNorm1d eval");
  });
});

describe("Dropout", () => {
  it("training: zeroes about p of the elements and scales the rest by 1/(1 − p), reproducibly from the seed", () => {
    const x = randn([100, 100], { rng: rng(0) });
    const y = flat(new Dropout(0.3, { rng: rng(1) }).forward(x));
    const zeroed = y.filter((v) => v === 0).length / y.length;
    expect(Math.abs(zeroed - 0.3)).toBeLessThan(0.02);
    flat(x).forEach((v, i) => {
      if (y[i] !== 0) expect(Math.abs(y[i] - v / 0.7)).toBeLessThanOrEqual(1e-6 * Math.abs(v / 0.7));
    });
    expect(flat(new Dropout(0.3, { rng: rng(1) }).forward(x))).toEqual(y);
    expect(flat(new Dropout(0.3, { rng: rng(2) }).forward(x))).not.toEqual(y);
  });

  it("on a second device: the mask is made there, and drops what it drops on the host", async () => {
    const x = randn([4, 5], { rng: rng(0) });
    const y = new Dropout(0.5, { rng: rng(1) }).forward(x.to(countingDevice()));
    expect(y.device.name).toBe("counting");
    expect(Array.from(await y.read())).toEqual(flat(new Dropout(0.5, { rng: rng(1) }).forward(x)));
  });

  it("evaluation: the identity; p outside [0, 1) is refused", () => {
    const x = randn([10]);
    expect(new Dropout(0.5, { rng: rng(0) }).eval().forward(x)).toBe(x);
    expect(thrown(() => new Dropout(1, { rng: rng(0) })).code).toBe("InvalidArgument");
  });

  it("the gradient is the mask", () => {
    const x = randn([50], { rng: rng(3) }).requireGrad();
    const y = new Dropout(0.5, { rng: rng(4) }).forward(x);
    y.sum().backward();
    expect(flat(x.grad!)).toEqual(flat(y).map((v) => (v === 0 ? 0 : 2)));
  });
});

describe("Embedding", () => {
  it("looks up rows for indices of any shape; gradients accumulate on repeated rows", () => {
    const emb = new Embedding(5, 3, { rng: rng(0), ...f64 });
    const idx = tensor(
      [
        [4, 0],
        [4, 2],
      ],
      { dtype: "int32" },
    );
    const y = emb.forward(idx);
    expect(y.shape).toEqual([2, 2, 3]);
    const table = emb.weight.toArray() as number[][];
    expect(y.toArray()).toEqual([
      [table[4], table[0]],
      [table[4], table[2]],
    ]);
    y.sum().backward();
    expect(emb.weight.grad!.toArray()).toEqual([
      [1, 1, 1],
      [0, 0, 0],
      [1, 1, 1],
      [0, 0, 0],
      [2, 2, 2],
    ]);
    expect(thrown(() => emb.forward(tensor([1.5]))).code).toBe("DTypeMismatch");
    expect(thrown(() => emb.forward(tensor([5], { dtype: "int32" }))).code).toBe("InvalidArgument");
  });

  it("gradients", () => checkModuleGradients(new Embedding(4, 2, { rng: rng(1), ...f64 }), tensor([3, 1, 3], { dtype: "int32" }), "Embedding", { inputGrad: false }));
});

describe("a layer's options are checked when it is built, under its own name", () => {
  const refusals: [string, () => unknown, string][] = [
    ["LayerNorm", () => new LayerNorm(2, { eps: -1 }), "eps"],
    ["LayerNorm", () => new LayerNorm(2, { eps: 0 }), "eps"],
    ["LayerNorm", () => new LayerNorm(2, { eps: NaN }), "eps"],
    ["LayerNorm", () => new LayerNorm(2, { dtype: "int32" as never }), "dtype"],
    ["BatchNorm1d", () => new BatchNorm1d(2, { eps: -1e-5 }), "eps"],
    ["BatchNorm2d", () => new BatchNorm2d(2, { momentum: 1.5 }), "momentum"],
    ["BatchNorm2d", () => new BatchNorm2d(2, { dtype: "bool" as never }), "dtype"],
    ["Dropout", () => new Dropout(-0.1, { rng: rng(0) }), "p"],
    ["Dropout", () => new Dropout(1, { rng: rng(0) }), "p"],
    ["Dropout", () => new Dropout(0.5, { rng: {} as never }), "rng"],
    ["Linear", () => new Linear(2, 3, { rng: {} as never }), "rng"],
    ["Linear", () => new Linear(2, 3, { rng: rng(0), dtype: "int32" as never }), "dtype"],
    ["Conv2d", () => new Conv2d(1, 1, 2, { rng: rng(0), stride: 0 }), "stride"],
    ["Conv2d", () => new Conv2d(1, 1, 2, { rng: rng(0), padding: -1 }), "padding"],
    ["Conv2d", () => new Conv2d(1, 1, 2, { rng: rng(0), dilation: [1, 0.5] }), "dilation[1]"],
    ["Embedding", () => new Embedding(4, 2, { rng: "seed" as never }), "rng"],
    ["Embedding", () => new Embedding(4, 2, { rng: rng(0), dtype: "int32" as never }), "dtype"],
    ["MaxPool2d", () => new MaxPool2d({ kernel: 0 }), "kernel"],
    ["AvgPool2d", () => new AvgPool2d({ kernel: 2, stride: -1 }), "stride"],
    ["GELU", () => new GELU({ approximate: "sigmoid" as never }), "approximate"],
  ];

  it.each(refusals)("%s refuses a bad option (case %#)", (op, build, argument) => {
    const e = thrown(build);
    expect([e.code, e.details.op, e.details.argument], e.message).toEqual(["InvalidArgument", op, argument]);
  });

  it("good options still build, and the defaults are unchanged", () => {
    expect(new LayerNorm(2).eps).toBe(1e-5);
    expect(new BatchNorm1d(2, { eps: 1e-3, momentum: 0 }).eps).toBe(1e-3);
    expect(new Conv2d(1, 1, 2, { rng: rng(0), stride: [1, 2], padding: 1, dilation: 2 }).forward(randn([1, 1, 5, 5])).shape).toEqual([1, 1, 5, 3]);
    expect(new MaxPool2d({ kernel: 2, padding: 1 }).forward(randn([1, 1, 4, 4])).shape).toEqual([1, 1, 3, 3]);
    expect(new GELU({ approximate: "tanh" }).forward(tensor([0])).item()).toBe(0);
  });
});

describe("Dropout in training mode", () => {
  it("refuses an int32 or bool input (DTypeMismatch) instead of a mask stored under the wrong dtype; eval mode is still the identity", () => {
    const d = new Dropout(0.5, { rng: rng(0) });
    for (const x of [tensor([1, 2], { dtype: "int32" }), tensor([true, false])]) {
      const e = thrown(() => d.forward(x));
      expect([e.code, e.details.op]).toEqual(["DTypeMismatch", "Dropout.forward"]);
    }
    d.eval();
    const x = tensor([1, 2], { dtype: "int32" });
    expect(d.forward(x)).toBe(x);
    d.train();
    expect(d.forward(tensor([2, 2, 2, 2], { dtype: "float64" })).dtype).toBe("float64");
  });
});
