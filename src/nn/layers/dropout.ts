/**
 * Dropout: in training mode each element is zeroed with probability p and the rest scaled by
 * 1/(1 − p) (inverted dropout, so evaluation needs no rescaling); in evaluation mode, the identity.
 * The mask is drawn from the layer's own generator, so a seeded run drops the same elements.
 */
import { expectFinite, expectOptions, invalidArgument } from "../../errors.js";
import { allocate } from "../../tensor/dtype.js";
import { mul } from "../../tensor/primitives/arithmetic.js";
import type { Rng } from "../../tensor/rng.js";
import { fromStorage, type Tensor } from "../../tensor/tensor.js";
import { expectFloatTensor, expectRng, expectTensor } from "../checks.js";
import { Module } from "../module.js";

export class Dropout extends Module {
  constructor(
    readonly p: number,
    readonly options: { readonly rng: Rng },
  ) {
    super();
    expectFinite("Dropout", "p", p);
    if (!(p >= 0 && p < 1)) throw invalidArgument("Dropout", `p must be in [0, 1), got ${p}`, { argument: "p", got: p });
    // Dropout masks are seeded: the generator is required, and must be one (not checked at forward).
    expectRng("Dropout", expectOptions<{ rng?: unknown }>("Dropout", options, ["rng"], true).rng);
  }

  forward(x: Tensor): Tensor {
    expectTensor("Dropout.forward", "x", x);
    if (!this.training || this.p === 0) return x;
    // The mask scales the kept elements by 1/(1 − p): an int32 or bool input cannot hold them.
    expectFloatTensor("Dropout.forward", "x", x);
    const keep = 1 - this.p;
    const g = this.options.rng;
    const mask = allocate(x.dtype, x.size, "Dropout.forward");
    for (let i = 0; i < mask.length; i++) mask[i] = g.uniform() < keep ? 1 / keep : 0;
    return mul(x, fromStorage(mask, x.dtype, [...x.shape], x.device) as never);
  }
}
