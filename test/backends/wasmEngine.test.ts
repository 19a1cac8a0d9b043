/**
 * The whole engine on the wasm backend with tensors large enough to reach its elementwise and
 * reduction kernels (the rest of the suite mostly runs below their size thresholds): a forward and
 * backward pass through most of them agrees with the cpu backend to float32 rounding.
 */
import { describe, expect, it } from "vitest";
import { kernels } from "../../src/backends/backend.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import * as T from "../../src/tensor/index.js";
import { grad, type Tensor } from "../../src/tensor/index.js";
import { onBackend } from "../support/backends.js";

describe.runIf(simdAvailable)("the engine on the wasm backend, at sizes that reach its kernels", () => {
  it("an MLP with softmax cross-entropy: values and gradients agree with the cpu backend", () => {
    const r = T.rng(11);
    const x = T.randn([256, 64], { rng: r });
    const w1 = T.randn([64, 128], { rng: r }).mul(0.1);
    const b1 = T.randn([128], { rng: r });
    const w2 = T.randn([128, 10], { rng: r }).mul(0.1);
    const target = T.oneHot(T.randint(0, 10, [256], { rng: r }), 10);
    const loss = (w: Tensor, b: Tensor) => {
      const h = T.add(T.matmul(x, w), b);
      const a = T.add(T.mul(T.tanh(h), T.sigmoid(h)), T.softplus(T.neg(T.relu(h))));
      const logits = T.matmul(T.add(T.sin(a), T.exp(T.mul(T.cos(a), 0.5))), w2);
      return T.neg(T.mean(T.sum(T.mul(T.logSoftmax(logits, -1), target), -1)));
    };
    const [cpu, wasm] = (["cpu", "wasm"] as const).map((name) => onBackend(name, () => [loss(w1, b1), ...(grad(loss, { argnums: [0, 1] })(w1, b1) as Tensor[])]));
    for (let i = 0; i < cpu.length; i++) {
      const [a, b] = [cpu[i].data(), wasm[i].data()];
      let err = 0;
      let scale = 0;
      for (let k = 0; k < a.length; k++) {
        err = Math.max(err, Math.abs(a[k] - b[k]));
        scale = Math.max(scale, Math.abs(a[k]));
      }
      // float32 rounding only: the kernels differ from the reference by at most an ulp per op.
      expect(err).toBeLessThanOrEqual(1e-5 * scale);
    }
  });

  it("strided views and other broadcasts fall back: the same bits as the cpu backend", () => {
    const m = T.randn([64, 96], { rng: T.rng(5) });
    const t = T.transpose(m);
    const run = () => [
      T.exp(t),
      T.add(t, T.randn([96, 1], { rng: T.rng(6) })),
      T.sum(t, -1),
      T.max(t, 0),
      T.mul(T.slice(m, [null, [null, null, 2]]), 3),
      T.add(T.randn([4, 1, 64], { rng: T.rng(7) }), T.randn([1, 8, 64], { rng: T.rng(8) })),
    ];
    const [cpu, wasm] = (["cpu", "wasm"] as const).map((name) => onBackend(name, run));
    cpu.forEach((c, i) => expect(Array.from(wasm[i].data())).toEqual(Array.from(c.data())));
  });

  it("both backends compute every elementwise op; the wasm chain runs the reference where its kernels decline", () => {
    const x = T.randn([4096], { rng: T.rng(9) });
    const strided = T.slice(x, [[null, null, 2]]);
    const [cpu, wasm] = (["cpu", "wasm"] as const).map((name) =>
      onBackend(name, () => [kernels().unary("exp", x, "float32"), kernels().unary("exp", strided, "float32"), kernels().binary("add", x, x, [4096], "float32")]),
    );
    // The strided view is one the SIMD kernels decline: the chain runs the reference for it.
    expect(wasm.map((s) => s.length)).toEqual([4096, 2048, 4096]);
    expect(Array.from(wasm[1])).toEqual(Array.from(cpu[1]));
    expect(Array.from(wasm[2])).toEqual(Array.from(cpu[2]));
  });

  it("reduce, matmul and conv2d answer on every backend: what wasm declines runs on the reference, bit for bit", () => {
    const x = T.randn([64, 48], { rng: T.rng(9) });
    const w = T.randn([4, 3, 3, 3], { rng: T.rng(10) });
    const image = T.randn([2, 3, 8, 8], { rng: T.rng(11) });
    const geo = { stride: [1, 1], padding: [1, 1], dilation: [1, 1] } as const;
    const run = () => [
      // prod, a strided view and a middle axis are left to the reference by wasm.
      kernels().reduce("prod", x, [1], false),
      kernels().reduce("sum", T.transpose(x), [1], true),
      kernels().reduce("max", T.reshape(x, [8, 8, 48]), [1], false),
      // int32 and tiny products, and a small convolution, too.
      kernels().matmul(T.cast(x, "int32"), T.cast(T.transpose(x), "int32"), []),
      kernels().matmul(T.slice(x, [[0, 2]]), T.slice(T.transpose(x), [null, [0, 3]]), []),
      kernels().conv2d(image, w, geo, 8, 8),
      // A result dtype other than the operands' (wasm computes in theirs only).
      kernels().reduce("sum", x, [1], false, "float64"),
      kernels().matmul(x, T.transpose(x), [], "float64"),
    ];
    const [cpu, wasm] = (["cpu", "wasm"] as const).map((name) => onBackend(name, run));
    cpu.forEach((c, i) => expect(Array.from(wasm[i])).toEqual(Array.from(c)));
    expect(cpu.map((c) => c.length)).toEqual([64, 48, 384, 64 * 64, 6, 2 * 4 * 64, 64, 64 * 64]);
    expect(wasm.map((c) => c.constructor.name).slice(-2)).toEqual(["Float64Array", "Float64Array"]);
  });
});
