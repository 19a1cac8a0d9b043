/**
 * The vmap meta-test: for every primitive in the registry, its case (test/support/primitiveCases.ts,
 * keyed by `PrimitiveName`) run under vmap on a batch of 3 equals the case run on each example and
 * stacked — with the batch axis first, and with the batch axis last on the first argument and the
 * other arguments unbatched (inAxes null). The rule table itself is keyed by `PrimitiveName`, so a
 * primitive added without a batching rule is a compile error; this test checks that each rule is right.
 */
import { describe, expect, it } from "vitest";
import { isFloat, mul, stack, trace, vmap, type Tensor } from "../../src/tensor/index.js";
import { batchRules } from "../../src/tensor/interpreters/batchRules.js";
import { primitives } from "../../src/tensor/primitives/registry.js";
import { expectAllClose } from "../support/allclose.js";
import { PRIMITIVE_CASES } from "../support/primitiveCases.js";

/** Three distinct examples of a case's input that stay in its domain (positive scales; indices unchanged). */
const FACTORS = [1, 1.25, 0.8];
const examplesOf = (x: Tensor): Tensor[] => FACTORS.map((s) => (isFloat(x.dtype) ? mul(x, s) : x));

function expectSame(actual: unknown, expected: Tensor, what: string): void {
  const t = actual as Tensor;
  expect(t.shape, `${what}: shape`).toEqual(expected.shape);
  expect(t.dtype, `${what}: dtype`).toBe(expected.dtype);
  expectAllClose(Array.from(t.data()), Array.from(expected.data()), 1e-9, 1e-12, what);
}

/** Cases whose rule loops over the examples (a batched conv kernel: no grouped convolution yet). */
const LOOPS = new Set<string>(["conv2d", "conv2dInputGrad", "conv2dWeightGrad"]);

describe("vmap of every primitive", () => {
  it("has a rule for every registered primitive", () => {
    expect(Object.keys(batchRules).sort()).toEqual(Object.keys(primitives).sort());
  });

  for (const [name, { inputs, f }] of Object.entries(PRIMITIVE_CASES)) {
    it(`${name}: batch axis first equals the stacked examples`, () => {
      const examples = inputs.map(examplesOf);
      const expected = stack(FACTORS.map((_, b) => f(...examples.map((e) => e[b])) as Tensor));
      expectSame(vmap(f)(...examples.map((e) => stack(e))), expected, name);
    });

    it(`${name}: ${LOOPS.has(name) ? "loops over the examples" : "vectorised: its program does not grow with the batch"}`, () => {
      const equations = (size: number) => trace(vmap(f))(...inputs.map((x) => stack(examplesOf(x).slice(0, size)))).equations.length;
      expect(equations(3) > equations(2)).toBe(LOOPS.has(name));
    });

    it(`${name}: batch axis last on the first argument, the others unbatched`, () => {
      const first = examplesOf(inputs[0]);
      const rest = inputs.slice(1);
      const expected = stack(
        first.map((x) => f(x, ...rest) as Tensor),
        1,
      );
      const batched = vmap(f, { inAxes: [inputs[0].rank, ...rest.map(() => null)], outAxes: 1 });
      expectSame(batched(stack(first, inputs[0].rank), ...rest), expected, name);
    });
  }
});
