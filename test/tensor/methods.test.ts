/**
 * Tensor's methods are installed by src/tensor/methods.ts, not by tensor.ts (which imports no
 * primitive, so no primitive's import of `Tensor` closes a run-time cycle). Each case loads a fresh
 * module graph, as a program that imports only that module would.
 */
import { describe, expect, it, vi } from "vitest";
import { MATH_METHODS, VIEW_METHODS } from "../support/tensorMethods.js";

const METHODS = [...MATH_METHODS, ...VIEW_METHODS, "backward", "backwardAsync", "assign", "broadcastTo", "contiguous", "to", "toAsync"] as const;

/** Tensor.prototype's own properties of a fresh module graph, after importing `entry` alone. */
async function prototypeAfter(entry: string): Promise<Record<string, PropertyDescriptor>> {
  vi.resetModules();
  await import(entry);
  const { Tensor } = await import("../../src/tensor/tensor.js");
  return Object.getOwnPropertyDescriptors(Tensor.prototype);
}

describe("Tensor methods", () => {
  it("tensor.ts alone installs none of them: it imports no primitive", async () => {
    const own = await prototypeAfter("../../src/tensor/tensor.js");
    expect(METHODS.filter((name) => name in own)).toEqual([]);
  });

  it.each(["../../src/tensor/index.js", "../../src/index.js", "../../src/nn/index.js", "../../src/optim/index.js", "../../src/testing/index.js"])(
    "every entry point installs all of them, as a class body would (%s)",
    async (entry) => {
      const own = await prototypeAfter(entry);
      for (const name of METHODS) {
        expect(typeof own[name]?.value, name).toBe("function");
        expect(own[name], name).toMatchObject({ enumerable: false, writable: true, configurable: true });
      }
    },
  );

  it("a method is its function with `this` first", async () => {
    vi.resetModules();
    const { tensor, sum, mul, transpose } = await import("../../src/tensor/index.js");
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(x.mul(2).sum(0).toArray()).toEqual(sum(mul(x, 2), 0).toArray());
    expect(x.transpose().toArray()).toEqual(transpose(x).toArray());
    expect(x.slice([0, 1]).toArray()).toEqual([[1, 2]]);
  });
});
