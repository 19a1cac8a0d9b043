/**
 * The trace meta-test: for every primitive in the registry, a small call whose trace holds it is
 * traced on abstract inputs, printed (the equation and the input shapes must show), its output types
 * compared with the eager outputs', and evaluated again on concrete inputs: equal to the eager call
 * bit for bit. The table is keyed by `PrimitiveName`, so a primitive added to the registry without a
 * case here is a compile error. Primitives that only appear inside derivative rules are reached
 * through grad, vjp or jvp.
 */
import { describe, expect, it } from "vitest";
import { abstract, trace, type Tensor } from "../../src/tensor/index.js";
import type { Variable } from "../../src/tensor/ir.js";
import { bind, type Primitive } from "../../src/tensor/primitive.js";
import { primitives, type PrimitiveName } from "../../src/tensor/primitives/registry.js";
import { PRIMITIVE_CASES } from "../support/primitiveCases.js";

const CASES = PRIMITIVE_CASES;

/** The tensors of a result (a tensor or an array of them), in order. */
const leaves = (x: unknown): Tensor[] => (Array.isArray(x) ? x.flatMap(leaves) : [x as Tensor]);
/** Values and dtype, with −0 and NaN kept apart: equal means bit for bit (for these dtypes). */
const bits = (t: Tensor) => ({ dtype: t.dtype, shape: [...t.shape], values: Array.from(t.data(), (v) => (Object.is(v, -0) ? "-0" : v)) });

describe("trace of every primitive", () => {
  it("has a case for every registered primitive", () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(primitives).sort());
  });

  for (const [name, { inputs, f }] of Object.entries(CASES)) {
    it(`${name}: printed, evaluated again, equal to eager`, () => {
      const program = trace(f)(...inputs.map((x) => abstract(x.shape, x.dtype)));
      const text = program.toString();
      expect(text).toMatch(new RegExp(`= ${name}[ []`));
      for (const x of inputs) expect(text).toContain(`${x.dtype === "int32" ? "i32" : "f64"}[${x.shape.join(",")}]`);
      const eager = leaves(f(...inputs));
      expect(program.outputs.map((v) => ({ shape: [...v.shape], dtype: v.dtype }))).toEqual(eager.map((t) => ({ shape: [...t.shape], dtype: t.dtype })));
      expect(leaves(program.evaluate(...inputs)).map(bits)).toEqual(eager.map(bits));
    });
  }
});

/*
 * The abstract rules against eager: each equation of each case's trace is run eagerly in order, and
 * its primitive's abstract rule (every primitive has one) must give the eager output's shape and dtype.
 */
describe("abstract rules agree with eager", () => {
  for (const [name, { inputs, f }] of Object.entries(CASES)) {
    const prim = primitives[name as PrimitiveName] as Primitive<unknown>;
    it(`${name}: the rule's output type is the eager output's`, () => {
      const program = trace(f)(...inputs.map((x) => abstract(x.shape, x.dtype)));
      const env = new Map<Variable, Tensor>();
      program.inputs.forEach((v, i) => env.set(v, inputs[i]));
      for (const c of program.constants) env.set(c.variable, c.value);
      let checked = 0;
      for (const eq of program.equations) {
        const ins = eq.inputs.map((v) => env.get(v) as Tensor);
        const out = bind(eq.primitive, ins, eq.params);
        env.set(eq.output, out);
        const rule = eq.primitive.abstract(ins, eq.params);
        expect({ shape: [...rule.shape], dtype: rule.dtype }).toEqual({ shape: [...out.shape], dtype: out.dtype });
        if (eq.primitive === prim) checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});
