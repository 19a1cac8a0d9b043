/**
 * whileLoop and forLoop: every mode against the loop run in plain JS (modes.ts), reverse mode both
 * with the recorded trip count and counted down inside jit, a predicate batched under vmap, and
 * their errors.
 */
import { describe, expect, it } from "vitest";
import { jit } from "../../../src/jit/index.js";
import * as ops from "../../../src/tensor/index.js";
import { forLoop, whileLoop, type Tensor } from "../../../src/tensor/index.js";
import { thrown } from "../../support/errorCode.js";
import { checkModes, r, values } from "./modes.js";

const w = ops.tensor([0.9, 1.1, 0.7], { dtype: "float64" });
/** Multiply by w and add sin(x) until the sum passes 10 (or 20 steps): a data-dependent trip count. */
const grow = (x: Tensor): Tensor =>
  whileLoop(
    (s: { k: Tensor; x: Tensor }) => ops.logicalAnd(ops.lt(ops.sum(ops.abs(s.x)), 10), ops.lt(s.k, 20)),
    (s) => ({ k: ops.add(s.k, 1), x: ops.add(ops.mul(s.x, ops.add(w, 0.5)), ops.mul(ops.sin(s.x), 0.1)) }),
    { k: ops.tensor(0, { dtype: "int32" }), x },
  ).x;
const growUnrolled = (x: Tensor): Tensor => {
  for (let k = 0; ops.sum(ops.abs(x)).item() < 10 && k < 20; k++) x = ops.add(ops.mul(x, ops.add(w, 0.5)), ops.mul(ops.sin(x), 0.1));
  return x;
};

describe("whileLoop", () => {
  it("runs a data-dependent number of steps, in every mode (reverse mode too: JAX refuses it)", () => {
    checkModes("grow", grow, growUnrolled, [r([3])]);
    checkModes("grow from far", grow, growUnrolled, [ops.mul(r([3]), 6)]);
  });

  it("reverse mode inside jit (no forward run to record the trip count) equals the eager gradient", () => {
    const loss = (x: Tensor) => ops.sum(ops.mul(grow(x), ops.tensor([1, -2, 3], { dtype: "float64" })));
    const x = r([3]);
    const eager = values(ops.grad(loss)(x) as Tensor);
    const jitted = values(jit(ops.grad(loss))(x) as Tensor);
    jitted.forEach((v, i) => expect(v).toBeCloseTo(eager[i], 10));
    const unrolled = values(ops.grad((x: Tensor) => ops.sum(ops.mul(growUnrolled(x), ops.tensor([1, -2, 3], { dtype: "float64" }))))(x) as Tensor);
    eager.forEach((v, i) => expect(v).toBeCloseTo(unrolled[i], 10));
  });

  it("a predicate batched under vmap runs each example its own number of steps", () => {
    const halve = (x: Tensor) =>
      whileLoop(
        (v: Tensor) => ops.gt(v, 1),
        (v) => ops.mul(v, 0.5),
        x,
      );
    expect(values(ops.vmap(halve)(ops.tensor([0.5, 3, 40])))).toEqual([0.5, 0.75, 0.625]);
    expect(values(jit(ops.vmap(halve))(ops.tensor([0.5, 3, 40])))).toEqual([0.5, 0.75, 0.625]);
    // One masked loop for the batch, not one loop per example.
    expect(
      jit(ops.vmap(halve))
        .lower(ops.tensor([0.5, 3, 40]))
        .toString()
        .match(/= while\[/g),
    ).toHaveLength(1);
  });

  it("appears in the IR once with its predicate and body printed", () => {
    const text = jit(grow)
      .lower(r([3]))
      .toString();
    expect(text.match(/= while\[/g)).toHaveLength(1);
    expect(text).toMatch(/cond=\{ lambda/);
    expect(text).toMatch(/body=\{ lambda/);
  });

  it("refuses a predicate that is not a scalar bool and a carry that changes, naming whileLoop", () => {
    const p = thrown(() =>
      whileLoop(
        (v: Tensor) => ops.gt(v, 1),
        (v) => v,
        ops.tensor([1, 2]),
      ),
    );
    expect(p.details).toMatchObject({ op: "whileLoop", shapes: [[2]] });
    expect(
      thrown(() =>
        whileLoop(
          (v: Tensor) => v,
          (v) => v,
          ops.tensor(1),
        ),
      ).details,
    ).toMatchObject({ op: "whileLoop", dtypes: ["float32"] });
    const c = thrown(() =>
      whileLoop(
        (v: Tensor) => ops.gt(ops.sum(v), 1),
        (v) => ops.concat([v, v]),
        ops.tensor([1]),
      ),
    );
    expect(c.code).toBe("ShapeMismatch");
    expect(c.details).toMatchObject({ op: "whileLoop", shapes: [[1], [2]] });
    expect(
      thrown(() =>
        whileLoop(
          (v: Tensor) => ops.gt(v, 1),
          (v) => ops.cast(v, "int32"),
          ops.tensor(1),
        ),
      ).details,
    ).toMatchObject({ op: "whileLoop", dtypes: ["float32", "int32"] });
  });
});

describe("forLoop", () => {
  const body = (i: Tensor, x: Tensor) => ops.add(ops.mul(x, ops.cast(i, "float64")), ops.sin(x));
  const unrolled = (lo: number, hi: number) => (x: Tensor) => {
    for (let i = lo; i < hi; i++) x = ops.add(ops.mul(x, i), ops.sin(x));
    return x;
  };
  it("number bounds (a scan) in every mode", () => {
    checkModes("for 1..4", (x) => forLoop(1, 4, body, x), unrolled(1, 4), [r([2])]);
  });

  it("tensor bounds (a while loop) in every mode, and an empty range gives init", () => {
    const hi = ops.tensor(4, { dtype: "int32" });
    checkModes("for 1..hi", (x) => forLoop(ops.tensor(1, { dtype: "int32" }), hi, body, x), unrolled(1, 4), [r([2])]);
    expect(forLoop(3, 1, body, ops.tensor([2], { dtype: "float64" })).item()).toBe(2);
  });

  it("refuses bounds that are not integers or scalar int32 tensors", () => {
    expect(thrown(() => forLoop(0.5, 2, body, ops.tensor(1))).details).toMatchObject({ op: "forLoop", argument: "lower" });
    expect(thrown(() => forLoop(0, ops.tensor(2), body, ops.tensor(1))).details).toMatchObject({ op: "forLoop", argument: "upper" });
  });

  it("refuses number bounds outside int32 (i's dtype) at once, rather than wrapping i or running 2³¹ steps", () => {
    // The junk probe's hang (FC_SEED=101 JUNK_RUNS=20000): forLoop(18, 2³¹, () => [junk]) with no
    // carry ran 2³¹ − 18 empty steps.
    const empty = () => [new Set([1])];
    // First a range that is short but past int32 (the old code ran it with i wrapped to −2³¹), so
    // that code fails here rather than hang below.
    expect(thrown(() => forLoop(2 ** 31, 2 ** 31 + 2, body, ops.tensor(1))).details).toMatchObject({ op: "forLoop", argument: "lower" });
    expect(thrown(() => forLoop(18, 2 ** 31, empty as never, undefined)).details).toMatchObject({ op: "forLoop", argument: "upper", got: 2 ** 31 });
    expect(thrown(() => forLoop(-(2 ** 31) - 1, 0, body, ops.tensor(1))).details).toMatchObject({ op: "forLoop", argument: "lower" });
    expect(thrown(() => forLoop(0, 2 ** 32 - 1, body, ops.tensor(1))).details).toMatchObject({ op: "forLoop", argument: "upper" });
    expect(thrown(() => forLoop(ops.tensor(0, { dtype: "int32" }), 2 ** 31, body, ops.tensor(1))).details).toMatchObject({ op: "forLoop", argument: "upper" });
    // The int32 ends themselves are bounds (an empty range here).
    expect(forLoop(2 ** 31 - 1, -(2 ** 31), body, ops.tensor([2], { dtype: "float64" })).item()).toBe(2);
  });
});
