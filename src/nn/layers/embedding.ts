/** Embedding: a [count, dim] table whose rows are looked up by integer indices of any shape. */
import { AdError, expectInteger, expectOptions } from "../../errors.js";
import { indexSelect } from "../../tensor/primitives/gather.js";
import { reshape } from "../../tensor/primitives/shape.js";
import type { FloatDType } from "../../tensor/dtype.js";
import type { Rng } from "../../tensor/rng.js";
import type { Tensor } from "../../tensor/tensor.js";
import { normal } from "../init.js";
import { expectRng, expectTensor, floatDTypeOption } from "../checks.js";
import { Module } from "../module.js";

export class Embedding extends Module {
  readonly weight: Tensor;

  /** Rows start as N(0, 1), PyTorch's default. */
  constructor(
    readonly count: number,
    readonly dim: number,
    options: { readonly rng: Rng; readonly dtype?: FloatDType },
  ) {
    super();
    expectInteger("Embedding", "count", count, 1, 2 ** 30);
    expectInteger("Embedding", "dim", dim, 1, 2 ** 30);
    const o = expectOptions<{ rng: Rng; dtype?: FloatDType }>("Embedding", options, ["rng", "dtype"], true);
    const init = { rng: expectRng("Embedding", o.rng), dtype: floatDTypeOption("Embedding", o.dtype) };
    this.weight = this.parameter("weight", normal([count, dim], 0, 1, init));
  }

  /** indices: int32 of any shape → [...indices.shape, dim]. */
  forward(indices: Tensor): Tensor {
    expectTensor("Embedding.forward", "indices", indices);
    if (indices.dtype !== "int32") {
      throw new AdError("DTypeMismatch", `Embedding needs int32 indices, got ${indices.dtype}`, { op: "Embedding.forward", dtype: indices.dtype });
    }
    const rows = indexSelect(this.weight, 0, reshape(indices, [indices.size]));
    return reshape(rows, [...indices.shape, this.dim]);
  }
}
