/** Layers without parameters that reshape or pool: MaxPool2d, AvgPool2d, Flatten. */
import { asOp, expectInteger } from "../../errors.js";
import { avgPool2d, maxPool2d, poolWindow, type Pool2dOptions } from "../../tensor/primitives/pool.js";
import { reshape } from "../../tensor/primitives/shape.js";
import { normalizeAxis } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { expectTensor } from "../checks.js";
import { Module } from "../module.js";

/** Max over windows of NCHW inputs (`kernel`, `stride` = kernel by default, `padding`). */
export class MaxPool2d extends Module {
  constructor(readonly options: Pool2dOptions) {
    super();
    poolWindow("MaxPool2d", options, true);
  }
  forward(x: Tensor): Tensor {
    return asOp("MaxPool2d.forward", () => maxPool2d(x, this.options));
  }
}

/** Mean over windows of NCHW inputs; padding counts in the divisor (PyTorch's default). */
export class AvgPool2d extends Module {
  constructor(readonly options: Pool2dOptions) {
    super();
    poolWindow("AvgPool2d", options);
  }
  forward(x: Tensor): Tensor {
    return asOp("AvgPool2d.forward", () => avgPool2d(x, this.options));
  }
}

/** Merges axes startAxis … endAxis into one (default 1 … −1: [N, C, H, W] → [N, C·H·W]). */
export class Flatten extends Module {
  constructor(
    readonly startAxis = 1,
    readonly endAxis = -1,
  ) {
    super();
    expectInteger("Flatten", "startAxis", startAxis, -64, 64);
    expectInteger("Flatten", "endAxis", endAxis, -64, 64);
  }
  forward(x: Tensor): Tensor {
    const op = "Flatten.forward";
    expectTensor(op, "x", x);
    const start = normalizeAxis(op, this.startAxis, x.rank);
    const end = normalizeAxis(op, this.endAxis, x.rank);
    if (end <= start) return x;
    const merged = x.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
    return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
  }
}
