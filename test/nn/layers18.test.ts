/**
 * Issue 18's layers (Conv1d, grouped Conv2d, ConvTranspose1d/2d, GroupNorm, InstanceNorm1d/2d,
 * Upsample, the adaptive pools, RNN, LSTM, GRU, the activation modules, PReLU, Identity): each loads
 * the state dict PyTorch recorded (test/golden/layers18.py, vocabulary18.py) and matches its output
 * and the gradients of sum(w · layer(x)) in the input and every parameter in float64 (1e-10) and its
 * output in float32 (1e-5); the constructors' and forwards' errors name the layer.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as nn from "../../src/nn/index.js";
import type { Module } from "../../src/nn/index.js";
import { cast, concat, grad, mul, ne, random, randn, reshape, rng, sum, tensor, type Tensor } from "../../src/tensor/index.js";
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

interface RecurrentCase extends LayerCase {
  readonly h: number[];
  readonly stateShape: number[];
  readonly weightH: number[];
  readonly h0?: number[];
  readonly gradH0?: number[];
  readonly c?: number[];
  readonly weightC?: number[];
  readonly c0?: number[];
  readonly gradC0?: number[];
}

interface EncodedTensor {
  readonly dtype: "bool" | "float64";
  readonly shape: number[];
  readonly values: number[];
}

interface AttentionCase {
  readonly inputs: number[][];
  readonly shapes: number[][];
  readonly options: Record<string, EncodedTensor | boolean>;
  readonly state: Record<string, { shape: number[]; values: number[] }>;
  readonly value: number[];
  readonly valueShape: number[];
  readonly weight: number[];
  readonly grads: number[][];
  readonly paramGrads: Record<string, number[]>;
}

const golden = JSON.parse(readFileSync(new URL("../golden/layers18.json", import.meta.url), "utf8")) as {
  layers: Record<string, LayerCase>;
  recurrent: Record<string, RecurrentCase>;
  attention: Record<string, AttentionCase>;
};
/** The activation modules, PReLU, Identity and the 1-D adaptive pools, from test/golden/vocabulary18.py. */
const vocabulary = JSON.parse(readFileSync(new URL("../golden/vocabulary18.json", import.meta.url), "utf8")) as { layers: Record<string, LayerCase> };
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
  LeakyReLU: () => new nn.LeakyReLU(0.2),
  ELU: () => new nn.ELU(1.3),
  SELU: () => new nn.SELU(),
  CELU: () => new nn.CELU(0.7),
  SiLU: () => new nn.SiLU(),
  Mish: () => new nn.Mish(),
  Softsign: () => new nn.Softsign(),
  Hardtanh: () => new nn.Hardtanh(-0.5, 1.2),
  Hardswish: () => new nn.Hardswish(),
  Hardsigmoid: () => new nn.Hardsigmoid(),
  LogSigmoid: () => new nn.LogSigmoid(),
  ReLU6: () => new nn.ReLU6(),
  GLU: () => new nn.GLU(1),
  ReLU: () => new nn.ReLU(),
  GELU: () => new nn.GELU(),
  GELU_tanh: () => new nn.GELU({ approximate: "tanh" }),
  Sigmoid: () => new nn.Sigmoid(),
  Tanh: () => new nn.Tanh(),
  PReLU: (dtype) => new nn.PReLU({ dtype }),
  PReLU_channels: (dtype) => new nn.PReLU({ numParameters: 3, init: 0.1, dtype }),
  Identity: () => new nn.Identity(),
  AdaptiveAvgPool1d: () => new nn.AdaptiveAvgPool1d(4),
  AdaptiveMaxPool1d: () => new nn.AdaptiveMaxPool1d(4),
  AdaptiveMaxPool2d: () => new nn.AdaptiveMaxPool2d([3, 4]),
};

/** The layer with torch's state dict loaded, in `dtype`. */
function loaded(name: string, c: LayerCase, dtype: Float): Module & { forward(x: Tensor): Tensor } {
  const layer = BUILD[name](dtype);
  layer.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, cast(f64(v.values, v.shape), dtype)])));
  return layer;
}

/** PyTorch's float64 CELU and Hardsigmoid gradients use float32 constants (1/α, 1/6): good to ~1e-7 only (as in ops18Golden). */
const GRADIENT_TOL: Record<string, number> = { CELU: 1e-7, Hardsigmoid: 1e-7 };

describe("layers against PyTorch", () => {
  it("every golden layer has a builder and every builder a golden case", () => {
    expect(Object.keys(BUILD).sort()).toEqual([...Object.keys(golden.layers), ...Object.keys(vocabulary.layers)].sort());
  });

  for (const [name, c] of Object.entries({ ...golden.layers, ...vocabulary.layers })) {
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
        close(flat(grad((input: Tensor) => loss(input, tree))(x) as Tensor), c.grad, GRADIENT_TOL[name] ?? 1e-10);
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

type Recurrent = nn.RNN | nn.LSTM | nn.GRU;
type Run = (l: Recurrent, input: Tensor, h?: Tensor, cell?: Tensor) => nn.RecurrentResult;

/** A recurrent layer whose forward returns its output and final states, flattened and joined. */
class Flattened extends nn.Module {
  constructor(
    readonly inner: Recurrent,
    readonly run: Run,
  ) {
    super();
    this.child("inner", inner);
  }
  forward(x: Tensor, h?: Tensor, cell?: Tensor): Tensor {
    const r = this.run(this.inner, x, h, cell);
    return concat([r.output, r.h, ...(r.c === undefined ? [] : [r.c])].map((t) => reshape(t, [-1])));
  }
}

/** The recurrent layers built as the script built torch's. */
const RECURRENT: Record<string, (dtype: Float) => nn.RNN | nn.LSTM | nn.GRU> = {
  RNN_tanh: (dtype) => new nn.RNN(3, 4, { rng: rng(0), dtype }),
  RNN_relu_2layers_batchFirst: (dtype) => new nn.RNN(3, 4, { rng: rng(0), dtype, numLayers: 2, nonlinearity: "relu", batchFirst: true }),
  LSTM: (dtype) => new nn.LSTM(3, 5, { rng: rng(0), dtype }),
  LSTM_2layers_bidirectional: (dtype) => new nn.LSTM(2, 3, { rng: rng(0), dtype, numLayers: 2, bidirectional: true }),
  GRU: (dtype) => new nn.GRU(3, 4, { rng: rng(0), dtype }),
  GRU_bidirectional_batchFirst_nobias: (dtype) => new nn.GRU(3, 2, { rng: rng(0), dtype, bidirectional: true, batchFirst: true, bias: false }),
  LSTM_unbatched: (dtype) => new nn.LSTM(3, 2, { rng: rng(0), dtype }),
};

describe("recurrent layers against PyTorch", () => {
  for (const [name, c] of Object.entries(golden.recurrent)) {
    it(`${name}: torch's state dict loads; outputs, final states and gradients match`, () => {
      const build = (dtype: Float) => {
        const layer = RECURRENT[name](dtype);
        layer.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, cast(f64(v.values, v.shape), dtype)])));
        return layer;
      };
      const layer = build("float64");
      const x = f64(c.input, c.shape);
      const h0 = c.h0 === undefined ? undefined : f64(c.h0, c.stateShape);
      const c0 = c.c0 === undefined ? undefined : f64(c.c0, c.stateShape);
      const run: Run = (l, input, h, cell) => (l instanceof nn.LSTM ? l.run(input, h, cell) : l.run(input, h));
      const out = run(layer, x, h0, c0);
      expect(out.output.shape).toEqual(c.valueShape);
      close(flat(out.output), c.value, 1e-10);
      close(flat(out.h), c.h, 1e-10);
      if (c.c !== undefined) close(flat(out.c as Tensor), c.c, 1e-10);
      // Every result flattened into one tensor, so Module.call (which returns forward's tensor) sees them all.
      const probe = new Flattened(layer, run);
      const tree = probe.parameterTree();
      const weights = concat([c.weight, c.weightH, ...(c.weightC === undefined ? [] : [c.weightC])].map((v) => f64(v, [v.length])) as Tensor[]);
      const loss = (input: Tensor, params: typeof tree, ...states: Tensor[]) => sum(mul(weights, probe.call(params, input, ...states)));
      const states = [h0, c0].filter((t): t is Tensor => t !== undefined);
      const args = [x, tree, ...states] as const;
      const grads = grad(loss as unknown as (...a: Tensor[]) => Tensor, { argnums: args.map((_, i) => i) })(...(args as unknown as Tensor[])) as unknown as [
        Tensor,
        { inner: Record<string, Tensor> },
        Tensor?,
        Tensor?,
      ];
      close(flat(grads[0]), c.grad, 1e-10);
      for (const k of Object.keys(c.paramGrads)) close(flat(grads[1].inner[k]), c.paramGrads[k], 1e-10);
      if (c.gradH0 !== undefined) close(flat(grads[2] as Tensor), c.gradH0, 1e-10);
      if (c.gradC0 !== undefined) close(flat(grads[3] as Tensor), c.gradC0, 1e-10);
      const out32 = run(build("float32"), cast(x, "float32"), h0 && cast(h0, "float32"), c0 && cast(c0, "float32"));
      expect(out32.output.dtype).toBe("float32");
      close(flat(out32.output), c.value, 1e-5);
    });
  }
});

type Attending = nn.MultiheadAttention | nn.TransformerEncoderLayer | nn.TransformerDecoderLayer;

/** The attention layers built as the script built torch's, and how each is called with options. */
const ATTENTION: Record<string, { build: (dtype: Float) => Attending; call: (l: Attending, xs: Tensor[], o: Record<string, unknown>) => Tensor }> = {
  mha: { build: (dtype) => new nn.MultiheadAttention(6, 2, { rng: rng(0), dtype }), call: attend },
  mha_masks_batchFirst: { build: (dtype) => new nn.MultiheadAttention(6, 3, { rng: rng(0), dtype, batchFirst: true }), call: attend },
  mha_causal: { build: (dtype) => new nn.MultiheadAttention(4, 2, { rng: rng(0), dtype, bias: false }), call: attend },
  encoder: { build: (dtype) => new nn.TransformerEncoderLayer(6, 2, { rng: rng(0), dtype, dimFeedforward: 8 }), call: encode },
  encoder_normFirst_gelu: {
    build: (dtype) => new nn.TransformerEncoderLayer(6, 3, { rng: rng(0), dtype, dimFeedforward: 5, activation: "gelu", normFirst: true, batchFirst: true }),
    call: encode,
  },
  decoder: { build: (dtype) => new nn.TransformerDecoderLayer(4, 2, { rng: rng(0), dtype, dimFeedforward: 6 }), call: decode },
  decoder_normFirst: { build: (dtype) => new nn.TransformerDecoderLayer(4, 2, { rng: rng(0), dtype, dimFeedforward: 6, normFirst: true, batchFirst: true }), call: decode },
};

function attend(l: Attending, [q, k, v]: Tensor[], o: Record<string, unknown>): Tensor {
  return (l as nn.MultiheadAttention).attend(q, k, v, o).output;
}
function encode(l: Attending, [src]: Tensor[], o: Record<string, unknown>): Tensor {
  return (l as nn.TransformerEncoderLayer).encode(src, o);
}
function decode(l: Attending, [tgt, memory]: Tensor[], o: Record<string, unknown>): Tensor {
  return (l as nn.TransformerDecoderLayer).decode(tgt, memory, o);
}

/** A layer whose forward is `call` with fixed options, so Module.call can substitute its parameters. */
class Called extends nn.Module {
  constructor(
    readonly inner: Attending,
    readonly run: (xs: Tensor[]) => Tensor,
  ) {
    super();
    this.child("inner", inner);
  }
  forward(...xs: Tensor[]): Tensor {
    return this.run(xs);
  }
}

describe("attention and transformer layers against PyTorch", () => {
  for (const [name, c] of Object.entries(golden.attention)) {
    it(`${name}: torch's state dict loads; output and gradients match`, () => {
      const { build, call } = ATTENTION[name];
      const options = (dtype: Float) =>
        Object.fromEntries(
          Object.entries(c.options).map(([k, v]) => [k, typeof v === "boolean" ? v : v.dtype === "bool" ? ne(f64(v.values, v.shape), 0) : cast(f64(v.values, v.shape), dtype)]),
        );
      const loaded = (dtype: Float) => {
        const layer = build(dtype).eval();
        layer.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, cast(f64(v.values, v.shape), dtype)])));
        return layer;
      };
      const layer = loaded("float64");
      const xs = c.inputs.map((v, i) => f64(v, c.shapes[i]));
      const o = options("float64");
      const y = call(layer, xs, o);
      expect(y.shape).toEqual(c.valueShape);
      close(flat(y), c.value, 1e-10);
      const probe = new Called(layer, (ts) => call(layer, ts, o));
      const tree = probe.parameterTree();
      const w = f64(c.weight, c.valueShape);
      const loss = (params: typeof tree, ...ts: Tensor[]) => sum(mul(w, probe.call(params, ...ts)));
      const grads = grad(loss as unknown as (...a: Tensor[]) => Tensor, { argnums: [0, ...xs.map((_, i) => i + 1)] })(...([tree, ...xs] as unknown as Tensor[])) as unknown as [
        { inner: Record<string, unknown> },
        ...Tensor[],
      ];
      xs.forEach((_, i) => close(flat(grads[i + 1] as Tensor), c.grads[i], 1e-10));
      const leaf = (tree: unknown, path: string): Tensor => path.split(".").reduce((t: unknown, k) => (t as Record<string, unknown>)[k], tree) as Tensor;
      for (const k of Object.keys(c.paramGrads)) {
        close(flat(leaf(grads[0].inner, k)), c.paramGrads[k], 1e-10);
      }
      const y32 = call(
        loaded("float32"),
        xs.map((x) => cast(x, "float32")),
        options("float32"),
      );
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
    ["MultiheadAttention heads", () => new nn.MultiheadAttention(6, 4, { rng: r }), "InvalidArgument", "MultiheadAttention"],
    ["MultiheadAttention query", () => new nn.MultiheadAttention(6, 2, { rng: r }).forward(randn([3, 2, 5])), "ShapeMismatch", "MultiheadAttention.forward"],
    [
      "MultiheadAttention mask",
      () => new nn.MultiheadAttention(4, 2, { rng: r }).attend(randn([3, 1, 4]), randn([3, 1, 4]), randn([3, 1, 4]), { attnMask: randn([3, 4]) }),
      "ShapeMismatch",
      "MultiheadAttention.forward",
    ],
    ["TransformerEncoderLayer activation", () => new nn.TransformerEncoderLayer(4, 2, { rng: r, activation: "tanh" as never }), "InvalidArgument", "TransformerEncoderLayer"],
    [
      "TransformerEncoderLayer dropout needs a key",
      () => new nn.TransformerEncoderLayer(4, 2, { rng: r, dimFeedforward: 4 }).forward(randn([3, 1, 4])),
      "InvalidArgument",
      "TransformerEncoderLayer.forward",
    ],
    ["TransformerDecoderLayer unknown option", () => new nn.TransformerDecoderLayer(4, 2, { rng: r, norm_first: true } as never), "InvalidArgument", "TransformerDecoderLayer"],
    ["RNN nonlinearity", () => new nn.RNN(2, 3, { rng: r, nonlinearity: "gelu" as never }), "InvalidArgument", "RNN"],
    ["LSTM numLayers", () => new nn.LSTM(2, 3, { rng: r, numLayers: 0 }), "InvalidArgument", "LSTM"],
    ["GRU unknown option", () => new nn.GRU(2, 3, { rng: r, dropout: 0.1 } as never), "InvalidArgument", "GRU"],
    ["GRU input", () => new nn.GRU(2, 3, { rng: r }).forward(randn([4, 1, 3])), "ShapeMismatch", "GRU.forward"],
    ["LSTM h0", () => new nn.LSTM(2, 3, { rng: r }).forward(randn([4, 1, 2]), randn([1, 2, 3])), "ShapeMismatch", "LSTM.forward"],
  ])("%s", (_, f, code, op) => {
    const e = thrown(f);
    expect(e.code).toBe(code);
    expect(e.details.op).toBe(op);
  });

  it("transformer dropout draws from the call's key: the same key gives the same output, eval mode none", () => {
    const layer = new nn.TransformerEncoderLayer(4, 2, { rng: r, dimFeedforward: 6, dropout: 0.5, dtype: "float64" });
    const src = randn([3, 2, 4], { rng: r, dtype: "float64" });
    const a = layer.encode(src, { key: random.key(1) });
    close(flat(layer.encode(src, { key: random.key(1) })), flat(a), 0);
    expect(flat(layer.encode(src, { key: random.key(2) }))).not.toEqual(flat(a));
    const plain = layer.eval().forward(src);
    expect(flat(plain)).not.toEqual(flat(a));
    close(flat(layer.encode(src, { key: random.key(1) })), flat(plain), 0);
  });

  it("a causal mask equals the explicit bool mask, and masks future positions out", () => {
    const mha = new nn.MultiheadAttention(4, 2, { rng: r, dtype: "float64" });
    const x = randn([3, 1, 4], { rng: r, dtype: "float64" });
    const causal = mha.attend(x, x, x, { isCausal: true });
    const explicit = mha.attend(x, x, x, {
      attnMask: tensor([
        [false, true, true],
        [false, false, true],
        [false, false, false],
      ]),
    });
    close(flat(causal.output), flat(explicit.output), 1e-12);
    expect(flat(causal.weights).slice(0, 3)).toEqual([1, 0, 0]);
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
