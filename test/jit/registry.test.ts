/**
 * jit ≡ eager for every primitive of the registry: each primitive's case (test/support/primitiveCases.ts)
 * jitted, optimised and fused, gives the eager call's bits, on its first call (traced) and its second
 * (cached).
 */
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { PRIMITIVE_CASES } from "../support/primitiveCases.js";

const leaves = (x: unknown): Tensor[] => (Array.isArray(x) ? x.flatMap(leaves) : [x as Tensor]);
/** Values, shape and dtype, with −0 and NaN kept apart: equal means bit for bit. */
const bits = (t: Tensor) => ({ dtype: t.dtype, shape: [...t.shape], values: Array.from(t.data(), (v) => (Object.is(v, -0) ? "-0" : v)) });

describe("jit of every primitive", () => {
  for (const [name, { inputs, f }] of Object.entries(PRIMITIVE_CASES)) {
    it(`${name}: equal to eager, traced once`, () => {
      const eager = leaves(f(...inputs)).map(bits);
      const g = jit(f);
      expect(leaves(g(...inputs)).map(bits)).toEqual(eager);
      expect(leaves(g(...inputs)).map(bits)).toEqual(eager);
      expect(g.traces).toBe(1);
    });
  }
});
