/**
 * Fusion on generated programs: random DAGs of elementwise ops (values used once or several times,
 * broadcast operands, an optional sum at the end over every axis, the first or the last, several outputs) jitted equal eager bit for bit on
 * the reference backend, in float32 and float64.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import { abs, add, cast, cos, div, exp, gt, maximum, mul, neg, relu, sigmoid, sin, sub, sum, tanh, tensor, where, type Tensor } from "../../src/tensor/index.js";
import { onBackend } from "../support/backends.js";

const UNARY = [neg, sin, cos, tanh, exp, abs, relu, sigmoid];
const BINARY = [add, sub, mul, div, maximum, (a: Tensor, b: Tensor) => where(gt(a, b), a, b)];

interface Step {
  readonly op: number;
  readonly binary: boolean;
  readonly a: number;
  readonly b: number;
}

const step = fc.record({ op: fc.nat(7), binary: fc.boolean(), a: fc.nat(), b: fc.nat() });

/** How the program's last value is reduced: not at all, over every axis, over its first or its last axis. */
const SUMS = [undefined, "all", 0, -1] as const;

/** The program the steps describe, over inputs x [2, 3], y [3], z [2, 1]. */
function program(steps: readonly Step[], summed: (typeof SUMS)[number]) {
  return (x: Tensor, y: Tensor, z: Tensor) => {
    const values = [x, y, z];
    for (const s of steps) {
      const a = values[s.a % values.length];
      const b = values[s.b % values.length];
      values.push(s.binary ? BINARY[s.op % BINARY.length](a, b) : UNARY[s.op % UNARY.length](a));
    }
    const last = values[values.length - 1];
    if (summed === undefined) return [last, values[values.length - 2]];
    return [summed === "all" ? sum(last) : sum(last, summed), values[3]];
  };
}

describe("fusion on generated programs", () => {
  it("equals eager bit for bit", () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(...SUMS),
        fc.boolean(),
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 11, maxLength: 11 }),
        (steps, summed, single, v) => {
          const dtype = single ? "float32" : "float64";
          const x = cast(tensor(v.slice(0, 6), { shape: [2, 3] }), dtype);
          const y = cast(tensor(v.slice(6, 9)), dtype);
          const z = cast(tensor(v.slice(9, 11), { shape: [2, 1] }), dtype);
          const f = program(steps, summed);
          onBackend("cpu", () => {
            const want = f(x, y, z).map((t) => Array.from(t.data()));
            expect(jit(f)(x, y, z).map((t) => Array.from(t.data()))).toEqual(want);
          });
        },
      ),
    );
  });
});
