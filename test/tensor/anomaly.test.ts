/** detectAnomaly: the first op producing NaN/±Inf, forward or backward, named with its input shapes. */
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { detectAnomaly, isAnomalyDetectionEnabled, log, mul, sqrt, sum, tensor } from "../../src/tensor/index.js";

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
    // The infinite cotangent comes from the div inside sqrt's VJP rule: both are named.
    expect(e?.details).toMatchObject({ op: "sqrt", phase: "backward", step: "div", value: Infinity, position: 1 });
    expect(e?.message).toContain("backward pass of sqrt");
  });

  it("is off by default and restored after the call, even when it throws", () => {
    const x = tensor([0], { dtype: "float64" });
    expect(log(x).item()).toBe(-Infinity);
    expect(isAnomalyDetectionEnabled()).toBe(false);
    thrown(() => detectAnomaly(() => log(x)));
    expect(isAnomalyDetectionEnabled()).toBe(false);
  });
});
