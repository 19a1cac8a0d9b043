/**
 * Issue 18's layers (Conv1d, grouped Conv2d, ConvTranspose1d/2d, GroupNorm, InstanceNorm1d/2d,
 * Upsample, AdaptiveAvgPool2d, and the parameterless ones): each loads the state dict PyTorch
 * recorded (test/golden/layers18.py) and matches its output and the gradients of sum(w · layer(x))
 * in the input and every parameter in float64 (1e-10) and its output in float32 (1e-5); the
 * constructors' and forwards' errors name the layer.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nn from "../../src/nn/index.js";
import type { Module } from "../../src/nn/index.js";
import { cast, grad, mul, randn, rng, sum, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";
import { close, f64, flat } from "../support/tensors.js";

interface LayerCase {
  readonly input: number[];
  readonly shape: number[];
  readonly state: Record<string, { shape: number[]; values: number[] }>;
  readonly value: number[];
  readonly valueShape: number[];
  readonly weight: number[];
  readonly grad: number[];
  readonly paramGrads: Record<string, number[]>;
}

const golden = JSON.parse(readFileSync(new URL("../golden/layers18.json", import.meta.url), "utf8")) as { layers: Record<string, LayerCase> };
type Float = "float32" | "float64";

/** The adjoint layer built as the script built torch's. */
const BUILD: Record<string, (dtype: Float) => Module & { forward(x: Tensor): Tensor }> = {
  Conv1d: (dtype) => new nn.Conv1d(4, 6, 3, { rng: rng(0), dtype, stride: 2, padding: 1, groups: 2 }),
  Conv2d_depthwise: (dtype) => new nn.Conv2d(4, 8, 3, { rng: rng(0), dtype, padding: 1, groups: 4 }),
  ConvTranspose2d: (dtype) => new nn.ConvTranspose2d(4, 6, 3, { rng: rng(0), dtype, stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
  ConvTranspose1d: (dtype) => new nn.ConvTranspose1d(3, 2, 3, { rng: rng(0), dtype, stride: 2, bias: false }),
  GroupNorm: (dtype) => new nn.GroupNorm(3, 6, { dtype }),
  InstanceNorm2d: (dtype) => new nn.InstanceNorm2d(3, { affine: true, dtype }),
  InstanceNorm1d: (dtype) => new nn.InstanceNorm1d(3, { dtype }),
  Upsample: () => new nn.Upsample({ scaleFactor: 2, mode: "bilinear", alignCorners: true }),
  AdaptiveAvgPool2d: () => new nn.AdaptiveAvgPool2d([3, 2]),
};

/** The layer with torch's state dict loaded, in `dtype`. */
function loaded(name: string, c: LayerCase, dtype: Float): Module & { forward(x: Tensor): Tensor } {
  const layer = BUILD[name](dtype);
  layer.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, cast(f64(v.values, v.shape), dtype)])));
  return layer;
}

describe("layers against PyTorch", () => {
  for (const [name, c] of Object.entries(golden.layers)) {
    it(`${name}: torch's state dict loads; output and gradients match`, () => {
      const layer = loaded(name, c, "float64");
      const x = f64(c.input, c.shape);
      const w = f64(c.weight, c.valueShape);
      const y = layer.forward(x);
      expect(y.shape).toEqual(c.valueShape);
      close(flat(y), c.value, 1e-10);
      const tree = layer.parameterTree();
      const names = Object.keys(c.paramGrads);
      expect(Object.keys(tree).sort()).toEqual([...names].sort());
      const loss = (input: Tensor, params: typeof tree) => sum(mul(w, layer.call(params, input)));
      if (names.length === 0) {
        close(flat(grad((input: Tensor) => loss(input, tree))(x) as Tensor), c.grad, 1e-10);
      } else {
        const [gx, gp] = grad(loss, { argnums: [0, 1] })(x, tree) as [Tensor, Record<string, Tensor>];
        close(flat(gx), c.grad, 1e-10);
        for (const k of names) close(flat(gp[k]), c.paramGrads[k], 1e-10);
      }
      const y32 = loaded(name, c, "float32").forward(cast(x, "float32"));
      expect(y32.dtype).toBe("float32");
      close(flat(y32), c.value, 1e-5);
    });
  }
});

describe("layer errors name the layer", () => {
  const r = rng(3);
  it.each([
    ["Conv1d groups", () => new nn.Conv1d(4, 6, 3, { rng: r, groups: 4 }), "InvalidArgument", "Conv1d"],
    ["Conv1d stride", () => new nn.Conv1d(4, 6, 3, { rng: r, stride: 0 }), "InvalidArgument", "Conv1d"],
    ["Conv1d input", () => new nn.Conv1d(4, 6, 3, { rng: r }).forward(randn([1, 3, 5])), "ShapeMismatch", "Conv1d.forward"],
    ["Conv2d groups", () => new nn.Conv2d(3, 6, 3, { rng: r, groups: 2 }), "InvalidArgument", "Conv2d"],
    ["ConvTranspose2d kernel", () => new nn.ConvTranspose2d(2, 2, 0, { rng: r }), "InvalidArgument", "ConvTranspose2d"],
    ["ConvTranspose2d input", () => new nn.ConvTranspose2d(2, 2, 2, { rng: r }).forward(randn([1, 3, 2, 2])), "ShapeMismatch", "ConvTranspose2d.forward"],
    ["GroupNorm groups", () => new nn.GroupNorm(4, 6), "InvalidArgument", "GroupNorm"],
    ["GroupNorm input", () => new nn.GroupNorm(2, 6).forward(randn([2, 4, 3])), "ShapeMismatch", "GroupNorm.forward"],
    ["InstanceNorm2d input", () => new nn.InstanceNorm2d(3).forward(randn([2, 3, 3])), "ShapeMismatch", "InstanceNorm2d.forward"],
    ["Upsample mode", () => new nn.Upsample({ scaleFactor: 2, mode: "cubic" as never }), "InvalidArgument", "Upsample"],
    ["Upsample unknown key", () => new nn.Upsample({ scale_factor: 2 } as never), "InvalidArgument", "Upsample"],
    ["AdaptiveAvgPool2d size", () => new nn.AdaptiveAvgPool2d(0), "InvalidArgument", "AdaptiveAvgPool2d"],
    ["MaxPool1d kernel", () => new nn.MaxPool1d({ kernel: 0 }), "InvalidArgument", "MaxPool1d"],
    ["PixelShuffle factor", () => new nn.PixelShuffle(0), "InvalidArgument", "PixelShuffle"],
  ])("%s", (_, f, code, op) => {
    const e = thrown(f);
    expect(e.code).toBe(code);
    expect(e.details.op).toBe(op);
  });

  it("the parameterless layers run their function", () => {
    const x = randn([1, 4, 4, 6], { rng: r, dtype: "float64" });
    expect(new nn.Identity().forward(x)).toBe(x);
    expect(new nn.PixelUnshuffle(2).forward(x).shape).toEqual([1, 16, 2, 3]);
    expect(new nn.PixelShuffle(2).forward(x).shape).toEqual([1, 1, 8, 12]);
    expect(new nn.AdaptiveMaxPool2d(1).forward(x).shape).toEqual([1, 4, 1, 1]);
    expect(new nn.Upsample({ size: [5, 7] }).forward(x).shape).toEqual([1, 4, 5, 7]);
    const seq = randn([2, 3, 8], { rng: r });
    expect(new nn.MaxPool1d({ kernel: 3, stride: 2, ceilMode: true }).forward(seq).shape).toEqual([2, 3, 4]);
    expect(new nn.AvgPool1d({ kernel: 2 }).forward(seq).shape).toEqual([2, 3, 4]);
  });
});
