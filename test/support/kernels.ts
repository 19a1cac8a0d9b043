/**
 * The backend kernels as the tests call them: each takes views and returns a row-major buffer, which
 * these wrap into a tensor of the shape the primitive would give it. A wasm kernel that declines
 * (undefined) is followed by the reference, as backend.ts chains them.
 */
import * as referenceConv from "../../src/backends/cpu/kernels/conv.js";
import type { WindowGeometry } from "../../src/backends/geometry.js";
import { matmul as referenceProduct } from "../../src/backends/cpu/kernels/matmul.js";
import type { Storage } from "../../src/backends/dtype.js";
import * as wasmConv from "../../src/backends/wasm/conv.js";
import { matmul as wasmProduct } from "../../src/backends/wasm/matmul.js";
import { fromStorage, type Tensor } from "../../src/tensor/tensor.js";

const product = (a: Tensor, b: Tensor, batch: readonly number[], out: Storage): Tensor => fromStorage(out, a.dtype, [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]]);

export const referenceMatmul = (a: Tensor, b: Tensor, batch: readonly number[]): Tensor => product(a, b, batch, referenceProduct(a, b, batch));

/** The wasm product with its thresholds (`minWork`, `minSplitWork`) set by the test. */
export const wasmMatmul = (a: Tensor, b: Tensor, batch: readonly number[], minWork?: number, minSplitWork?: number): Tensor =>
  product(a, b, batch, wasmProduct(a, b, batch, undefined, minWork, minSplitWork) ?? referenceProduct(a, b, batch));

type Conv = typeof referenceConv.conv2d;
type Wasm<K extends Conv> = (...args: [...Parameters<K>, number?]) => Storage | undefined;

/** conv2d, conv2dInputGrad and conv2dWeightGrad of one implementation, wrapped into tensors. */
function convs(conv2d: Wasm<Conv>, inputGrad: Wasm<typeof referenceConv.conv2dInputGrad>, weightGrad: Wasm<typeof referenceConv.conv2dWeightGrad>) {
  const { conv2d: refConv, conv2dInputGrad: refInputGrad, conv2dWeightGrad: refWeightGrad } = referenceConv;
  return {
    conv2d: (x: Tensor, w: Tensor, geo: WindowGeometry, OH: number, OW: number, minWork?: number) =>
      fromStorage(conv2d(x, w, geo, OH, OW, minWork) ?? refConv(x, w, geo, OH, OW), x.dtype, [x.shape[0], w.shape[0], OH, OW]),
    conv2dInputGrad: (g: Tensor, w: Tensor, geo: WindowGeometry, H: number, W: number, minWork?: number) =>
      fromStorage(inputGrad(g, w, geo, H, W, minWork) ?? refInputGrad(g, w, geo, H, W), g.dtype, [g.shape[0], w.shape[1], H, W]),
    conv2dWeightGrad: (x: Tensor, g: Tensor, geo: WindowGeometry, KH: number, KW: number, minWork?: number) =>
      fromStorage(weightGrad(x, g, geo, KH, KW, minWork) ?? refWeightGrad(x, g, geo, KH, KW), x.dtype, [g.shape[1], x.shape[1], KH, KW]),
  };
}

export const reference = convs(referenceConv.conv2d, referenceConv.conv2dInputGrad, referenceConv.conv2dWeightGrad);
export const wasm = convs(wasmConv.conv2d, wasmConv.conv2dInputGrad, wasmConv.conv2dWeightGrad);
