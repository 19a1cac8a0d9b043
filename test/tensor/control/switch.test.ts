/**
 * cond and switchCase: every mode against the branch chosen in plain JS (modes.ts), a predicate
 * batched under vmap, nesting, and their errors.
 */
import { describe, expect, it } from "vitest";
import { jit } from "../../../src/jit/index.js";
import * as ops from "../../../src/tensor/index.js";
import { cond, scan, switchCase, type Tensor } from "../../../src/tensor/index.js";
import { thrown } from "../../support/errorCode.js";
import { checkModes, r, values } from "./modes.js";

const w = r([3]);
const pos = (x: Tensor, y: Tensor): Tensor => ops.mul(ops.mul(x, y), w);
const neg = (x: Tensor, y: Tensor): Tensor => ops.add(ops.sin(x), y);
const chosen = (x: Tensor, y: Tensor): Tensor => (ops.sum(x).item() > 0 ? pos(x, y) : neg(x, y));

describe("cond", () => {
  it("takes the branch its predicate names, in every mode (vmap with a predicate that differs per example)", () => {
    const f = (x: Tensor, y: Tensor) => cond(ops.gt(ops.sum(x), 0), pos, neg, x, y);
    const x = ops.abs(r([3]));
    checkModes("cond true", f, chosen, [x, r([3])]);
    checkModes("cond false", f, chosen, [ops.neg(x), r([3])]);
  });

  it("a JS boolean simply calls the branch; trees go in and come out", () => {
    expect(
      cond(
        true,
        (a: Tensor) => ops.mul(a, 2),
        (a: Tensor) => a,
        ops.tensor(3),
      ).item(),
    ).toBe(6);
    const out = cond(
      ops.tensor(false, { dtype: "bool" }),
      (p: { a: Tensor }) => ({ s: p.a }),
      (p: { a: Tensor }) => ({ s: ops.neg(p.a) }),
      { a: ops.tensor([1, 2]) },
    );
    expect(values(out.s)).toEqual([-1, -2]);
  });

  it("is one equation under jit with both branches printed, and the right branch runs per call", () => {
    const f = jit((x: Tensor) =>
      cond(
        ops.gt(ops.sum(x), 0),
        (a: Tensor) => ops.exp(a),
        (a: Tensor) => ops.cos(a),
        x,
      ),
    );
    const text = f.lower(ops.tensor([1])).toString();
    expect(text.match(/= switch\[/g)).toHaveLength(1);
    expect(text).toContain("exp");
    expect(text).toContain("cos");
    expect(f(ops.tensor([1])).item()).toBeCloseTo(Math.E, 6);
    expect(f(ops.tensor([-1])).item()).toBeCloseTo(Math.cos(-1), 6);
    expect(f.traces).toBe(1);
  });

  it("nests: a scan inside a cond inside jit, with its gradient", () => {
    const inner = (x: Tensor) => scan((c: Tensor, y: Tensor) => [ops.mul(c, y), null] as const, x, ops.tensor([2, 3], { dtype: "float64" }))[0];
    const f = (x: Tensor) => ops.sum(cond(ops.gt(ops.sum(x), 0), inner, (a: Tensor) => ops.neg(a), x));
    const x = ops.tensor([1, 2], { dtype: "float64" });
    expect(jit(f)(x).item()).toBe(18);
    expect(values(jit(ops.grad(f))(x) as Tensor)).toEqual([6, 6]);
    expect(values(ops.grad(jit(f))(ops.neg(x)) as Tensor)).toEqual([-1, -1]);
  });

  it("refuses a predicate that is not a scalar bool, and branches of different types, naming cond", () => {
    const id = (a: Tensor) => a;
    expect(thrown(() => cond(ops.tensor([true, false], { dtype: "bool" }), id, id, ops.tensor(1))).details).toMatchObject({ op: "cond", shapes: [[2]] });
    expect(thrown(() => cond(ops.tensor(1), id, id, ops.tensor(1))).details).toMatchObject({ op: "cond", dtypes: ["float32"] });
    const shapes = thrown(() => cond(ops.tensor(true, { dtype: "bool" }), id, (a: Tensor) => ops.concat([a, a]), ops.tensor([1])));
    expect(shapes.code).toBe("ShapeMismatch");
    expect(shapes.details).toMatchObject({ op: "cond", shapes: [[2], [1]] });
    expect(shapes.message).toContain("trueFn");
    expect(thrown(() => cond(ops.tensor(true, { dtype: "bool" }), id, 3 as never, ops.tensor(1))).details.op).toBe("cond");
  });
});

describe("reading a traced value", () => {
  it("points to cond and whileLoop, in jit and in a loop body", () => {
    const e = thrown(() => jit((x: Tensor) => (x.item() > 0 ? x : ops.neg(x)))(ops.tensor(1)));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.message).toMatch(/cond.*whileLoop/);
    const inBody = thrown(() => scan((c: Tensor) => [c.item() > 0 ? c : ops.neg(c), null] as const, ops.tensor(1), undefined, { length: 2 }));
    expect(inBody.message).toMatch(/cond.*whileLoop/);
  });
});

describe("switchCase", () => {
  const branches = [(x: Tensor) => ops.mul(x, 2), (x: Tensor) => ops.exp(x), (x: Tensor) => ops.mul(x, x)];
  it("runs the branch the index names, clamping an index outside them, in every mode", () => {
    for (const i of [-1, 0, 1, 2, 7]) {
      const f = (x: Tensor) => switchCase(ops.tensor(i, { dtype: "int32" }), branches, x);
      checkModes(`switch ${i}`, f, (x) => branches[Math.min(Math.max(i, 0), 2)](x), [r([2])], { vmap: i === 1 });
    }
  });

  it("a batched index under vmap picks per example", () => {
    const xs = ops.tensor([[1], [2], [3]]);
    const out = ops.vmap((i: Tensor, x: Tensor) => switchCase(i, branches, x))(ops.tensor([2, 0, 1], { dtype: "int32" }), xs);
    expect(values(out)).toEqual([1, 4, Math.fround(Math.exp(3))]);
  });

  it("a batched predicate is a select of both branches (no switch left), an unbatched one keeps one switch", () => {
    const f = (p: Tensor, x: Tensor) =>
      cond(
        p,
        (v: Tensor) => ops.exp(v),
        (v: Tensor) => ops.neg(v),
        x,
      );
    const preds = ops.tensor([true, false, true], { dtype: "bool" });
    const xs = ops.tensor([[1], [2], [3]]);
    const batched = jit(ops.vmap(f)).lower(preds, xs).toString();
    expect(batched).not.toContain("switch[");
    expect(batched).toContain("where");
    const one = jit(ops.vmap(f, { inAxes: [null, 0] }))
      .lower(ops.tensor(true, { dtype: "bool" }), xs)
      .toString();
    expect(one.match(/= switch\[/g)).toHaveLength(1);
    expect(values(ops.vmap(f, { inAxes: [null, 0] })(ops.tensor(false, { dtype: "bool" }), xs))).toEqual([-1, -2, -3]);
  });

  it("refuses an index that is not a scalar int32, and an empty list of branches", () => {
    expect(thrown(() => switchCase(ops.tensor(1), branches, ops.tensor(1))).details).toMatchObject({ op: "switchCase", dtypes: ["float32"] });
    expect(thrown(() => switchCase(ops.tensor(0, { dtype: "int32" }), [], ops.tensor(1))).details.op).toBe("switchCase");
  });
});
