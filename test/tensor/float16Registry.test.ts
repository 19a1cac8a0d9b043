/**
 * Every primitive of the registry runs on float16 operands (test/support/primitiveCases.ts, float
 * inputs cast to float16) and gives the float32 run's values rounded to float16, within half
 * precision: the host computes float16 in float32 (src/backends/halves.ts), so no primitive may
 * throw, hand back another dtype, or read the halves' bits as numbers.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { primitives, type PrimitiveName } from "../../src/tensor/primitives/registry.js";
import { PRIMITIVE_CASES } from "../support/primitiveCases.js";

const names = Object.keys(primitives) as PrimitiveName[];
const toHalf = (x: Tensor) => (ops.isFloat(x.dtype) ? ops.cast(x, "float16") : x);
/** The cases whose output dtype is their own choice (float32), not their input's. */
const EXPLICIT = new Set<PrimitiveName>(["cast", "oneHot"]);
const outputs = (y: unknown): Tensor[] =>
  y instanceof ops.Tensor ? [y] : Array.isArray(y) ? y.flatMap(outputs) : typeof y === "object" && y !== null ? Object.values(y).flatMap(outputs) : [];

const initial = ops.getBackend();
afterEach(() => ops.setBackend(initial));

describe.each(ops.availableBackends())("every primitive on float16 operands on %s", (backend) => {
  it.each(names)("%s", (name) => {
    ops.setBackend(backend);
    const { inputs, f } = PRIMITIVE_CASES[name];
    const halves = inputs.map(toHalf);
    const half = outputs(f(...halves));
    // The same (rounded) inputs in float32: ties that rounding made are ties in both runs.
    const single = outputs(f(...halves.map((x) => (x.dtype === "float16" ? ops.cast(x, "float32") : x))));
    expect(half.length).toBe(single.length);
    half.forEach((h, i) => {
      const s = single[i];
      expect(h.dtype, `output ${i}`).toBe(s.dtype === "float32" && !EXPLICIT.has(name) ? "float16" : s.dtype);
      const [got, want] = [Array.from(h.data()), Array.from(s.data())];
      // Within a few half ulps of the float32 run; NaN where it is NaN.
      got.forEach((v, k) => {
        const w = want[k];
        if (Number.isNaN(w)) expect(v, `output ${i} element ${k}`).toBeNaN();
        else expect(Math.abs(v - w), `output ${i} element ${k}: ${v}, want ${w}`).toBeLessThanOrEqual(0.02 * (1 + Math.abs(w)));
      });
    });
  });
});
