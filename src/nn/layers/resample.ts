/**
 * Layers without parameters around the pooling and resampling functions: Identity, Upsample,
 * AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d, MaxPool1d, AvgPool1d, PixelShuffle, PixelUnshuffle. Each
 * checks its options when built by calling its function once on a small input, so a bad option is
 * the constructor's error, not the first forward's.
 */
import { zeros } from "../../tensor/creation.js";
import { adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveMaxPool1d, adaptiveMaxPool2d, avgPool1d, maxPool1d, type Pool1dOptions } from "../../tensor/composites/pooling.js";
import { interpolate, pixelShuffle, pixelUnshuffle, type InterpolateOptions } from "../../tensor/composites/resample.js";
import type { Tensor } from "../../tensor/tensor.js";
import { AdError, asOp, expectInteger } from "../../errors.js";
import { expectTensor } from "../checks.js";
import { Module } from "../module.js";

/** `f()`, its AdError renamed to `op` (the layer's constructor) when the probe input's shape is not the cause. */
function checkedWhenBuilt(op: string, f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (e instanceof AdError && e.code === "InvalidArgument") throw new AdError(e.code, e.message.replace(/^[^:]*: /, ""), { ...e.details, op });
    if (!(e instanceof AdError)) throw e;
  }
}

/** Returns its input unchanged (a placeholder in a Sequential, as PyTorch's). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return expectTensor("Identity.forward", "x", x);
  }
}

/** `interpolate` as a layer: `new Upsample({ scaleFactor: 2, mode: "bilinear" })`. */
export class Upsample extends Module {
  constructor(readonly options: InterpolateOptions) {
    super();
    const o: Partial<InterpolateOptions> = typeof options === "object" && options !== null ? options : {};
    const spatial = Array.isArray(o.size) ? o.size.length : Array.isArray(o.scaleFactor) ? o.scaleFactor.length : o.mode === "linear" ? 1 : 2;
    checkedWhenBuilt("Upsample", () => interpolate(zeros(new Array<number>(spatial + 2).fill(2)), options));
  }
  forward(x: Tensor): Tensor {
    return asOp("Upsample.forward", () => interpolate(x, this.options));
  }
}

/** Average over PyTorch's adaptive bins of [N, C, H, W] into [N, C, …outputSize]. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number, number]) {
    super();
    checkedWhenBuilt("AdaptiveAvgPool2d", () => adaptiveAvgPool2d(zeros([1, 1, 1, 1]), outputSize));
  }
  forward(x: Tensor): Tensor {
    return asOp("AdaptiveAvgPool2d.forward", () => adaptiveAvgPool2d(x, this.outputSize));
  }
}

/** Max over PyTorch's adaptive bins of [N, C, H, W] into [N, C, …outputSize]. */
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number, number]) {
    super();
    checkedWhenBuilt("AdaptiveMaxPool2d", () => adaptiveMaxPool2d(zeros([1, 1, 1, 1]), outputSize));
  }
  forward(x: Tensor): Tensor {
    return asOp("AdaptiveMaxPool2d.forward", () => adaptiveMaxPool2d(x, this.outputSize));
  }
}

/** Average over PyTorch's adaptive bins of [N, C, L] into [N, C, outputSize]. */
export class AdaptiveAvgPool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
    checkedWhenBuilt("AdaptiveAvgPool1d", () => adaptiveAvgPool1d(zeros([1, 1, 1]), outputSize));
  }
  forward(x: Tensor): Tensor {
    return asOp("AdaptiveAvgPool1d.forward", () => adaptiveAvgPool1d(x, this.outputSize));
  }
}

/** Max over PyTorch's adaptive bins of [N, C, L] into [N, C, outputSize]. */
export class AdaptiveMaxPool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
    checkedWhenBuilt("AdaptiveMaxPool1d", () => adaptiveMaxPool1d(zeros([1, 1, 1]), outputSize));
  }
  forward(x: Tensor): Tensor {
    return asOp("AdaptiveMaxPool1d.forward", () => adaptiveMaxPool1d(x, this.outputSize));
  }
}

/** Max over windows of [N, C, L] inputs. */
export class MaxPool1d extends Module {
  constructor(readonly options: Pool1dOptions) {
    super();
    checkedWhenBuilt("MaxPool1d", () => maxPool1d(zeros([1, 1, 1]), options));
  }
  forward(x: Tensor): Tensor {
    return asOp("MaxPool1d.forward", () => maxPool1d(x, this.options));
  }
}

/** Mean over windows of [N, C, L] inputs. */
export class AvgPool1d extends Module {
  constructor(readonly options: Pool1dOptions) {
    super();
    checkedWhenBuilt("AvgPool1d", () => avgPool1d(zeros([1, 1, 1]), options));
  }
  forward(x: Tensor): Tensor {
    return asOp("AvgPool1d.forward", () => avgPool1d(x, this.options));
  }
}

/** [N, C·r², H, W] → [N, C, H·r, W·r]. */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
    expectInteger("PixelShuffle", "upscaleFactor", upscaleFactor, 1);
  }
  forward(x: Tensor): Tensor {
    return asOp("PixelShuffle.forward", () => pixelShuffle(x, this.upscaleFactor));
  }
}

/** [N, C, H·r, W·r] → [N, C·r², H, W]. */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) {
    super();
    expectInteger("PixelUnshuffle", "downscaleFactor", downscaleFactor, 1);
  }
  forward(x: Tensor): Tensor {
    return asOp("PixelUnshuffle.forward", () => pixelUnshuffle(x, this.downscaleFactor));
  }
}
