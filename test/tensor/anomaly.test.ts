/** detectAnomaly: the first op producing NaN/±Inf, forward or backward, named with its input shapes. */
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { detectAnomaly, grad, gt, isAnomalyDetectionEnabled, jvp, log, mul, sqrt, sum, tensor, to, where, type Tensor } from "../../src/tensor/index.js";
import { countingDevice } from "../support/countingDevice.js";

const counting = countingDevice();

function thrown(fn: () => unknown): AdError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof AdError) return e;
    throw e;
  }
  return undefined;
}

describe("detectAnomaly", () => {
  it("names the forward op that first produced a non-finite value", () => {
    const x = tensor([[1, 0]], { dtype: "float64" });
    const e = thrown(() => detectAnomaly(() => sum(mul(log(x), 2))));
    expect(e?.code).toBe("NonFinite");
    expect(e?.details).toMatchObject({ op: "log", phase: "forward", value: -Infinity, position: 1, inputShapes: [[1, 2]] });
  });

  it("names the op whose backward pass produced a non-finite cotangent", () => {
    const x = tensor([4, 0], { dtype: "float64" }).requireGrad();
    const y = detectAnomaly(() => sum(sqrt(x)));
    expect(y.item()).toBe(2);
    const e = thrown(() => detectAnomaly(() => y.backward()));
    expect(e?.code).toBe("NonFinite");
    // The infinite cotangent comes from the product inside sqrt's VJP rule: both are named.
    expect(e?.details).toMatchObject({ op: "sqrt", phase: "backward", step: "mulSafe", value: Infinity, position: 1 });
    expect(e?.message).toContain("backward pass of sqrt");
  });

  it("does not report an infinite local derivative whose cotangent is 0 (the product is 0, and checked)", () => {
    // where(x > 0, √x, 0) at 0: √'s cotangent is 0 there, against ∂√x = ∞.
    const x = tensor([0, 4], { dtype: "float64" });
    const g = detectAnomaly(() => grad((t: Tensor) => sum(where(gt(t, 0), sqrt(t), 0)))(x) as Tensor);
    expect(Array.from(g.data())).toEqual([0, 0.25]);
    const [, tangent] = detectAnomaly(() => jvp((t: Tensor) => sqrt(t), [x], [tensor([0, 1], { dtype: "float64" })]));
    expect(Array.from(tangent.data())).toEqual([0, 0.25]);
  });

  it("refuses a value on a device that reads only asynchronously, and checks it after a copy to the host", () => {
    const x = to(tensor([1, 0], { dtype: "float64" }), counting);
    // Unchecked, log(0) = −∞ would pass unseen: the refusal names the scope, the op and the device.
    const e = thrown(() => detectAnomaly(() => log(x)));
    expect(e?.code).toBe("UnsupportedOp");
    expect(e?.details).toMatchObject({ op: "detectAnomaly", primitive: "log", device: "counting" });
    expect(e?.message).toContain('x.to("cpu")');
    const onHost = thrown(() => detectAnomaly(() => log(to(x, "cpu"))));
    expect(onHost?.details).toMatchObject({ op: "log", phase: "forward", value: -Infinity, position: 1 });
  });

  it("is off by default and restored after the call, even when it throws", () => {
    const x = tensor([0], { dtype: "float64" });
    expect(log(x).item()).toBe(-Infinity);
    expect(isAnomalyDetectionEnabled()).toBe(false);
    thrown(() => detectAnomaly(() => log(x)));
    expect(isAnomalyDetectionEnabled()).toBe(false);
  });
});
