/**
 * Reverse-mode tensor autograd against finite differences in float64: every primitive so far, with
 * broadcasting in both directions, size-1 axes and views; the PyTorch-style API (backward, .grad,
 * noGrad, detach, retainGraph) and the JAX-style one (grad, valueAndGrad, vjp, grad of grad).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add,
  cos,
  div,
  exp,
  grad,
  log,
  matmul,
  mean,
  mul,
  neg,
  noGrad,
  rng,
  randn,
  relu,
  sin,
  sqrt,
  sub,
  sum,
  tanh,
  tensor,
  valueAndGrad,
  vjp,
  type Tensor,
} from "../../src/tensor/index.js";
import { errorCode } from "../support/errorCode.js";
import { expectGradientMatches, f64, flat, shapeArb, valuesFor } from "../support/tensors.js";

describe("unary primitives: grad of Σ w·f(x) vs finite differences", () => {
  const cases: [string, (x: Tensor) => Tensor, number, number][] = [
    ["exp", exp, -3, 3],
    ["log", log, 0.1, 5],
    ["sin", sin, -4, 4],
    ["cos", cos, -4, 4],
    ["tanh", tanh, -3, 3],
    ["sqrt", sqrt, 0.1, 5],
    ["neg", neg, -5, 5],
  ];
  it.each(cases)("%s", (_name, f, min, max) => {
    fc.assert(
      fc.property(
        shapeArb.chain((s) => fc.tuple(fc.constant(s), valuesFor(s, min, max), valuesFor(s, -2, 2))),
        ([shape, xs, ws]) => {
          const w = f64(ws, shape);
          const loss = (x: Tensor) => sum(mul(w, f(x)));
          const g = grad(loss)(f64(xs, shape)) as Tensor;
          expect(g.shape).toEqual(shape);
          expectGradientMatches(loss, xs, shape, flat(g));
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("binary primitives with broadcasting", () => {
  const ops: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ["add", add],
    ["sub", sub],
    ["mul", mul],
    ["div", div],
  ];
  const pairArb = fc
    .tuple(
      fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
      fc.array(fc.boolean(), { maxLength: 3 }),
      fc.array(fc.boolean(), { maxLength: 3 }),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([shape, onesA, onesB, drop]) => [shape.map((d, i) => (onesA[i] ? 1 : d)), shape.map((d, i) => (onesB[i] ? 1 : d)).slice(Math.min(drop, shape.length))] as const);
  it.each(ops)("%s: gradients w.r.t. both operands are reduced to their shapes", (_name, op) => {
    fc.assert(
      fc.property(
        pairArb.chain(([sa, sb]) => fc.tuple(fc.constant(sa), fc.constant(sb), valuesFor(sa, 0.5, 2), valuesFor(sb, 0.5, 2))),
        ([sa, sb, as, bs]) => {
          const a = f64(as, sa);
          const b = f64(bs, sb);
          // A non-uniform weight so every output element matters differently.
          const weight = (t: Tensor) => sum(mul(t, sin(add(t, 1))));
          const [ga, gb] = grad((x: Tensor, y: Tensor) => weight(op(x, y)), { argnums: [0, 1] })(a, b) as Tensor[];
          expect(ga.shape).toEqual(sa);
          expect(gb.shape).toEqual(sb);
          expectGradientMatches((x) => weight(op(x, b)), as, sa, flat(ga));
          expectGradientMatches((y) => weight(op(a, y)), bs, sb, flat(gb));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("numbers are weakly typed constants; mixed dtypes promote (promotion.test.ts has the lattice)", () => {
    const x = f64([1, 2], [2]);
    expect(flat(grad((t: Tensor) => sum(mul(3, t)))(x) as Tensor)).toEqual([3, 3]);
    expect(add(x, tensor([1, 2])).dtype).toBe("float64");
    expect(errorCode(() => add(x, f64([1, 2, 3], [3])))).toBe("ShapeMismatch");
    expect(errorCode(() => add(x, "1" as never))).toBe("InvalidArgument");
  });
});

describe("reductions and shape ops", () => {
  it("sum and mean over random axes with keepDims, composed with reshape/transpose/expand", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 })
          .chain((s) => fc.tuple(fc.constant(s), valuesFor(s, -2, 2), fc.subarray(s.map((_, i) => i)), fc.boolean())),
        ([shape, xs, axes, keep]) => {
          const loss = (x: Tensor) => {
            const t = x.transpose(0, 1).reshape([-1]).reshape(x.transpose(0, 1).shape);
            const m = mean(mul(t, t), axes, keep);
            const e = m.unsqueeze(0).expand([2, ...m.shape]);
            return sum(mul(sin(e), e));
          };
          const g = grad(loss)(f64(xs, shape)) as Tensor;
          expect(g.shape).toEqual(shape);
          expectGradientMatches(loss, xs, shape, flat(g));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("slices and views carry gradients", () => {
  it("slice (steps, negative steps, integer picks), squeeze, unsqueeze and contiguous vs finite differences", () => {
    const spec = fc.tuple(
      fc.option(fc.integer({ min: -4, max: 4 }), { nil: null }),
      fc.option(fc.integer({ min: -4, max: 4 }), { nil: null }),
      fc.integer({ min: -2, max: 2 }).filter((k) => k !== 0),
    );
    fc.assert(
      fc.property(valuesFor([3, 4], -2, 2), spec, fc.integer({ min: 0, max: 2 }), (xs, [start, stop, step], pick) => {
        const loss = (x: Tensor) => {
          const s = x.transpose().slice([start, stop, step], pick).unsqueeze(1).contiguous().squeeze(1);
          return sum(mul(s, exp(s)));
        };
        const g = grad(loss)(f64(xs, [3, 4])) as Tensor;
        expectGradientMatches(loss, xs, [3, 4], flat(g));
      }),
      { numRuns: 60 },
    );
  });
});

describe("PyTorch style", () => {
  it("backward fills .grad on leaves and accumulates; zeroGrad clears", () => {
    const x = f64([1, 2, 3], [3]).requireGrad();
    const y = sum(mul(x, x));
    y.backward({ retainGraph: true });
    expect(flat(x.grad as Tensor)).toEqual([2, 4, 6]);
    y.backward();
    expect(flat(x.grad as Tensor)).toEqual([4, 8, 12]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it("a second backward through a freed graph is an AdError; non-scalar roots need a seed", () => {
    const x = f64([1, 2], [2]).requireGrad();
    const y = sum(exp(x));
    y.backward();
    expect(errorCode(() => y.backward())).toBe("InvalidArgument");
    const z = mul(x, 2);
    expect(errorCode(() => z.backward())).toBe("ShapeMismatch");
    z.backward({ grad: f64([1, 10], [2]) });
    expect(flat(x.grad as Tensor)).toEqual([Math.exp(1) + 2, Math.exp(2) + 20]);
  });

  it("noGrad and detach stop recording; a tensor nothing requires is refused by backward", () => {
    const x = f64([1, 2], [2]).requireGrad();
    const y = noGrad(() => mul(x, x));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(mul(x.detach(), 2).requiresGrad).toBe(false);
    expect(errorCode(() => sum(y).backward())).toBe("InvalidArgument");
    expect(errorCode(() => mul(x, x).requireGrad())).toBe("InvalidArgument");
  });

  it("a long chain of ops does not overflow the stack", () => {
    const x = f64([0.5], [1]).requireGrad();
    let y: Tensor = x;
    for (let i = 0; i < 20000; i++) y = add(mul(y, 0.9999), 0.0001);
    sum(y).backward();
    expect((x.grad as Tensor).item()).toBeCloseTo(0.9999 ** 20000, 10);
  });
});

describe("JAX style", () => {
  it("valueAndGrad returns the value and the gradient; grad needs a one-element output", () => {
    const x = f64([1, 2], [2]);
    const [v, g] = valueAndGrad((t: Tensor) => sum(mul(t, t)))(x);
    expect(v.item()).toBe(5);
    expect(flat(g as Tensor)).toEqual([2, 4]);
    expect(x.grad).toBeNull();
    expect(errorCode(() => grad((t: Tensor) => mul(t, 2))(x))).toBe("ShapeMismatch");
    expect(errorCode(() => grad((t: Tensor) => sum(t), { argnums: 2 })(x))).toBe("InvalidArgument");
    expect(errorCode(() => grad((t: Tensor) => sum(t))(tensor([1, 2], { dtype: "int32" })))).toBe("DTypeMismatch");
  });

  it("grad of grad gives second derivatives of elementwise functions", () => {
    fc.assert(
      fc.property(valuesFor([4], -2, 2), (xs) => {
        const x = f64(xs, [4]);
        const f = (t: Tensor) => sum(mul(sin(t), mul(t, t)));
        // Σ f'(xᵢ) has gradient f''(xᵢ) elementwise.
        const second = grad((t: Tensor) => sum(grad(f)(t) as Tensor))(x) as Tensor;
        const expected = xs.map((v) => 2 * Math.sin(v) + 4 * v * Math.cos(v) - v * v * Math.sin(v));
        flat(second).forEach((g, i) => expect(g).toBeCloseTo(expected[i], 10));
        const third = grad((t: Tensor) => sum(grad((u: Tensor) => sum(grad(f)(u) as Tensor))(t) as Tensor))(x) as Tensor;
        const expected3 = xs.map((v) => 6 * Math.cos(v) - 6 * v * Math.sin(v) - v * v * Math.cos(v));
        flat(third).forEach((g, i) => expect(g).toBeCloseTo(expected3[i], 9));
      }),
      { numRuns: 20 },
    );
  });

  it("the inner grad's input is not confused with the outer one", () => {
    // d/dx [x · (d/dy (x·y) at y = 1)] = d/dx [x²] = 2x
    const g = grad((x: Tensor) => mul(x, grad((y: Tensor) => sum(mul(x, y)))(f64([1], [1])) as Tensor).reshape([]))(f64([3], [1])) as Tensor;
    expect(g.item()).toBe(6);
  });

  it("vjp's pullback matches finite differences of ⟨ct, f(x)⟩ and can be called twice", () => {
    const g = rng(11);
    const x = randn([2, 3], { rng: g, dtype: "float64" });
    const f = (t: Tensor) => mul(tanh(t), sum(t, 0, true));
    const [y, pullback] = vjp(f, x);
    for (let k = 0; k < 2; k++) {
      const ct = randn(y.shape, { rng: g, dtype: "float64" });
      const [gx] = pullback(ct);
      expectGradientMatches((t) => sum(mul(ct, f(t))), flat(x), [2, 3], flat(gx));
    }
  });
});

describe("math as methods", () => {
  it("x.mul(w).sum() records the same graph as sum(mul(x, w))", () => {
    const w = f64([1, 2, 3, 4, 5, 6], [2, 3]).requireGrad();
    const x = f64([0.5, -1], [1, 2]);
    const viaMethods = x.matmul(w).relu().add(1).log().sum();
    viaMethods.backward();
    const g1 = flat(w.grad as Tensor);
    w.zeroGrad();
    const viaFunctions = sum(log(add(relu(matmul(x, w)), 1)));
    viaFunctions.backward();
    expect(viaMethods.item()).toBe(viaFunctions.item());
    expect(g1).toEqual(flat(w.grad as Tensor));
    expect(x.softmax().sum().item()).toBeCloseTo(1, 14);
    expect(f64([3, 1, 2], [3]).argmax().item()).toBe(0);
  });
});

describe("only floating point tensors can require gradients", () => {
  it("requireGrad() on an int32 or bool tensor is a DTypeMismatch naming the dtype (as grad of an int argument is); requireGrad(false) is allowed", () => {
    for (const t of [tensor([1, 2], { dtype: "int32" }), tensor([true, false])]) {
      expect(() => t.requireGrad()).toThrow(expect.objectContaining({ code: "DTypeMismatch", details: { op: "Tensor.requireGrad", dtype: t.dtype } }));
      expect(t.requiresGrad).toBe(false);
      expect(t.requireGrad(false).requiresGrad).toBe(false);
    }
    expect(tensor([1, 2], { dtype: "float64" }).requireGrad().requiresGrad).toBe(true);
  });
});
