/** Running an exported model in onnxruntime-node (CPU), to compare with adjoint's own outputs. */
import * as ort from "onnxruntime-node";
import type { Tensor } from "../../src/tensor/index.js";

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
