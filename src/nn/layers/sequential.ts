/** `Sequential`: modules applied in order; children are named "0", "1", … as in PyTorch. */
import { describe, invalidArgument } from "../../errors.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";

export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => {
      if (!(m instanceof Module)) throw invalidArgument("Sequential", `layer ${i} must be a Module, got ${describe(m)}`, { index: i });
      this.child(String(i), m);
    });
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return y;
  }
}
