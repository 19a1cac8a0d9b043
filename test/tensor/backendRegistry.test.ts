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
import { divSafe, mulSafe } from "../../src/tensor/primitives/arithmetic.js";
import type { Variable } from "../../src/tensor/ir.js";
import { bind } from "../../src/tensor/primitive.js";
import { primitives, type PrimitiveName } from "../../src/tensor/primitives/registry.js";
import { countingDevice } from "../support/countingDevice.js";

interface Case {
  readonly inputs: readonly Tensor[];
  readonly f: (...xs: Tensor[]) => unknown;
  /** Declared a view: a new shape/strides/offset over the input's buffer, no kernel. */
  readonly view?: true;
}

const g = ops.rng(20261207);
const r = (shape: number[], lo = -1, hi = 1): Tensor => ops.add(ops.mul(ops.rand(shape, { rng: g, dtype: "float64" }), hi - lo), lo);
const ints = (values: number[], shape: number[]): Tensor => ops.tensor(values, { dtype: "int32", shape });
const gradOf = (f: (x: Tensor) => Tensor) => (x: Tensor) => ops.grad((u: Tensor) => ops.sum(f(u)))(x) as Tensor;
const tangentOf = (f: (x: Tensor) => Tensor) => (x: Tensor, t: Tensor) => ops.jvp(f, [x], [t])[1];
const pool = { kernel: 2, stride: 1 } as const;
const counting = countingDevice();

const CASES: { readonly [K in PrimitiveName]: Case } = {
  add: { inputs: [r([2, 3]), r([3])], f: (a, b) => ops.add(a, b) },
  sub: { inputs: [r([2, 1]), r([3])], f: (a, b) => ops.sub(a, b) },
  mul: { inputs: [r([2, 3]), r([2, 3])], f: (a, b) => ops.mul(a, b) },
  div: { inputs: [r([2, 3]), r([3], 1, 2)], f: (a, b) => ops.div(a, b) },
  floorDiv: { inputs: [r([2, 3], -5, 5), r([3], 1, 2)], f: (a, b) => ops.floorDiv(a, b) },
  neg: { inputs: [r([4])], f: (a) => ops.neg(a) },
  mulSafe: { inputs: [r([3]), r([3])], f: (a, b) => mulSafe(a, b) },
  divSafe: { inputs: [r([3]), r([3], 1, 2)], f: (a, b) => divSafe(a, b) },
  pow: { inputs: [r([2, 3], 0.5, 2), r([3])], f: (a, b) => ops.pow(a, b) },
  exp: { inputs: [r([3])], f: (a) => ops.exp(a) },
  log: { inputs: [r([3], 0.5, 2)], f: (a) => ops.log(a) },
  sin: { inputs: [r([3])], f: (a) => ops.sin(a) },
  cos: { inputs: [r([3])], f: (a) => ops.cos(a) },
  tanh: { inputs: [r([3])], f: (a) => ops.tanh(a) },
  sqrt: { inputs: [r([3], 0.5, 2)], f: (a) => ops.sqrt(a) },
  rsqrt: { inputs: [r([3], 0.5, 2)], f: (a) => ops.rsqrt(a) },
  abs: { inputs: [r([3])], f: (a) => ops.abs(a) },
  sign: { inputs: [r([3])], f: (a) => ops.sign(a) },
  relu: { inputs: [r([3])], f: (a) => ops.relu(a) },
  reluGrad: { inputs: [r([5])], f: gradOf(ops.relu) },
  sigmoid: { inputs: [r([3])], f: (a) => ops.sigmoid(a) },
  softplus: { inputs: [r([3])], f: (a) => ops.softplus(a) },
  erf: { inputs: [r([3])], f: (a) => ops.erf(a) },
  gelu: { inputs: [r([3])], f: (a) => ops.gelu(a) },
  geluTanh: { inputs: [r([3])], f: (a) => ops.gelu(a, { approximate: "tanh" }) },
  eq: { inputs: [r([3]), r([3])], f: (a, b) => ops.eq(a, b) },
  ne: { inputs: [r([3]), r([3])], f: (a, b) => ops.ne(a, b) },
  lt: { inputs: [r([3]), r([3])], f: (a, b) => ops.lt(a, b) },
  le: { inputs: [r([3]), r([3])], f: (a, b) => ops.le(a, b) },
  gt: { inputs: [r([3]), r([3])], f: (a, b) => ops.gt(a, b) },
  ge: { inputs: [r([3]), r([3])], f: (a, b) => ops.ge(a, b) },
  where: { inputs: [r([2, 3]), r([3]), r([2, 1])], f: (c, a, b) => ops.where(ops.gt(c, 0), a, b) },
  maximum: { inputs: [r([2, 3]), r([3])], f: (a, b) => ops.maximum(a, b) },
  minimum: { inputs: [r([2, 3]), r([3])], f: (a, b) => ops.minimum(a, b) },
  cast: { inputs: [r([3])], f: (a) => ops.cast(a, "float32") },
  sum: { inputs: [r([2, 3])], f: (a) => ops.sum(a, 1) },
  max: { inputs: [r([2, 3])], f: (a) => ops.max(a, 0) },
  min: { inputs: [r([2, 3])], f: (a) => ops.min(a, 1, true) },
  prod: { inputs: [r([2, 3])], f: (a) => ops.prod(a, 1) },
  prodOthers: { inputs: [r([2, 3])], f: gradOf((a) => ops.prod(a, 1)) },
  cumsum: { inputs: [r([2, 3])], f: (a) => ops.cumsum(a, 1) },
  tieShare: { inputs: [r([2, 3])], f: gradOf((a) => ops.max(a, 1)) },
  argExtreme: { inputs: [r([2, 3])], f: (a) => ops.argmax(a, 1) },
  matmul: { inputs: [r([2, 3, 4]), r([4, 2])], f: (a, b) => ops.matmul(a, b) },
  conv2d: { inputs: [r([1, 2, 5, 5]), r([2, 2, 3, 3])], f: (x, w) => ops.conv2d(x, w, { stride: 2, padding: 1 }) },
  conv2dInputGrad: { inputs: [r([1, 2, 5, 5]), r([2, 2, 3, 3])], f: (x, w) => gradOf((u) => ops.conv2d(u, w, { padding: 1 }))(x) },
  conv2dWeightGrad: { inputs: [r([1, 2, 5, 5]), r([2, 2, 3, 3])], f: (x, w) => gradOf((v) => ops.conv2d(x, v, { padding: 1 }))(w) },
  maxPool2d: { inputs: [r([1, 1, 4, 4])], f: (x) => ops.maxPool2d(x, pool) },
  maxPool2dSelect: { inputs: [r([1, 1, 3, 3]), r([1, 1, 3, 3])], f: tangentOf((x) => ops.maxPool2d(x, pool)) },
  maxPool2dGrad: { inputs: [r([1, 1, 4, 4])], f: gradOf((x) => ops.maxPool2d(x, pool)) },
  concat: { inputs: [r([2, 3]), r([1, 3])], f: (a, b) => ops.concat([a, b]) },
  pad: {
    inputs: [r([2, 3])],
    f: (a) =>
      ops.pad(
        a,
        [
          [1, 0],
          [0, 2],
        ],
        0.5,
      ),
  },
  gather: { inputs: [r([3, 2]), ints([2, 0, 1, 1], [2, 2])], f: (x, i) => ops.gather(x, 0, i) },
  scatterAdd: { inputs: [r([2, 2]), ints([1, 0, 0, 0], [2, 2]), r([2, 2])], f: (x, i, s) => ops.scatterAdd(x, 1, i, s) },
  oneHot: { inputs: [ints([2, 0, 1], [3])], f: (i) => ops.oneHot(i, 4, "float64") },
  reshape: { inputs: [r([6])], f: (a) => ops.reshape(a, [2, 3]), view: true },
  expand: { inputs: [r([1, 3])], f: (a) => ops.expand(a, [2, 3]), view: true },
  permute: { inputs: [r([2, 3, 4])], f: (a) => ops.permute(a, [2, 0, 1]), view: true },
  slice: { inputs: [r([4, 3])], f: (a) => ops.slice(a, [[1, 3], null]), view: true },
  unslice: { inputs: [r([4, 3])], f: gradOf((a) => ops.slice(a, [[1, 3], null])) },
  // contiguous is a view only of what already is contiguous; of a transpose it is a copy.
  contiguous: { inputs: [r([2, 3])], f: (a) => ops.contiguous(ops.transpose(a)) },
  to: { inputs: [r([2, 3])], f: (a) => ops.to(ops.mul(ops.to(a, "counting"), 2), "cpu") },
};

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
    read: async (buffer) => buffer.slice(),
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
