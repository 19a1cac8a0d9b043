/**
 * Dropout: in training mode each element is zeroed with probability p and the rest scaled by
 * 1/(1 − p) (inverted dropout, so evaluation needs no rescaling); in evaluation mode, the identity.
 * The mask comes from a `random` key given per call (a pure function of the key: it traces, so a
 * jitted or vmapped step with dropout is reproducible), or, in eager code, from the layer's own
 * generator, so a seeded run drops the same elements.
 */
import { describe, expectFinite, expectOptions, invalidArgument } from "../../errors.js";
import { allocate, coerce } from "../../tensor/dtype.js";
import { mul } from "../../tensor/primitives/arithmetic.js";
import { cast } from "../../tensor/primitives/cast.js";
import { expectKey } from "../../tensor/key.js";
import { bernoulli } from "../../tensor/random.js";
import type { Rng } from "../../tensor/rng.js";
import { fromStorage, type Tensor } from "../../tensor/tensor.js";
import { expectFloatTensor, expectRng, expectTensor } from "../checks.js";
import { Module } from "../module.js";

export interface DropoutOptions {
  /** The key the mask is drawn from (`random.key`, `random.split`): the same key drops the same elements. */
  readonly key: Tensor;
}

/** Functional dropout: x with each element zeroed with probability p, the rest scaled by 1/(1 − p), the mask drawn from `key`. */
export function dropout(x: Tensor, p: number, options: DropoutOptions): Tensor {
  const op = "dropout";
  expectTensor(op, "x", x);
  expectP(op, p);
  const { key } = expectOptions<DropoutOptions>(op, options, ["key"], true);
  return keyed(op, x, p, key);
}

export class Dropout extends Module {
  constructor(
    readonly p: number,
    readonly options: { readonly rng?: Rng } = {},
  ) {
    super();
    expectP("Dropout", p);
    // A generator, if given, must be one (not checked at forward); without one, forward needs a key.
    const { rng } = expectOptions<{ rng?: unknown }>("Dropout", options, ["rng"]);
    if (rng !== undefined) expectRng("Dropout", rng);
  }

  /** x with dropout applied in training mode: the mask from `key` if one is given, else from the layer's generator. */
  forward(x: Tensor, key?: Tensor): Tensor {
    const op = "Dropout.forward";
    expectTensor(op, "x", x);
    if (!this.training || this.p === 0) return x;
    if (key !== undefined) return keyed(op, x, this.p, key);
    // The mask scales the kept elements by 1/(1 − p): an int32 or bool input cannot hold them.
    expectFloatTensor(op, "x", x);
    const g = this.options.rng;
    if (g === undefined) throw invalidArgument(op, "a Dropout built without an rng needs a key per call: forward(x, key)", { argument: "key", got: describe(key) });
    const keep = 1 - this.p;
    const mask = allocate(x.dtype, x.size, op);
    for (let i = 0; i < mask.length; i++) mask[i] = coerce(x.dtype, g.uniform() < keep ? 1 / keep : 0);
    return mul(x, fromStorage(mask, x.dtype, [...x.shape], x.device) as never);
  }
}

function expectP(op: string, p: number): void {
  expectFinite(op, "p", p);
  if (!(p >= 0 && p < 1)) throw invalidArgument(op, `p must be in [0, 1), got ${p}`, { argument: "p", got: p });
}

/** The keyed mask: kept with probability 1 − p (a bernoulli draw), scaled by 1/(1 − p). */
function keyed(op: string, x: Tensor, p: number, key: Tensor): Tensor {
  expectFloatTensor(op, "x", x);
  expectKey(op, key);
  if (p === 0) return x;
  const keep = 1 - p;
  return mul(x, mul(cast(bernoulli(key, keep, x.shape), x.dtype), 1 / keep));
}
