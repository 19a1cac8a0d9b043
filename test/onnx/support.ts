/** Running an exported model in onnxruntime-node (CPU), to compare with adjoint's own outputs. */
import * as ort from "onnxruntime-node";
import * as T from "../../src/tensor/index.js";
type Tensor = T.Tensor;

export async function runOrt(model: Uint8Array, inputs: Readonly<Record<string, Tensor>>): Promise<Record<string, { data: number[]; dims: number[] }>> {
  const session = await ort.InferenceSession.create(model);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) {
    const data = t.dtype === "float64" ? Float64Array.from(t.data()) : t.dtype === "int32" ? Int32Array.from(t.data()) : Float32Array.from(t.data());
    feeds[name] = new ort.Tensor(t.dtype === "float64" ? "float64" : t.dtype === "int32" ? "int32" : "float32", data, [...t.shape]);
  }
  const out = await session.run(feeds);
  const result: Record<string, { data: number[]; dims: number[] }> = {};
  for (const [name, v] of Object.entries(out)) result[name] = { data: Array.from(v.data as ArrayLike<number>, Number), dims: [...v.dims] };
  await session.release();
  return result;
}

/** Functions of two [3, 4] tensors covering the rows of the export table (export.test.ts runs them in onnxruntime, import.test.ts round-trips them). */
export function mappingCases(): [string, (a: T.Tensor, b: T.Tensor) => T.Tensor][] {
  const idx = T.tensor(
    [
      [0, 1, 3, 2],
      [3, 3, 0, 1],
      [2, 0, 1, 1],
    ],
    { dtype: "int32" },
  );
  return [
    ["softmax", (a) => T.softmax(a, 1)],
    ["logSoftmax", (a) => T.logSoftmax(a, 0)],
    ["where and comparisons", (a, b) => T.where(T.logicalOr(T.gt(a, b), T.eq(a, 0)), T.exp(a), T.mul(b, 2))],
    ["cast", (a) => T.cast(T.cast(T.mul(a, 10), "int32"), "float32")],
    ["reductions", (a) => T.add(T.sum(a, 1, true), T.add(T.max(a, 0), T.min(a, [0, 1])))],
    ["prod and cumsum", (a) => T.add(T.prod(a, 0), T.sum(T.cumsum(a, 1), 0))],
    [
      "transpose, slice and concat",
      (a, b) =>
        T.concat(
          [
            T.transpose(
              T.slice(a, [
                [0, 3, 2],
                [null, null, -1],
              ]),
            ),
            T.slice(T.transpose(b), [null, [1, 3]]),
            T.unsqueeze(T.slice(T.transpose(b), [null, -1]), 1),
          ],
          1,
        ),
    ],
    ["reshape and matmul", (a, b) => T.matmul(T.reshape(a, [4, 3]), T.reshape(b, [3, 4]))],
    [
      "pad",
      (a) =>
        T.pad(
          a,
          [
            [1, 0],
            [0, 2],
          ],
          0.5,
        ),
    ],
    ["gather", (a) => T.gather(a, 1, idx)],
    ["unary functions", (a) => T.add(T.add(T.log1p(T.abs(a)), T.expm1(T.tanh(a))), T.add(T.log2(T.add(T.sqrt(T.abs(a)), 1)), T.rsqrt(T.add(T.mul(a, a), 1))))],
    ["rounding and sign", (a) => T.add(T.add(T.floor(T.mul(a, 3)), T.round(T.mul(a, 3))), T.mul(T.sign(a), T.ceil(a)))],
    ["maximum, minimum, pow", (a, b) => T.add(T.maximum(a, b), T.pow(T.minimum(T.abs(a), 2), 1.5))],
    ["fmod", (a, b) => T.fmod(T.mul(a, 5), T.add(T.abs(b), 0.5))],
    ["remainder and floorDivide", (a, b) => T.add(T.remainder(T.mul(a, 5), T.add(b, 0.1)), T.floorDivide(T.mul(a, 5), T.add(T.abs(b), 0.5)))],
    [
      "int remainder and floorDivide",
      (a, b) =>
        T.cast(
          T.add(
            T.remainder(T.cast(T.mul(a, 9), "int32"), T.tensor([3, -2, 5, -7], { dtype: "int32" })),
            T.floorDivide(T.cast(T.mul(b, 9), "int32"), T.tensor([-3, 2, 4, -5], { dtype: "int32" })),
          ),
          "float32",
        ),
    ],
    ["hypot, trunc, cbrt", (a, b) => T.add(T.hypot(a, b), T.add(T.trunc(T.mul(a, 3)), T.cbrt(b)))],
    ["argmax and argmin", (a) => T.cast(T.add(T.unsqueeze(T.argmax(a, 1), 1), T.add(T.argmin(a, 0, true), T.argmax(a))), "float32")],
  ];
}
