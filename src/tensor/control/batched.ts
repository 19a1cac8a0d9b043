/**
 * What the control-flow batching rules share: a sub-program run on a whole batch (by vmap, so its
 * own primitives batch by their rules), and a batch of outputs packed example by example.
 */
import type { DType } from "../dtype.js";
import type { Program } from "../ir.js";
import { cast } from "../primitives/cast.js";
import { concat } from "../primitives/join.js";
import { reshape } from "../primitives/shape.js";
import type { Tensor } from "../tensor.js";
import { vmap } from "../vmap.js";
import { run } from "./closed.js";

/** The program on a batch of `size`: inputs batched along axis 0 where `batched` says; every output batched. */
export function onBatch(program: Program, batched: readonly boolean[], size: number): (...xs: Tensor[]) => Tensor[] {
  const f = (...xs: Tensor[]): Tensor[] => run(program, xs);
  return (...xs) => vmap(f, { inAxes: batched.map((b) => (b ? 0 : null)), axisSize: size })(...xs) as unknown as Tensor[];
}

/** Leaves [size, ...] packed per example: the physical value [size, P] of a packed logical output. */
export function packBatched(leaves: readonly Tensor[], dtype: DType, size: number): Tensor {
  const rows = leaves.map((x) => reshape(x.dtype === dtype ? x : cast(x, dtype), [size, size === 0 ? 0 : x.size / size]));
  return rows.length === 1 ? rows[0] : concat(rows, 1);
}

/** A [size] mask shaped to broadcast against a [size, ...] value of `rank` axes. */
export const maskFor = (mask: Tensor, rank: number): Tensor => reshape(mask, [mask.shape[0], ...new Array<number>(rank - 1).fill(1)]);
