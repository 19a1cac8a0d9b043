/**
 * Errors name the op the user called, the inner op kept as detail: a table of public composites and
 * layers that call other ops, each given an input one of those inner ops refuses.
 */
import { describe, expect, it } from "vitest";
import { AdError, asOp, invalidArgument } from "../src/errors.js";
import { clip, floorDivide, rng, norm as normOf, logicalAnd, logicalOr, logicalXor, mean, tensor, zeros, type Tensor } from "../src/tensor/index.js";
import * as nn from "../src/nn/index.js";
import { BatchNorm1d, BatchNorm2d, GELU, GLU, LayerNorm, PReLU, ReLU } from "../src/nn/index.js";
import { lstsq, norm, pinv, svdvals } from "../src/linalg/index.js";

const bool = () =>
  tensor(
    [
      [true, false],
      [false, true],
    ],
    { dtype: "bool" },
  );
const f = (): Tensor => zeros([2, 2]);
const f3 = (): Tensor => zeros([3]);

/** A float32 input to a float64 layer: an inner op refuses the dtypes. */
const f32 = (shape: number[]): Tensor => zeros(shape);
const b = (shape: number[]): Tensor => zeros(shape, { dtype: "bool" });
const f64Layer = { rng: rng(0), dtype: "float64" } as const;

const CASES: readonly (readonly [op: string, call: () => unknown])[] = [
  ["mean", () => mean(bool())],
  ["floorDivide", () => floorDivide(f(), f3())],
  ["clip", () => clip(f(), f3())],
  ["logicalAnd", () => logicalAnd(f(), f3())],
  ["logicalOr", () => logicalOr(f(), f3())],
  ["logicalXor", () => logicalXor(f(), f3())],
  ["svdvals", () => svdvals(bool())],
  ["pinv", () => pinv(bool())],
  ["lstsq", () => lstsq(bool(), bool())],
  ["norm", () => norm(bool())],
  ["norm", () => normOf(zeros([0, 3]), { ord: Infinity, axis: 0 })],
  ["norm", () => normOf(zeros([0, 3]), { ord: -Infinity, axis: 0 })],
  ["LayerNorm.forward", () => new LayerNorm([2]).forward(bool())],
  ["BatchNorm1d.forward", () => new BatchNorm1d(2).forward(bool())],
  ["BatchNorm1d.forward", () => new BatchNorm1d(2).forward(zeros([4, 2], { dtype: "float64" }))],
  ["ReLU.forward", () => new ReLU().forward(bool())],
  ["GELU.forward", () => new GELU().forward(bool())],
  ["GLU.forward", () => new GLU().forward(bool())],
  ["PReLU.forward", () => new PReLU({ numParameters: 3 }).forward(f())],
  ["BatchNorm2d.forward", () => new BatchNorm2d(2).forward(zeros([2, 2, 1, 1], { dtype: "float64" }))],
  ["Linear.forward", () => new nn.Linear(2, 3, f64Layer).forward(b([1, 2]))],
  ["Conv1d.forward", () => new nn.Conv1d(2, 3, 2, f64Layer).forward(f32([1, 2, 4]))],
  ["Conv2d.forward", () => new nn.Conv2d(2, 3, 2, f64Layer).forward(f32([1, 2, 4, 4]))],
  ["ConvTranspose1d.forward", () => new nn.ConvTranspose1d(2, 3, 2, f64Layer).forward(b([1, 2, 4]))],
  ["ConvTranspose2d.forward", () => new nn.ConvTranspose2d(2, 3, 2, f64Layer).forward(b([1, 2, 4, 4]))],
  ["RNN.forward", () => new nn.RNN(2, 3, f64Layer).forward(b([4, 1, 2]))],
  ["LSTM.forward", () => new nn.LSTM(2, 3, f64Layer).forward(b([4, 1, 2]))],
  ["GRU.forward", () => new nn.GRU(2, 3, f64Layer).forward(b([4, 1, 2]))],
  ["MultiheadAttention.forward", () => new nn.MultiheadAttention(4, 2, f64Layer).forward(b([3, 1, 4]))],
  ["TransformerEncoderLayer.forward", () => new nn.TransformerEncoderLayer(4, 2, { ...f64Layer, dropout: 0, dimFeedforward: 8 }).forward(b([3, 1, 4]))],
  ["TransformerDecoderLayer.forward", () => new nn.TransformerDecoderLayer(4, 2, { ...f64Layer, dropout: 0, dimFeedforward: 8 }).forward(b([3, 1, 4]), f32([2, 1, 4]))],
  ["GroupNorm.forward", () => new nn.GroupNorm(1, 2, { dtype: "float64" }).forward(b([1, 2, 3]))],
  ["InstanceNorm1d.forward", () => new nn.InstanceNorm1d(2, { dtype: "float64", affine: true }).forward(b([1, 2, 3]))],
  ["Upsample.forward", () => new nn.Upsample({ scaleFactor: 2 }).forward(f32([2, 2]))],
  ["AdaptiveAvgPool2d.forward", () => new nn.AdaptiveAvgPool2d(2).forward(f32([2, 2]))],
  ["AdaptiveMaxPool2d.forward", () => new nn.AdaptiveMaxPool2d(2).forward(f32([2, 2]))],
  ["AdaptiveAvgPool1d.forward", () => new nn.AdaptiveAvgPool1d(2).forward(f32([2, 2]))],
  ["AdaptiveMaxPool1d.forward", () => new nn.AdaptiveMaxPool1d(2).forward(f32([2, 2]))],
  ["MaxPool1d.forward", () => new nn.MaxPool1d({ kernel: 2 }).forward(f32([2]))],
  ["AvgPool1d.forward", () => new nn.AvgPool1d({ kernel: 2 }).forward(f32([2]))],
  ["PixelShuffle.forward", () => new nn.PixelShuffle(2).forward(f32([1, 3, 2, 2]))],
  ["PixelUnshuffle.forward", () => new nn.PixelUnshuffle(2).forward(f32([1, 1, 3, 3]))],
  ["MaxPool2d.forward", () => new nn.MaxPool2d({ kernel: 2 }).forward(f32([2, 2]))],
  ["AvgPool2d.forward", () => new nn.AvgPool2d({ kernel: 2 }).forward(f32([2, 2]))],
  ["Embedding.forward", () => new nn.Embedding(5, 3, f64Layer).forward(f32([2]))],
];

function thrown(call: () => unknown): AdError {
  try {
    call();
  } catch (error) {
    if (error instanceof AdError) return error;
    throw error;
  }
  throw new Error("expected an AdError");
}

describe("errors name the op the user called", () => {
  it.each(CASES.map(([op, call], i) => [`${op} #${i}`, op, call] as const))("%s", (_, op, call) => {
    const error = thrown(call);
    expect(error.details.op).toBe(op);
    expect(error.message.startsWith(`${op}: `)).toBe(true);
    if (error.details.inner !== undefined) expect(error.message).toContain(`(in ${String(error.details.inner)})`);
  });

  it("asOp keeps the code and details, adds the inner op, and passes its own op's errors through", () => {
    const inner = invalidArgument("sum", "sum needs a float tensor", { dtype: "bool" });
    const outer = thrown(() =>
      asOp("mean", () => {
        throw inner;
      }),
    );
    expect(outer.code).toBe("InvalidArgument");
    expect(outer.details).toEqual({ op: "mean", inner: "sum", dtype: "bool" });
    expect(outer.message).toBe("mean: sum needs a float tensor (in sum)");
    const own = invalidArgument("mean", "x");
    expect(
      thrown(() =>
        asOp("mean", () => {
          throw own;
        }),
      ),
    ).toBe(own);
    const method = invalidArgument("mean.x", "x");
    expect(
      thrown(() =>
        asOp("mean", () => {
          throw method;
        }),
      ),
    ).toBe(method);
    const bug = new TypeError("bug");
    expect(() =>
      asOp("mean", () => {
        throw bug;
      }),
    ).toThrow(bug);
    expect(asOp("mean", () => 3)).toBe(3);
  });
});

it("asOp refuses a non-string op and a non-function fn", () => {
  expect(thrown(() => asOp(3 as unknown as string, () => 1)).details).toMatchObject({ op: "asOp", argument: "op" });
  expect(thrown(() => asOp("mean", 3 as unknown as () => number)).details).toMatchObject({ op: "asOp", argument: "fn" });
});
