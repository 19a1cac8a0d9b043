/**
 * Issue 18's losses against PyTorch (golden data from test/golden/nn18.py): the value and the
 * gradient of sum(w · loss) with respect to each float argument, float64 to 1e-10 and float32 to
 * 1e-5, the edge conventions (every label ignored, empty batches, probabilities of 0 and 1, a CTC
 * target that cannot be aligned), and the AdErrors for bad arguments, each naming the loss.
 */
import { describe, expect, it } from "vitest";
import * as nn from "../../src/nn/index.js";
import { grad } from "../../src/tensor/autograd/transforms.js";
import { tensor } from "../../src/tensor/creation.js";
import { logSoftmax } from "../../src/tensor/composites/softmax.js";
import type { FloatDType } from "../../src/tensor/dtype.js";
import { mul } from "../../src/tensor/primitives/arithmetic.js";
import { sum } from "../../src/tensor/primitives/reduce.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { thrown } from "../support/errorCode.js";
import { decode, expectGolden, loadGolden, type Encoded } from "../support/golden.js";

interface Arg {
  readonly kind: "x" | "c" | "i" | "n";
  readonly data: Encoded[];
  readonly shape: number[];
}
interface Case {
  readonly fn: string;
  readonly args: Arg[];
  readonly options: Record<string, unknown>;
  readonly value: Encoded[];
  readonly valueShape: number[];
  readonly weight: number[];
  readonly grads: (Encoded[] | null)[];
}
interface Golden {
  readonly losses: Record<string, Case>;
  readonly lossEdges: Record<string, Case>;
}

const golden = loadGolden<Golden>("nn18");

type Value = Tensor | number[];
type O = Record<string, unknown>;
/** Each loss called as adjoint spells it: PyTorch's trailing weight arguments are options here. */
const LOSSES: Record<string, (a: Value[], o: O) => Tensor> = {
  l1Loss: ([x, y], o) => nn.l1Loss(x as Tensor, y as Tensor, o),
  smoothL1Loss: ([x, y], o) => nn.smoothL1Loss(x as Tensor, y as Tensor, o),
  huberLoss: ([x, y], o) => nn.huberLoss(x as Tensor, y as Tensor, o),
  binaryCrossEntropy: ([p, y, w], o) => nn.binaryCrossEntropy(p as Tensor, y as Tensor, { ...o, weight: w as Tensor | undefined }),
  binaryCrossEntropyWithLogits: ([x, y, p, w], o) => nn.binaryCrossEntropyWithLogits(x as Tensor, y as Tensor, { ...o, posWeight: p as Tensor, weight: w as Tensor }),
  klDiv: ([x, t], o) => nn.klDiv(x as Tensor, t as Tensor, o),
  nllLoss: ([x, y, w], o) => nn.nllLoss(x as Tensor, y as Tensor, { ...o, weight: w as Tensor | undefined }),
  crossEntropy: ([x, y, w], o) => nn.crossEntropy(x as Tensor, y as Tensor, { ...o, weight: w as Tensor | undefined }),
  poissonNllLoss: ([x, y], o) => nn.poissonNllLoss(x as Tensor, y as Tensor, o),
  gaussianNllLoss: ([x, y, v], o) => nn.gaussianNllLoss(x as Tensor, y as Tensor, v as Tensor, o),
  cosineEmbeddingLoss: ([a, b, y], o) => nn.cosineEmbeddingLoss(a as Tensor, b as Tensor, y as Tensor, o),
  marginRankingLoss: ([a, b, y], o) => nn.marginRankingLoss(a as Tensor, b as Tensor, y as Tensor, o),
  tripletMarginLoss: ([a, p, n], o) => nn.tripletMarginLoss(a as Tensor, p as Tensor, n as Tensor, o),
  // On logits, as the golden data (test/golden/nn18.py says why).
  ctcLoss: ([x, t, il, tl], o) => nn.ctcLoss(logSoftmax(x as Tensor, -1), t as Tensor, il as number[], tl as number[], o),
};

function argsOf(c: Case, dtype: FloatDType): Value[] {
  return c.args.map((a) => {
    if (a.kind === "n") return a.data as number[];
    if (a.kind === "i") return tensor(Int32Array.from(decode(a.data)), { shape: a.shape });
    return tensor(decode(a.data), { shape: a.shape, dtype });
  });
}

function check(name: string, c: Case, dtype: FloatDType, rtol: number): void {
  const f = LOSSES[c.fn];
  const args = argsOf(c, dtype);
  const y = f(args, c.options);
  expect(y.shape, name).toEqual(c.valueShape);
  expectGolden(Array.from(y.data()), decode(c.value), rtol, `${name} value`);
  const wrt = c.args.flatMap((a, i) => (a.kind === "x" ? [i] : []));
  if (wrt.length === 0) return;
  const w = tensor(c.weight, { shape: c.valueShape, dtype });
  const grads = grad((xs: Tensor[]) => {
    const full = [...args];
    wrt.forEach((i, k) => (full[i] = xs[k]));
    return sum(mul(w, f(full, c.options)));
  })(wrt.map((i) => args[i] as Tensor)) as Tensor[];
  wrt.forEach((i, k) => expectGolden(Array.from(grads[k].data()), decode(c.grads[i] as Encoded[]), rtol, `${name} grad of argument ${i}`));
}

describe("losses against PyTorch", () => {
  for (const [name, c] of Object.entries(golden.losses)) {
    it(`${name} (float64)`, () => check(name, c, "float64", 1e-10));
    it(`${name} (float32)`, () => check(name, c, "float32", 1e-5));
  }
  for (const [name, c] of Object.entries(golden.lossEdges)) it(`edge: ${name}`, () => check(name, c, "float64", 1e-10));

  it("covers every loss of the issue", () => {
    expect(new Set(Object.values(golden.losses).map((c) => c.fn))).toEqual(new Set(Object.keys(LOSSES)));
  });
});

describe("loss arguments", () => {
  const x = tensor([
    [0.1, 0.2, 0.3],
    [0.4, 0.5, 0.6],
  ]);
  const y = tensor([0.5, 0.5, 0.5]);

  it("shape errors name the loss and both shapes", () => {
    for (const [op, call] of [
      ["l1Loss", () => nn.l1Loss(x, y)],
      ["smoothL1Loss", () => nn.smoothL1Loss(x, y)],
      ["huberLoss", () => nn.huberLoss(x, y)],
      ["binaryCrossEntropy", () => nn.binaryCrossEntropy(x, y)],
      ["klDiv", () => nn.klDiv(x, y)],
      ["poissonNllLoss", () => nn.poissonNllLoss(x, y)],
      ["gaussianNllLoss", () => nn.gaussianNllLoss(x, x, tensor([1, 1, 1]))],
      ["marginRankingLoss", () => nn.marginRankingLoss(x, y, [1, 1])],
      ["cosineEmbeddingLoss", () => nn.cosineEmbeddingLoss(x, x, tensor([1, 1, 1]))],
      ["tripletMarginLoss", () => nn.tripletMarginLoss(x, x, y)],
      ["crossEntropy", () => nn.crossEntropy(x, [0, 1], { weight: tensor([1, 1]) })],
      ["ctcLoss", () => nn.ctcLoss(x, [[1]], [1], [1])],
    ] as const) {
      const e = thrown(call);
      expect(e.code, op).toBe("ShapeMismatch");
      expect(e.details.op, op).toBe(op);
    }
  });

  it("option values out of range are InvalidArguments naming the loss and the option", () => {
    for (const [op, argument, call] of [
      ["smoothL1Loss", "beta", () => nn.smoothL1Loss(x, x, { beta: -1 })],
      ["huberLoss", "delta", () => nn.huberLoss(x, x, { delta: 0 })],
      ["tripletMarginLoss", "p", () => nn.tripletMarginLoss(x, x, x, { p: 0 })],
      ["klDiv", "reduction", () => nn.klDiv(x, x, { reduction: "batch" as never })],
      ["nllLoss", "ignoreIndex", () => nn.nllLoss(x, [0, 1], { ignoreIndex: 0.5 })],
      ["ctcLoss", "blank", () => nn.ctcLoss(tensor([[[0, 0, 0]]]), [[1]], [1], [1], { blank: 3 })],
    ] as const) {
      const e = thrown(call);
      expect(e.code, op).toBe("InvalidArgument");
      expect(e.details, op).toMatchObject({ op, argument });
    }
  });

  it("refuses values a loss is not defined on, naming where", () => {
    expect(thrown(() => nn.binaryCrossEntropy(tensor([0.5, 1.5]), tensor([0, 1]))).details).toMatchObject({ op: "binaryCrossEntropy", index: 1 });
    expect(
      thrown(() =>
        nn.gaussianNllLoss(
          x,
          x,
          tensor([
            [1, 1, 1],
            [1, -1, 1],
          ]),
        ),
      ).details,
    ).toMatchObject({ op: "gaussianNllLoss", index: 4 });
    expect(thrown(() => nn.marginRankingLoss(y, y, [1, 0, -1])).details).toMatchObject({ op: "marginRankingLoss", index: 1 });
    expect(thrown(() => nn.ctcLoss(tensor([[[0, 0, 0]]]), [[0]], [1], [1])).details).toMatchObject({ op: "ctcLoss", position: [0, 0] });
    expect(thrown(() => nn.crossEntropy(x, [0, -1])).details).toMatchObject({ op: "crossEntropy", label: -1 });
    expect(thrown(() => nn.crossEntropy(x, x, { ignoreIndex: 1 })).code).toBe("InvalidArgument");
  });

  it("an ignored label contributes no gradient, whatever its logits", () => {
    const logits = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const g = grad((z: Tensor) => nn.crossEntropy(z, [2, -100], { labelSmoothing: 0.1 }))(logits) as Tensor;
    expect(Array.from(g.data()).slice(3)).toEqual([0, 0, 0]);
  });
});
