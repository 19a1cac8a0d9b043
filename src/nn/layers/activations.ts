/** Activation functions as modules, for `Sequential`: each is the function of the same name, its errors naming `<Module>.forward`. */
import { gelu, relu, sigmoid, tanh, type GeluOptions } from "../../tensor/primitives/unary.js";
import type { Tensor } from "../../tensor/tensor.js";
import { asOp, describe, expectFinite, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { celu, elu, glu, hardsigmoid, hardswish, hardtanh, leakyRelu, logsigmoid, mish, prelu, relu6, selu, silu, softsign } from "../../tensor/composites/activations.js";
import { full } from "../../tensor/creation.js";
import type { FloatDType } from "../../tensor/dtype.js";
import { floatDTypeOption } from "../checks.js";
import { Module } from "../module.js";

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return asOp("ReLU.forward", () => relu(x));
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
    return asOp("GELU.forward", () => gelu(x, this.options));
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return asOp("Tanh.forward", () => tanh(x));
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return asOp("Sigmoid.forward", () => sigmoid(x));
  }
}

/** x for x > 0, negativeSlope·x elsewhere (default 0.01). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    expectFinite("LeakyReLU", "negativeSlope", negativeSlope);
  }
  forward(x: Tensor): Tensor {
    return asOp("LeakyReLU.forward", () => leakyRelu(x, this.negativeSlope));
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    expectFinite("ELU", "alpha", alpha);
  }
  forward(x: Tensor): Tensor {
    return asOp("ELU.forward", () => elu(x, this.alpha));
  }
}

export class CELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    if (expectFinite("CELU", "alpha", alpha) === 0) throw invalidArgument("CELU", "alpha must not be 0", { argument: "alpha", got: alpha });
  }
  forward(x: Tensor): Tensor {
    return asOp("CELU.forward", () => celu(x, this.alpha));
  }
}

/** x clamped to [min, max] (default [−1, 1]). */
export class Hardtanh extends Module {
  constructor(
    readonly min = -1,
    readonly max = 1,
  ) {
    super();
    if (expectFinite("Hardtanh", "min", min) > expectFinite("Hardtanh", "max", max))
      throw invalidArgument("Hardtanh", `min must be at most max, got min ${min} and max ${max}`, { argument: "min", got: [min, max] });
  }
  forward(x: Tensor): Tensor {
    return asOp("Hardtanh.forward", () => hardtanh(x, this.min, this.max));
  }
}

/** The gated linear unit over `axis` (default −1). */
export class GLU extends Module {
  constructor(readonly axis = -1) {
    super();
    expectInteger("GLU", "axis", axis, -64, 63);
  }
  forward(x: Tensor): Tensor {
    return asOp("GLU.forward", () => glu(x, this.axis));
  }
}

/** prelu with a learned weight: one value (default) or one per channel, initialised to `init` (0.25). */
export class PReLU extends Module {
  readonly weight: Tensor;
  constructor(options: { readonly numParameters?: number; readonly init?: number; readonly dtype?: FloatDType } = {}) {
    super();
    const o = expectOptions<{ numParameters?: number; init?: number; dtype?: FloatDType }>("PReLU", options, ["numParameters", "init", "dtype"]);
    const n = expectInteger("PReLU", "numParameters", o.numParameters ?? 1, 1, 2 ** 30);
    const init = expectFinite("PReLU", "init", o.init ?? 0.25);
    this.weight = this.parameter("weight", full([n], init, { dtype: floatDTypeOption("PReLU", o.dtype) ?? "float32" }));
  }
  forward(x: Tensor): Tensor {
    return asOp("PReLU.forward", () => prelu(x, this.weight));
  }
}

/**
 * A module applying an activation function without options. Named subclasses below (not a class
 * factory: declaration files cannot describe the protected members of an anonymous class).
 */
abstract class Plain extends Module {
  protected abstract readonly f: (x: Tensor) => Tensor;
  forward(x: Tensor): Tensor {
    return asOp(`${this.constructor.name}.forward`, () => this.f(x));
  }
}

export class SELU extends Plain {
  protected readonly f = selu;
}
export class SiLU extends Plain {
  protected readonly f = silu;
}
export class Mish extends Plain {
  protected readonly f = mish;
}
export class Softsign extends Plain {
  protected readonly f = softsign;
}
export class Hardswish extends Plain {
  protected readonly f = hardswish;
}
export class Hardsigmoid extends Plain {
  protected readonly f = hardsigmoid;
}
export class LogSigmoid extends Plain {
  protected readonly f = logsigmoid;
}
export class ReLU6 extends Plain {
  protected readonly f = relu6;
}
