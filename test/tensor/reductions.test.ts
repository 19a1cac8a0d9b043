/**
 * max, min, prod, cumsum, argmax/argmin and the softmax family (logsumexp, softmax, logSoftmax)
 * against finite differences in float64 over random shapes and axes, keepDims both ways and
 * non-contiguous inputs; JVPs against reverse mode; grad of grad; ties, zeros and ±1000.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { add, exp, grad, jacfwd, jacrev, jvp, log, mul, sum, tensor, vjp, type Tensor } from "../../src/tensor/index.js";
import { argmax, argmin, cumsum, max, mean, min, prod } from "../../src/tensor/primitives/reduce.js";
import { logSoftmax, logsumexp, softmax } from "../../src/tensor/composites/softmax.js";
import { errorCode } from "../support/errorCode.js";
import { close, expectGradientMatches, f64, flat, sizeOf } from "../support/tensors.js";

/** Distinct values (so max/min are differentiable at the point) in random order. */
const distinctValues = (n: number) => fc.uniqueArray(fc.integer({ min: -40, max: 40 }), { minLength: n, maxLength: n }).map((v) => v.map((k) => k / 10 + 0.013 * Math.sin(k)));
const values = (n: number, lo: number, hi: number) => fc.array(fc.double({ min: lo, max: hi, noNaN: true }), { minLength: n, maxLength: n });

/** A rank-1…3 shape with size-1 axes, a subset of its axes, keepDims, and whether to read x transposed/reversed. */
const caseArb = <T>(vals: (n: number) => fc.Arbitrary<T>) =>
  fc
    .array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 })
    .chain((shape) => fc.tuple(fc.constant(shape), vals(sizeOf(shape)), fc.subarray(shape.map((_, i) => i)), fc.boolean(), fc.constantFrom("plain", "transpose", "flip")));

/** The input as the reduction sees it: the same data through a non-contiguous view, when asked. */
function viewOf(x: Tensor, how: string): Tensor {
  if (how === "transpose" && x.rank >= 2) return x.transpose(0, x.rank - 1);
  if (how === "flip") return x.slice([null, null, -1]);
  return x;
}

/** Σ w ⊙ r with weights that differ per output element, so every cotangent entry matters. */
const weighted = (r: Tensor): Tensor =>
  add(
    sum(
      mul(
        r,
        f64(
          Array.from({ length: r.size }, (_, i) => Math.cos(1.3 * i + 0.2)),
          r.shape,
        ),
      ),
    ),
    mul(sum(mul(r, r)), 0.1),
  );

const reductions: [string, (x: Tensor, axes: number[], keep: boolean) => Tensor, (n: number) => fc.Arbitrary<number[]>][] = [
  ["max", (x, a, k) => max(x, a, k), distinctValues],
  ["min", (x, a, k) => min(x, a, k), distinctValues],
  ["prod", (x, a, k) => prod(x, a, k), (n) => values(n, -1.5, 1.5)],
  ["logsumexp", (x, a, k) => logsumexp(x, a, k), (n) => values(n, -3, 3)],
];

describe("reductions over random axes: VJP vs finite differences, JVP vs VJP", () => {
  it.each(reductions)("%s", (_name, reduce, vals) => {
    fc.assert(
      fc.property(caseArb(vals), ([shape, xs, axes, keep, how]) => {
        const loss = (x: Tensor) => weighted(reduce(viewOf(x, how), axes, keep));
        const g = grad(loss)(f64(xs, shape)) as Tensor;
        expect(g.shape).toEqual(shape);
        expectGradientMatches(loss, xs, shape, flat(g));
        // ⟨ct, J v⟩ = ⟨Jᵀ ct, v⟩
        const f = (x: Tensor) => reduce(viewOf(x, how), axes, keep);
        const x = f64(xs, shape);
        const v = f64(
          xs.map((_, i) => Math.cos(3 * i + 1)),
          shape,
        );
        const [y, t] = jvp(f, [x], [v]);
        const ct = f64(
          flat(y).map((_, i) => Math.sin(2 * i + 0.5)),
          y.shape,
        );
        const [, pullback] = vjp(f, x);
        close([sum(mul(ct, t)).item()], [sum(mul(pullback(ct)[0], v)).item()], 1e-12);
      }),
      { numRuns: 25 },
    );
  });
});

describe("max and min", () => {
  it("values and shapes match a direct computation, keepDims both ways", () => {
    const x = f64([3, -1, 7, 2, 7, 0], [2, 3]);
    expect(flat(max(x, 1))).toEqual([7, 7]);
    expect(max(x, 1, true).shape).toEqual([2, 1]);
    expect(flat(min(x, 0))).toEqual([2, -1, 0]);
    expect(max(x).item()).toBe(7);
    expect(min(x.transpose(), [0, 1], true).shape).toEqual([1, 1]);
    expect(max(tensor([1, 5, 2], { dtype: "int32" })).item()).toBe(5);
    expect(Number.isNaN(max(f64([1, NaN, 2], [3])).item())).toBe(true);
  });

  it("the gradient is split evenly among tied extremes", () => {
    const x = f64([1, 5, 5, 5, -2, -2], [6]);
    expect(flat(grad((t: Tensor) => max(t))(x) as Tensor)).toEqual([0, 1 / 3, 1 / 3, 1 / 3, 0, 0]);
    expect(flat(grad((t: Tensor) => min(t))(x) as Tensor)).toEqual([0, 0, 0, 0, 0.5, 0.5]);
    const y = f64([2, 2, 1, 3], [2, 2]);
    expect(flat(grad((t: Tensor) => sum(mul(max(t, 1), f64([10, 100], [2]))))(y) as Tensor)).toEqual([5, 5, 0, 100]);
    // Forward mode shares the same way.
    expect(jvp((t: Tensor) => max(t), [x], [f64([0, 1, 2, 3, 0, 0], [6])])[1].item()).toBeCloseTo(2, 14);
  });

  it("grad of grad is zero away from ties and composes with smooth functions", () => {
    const xs = [0.3, -1.2, 0.9, 0.1];
    // d²/dx² of max(x)² at the max element is 2, elsewhere 0.
    const second = grad((t: Tensor) => sum(grad((u: Tensor) => mul(max(u), max(u)))(t) as Tensor))(f64(xs, [4])) as Tensor;
    expect(flat(second)).toEqual([0, 0, 2, 0]);
  });
});

describe("prod", () => {
  it("gradients are products of the others, exact with one or more zeros", () => {
    const x = f64([2, 0, 3, 4], [4]);
    expect(prod(x).item()).toBe(0);
    expect(flat(grad((t: Tensor) => prod(t))(x) as Tensor)).toEqual([0, 24, 0, 0]);
    expect(flat(grad((t: Tensor) => prod(t))(f64([2, 0, 3, 0], [4])) as Tensor)).toEqual([0, 0, 0, 0]);
    expect(prod(f64([], [0])).item()).toBe(1);
    const rows = f64([0, 2, 3, 5, 0, 0], [2, 3]);
    expect(flat(grad((t: Tensor) => sum(prod(t, 1)))(rows) as Tensor)).toEqual([6, 0, 0, 0, 0, 0]);
  });

  it("finite differences at points with zeros", () => {
    fc.assert(
      fc.property(
        caseArb((n) => fc.array(fc.constantFrom(0, 0.5, -1.25, 2), { minLength: n, maxLength: n })),
        ([shape, xs, axes, keep, how]) => {
          const loss = (x: Tensor) => weighted(prod(viewOf(x, how), axes, keep));
          const g = grad(loss)(f64(xs, shape)) as Tensor;
          expectGradientMatches(loss, xs, shape, flat(g));
        },
      ),
      { numRuns: 25 },
    );
  });

  it("grad of grad (the Hessian) matches finite differences of the gradient, zeros included", () => {
    for (const xs of [
      [0.5, -2, 1.5, 3],
      [0, 2, 0.5, -1],
      [0, 0, 2, 3],
    ]) {
      const x = f64(xs, [2, 2]);
      const f = (t: Tensor) => sum(mul(prod(t.transpose(), 0), f64([1, -2], [2])));
      for (let i = 0; i < 4; i++) {
        const row = (t: Tensor) => mul((grad(f)(t) as Tensor).reshape([4]).slice(i), 1);
        const h = grad(row)(x) as Tensor;
        expectGradientMatches(row, xs, [2, 2], flat(h));
      }
      // forward over reverse agrees with reverse over reverse
      close(flat(jacfwd((t: Tensor) => grad(f)(t) as Tensor)(x)), flat(jacrev((t: Tensor) => grad(f)(t) as Tensor)(x)), 1e-12);
    }
  });
});

describe("cumsum", () => {
  it("running sums along any axis of any view", () => {
    const x = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(flat(cumsum(x, 1))).toEqual([1, 3, 6, 4, 9, 15]);
    expect(flat(cumsum(x, 0))).toEqual([1, 2, 3, 5, 7, 9]);
    expect(flat(cumsum(x.transpose(), -1))).toEqual([1, 5, 2, 7, 3, 9]);
    expect(flat(cumsum(x.slice(null, [null, null, -1]), 1))).toEqual([3, 5, 6, 6, 11, 15]);
  });

  it("VJP (a reversed cumsum) vs finite differences, JVP vs VJP, grad of grad", () => {
    fc.assert(
      fc.property(
        caseArb((n) => values(n, -2, 2)).chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 0, max: c[0].length - 1 }))),
        ([[shape, xs, , , how], axis]) => {
          const f = (x: Tensor) => cumsum(viewOf(x, how), axis);
          const loss = (x: Tensor) => weighted(f(x));
          const g = grad(loss)(f64(xs, shape)) as Tensor;
          expectGradientMatches(loss, xs, shape, flat(g));
          const x = f64(xs, shape);
          close(flat(jacfwd(f)(x)), flat(jacrev(f)(x)), 1e-14);
          // A nonlinear use so the second derivative is not zero.
          const h = (t: Tensor) => sum(mul(cumsum(viewOf(t, how), axis), cumsum(viewOf(t, how), axis)));
          const first = (t: Tensor) =>
            sum(
              mul(
                grad(h)(t) as Tensor,
                f64(
                  xs.map((_, i) => i + 1),
                  shape,
                ),
              ),
            );
          expectGradientMatches(first, xs, shape, flat(grad(first)(x) as Tensor));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("argmax and argmin", () => {
  it("int32 indices of the first extreme, along an axis or over the flattened tensor", () => {
    const x = f64([3, 7, 7, 2, -1, 2], [2, 3]);
    const a = argmax(x, 1);
    expect(a.dtype).toBe("int32");
    expect(flat(a)).toEqual([1, 0]);
    expect(flat(argmin(x, 1))).toEqual([0, 1]);
    expect(flat(argmax(x, 0))).toEqual([0, 0, 0]);
    expect(argmax(x).item()).toBe(1);
    expect(argmin(x).item()).toBe(4);
    expect(argmax(x, 1, true).shape).toEqual([2, 1]);
    expect(flat(argmax(x.transpose(), 0))).toEqual([1, 0]);
    expect(argmax(f64([1, NaN, 5], [3])).item()).toBe(1);
  });

  it("carry no gradient and do not disturb the graph", () => {
    const x = f64([1, 3, 2], [3]).requireGrad();
    const i = argmax(x);
    expect(i.requiresGrad).toBe(false);
    expect(i.node).toBeNull();
    const [, t] = jvp((u: Tensor) => add(u, argmax(u).item()), [f64([1, 3, 2], [3])], [f64([1, 1, 1], [3])]);
    expect(flat(t)).toEqual([1, 1, 1]);
  });

  it("agree with max by random test", () => {
    fc.assert(
      fc.property(caseArb(distinctValues), ([shape, xs]) => {
        const x = f64(xs, shape);
        for (let axis = 0; axis < shape.length; axis++) {
          const idx = flat(argmax(x, axis, true));
          const m = flat(max(x, axis, true));
          const innerSize = sizeOf(shape.slice(axis + 1));
          const picked = m.map((_, o) => {
            const outer = Math.floor(o / innerSize);
            return xs[(outer * shape[axis] + idx[o]) * innerSize + (o % innerSize)];
          });
          expect(picked).toEqual(m);
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe("softmax family", () => {
  it("softmax rows sum to 1; logSoftmax = log(softmax); logsumexp = log Σ exp on moderate inputs", () => {
    fc.assert(
      fc.property(
        caseArb((n) => values(n, -5, 5)).chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 0, max: c[0].length - 1 }))),
        ([[shape, xs, axes, keep, how], axis]) => {
          const x = viewOf(f64(xs, shape), how);
          const s = softmax(x, axis);
          expect(s.shape).toEqual(x.shape);
          close(
            flat(sum(s, axis)),
            flat(sum(s, axis)).map(() => 1),
            1e-14,
          );
          close(flat(logSoftmax(x, axis)), flat(log(s)), 1e-12);
          close(flat(logsumexp(x, axes, keep)), flat(log(sum(exp(x), axes, keep))), 1e-13);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("softmax and logSoftmax gradients vs finite differences", () => {
    fc.assert(
      fc.property(
        caseArb((n) => values(n, -3, 3)).chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: -c[0].length, max: c[0].length - 1 }))),
        ([[shape, xs, , , how], axis]) => {
          for (const f of [softmax, logSoftmax]) {
            const loss = (x: Tensor) => weighted(f(viewOf(x, how), axis));
            expectGradientMatches(loss, xs, shape, flat(grad(loss)(f64(xs, shape)) as Tensor));
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("is stable at ±1000 and with −∞ entries", () => {
    const x = f64([1000, 1000, 999, -1000, -1000, -1001], [2, 3]);
    const e = Math.exp(-1);
    close(flat(softmax(x)), [1 / (2 + e), 1 / (2 + e), e / (2 + e), 1 / (2 + e), 1 / (2 + e), e / (2 + e)], 1e-14);
    close(flat(logSoftmax(x)), [-Math.log(2 + e), -Math.log(2 + e), -1 - Math.log(2 + e), -Math.log(2 + e), -Math.log(2 + e), -1 - Math.log(2 + e)], 1e-14);
    close(flat(logsumexp(x, 1)), [1000 + Math.log(2 + e), -1000 + Math.log(2 + e)], 1e-14);
    const big = f64([1000, 1000], [2]);
    close(flat(grad((t: Tensor) => logsumexp(t))(big) as Tensor), [0.5, 0.5], 1e-15);
    close(flat(softmax(f32(1000, -1000))), [1, 0], 0);
    expect(flat(logsumexp(f64([-Infinity, -Infinity], [2]), 0, true))).toEqual([-Infinity]);
    expect(flat(softmax(f64([-Infinity, 0], [2])))).toEqual([0, 1]);
    expect(logsumexp(f64([Infinity, 1], [2])).item()).toBe(Infinity);
    expect(logsumexp(f64([], [0])).item()).toBe(-Infinity);
  });

  it("grad of grad of logsumexp: the Hessian diag(p) − ppᵀ, by finite differences and forward over reverse", () => {
    fc.assert(
      fc.property(
        caseArb((n) => values(n, -3, 3)),
        ([shape, xs, axes, keep, how]) => {
          const f = (x: Tensor) => weighted(logsumexp(viewOf(x, how), axes, keep));
          const x = f64(xs, shape);
          const firstDotW = (t: Tensor) =>
            sum(
              mul(
                grad(f)(t) as Tensor,
                f64(
                  xs.map((_, i) => Math.cos(i)),
                  shape,
                ),
              ),
            );
          expectGradientMatches(firstDotW, xs, shape, flat(grad(firstDotW)(x) as Tensor));
          close(flat(jacfwd((t: Tensor) => grad(f)(t) as Tensor)(x)), flat(jacrev((t: Tensor) => grad(f)(t) as Tensor)(x)), 1e-12);
        },
      ),
      { numRuns: 15 },
    );
    const p = flat(softmax(f64([0.1, 0.5, -0.3], [3])));
    const H = flat(jacrev((t: Tensor) => grad((u: Tensor) => logsumexp(u))(t) as Tensor)(f64([0.1, 0.5, -0.3], [3])));
    close(
      H,
      [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => (i === j ? p[i] : 0) - p[i] * p[j])),
      1e-14,
    );
  });
});

describe("argument errors are AdErrors", () => {
  it("bad tensors, axes, dtypes and empty extremes", () => {
    const x = f64([1, 2, 3, 4], [2, 2]);
    expect(errorCode(() => max(x, 2))).toBe("InvalidArgument");
    expect(errorCode(() => max(x, [0, 0]))).toBe("InvalidArgument");
    expect(errorCode(() => max(x, 0, "yes" as never))).toBe("InvalidArgument");
    expect(errorCode(() => max([1, 2] as never))).toBe("InvalidArgument");
    expect(errorCode(() => argmax(tensor([true, false])))).toBe("DTypeMismatch");
    expect(errorCode(() => max(f64([], [0, 2]), 0))).toBe("ShapeMismatch");
    expect(max(f64([], [0, 2]), 1).shape).toEqual([0]);
    expect(errorCode(() => argmax(x, [0] as never))).toBe("InvalidArgument");
    expect(errorCode(() => argmin(f64([], [0])))).toBe("ShapeMismatch");
    expect(errorCode(() => mean(tensor([1, 2], { dtype: "int32" })))).toBe("DTypeMismatch");
    expect(errorCode(() => cumsum(x, -3))).toBe("InvalidArgument");
    expect(errorCode(() => cumsum(x, undefined as never))).toBe("InvalidArgument");
    expect(errorCode(() => logsumexp(x, 5))).toBe("InvalidArgument");
    expect(errorCode(() => softmax(x, "1" as never))).toBe("InvalidArgument");
    expect(errorCode(() => logSoftmax(tensor([1, 2], { dtype: "int32" })))).toBe("DTypeMismatch");
    expect(errorCode(() => softmax(f64([1], []), 0))).toBe("InvalidArgument");
  });
});

function f32(...v: number[]): Tensor {
  return tensor(new Float32Array(v));
}
