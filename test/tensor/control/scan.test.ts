/**
 * scan: every mode against the loop unrolled in plain ops (modes.ts), its options and pytrees, and
 * its errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jit } from "../../../src/jit/index.js";
import * as ops from "../../../src/tensor/index.js";
import { scan, type Tensor } from "../../../src/tensor/index.js";
import { thrown } from "../../support/errorCode.js";
import { checkModes, r, values } from "./modes.js";

const w = r([3, 3]);
/** One RNN step: h' = tanh(h·W + x), y = h'·2 + 1. */
const step = (h: Tensor, x: Tensor): [Tensor, Tensor] => {
  const next = ops.tanh(ops.add(ops.matmul(h, w), x));
  return [next, ops.add(ops.mul(next, 2), 1)];
};
const rnn = (h0: Tensor, xs: Tensor): Tensor => {
  const [h, ys] = scan(step, h0, xs);
  return ops.concat([ops.reshape(h, [1, 3]), ys as Tensor], 0);
};
const rnnUnrolled = (h0: Tensor, xs: Tensor): Tensor => {
  let h = h0;
  const ys: Tensor[] = [];
  for (let t = 0; t < xs.shape[0]; t++) {
    const [next, y] = step(h, ops.slice(xs, [t]));
    h = next;
    ys.push(y);
  }
  return ops.concat([ops.reshape(h, [1, 3]), ops.stack(ys)], 0);
};

describe("scan", () => {
  it("an RNN over a sequence: value, grad, jvp, jit and vmap against the unrolled loop", () => {
    checkModes("rnn", rnn, rnnUnrolled, [r([3]), r([4, 3])]);
  });

  it("reverse runs from the last x and keeps the ys in place", () => {
    const f = (c: Tensor, xs: Tensor): Tensor => {
      const [last, ys] = scan((c: Tensor, x: Tensor) => [ops.add(ops.mul(c, x), 1), c] as const, c, xs, { reverse: true });
      return ops.concat([ops.reshape(last, [1]), ys as Tensor]);
    };
    const unrolled = (c: Tensor, xs: Tensor): Tensor => {
      const ys: Tensor[] = [];
      for (let t = xs.shape[0] - 1; t >= 0; t--) {
        ys[t] = c;
        c = ops.add(ops.mul(c, ops.slice(xs, [t])), 1);
      }
      return ops.concat([ops.reshape(c, [1]), ops.stack(ys)]);
    };
    checkModes("reverse", f, unrolled, [r([]), r([5])]);
  });

  it("a weight captured by the body gets its gradient (closure constants are operands)", () => {
    const loss = (weight: Tensor, xs: Tensor) =>
      ops.sum(scan((h: Tensor, x: Tensor) => [ops.sin(ops.add(ops.mul(h, weight), x)), null] as const, ops.zeros([2], { dtype: "float64" }), xs)[0]);
    const unrolled = (weight: Tensor, xs: Tensor) => {
      let h: Tensor = ops.zeros([2], { dtype: "float64" });
      for (let t = 0; t < xs.shape[0]; t++) h = ops.sin(ops.add(ops.mul(h, weight), ops.slice(xs, [t])));
      return ops.sum(h);
    };
    checkModes(
      "captured",
      (weight, xs) => ops.reshape(loss(weight, xs), [1]),
      (weight, xs) => ops.reshape(unrolled(weight, xs), [1]),
      [r([2]), r([6, 2])],
    );
  });

  it("equals the unrolled loop for generated lengths and values (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 6, maxLength: 6 }), fc.boolean(), (n, vs, reverse) => {
        const xs = ops.tensor(vs.slice(0, n), { dtype: "float64", shape: [n] });
        const [c, ys] = scan((c: Tensor, x: Tensor) => [ops.add(ops.mul(c, 0.5), x), ops.mul(c, x)] as const, ops.tensor(1, { dtype: "float64" }), xs, { reverse });
        let cc = 1;
        const expected: number[] = new Array<number>(n);
        for (let s = 0; s < n; s++) {
          const t = reverse ? n - 1 - s : s;
          expected[t] = cc * vs[t];
          cc = cc * 0.5 + vs[t];
        }
        expect(c.item()).toBeCloseTo(cc, 12);
        values(ys).forEach((v, t) => expect(v).toBeCloseTo(expected[t], 12));
      }),
    );
  });

  it("checkpoint: a scan of √length segments, with the same values and gradients (property over lengths and directions)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 11 }), fc.boolean(), (n, reverse) => {
        const xs = ops.tensor(
          Array.from({ length: 2 * n }, (_, i) => Math.sin(i + 1)),
          { dtype: "float64", shape: [n, 2] },
        );
        const run = (checkpoint: boolean) => (c0: Tensor, ws: Tensor) => {
          const [c, ys] = scan((c: Tensor, x: Tensor) => [ops.add(ops.mul(ops.sin(c), x), 0.25), ops.mul(c, x)] as const, c0, ws, { reverse, checkpoint });
          return ops.add(ops.sum(ops.mul(c, 3)), ops.sum(ops.mul(ys as Tensor, ys as Tensor)));
        };
        const c0 = ops.tensor([0.3, -0.7], { dtype: "float64" });
        expect(run(true)(c0, xs).item()).toBeCloseTo(run(false)(c0, xs).item(), 12);
        const [a, b] = [ops.grad(run(true), { argnums: [0, 1] })(c0, xs) as Tensor[], ops.grad(run(false), { argnums: [0, 1] })(c0, xs) as Tensor[]];
        a.forEach((g, i) => values(g).forEach((v, k) => expect(v).toBeCloseTo(values(b[i])[k], 12)));
      }),
      { numRuns: 30 },
    );
    const text = jit((c: Tensor, xs: Tensor) => scan((c: Tensor, x: Tensor) => [ops.mul(c, x), null] as const, c, xs, { checkpoint: true })[0])
      .lower(r([2]), r([10, 2]))
      .toString();
    // 10 = 1 step left over, then 3 segments of 3 steps: a plain scan, and a scan of scans.
    expect(text.match(/= scan\[/g)).toHaveLength(3);
    expect(text).toMatch(/length=1,[^]*length=3,[^]*length=3/);
  });

  it("carries trees, takes trees of xs, and runs with { length } and no xs", () => {
    const [c, ys] = scan(
      (c: { a: Tensor; n: Tensor }, x: [Tensor]) => [{ a: ops.add(c.a, x[0]), n: ops.add(c.n, 1) }, { twice: ops.mul(x[0], 2) }] as const,
      { a: ops.tensor([0, 0], { dtype: "float64" }), n: ops.tensor(0, { dtype: "int32" }) },
      [
        ops.tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { dtype: "float64" },
        ),
      ],
    );
    expect(values(c.a)).toEqual([4, 6]);
    expect(c.n.dtype).toBe("int32");
    expect(c.n.item()).toBe(2);
    expect(values(ys.twice)).toEqual([2, 4, 6, 8]);
    const [k] = scan((k: Tensor) => [ops.mul(k, 3), null] as const, ops.tensor(1), undefined, { length: 4 });
    expect(k.item()).toBe(81);
  });

  it("prints its body inside its equation, the body's variables named on their own", () => {
    const f = (h: Tensor, xs: Tensor) => scan((c: Tensor, x: Tensor) => [ops.add(c, x), ops.mul(c, x)] as const, h, xs);
    expect(
      ops
        .trace(f)({ shape: [2] }, { shape: [3, 2] })
        .toString(),
    ).toBe(
      [
        "{ lambda ; a:f32[2] b:f32[3,2] . let",
        "    c:f32[8] = scan[body={ lambda ; a:f32[2] b:f32[2] . let",
        "        c:f32[2] = add a b",
        "        d:f32[2] = mul a b",
        "      in (c d) }, length=3, reverse=false, consts=0, carry=1] a b",
        "    d:f32[2] = slice[specs=((0,2))] c",
        "    e:f32[2] = reshape[shape=(2)] d",
        "    f:f32[6] = slice[specs=((2,8))] c",
        "    g:f32[3,2] = reshape[shape=(3,2)] f",
        "  in (e g) }",
      ].join("\n"),
    );
  });

  it("appears in the IR once, with its body printed, however long the loop", () => {
    const f = (h0: Tensor, xs: Tensor) => scan(step, h0, xs)[0];
    const text = jit(f)
      .lower(r([3]), r([50, 3]))
      .toString();
    expect(text.match(/= scan\[/g)).toHaveLength(1);
    expect(text).toContain("body={ lambda");
    expect(text).toContain("tanh");
    expect(text).toContain("length=50");
  });

  it("the jit passes: an unused scan is dropped, the chains around a used one fuse, and the result is eager's", () => {
    const unused = jit((h: Tensor, xs: Tensor) => {
      scan(step, h, xs);
      return ops.mul(h, 2);
    });
    expect(unused.lower(r([3]), r([4, 3])).toString()).not.toContain("scan[");
    const used = (h: Tensor, xs: Tensor) => ops.exp(ops.sin(ops.mul(scan(step, ops.cos(ops.add(h, 1)), xs)[0], 3)));
    const [h, xs] = [r([3]), r([4, 3])];
    const text = jit(used).lower(h, xs).toString();
    expect(text).toContain("scan[");
    expect(text).toContain("fused");
    expect(values(jit(used)(h, xs))).toEqual(values(used(h, xs)));
  });

  it("under vmap, one scan runs the whole batch (not one per example) and equals the loop over examples", () => {
    const [h0s, xss] = [r([4, 3]), r([4, 5, 3])];
    const batched = ops.vmap(rnn)(h0s, xss);
    const looped = ops.stack([0, 1, 2, 3].map((b) => rnnUnrolled(ops.slice(h0s, [b]), ops.slice(xss, [b]))));
    values(batched).forEach((v, i) => expect(v).toBeCloseTo(values(looped)[i], 12));
    // xs batched on their last axis, init shared by every example
    const shared = ops.vmap(rnn, { inAxes: [null, 2] })(ops.slice(h0s, [0]), ops.permute(xss, [1, 2, 0]));
    const sharedLoop = ops.stack([0, 1, 2, 3].map((b) => rnnUnrolled(ops.slice(h0s, [0]), ops.slice(xss, [b]))));
    values(shared).forEach((v, i) => expect(v).toBeCloseTo(values(sharedLoop)[i], 12));
    expect(
      jit(ops.vmap(rnn))
        .lower(h0s, xss)
        .toString()
        .match(/= scan\[/g),
    ).toHaveLength(1);
  });

  it("grad of grad (hessian) through scan equals the unrolled loop's", () => {
    const f = (x: Tensor) => ops.sum(scan((c: Tensor, y: Tensor) => [ops.mul(ops.sin(c), y), null] as const, x, ops.tensor([1.5, -0.5, 2], { dtype: "float64" }))[0]);
    const u = (x: Tensor) => ops.sum(ops.mul(ops.sin(ops.mul(ops.sin(ops.mul(ops.sin(x), 1.5)), -0.5)), 2));
    const x = r([2]);
    expect(values(ops.hessian(f)(x) as Tensor).map((v) => +v.toFixed(10))).toEqual(values(ops.hessian(u)(x) as Tensor).map((v) => +v.toFixed(10)));
  });

  it("refuses a carry that changes shape or dtype, naming scan and both types", () => {
    const shape = thrown(() => scan((c: Tensor, x: Tensor) => [ops.concat([c, x]), null] as const, ops.zeros([2]), ops.zeros([3, 1])));
    expect(shape.code).toBe("ShapeMismatch");
    expect(shape.details.op).toBe("scan");
    expect(shape.details.shapes).toEqual([[2], [3]]);
    const dtype = thrown(() => scan((c: Tensor) => [ops.cast(c, "float64"), null] as const, ops.zeros([2]), undefined, { length: 2 }));
    expect(dtype.code).toBe("DTypeMismatch");
    expect(dtype.details).toMatchObject({ op: "scan", dtypes: ["float32", "float64"] });
  });

  it("refuses xs of unequal lengths, a missing length, a length that disagrees, and a body not returning a pair", () => {
    expect(thrown(() => scan((c: Tensor) => [c, null] as const, ops.zeros([1]), [ops.zeros([2]), ops.zeros([3])])).code).toBe("ShapeMismatch");
    expect(thrown(() => scan((c: Tensor) => [c, null] as const, ops.zeros([1]))).details).toMatchObject({ op: "scan", argument: "length" });
    expect(thrown(() => scan((c: Tensor) => [c, null] as const, ops.zeros([1]), ops.zeros([3]), { length: 2 })).code).toBe("ShapeMismatch");
    expect(thrown(() => scan((c: Tensor) => c as never, ops.zeros([1]), ops.zeros([3]))).details.op).toBe("scan");
  });
});
