/**
 * The meta-test of the control-flow primitives (src/tensor/control/registry.ts), as the registry's
 * meta-tests walk primitives/registry.ts: one case per primitive, keyed by name (a primitive added
 * without a case is a compile error), each checked for its trace (the primitive is one equation), in
 * every mode against the unrolled computation (modes.ts: finite differences, jvp against vjp, jit
 * both ways round with grad, vmap at the first axis and here at the last), and on a second device:
 * scan's body runs that device's kernels; the primitives that read a predicate on the host refuse a
 * device that reads only asynchronously (a GPU) with an UnsupportedOp naming the op and the device.
 */
import { describe, expect, it } from "vitest";
import * as ops from "../../../src/tensor/index.js";
import { abstract, trace, type Tensor } from "../../../src/tensor/index.js";
import { controlPrimitives, type ControlPrimitiveName } from "../../../src/tensor/control/registry.js";
import { CONTROL_CASES as CASES } from "./cases.js";
import { counting } from "../../support/primitiveCases.js";
import { thrown } from "../../support/errorCode.js";
import { checkModes } from "./modes.js";

describe("control-flow primitives", () => {
  it("has a case for every control-flow primitive", () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(controlPrimitives).sort());
  });

  for (const [name, c] of Object.entries(CASES)) {
    const prim = controlPrimitives[name as ControlPrimitiveName];
    it(`${name}: one equation in its trace`, () => {
      const program = trace(c.f)(...c.inputs.map((x) => abstract(x.shape, x.dtype)));
      expect(program.equations.filter((eq) => eq.primitive === prim)).toHaveLength(1);
    });

    it(`${name}: every mode against the unrolled computation`, () => {
      checkModes(name, c.f, c.unrolled, c.inputs);
      // vmap with the batch on the last axis
      const batch = ops.stack([c.inputs[0], ops.mul(c.inputs[0], -0.5)], -1);
      const rest = c.inputs.slice(1);
      const got = ops.vmap((x: Tensor) => c.f(x, ...rest), { inAxes: -1, outAxes: -1 })(batch);
      const want = ops.stack(
        [0, 1].map((b) => c.unrolled(ops.slice(batch, [...c.inputs[0].shape.map(() => null), b]), ...rest)),
        -1,
      );
      expect(Array.from(got.data()).map((v) => +v.toFixed(9))).toEqual(Array.from(want.data()).map((v) => +v.toFixed(9)));
    });

    it(`${name}: on a device that reads only asynchronously, ${c.hostDriven === undefined ? "its body runs that device's kernels" : "an UnsupportedOp naming the op and the device"}`, async () => {
      const inputs = c.inputs.map((x) => ops.to(x, counting));
      if (c.hostDriven !== undefined) {
        const e = thrown(() => c.f(...inputs));
        expect(e.code).toBe("UnsupportedOp");
        expect(e.details).toMatchObject({ op: c.hostDriven, device: "counting" });
        return;
      }
      counting.reset();
      const y = c.f(...inputs);
      expect(y.device).toBe(counting);
      expect([...counting.kernelCalls.values()].reduce((s, n) => s + n, 0)).toBeGreaterThan(0);
      const want = c.unrolled(...c.inputs);
      expect(Array.from(await y.read()).map((v) => +v.toFixed(9))).toEqual(Array.from(want.data()).map((v) => +v.toFixed(9)));
    });
  }
});
