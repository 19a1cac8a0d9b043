/**
 * The scoped modes (noGrad, enableGrad, detectAnomaly, and the transforms that record f) end their
 * scope when fn returns, so an async fn would run its rest with the mode undone. They refuse it —
 * never half-apply it — and leave the mode as it was.
 */
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { detectAnomaly, enableGrad, grad, isAnomalyDetectionEnabled, isGradEnabled, jvp, log, mul, noGrad, sum, tensor, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";

const modes = [
  ["noGrad", noGrad],
  ["enableGrad", enableGrad],
  ["detectAnomaly", detectAnomaly],
] as const;

const x = () => tensor([1, 2], { dtype: "float64" }).requireGrad();

describe.each(modes)("%s", (op, mode) => {
  it("refuses an async function before calling it, naming the synchronous alternative", () => {
    let calls = 0;
    const e = thrown(() =>
      mode(async () => {
        calls++;
        await Promise.resolve();
        return mul(x(), 2);
      }),
    );
    expect(calls).toBe(0);
    expect(e.code).toBe("InvalidArgument");
    expect(e.details).toMatchObject({ op, argument: "fn", got: "an async function" });
    expect(e.message).toContain(`${op}(() => model.forward(y))`);
  });

  it("refuses async generator and generator functions (their bodies run after the call)", () => {
    expect(thrown(() => mode(async function* () {} as never)).details).toMatchObject({ op, got: "an async generator function" });
    expect(thrown(() => mode(function* () {} as never)).details).toMatchObject({ op, got: "a generator function" });
  });

  it("refuses a promise returned by a plain function, with the mode restored and the promise's rejection handled", async () => {
    const grads = isGradEnabled();
    const anomaly = isAnomalyDetectionEnabled();
    const e = thrown(() => mode(() => Promise.reject(new Error("rejected after the refusal"))));
    expect(e.details).toMatchObject({ op, got: "a function that returned a promise" });
    expect([isGradEnabled(), isAnomalyDetectionEnabled()]).toEqual([grads, anomaly]);
    // vitest fails the run on an unhandled rejection: give one the chance to surface.
    await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it("still runs a synchronous function and returns its value", () => {
    const y = mode(() => sum(mul(x(), 3)));
    expect(y.item()).toBe(9);
  });
});

describe("inside an async function, each synchronous step under its own scope", () => {
  it("noGrad records no graph after an await, and detectAnomaly checks log(0) after one", async () => {
    const w = x();
    for (let step = 0; step < 5; step++) {
      await Promise.resolve();
      expect(noGrad(() => mul(w, 2)).requiresGrad).toBe(false);
    }
    await Promise.resolve();
    const e = thrown(() => detectAnomaly(() => log(tensor([0], { dtype: "float64" }))));
    expect(e).toBeInstanceOf(AdError);
    expect(e.code).toBe("NonFinite");
  });
});

describe("the transforms refuse an async f under their own name", () => {
  it("grad(async f) and jvp(async f)", () => {
    const f = async (t: Tensor) => sum(t);
    const g = grad(f as never) as (t: Tensor) => unknown;
    expect(thrown(() => g(x())).details).toMatchObject({ op: "valueAndGrad", got: "an async function" });
    expect(thrown(() => jvp(f as never, [x()], [x()])).details).toMatchObject({ op: "jvp", got: "an async function" });
  });
});
