/**
 * Issue 18's convolution and pooling variants (conv1d, groups and depthwise, convTranspose1d/2d,
 * unfold, fold, ceilMode and countIncludePad, 1-D and adaptive pools, interpolate, pixel shuffles):
 * values and gradients of sum(w · f(inputs)) against PyTorch in float64 (golden data from
 * test/golden/layers18.py, vocabulary18.py) and in float32, gradients against finite differences and JVP against VJP,
 * second order, and the AdErrors naming the op the user called.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { conv1d, conv3d, convTranspose1d, convTranspose2d, fold, unfold } from "../../src/tensor/composites/convolution.js";
import { adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveMaxPool1d, adaptiveMaxPool2d, avgPool1d, maxPool1d } from "../../src/tensor/composites/pooling.js";
import { interpolate, pixelShuffle, pixelUnshuffle } from "../../src/tensor/composites/resample.js";
import { conv2d } from "../../src/tensor/primitives/conv.js";
import { avgPool2d, maxPool2d } from "../../src/tensor/primitives/pool.js";
import { cast, grad, mul, randn, rng, sum, tensor, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";
import { close, expectJvpMatchesVjp, expectVjpMatches, f64, flat } from "../support/tensors.js";

interface Case {
  readonly inputs: number[][];
  readonly shapes: number[][];
  readonly options: Record<string, unknown>;
  readonly value: number[];
  readonly valueShape: number[];
  readonly weight: number[];
  readonly grads: number[][];
}

const golden = JSON.parse(readFileSync(new URL("../golden/layers18.json", import.meta.url), "utf8")) as { cases: Record<string, Case> };
/** adaptiveMaxPool1d and dilation in fold and convTranspose1d, from test/golden/vocabulary18.py. */
const vocabulary = JSON.parse(readFileSync(new URL("../golden/vocabulary18.json", import.meta.url), "utf8")) as { cases: Record<string, Case> };

/** Each golden case's function, by the case name's first word, called as adjoint spells it. */
const FUNCTIONS: Record<string, (o: Record<string, unknown>, ...xs: Tensor[]) => Tensor> = {
  conv1d: (o, x, w) => conv1d(x, w, o),
  conv3d: (o, x, w) => conv3d(x, w, o),
  conv2d: (o, x, w) => conv2d(x, w, o),
  convTranspose2d: (o, x, w) => convTranspose2d(x, w, o),
  convTranspose1d: (o, x, w) => convTranspose1d(x, w, o),
  unfold: (o, x) => unfold(x, o as never),
  fold: ({ outputSize, ...o }, x) => fold(x, outputSize as [number, number], o as never),
  maxPool2d: (o, x) => maxPool2d(x, o as never),
  avgPool2d: (o, x) => avgPool2d(x, o as never),
  maxPool1d: (o, x) => maxPool1d(x, o as never),
  avgPool1d: (o, x) => avgPool1d(x, o as never),
  adaptiveAvgPool2d: (o, x) => adaptiveAvgPool2d(x, o.outputSize as number),
  adaptiveAvgPool1d: (o, x) => adaptiveAvgPool1d(x, o.outputSize as number),
  adaptiveMaxPool2d: (o, x) => adaptiveMaxPool2d(x, o.outputSize as number),
  adaptiveMaxPool1d: (o, x) => adaptiveMaxPool1d(x, o.outputSize as number),
  interpolate: (o, x) => interpolate(x, o),
  pixelShuffle: (o, x) => pixelShuffle(x, o.factor as number),
  pixelUnshuffle: (o, x) => pixelUnshuffle(x, o.factor as number),
};

const fnOf = (name: string) => FUNCTIONS[name.split("_")[0]];

describe("against PyTorch", () => {
  for (const [name, c] of Object.entries({ ...golden.cases, ...vocabulary.cases })) {
    it(`${name}: value and gradients in float64 (1e-10) and float32 (1e-5)`, () => {
      const f = fnOf(name);
      const xs = c.inputs.map((v, i) => f64(v, c.shapes[i]));
      const w = f64(c.weight, c.valueShape);
      const y = f(c.options, ...xs);
      expect(y.shape).toEqual(c.valueShape);
      close(flat(y), c.value, 1e-10);
      const grads = grad((...as: Tensor[]) => sum(mul(w, f(c.options, ...as))), { argnums: xs.map((_, i) => i) })(...xs) as Tensor[];
      grads.forEach((g, i) => close(flat(g), c.grads[i], 1e-10));
      const y32 = f(c.options, ...xs.map((x) => cast(x, "float32")));
      expect(y32.dtype).toBe("float32");
      close(flat(y32), c.value, 1e-5);
    });
  }
});

describe("derivatives against finite differences (float64)", () => {
  const g = rng(18);
  const r = (shape: number[]) => randn(shape, { rng: g, dtype: "float64" });
  const cases: [string, () => Tensor[], (...xs: Tensor[]) => Tensor][] = [
    ["conv1d with groups and dilation", () => [r([2, 4, 7]), r([4, 2, 2])], (x, w) => conv1d(x, w, { groups: 2, dilation: 2, padding: 1 })],
    [
      "conv3d with stride, padding and dilation",
      () => [r([1, 2, 4, 3, 3]), r([2, 1, 2, 2, 2])],
      (x, w) => conv3d(x, w, { stride: [2, 1, 1], padding: [1, 0, 1], dilation: [1, 1, 2], groups: 2 }),
    ],
    ["depthwise conv2d", () => [r([1, 3, 4, 5]), r([3, 1, 2, 2])], (x, w) => conv2d(x, w, { groups: 3, stride: [1, 2] })],
    ["convTranspose2d", () => [r([1, 2, 3, 2]), r([2, 4, 2, 2])], (x, w) => convTranspose2d(x, w, { stride: 2, outputPadding: 1, groups: 2 })],
    ["convTranspose1d", () => [r([2, 2, 3]), r([2, 1, 3])], (x, w) => convTranspose1d(x, w, { stride: 3, padding: 1, dilation: 2 })],
    ["unfold", () => [r([1, 2, 4, 4])], (x) => unfold(x, { kernel: 2, padding: 1, stride: [1, 2] })],
    ["fold", () => [r([1, 8, 6])], (x) => fold(x, [3, 4], { kernel: 2 })],
    ["maxPool2d ceilMode", () => [r([1, 2, 5, 4])], (x) => maxPool2d(x, { kernel: 2, stride: 2, padding: 1, ceilMode: true })],
    ["maxPool2d dilated, ceilMode", () => [r([1, 2, 7, 6])], (x) => maxPool2d(x, { kernel: [2, 3], stride: 2, padding: 1, dilation: [3, 2], ceilMode: true })],
    ["maxPool1d dilated", () => [r([2, 2, 9])], (x) => maxPool1d(x, { kernel: 3, stride: 2, dilation: 3 })],
    ["avgPool2d ceilMode, padding excluded", () => [r([1, 2, 5, 4])], (x) => avgPool2d(x, { kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false })],
    ["avgPool1d", () => [r([2, 2, 7])], (x) => avgPool1d(x, { kernel: 3, stride: 2, ceilMode: true })],
    ["adaptiveAvgPool2d", () => [r([1, 2, 5, 7])], (x) => adaptiveAvgPool2d(x, [3, 4])],
    ["adaptiveMaxPool2d", () => [r([1, 2, 5, 7])], (x) => adaptiveMaxPool2d(x, [2, 3])],
    ["adaptiveMaxPool1d", () => [r([2, 2, 7])], (x) => adaptiveMaxPool1d(x, 3)],
    ["interpolate bilinear", () => [r([1, 2, 3, 3])], (x) => interpolate(x, { size: [4, 5], mode: "bilinear" })],
    ["interpolate nearest", () => [r([1, 2, 3])], (x) => interpolate(x, { scaleFactor: 1.7 })],
    ["pixelShuffle", () => [r([1, 4, 2, 3])], (x) => pixelShuffle(x, 2)],
  ];
  for (const [name, args, f] of cases) {
    it(`${name}: VJP, JVP against VJP, second order`, () => {
      const xs = args();
      expectVjpMatches(f, xs, g);
      expectJvpMatchesVjp(f, xs, g);
      // Second order: the gradient of a gradient's norm exists and has the input's shape.
      const h = grad((a: Tensor) => {
        const inner = grad((b: Tensor) => sum(mul(f(b, ...xs.slice(1)), f(b, ...xs.slice(1)))))(a) as Tensor;
        return sum(mul(inner, inner));
      })(xs[0]) as Tensor;
      expect(h.shape).toEqual(xs[0].shape);
    });
  }
  it("fold is the adjoint of unfold: ⟨unfold(x), c⟩ = ⟨x, fold(c)⟩", () => {
    const x = r([2, 3, 5, 4]);
    const options = { kernel: [2, 3], stride: [2, 1], padding: 1, dilation: [2, 1] } as const;
    const u = unfold(x, options);
    const c = r([...u.shape]);
    close([sum(mul(u, c)).item()], [sum(mul(x, fold(c, [5, 4], options))).item()], 1e-10);
  });
});

describe("errors name the op the user called", () => {
  const x = randn([1, 4, 6], { rng: rng(1), dtype: "float64" });
  it.each([
    ["conv1d groups not dividing", () => conv1d(x, randn([3, 2, 2], { rng: rng(2), dtype: "float64" }), { groups: 2 }), "InvalidArgument", "conv1d"],
    ["conv1d channels", () => conv1d(x, randn([4, 3, 2], { rng: rng(2), dtype: "float64" }), { groups: 2 }), "ShapeMismatch", "conv1d"],
    ["conv3d rank", () => conv3d(randn([1, 2, 3, 3]), randn([1, 2, 1, 1])), "ShapeMismatch", "conv3d"],
    ["conv3d too deep", () => conv3d(randn([1, 1, 2, 3, 3]), randn([1, 1, 3, 1, 1])), "ShapeMismatch", "conv3d"],
    ["conv3d too wide", () => conv3d(randn([1, 1, 3, 3, 3]), randn([1, 1, 1, 4, 1])), "ShapeMismatch", "conv3d"],
    ["conv3d stride", () => conv3d(randn([1, 1, 3, 3, 3]), randn([1, 1, 1, 1, 1]), { stride: [1, 1] as never }), "InvalidArgument", "conv3d"],
    ["conv1d rank", () => conv1d(tensor([1, 2]), tensor([1])), "ShapeMismatch", "conv1d"],
    ["conv1d unknown option", () => conv1d(x, randn([4, 4, 2], { rng: rng(2), dtype: "float64" }), { group: 2 } as never), "InvalidArgument", "conv1d"],
    ["conv2d groups", () => conv2d(randn([1, 4, 3, 3] as number[], { dtype: "float64" }), randn([4, 3, 1, 1], { dtype: "float64" }), { groups: 2 }), "ShapeMismatch", "conv2d"],
    ["convTranspose2d outputPadding", () => convTranspose2d(randn([1, 2, 3, 3]), randn([2, 2, 2, 2]), { outputPadding: 1 }), "InvalidArgument", "convTranspose2d"],
    ["convTranspose2d channels", () => convTranspose2d(randn([1, 2, 3, 3]), randn([3, 2, 2, 2])), "ShapeMismatch", "convTranspose2d"],
    ["convTranspose1d padding too large", () => convTranspose1d(randn([1, 2, 1]), randn([2, 2, 1]), { padding: 1 }), "ShapeMismatch", "convTranspose1d"],
    ["unfold kernel missing", () => unfold(randn([1, 1, 3, 3]), {} as never), "InvalidArgument", "unfold"],
    ["unfold kernel too large", () => unfold(randn([1, 1, 3, 3]), { kernel: 4 }), "ShapeMismatch", "unfold"],
    ["fold size", () => fold(randn([1, 4, 5]), [3, 3], { kernel: 2 }), "ShapeMismatch", "fold"],
    ["maxPool1d rank", () => maxPool1d(randn([1, 2, 3, 3]), { kernel: 2 }), "ShapeMismatch", "maxPool1d"],
    ["maxPool2d dilation", () => maxPool2d(randn([1, 2, 4, 4]), { kernel: 2, dilation: 0 }), "InvalidArgument", "maxPool2d"],
    ["maxPool2d dilated window too large", () => maxPool2d(randn([1, 2, 4, 4]), { kernel: 2, dilation: 4 }), "ShapeMismatch", "maxPool2d"],
    ["maxPool1d dilation", () => maxPool1d(randn([1, 2, 4]), { kernel: 2, dilation: 1.5 }), "InvalidArgument", "maxPool1d"],
    ["avgPool2d has no dilation (nor has PyTorch's)", () => avgPool2d(randn([1, 2, 4, 4]), { kernel: 2, dilation: 2 } as never), "InvalidArgument", "avgPool2d"],
    ["avgPool1d has no dilation", () => avgPool1d(randn([1, 2, 4]), { kernel: 2, dilation: 2 } as never), "InvalidArgument", "avgPool1d"],
    ["avgPool1d empty", () => avgPool1d(randn([1, 2, 2]), { kernel: 3 }), "ShapeMismatch", "avgPool1d"],
    ["avgPool2d countIncludePad", () => avgPool2d(randn([1, 2, 2, 2]), { kernel: 2, countIncludePad: 1 as never }), "InvalidArgument", "avgPool2d"],
    ["adaptiveAvgPool2d size", () => adaptiveAvgPool2d(randn([1, 2, 3, 3]), [0, 1]), "InvalidArgument", "adaptiveAvgPool2d"],
    ["adaptiveMaxPool2d rank", () => adaptiveMaxPool2d(randn([2, 3, 3]), 1), "ShapeMismatch", "adaptiveMaxPool2d"],
    ["adaptiveMaxPool1d rank", () => adaptiveMaxPool1d(randn([2, 3, 3, 3]), 1), "ShapeMismatch", "adaptiveMaxPool1d"],
    ["adaptiveMaxPool1d size", () => adaptiveMaxPool1d(randn([2, 3, 3]), 1.5), "InvalidArgument", "adaptiveMaxPool1d"],
    ["interpolate both", () => interpolate(randn([1, 1, 3]), { size: 2, scaleFactor: 2 }), "InvalidArgument", "interpolate"],
    ["interpolate mode", () => interpolate(randn([1, 1, 3]), { size: 2, mode: "bicubic" as never }), "InvalidArgument", "interpolate"],
    ["interpolate rank", () => interpolate(randn([1, 1, 3]), { size: 2, mode: "bilinear" }), "ShapeMismatch", "interpolate"],
    ["pixelShuffle channels", () => pixelShuffle(randn([1, 3, 2, 2]), 2), "ShapeMismatch", "pixelShuffle"],
    ["pixelUnshuffle size", () => pixelUnshuffle(randn([1, 1, 3, 4]), 2), "ShapeMismatch", "pixelUnshuffle"],
  ])("%s", (_, f, code, op) => {
    const e = thrown(f);
    expect(e.code).toBe(code);
    expect(e.details.op).toBe(op);
  });
});
