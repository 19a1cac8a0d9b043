/** Activation functions as modules, for `Sequential`: each is the primitive of the same name. */
import { gelu, relu, sigmoid, tanh, type GeluOptions } from "../../tensor/primitives/unary.js";
import type { Tensor } from "../../tensor/tensor.js";
import { describe, expectOptions, invalidArgument } from "../../errors.js";
import { Module } from "../module.js";

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** The exact x·Φ(x) by default; `{ approximate: "tanh" }` for the tanh form. */
export class GELU extends Module {
  constructor(readonly options: GeluOptions = {}) {
    super();
    const approximate: unknown = expectOptions<GeluOptions>("GELU", options, ["approximate"]).approximate;
    if (approximate !== undefined && approximate !== "none" && approximate !== "tanh") {
      throw invalidArgument("GELU", `approximate must be "none" or "tanh", got ${describe(approximate)}`, { argument: "approximate", got: describe(approximate) });
    }
  }
  forward(x: Tensor): Tensor {
    return gelu(x, this.options);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}
