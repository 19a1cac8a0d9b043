/**
 * vmap's contract beyond single primitives (vmapRegistry.test.ts): pytrees and axes, nesting, its
 * errors, and composition with grad, jvp and jit in both orders — each checked against the same
 * computation looped over the examples.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import * as ops from "../../src/tensor/index.js";
import { checkpoint, customJvp, customVjp, grad, hessian, jvp, stack, vmap, type Tensor } from "../../src/tensor/index.js";
import { expectAllClose } from "../support/allclose.js";
import { errorCode, thrown } from "../support/errorCode.js";

const g = ops.rng(7);
const r = (shape: number[]): Tensor => ops.randn(shape, { rng: g, dtype: "float64" });
const values = (t: unknown): number[] => Array.from((t as Tensor).data());
const close = (actual: unknown, expected: unknown, what: string): void => {
  expect((actual as Tensor).shape, `${what}: shape`).toEqual((expected as Tensor).shape);
  expectAllClose(values(actual), values(expected), 1e-9, 1e-12, what);
};
const rows = (x: Tensor): Tensor[] => Array.from({ length: x.shape[0] }, (_, i) => ops.slice(x, [i]));

interface Params {
  readonly w1: Tensor;
  readonly b1: Tensor;
  readonly w2: Tensor;
  readonly b2: Tensor;
}
const params: Params = { w1: r([5, 4]), b1: r([4]), w2: r([4, 3]), b2: r([3]) };
/** One example's cross-entropy through a two-layer MLP. */
const loss = (p: Params, x: Tensor, y: Tensor): Tensor => {
  const h = ops.tanh(ops.add(ops.matmul(x, p.w1), p.b1));
  const logits = ops.add(ops.matmul(h, p.w2), p.b2);
  return ops.neg(ops.sum(ops.mul(ops.logSoftmax(logits, -1), y)));
};
const xs = r([6, 5]);
const ys = ops.oneHot(ops.tensor([0, 2, 1, 1, 0, 2], { dtype: "int32" }), 3, "float64");

describe("vmap: axes and pytrees", () => {
  it("moves the batch axis in and out, and passes null arguments to every example", () => {
    const a = r([3, 4, 2]);
    const b = r([3]);
    const f = (x: Tensor, v: Tensor) => ops.matmul(v, x);
    const out = vmap(f, { inAxes: [2, null], outAxes: -1 })(a, b);
    close(
      out,
      stack(
        rows(ops.permute(a, [2, 0, 1])).map((x) => f(x, b)),
        1,
      ),
      "matmul",
    );
  });

  it("takes and returns pytrees; an unbatched output is broadcast along the batch", () => {
    const f = (p: { u: Tensor; v: Tensor }) => [ops.mul(p.u, p.v), ops.ones([2], { dtype: "float64" })];
    const u = r([4, 2]);
    const v = r([4, 2]);
    const [uv, one] = vmap(f)({ u, v }) as Tensor[];
    close(uv, ops.mul(u, v), "u·v");
    expect(one.shape).toEqual([4, 2]);
  });

  it("runs an empty batch, looping rules included", () => {
    const x = ops.zeros([0, 3], { dtype: "float64" });
    expect(vmap((e: Tensor) => ops.sum(ops.sin(e)))(x).shape).toEqual([0]);
    expect(vmap(checkpoint(ops.sin))(x).shape).toEqual([0, 3]);
  });

  it("nests: vmap(vmap(f)) is the outer product of two batches", () => {
    const a = r([3]);
    const b = r([4]);
    const outer = vmap((x: Tensor) => vmap((y: Tensor) => ops.mul(ops.sin(x), y))(b))(a);
    close(outer, ops.mul(ops.reshape(ops.sin(a), [3, 1]), ops.reshape(b, [1, 4])), "outer");
  });

  it("any batch size and axis gives the stacked examples (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 }), (size, axis) => {
        const shape = [2, 3];
        shape.splice(axis, 0, size);
        const x = r(shape);
        const f = (e: Tensor) => ops.sum(ops.mul(ops.exp(e), ops.cumsum(e, 1)), 0);
        const examples = rows(ops.permute(x, [axis, ...[0, 1, 2].filter((i) => i !== axis)]));
        close(vmap(f, { inAxes: axis })(x), stack(examples.map(f)), `size ${size}, axis ${axis}`);
      }),
      { numRuns: 20 },
    );
  });
});

describe("vmap: errors name vmap and the argument", () => {
  const f = (x: Tensor, y: Tensor) => ops.add(x, y);
  it("refuses mismatched batch sizes", () => {
    const e = thrown(() => vmap(f)(r([3, 2]), r([4, 2])));
    expect(e.code).toBe("ShapeMismatch");
    expect(e.details).toMatchObject({ op: "vmap", argument: 1, sizes: [3, 4] });
  });
  it("refuses an axis out of range", () => {
    const e = thrown(() => vmap(f, { inAxes: [0, 2] })(r([3, 2]), r([2, 3])));
    expect(e.code).toBe("InvalidArgument");
    expect(e.details).toMatchObject({ op: "vmap", argument: 1, axis: 2 });
  });
  it("refuses unknown options, bad axes and a wrong number of them", () => {
    expect(thrown(() => vmap(f, { inAxis: 0 } as never)).details).toMatchObject({ op: "vmap", key: "inAxis" });
    expect(thrown(() => vmap(f, { inAxes: 0.5 })).details).toMatchObject({ op: "vmap", argument: "inAxes" });
    expect(thrown(() => vmap(f, { inAxes: [0] })(r([3]), r([3]))).details).toMatchObject({ op: "vmap", argument: "inAxes" });
  });
  it("refuses reading an example's values, naming vmap", () => {
    const e = thrown(() => vmap((x: Tensor) => x.item())(r([3])));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.message).toContain("inside vmap");
  });
  it("needs axisSize when nothing is batched, and outAxes null only for unbatched outputs", () => {
    expect(thrown(() => vmap(f, { inAxes: null })(r([3]), r([3]))).details).toMatchObject({ op: "vmap", argument: "axisSize" });
    expect(values(vmap(f, { inAxes: null, axisSize: 2 })(r([1]), ops.zeros([1], { dtype: "float64" })))).toHaveLength(2);
    expect(errorCode(() => vmap(f, { outAxes: null })(r([3]), r([3])))).toBe("InvalidArgument");
  });
});

describe("vmap composes with grad, jvp and jit", () => {
  const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });
  const looped = (p: Params) => rows(xs).map((x, i) => grad(loss)(p, x, rows(ys)[i]) as unknown as Params);

  it("vmap(grad(loss)) gives the per-example gradients of a loop of grad", () => {
    const batched = perExample(params, xs, ys) as unknown as Params;
    const loop = looped(params);
    for (const k of ["w1", "b1", "w2", "b2"] as const) close(batched[k], stack(loop.map((gr) => gr[k])), k);
  });

  it("grad of a function that uses vmap inside equals the grad of the looped sum", () => {
    const viaVmap = (p: Params) => ops.sum(vmap(loss, { inAxes: [null, 0, 0] })(p, xs, ys));
    const viaLoop = (p: Params) => rows(xs).reduce((acc: Tensor, x, i) => ops.add(acc, loss(p, x, rows(ys)[i])), ops.zeros([], { dtype: "float64" }));
    const a = grad(viaVmap)(params) as unknown as Params;
    const b = grad(viaLoop)(params) as unknown as Params;
    for (const k of ["w1", "b1", "w2", "b2"] as const) close(a[k], b[k], k);
  });

  it("jvp(vmap(f)) and vmap(jvp(f)) give each example's tangent", () => {
    const f = (x: Tensor) => ops.mul(ops.sin(x), ops.sum(x));
    const x = r([4, 3]);
    const t = r([4, 3]);
    const expected = stack(rows(x).map((e, i) => jvp(f, [e], [rows(t)[i]])[1]));
    close(jvp(vmap(f), [x], [t])[1], expected, "jvp(vmap)");
    close(vmap((e: Tensor, te: Tensor) => jvp(f, [e], [te])[1])(x, t), expected, "vmap(jvp)");
  });

  it("vmap(hessian(f)) is each example's Hessian", () => {
    const f = (x: Tensor) => ops.sum(ops.mul(ops.sin(x), x));
    const x = r([4, 3]);
    close(vmap(hessian(f))(x), stack(rows(x).map((e) => hessian(f)(e))), "hessian");
  });

  it("customVjp and checkpoint inside vmap(grad) use each example's own rule and residuals", () => {
    const square = customVjp(
      (x: Tensor) => ops.mul(x, x),
      (x: Tensor) => [ops.mul(x, x), x] as const,
      (x: Tensor, gy: Tensor) => [ops.mul(ops.mul(x, 2), gy)],
    );
    const x = r([4, 3]);
    close(vmap(grad((e: Tensor) => ops.sum(square(e))))(x), ops.mul(x, 2), "customVjp");
    close(vmap(grad((e: Tensor) => ops.sum(checkpoint(ops.sin)(e))))(x), ops.cos(x), "checkpoint");
  });

  it("a transform outside vmap differentiates the batch once, through a closure too", () => {
    const xs3 = r([3, 2]);
    const p = r([2]);
    const dp = r([2]);
    let rules = 0;
    const times = customJvp(
      (a: Tensor, b: Tensor) => ops.mul(a, b),
      ([, b], [da]) => {
        rules++;
        return ops.mul(da ?? ops.zeros([2], { dtype: "float64" }), b);
      },
    );
    const [, tangent] = jvp((q: Tensor) => vmap((x: Tensor) => times(ops.sin(q), x))(xs3), [p], [dp]);
    close(tangent, ops.mul(ops.mul(ops.cos(p), dp), xs3), "jvp through a closure");
    // One rule call per example (the batch's own primitives), none for the logical example.
    expect(rules).toBe(3);
    const metaLoss = (q: Tensor) => ops.sum(vmap((x: Tensor) => grad((u: Tensor) => ops.sum(ops.sin(ops.mul(u, x))))(q) as Tensor)(xs3));
    const looped = (q: Tensor) =>
      rows(xs3).reduce((acc: Tensor, x) => ops.add(acc, ops.sum(grad((u: Tensor) => ops.sum(ops.sin(ops.mul(u, x))))(q) as Tensor)), ops.zeros([], { dtype: "float64" }));
    close(grad(metaLoss)(p), grad(looped)(p), "grad of per-example gradients");
  });

  it("jit(vmap(f)) and vmap(jit(f)) equal vmap(f)", () => {
    const eager = perExample(params, xs, ys) as unknown as Params;
    const compiled = jit(perExample)(params, xs, ys) as unknown as Params;
    const inner = vmap(jit(grad(loss)), { inAxes: [null, 0, 0] })(params, xs, ys) as unknown as Params;
    for (const k of ["w1", "b1", "w2", "b2"] as const) {
      close(compiled[k], eager[k], `jit(vmap) ${k}`);
      close(inner[k], eager[k], `vmap(jit) ${k}`);
    }
  });
});
