/**
 * The backend meta-test: every primitive's forward runs through its device's backend. For every
 * primitive in the registry, a small call whose trace holds it is evaluated equation by equation on
 * the counting device (test/support/countingDevice.ts), and the primitive's own equation must call at
 * least one kernel of that device's backend, inside one launch. The primitives that only re-stride
 * (the views) call none, and the test checks that claim instead of assuming it: their output shares
 * the input's buffer. The table is keyed by `PrimitiveName`, so a primitive added to the registry
 * without a case is a compile error. Then: a device whose backend lacks a kernel, or whose kernel
 * throws, surfaces an AdError naming the primitive, and a device without kernels is refused.
 */
import { describe, expect, it } from "vitest";
import * as ops from "../../src/tensor/index.js";
import { abstract, backendKernels, isTensor, registerDevice, trace, type Backend, type Device, type Tensor } from "../../src/tensor/index.js";
import { AdError } from "../../src/errors.js";
import type { Variable } from "../../src/tensor/ir.js";
import { bind } from "../../src/tensor/primitive.js";
import { primitives, type PrimitiveName } from "../../src/tensor/primitives/registry.js";
import { counting, PRIMITIVE_CASES } from "../support/primitiveCases.js";
import type { Storage } from "../../src/backends/dtype.js";

const CASES = PRIMITIVE_CASES;
const r = (shape: number[]): Tensor => ops.randn(shape, { rng: ops.rng(7), dtype: "float64" });

const total = (calls: Map<string, number>): number => [...calls.values()].reduce((s, n) => s + n, 0);

describe("every primitive's forward runs through its backend", () => {
  it("has a case for every registered primitive", () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(primitives).sort());
  });

  for (const [name, { inputs, f, view }] of Object.entries(CASES)) {
    it(`${name}: ${view ? "shares its input's buffer and calls no kernel" : "calls a kernel of the counting device's backend"}`, () => {
      const prim = primitives[name as PrimitiveName];
      const program = trace(f)(...inputs.map((x) => abstract(x.shape, x.dtype)));
      const env = new Map<Variable, Tensor>();
      program.inputs.forEach((v, i) => env.set(v, ops.to(inputs[i], counting)));
      for (const c of program.constants) env.set(c.variable, ops.to(c.value, counting));
      const target = program.equations.find((eq) => eq.primitive === prim);
      expect(target).toBeDefined();
      for (const eq of program.equations) {
        const ins = eq.inputs.map((v) => env.get(v) as Tensor);
        counting.reset();
        const out = bind(eq.primitive, ins, eq.params);
        env.set(eq.output, out);
        if (eq !== target) continue;
        expect(counting.launches.get(name)).toBe(1);
        if (view) {
          expect(out.storage).toBe(ins[0].storage);
          expect(total(counting.kernelCalls)).toBe(0);
        } else {
          expect(out.storage).not.toBe(ins[0].storage);
          expect(total(counting.kernelCalls)).toBeGreaterThan(0);
        }
        return;
      }
    });
  }
});

/** A device over host memory (like the counting one) running `kernels`. */
function deviceWith(name: string, kernels: Backend): Device {
  return registerDevice({
    name,
    kind: "test",
    kernels,
    write: (data) => data.slice(),
    adopt: (buffer) => buffer,
    free: () => {},
    read: async (buffer) => (buffer as Storage).slice(),
    run: (_op, kernel) => kernel(),
  });
}

function thrown(f: () => unknown): AdError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(AdError);
    return error as AdError;
  }
  throw new Error("expected an AdError");
}

describe("a device's backend failing", () => {
  const cpu = backendKernels("cpu");
  const lacking = deviceWith("lacking", { ...cpu, matmul: undefined } as unknown as Backend);
  const throwing = deviceWith("throwing", {
    ...cpu,
    binary: () => {
      throw new RangeError("out of device memory");
    },
  });

  it("lacks a kernel: UnsupportedOp naming the primitive and the device", () => {
    const a = ops.to(r([2, 3]), lacking);
    const b = ops.to(r([3, 2]), lacking);
    const error = thrown(() => ops.matmul(a, b));
    expect(error.code).toBe("UnsupportedOp");
    expect(error.details).toMatchObject({ op: "matmul", device: "lacking" });
    // The other kernels still run there.
    expect(isTensor(ops.exp(a))).toBe(true);
  });

  it("throws: UnsupportedOp naming the primitive, the device and the reason", () => {
    const a = ops.to(r([2, 3]), throwing);
    const error = thrown(() => ops.add(a, a));
    expect(error.code).toBe("UnsupportedOp");
    expect(error.details).toMatchObject({ op: "add", device: "throwing", reason: "out of device memory" });
  });

  it("registerDevice refuses a device without kernels, naming what is missing", () => {
    const { kernels: _, ...bare } = { ...counting };
    const error = thrown(() => registerDevice({ ...bare, name: "bare" } as unknown as Device));
    expect(error.code).toBe("InvalidArgument");
    expect(error.details).toMatchObject({ op: "registerDevice", device: "bare", missing: "kernels" });
    expect(error.message).toContain("kernels");
  });
});
