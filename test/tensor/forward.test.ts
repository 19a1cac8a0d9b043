/**
 * Forward mode through the JVP rules (jvp, jacfwd) against reverse mode (jacrev, vjp) and finite
 * differences; nested levels (jvp of jvp), forward over reverse (hessian) and reverse over forward.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { centralDifference } from "../../src/testing/checkGradient.js";
import { add, div, exp, grad, hessian, jacfwd, jacrev, jvp, log, mul, rng, randn, sin, sqrt, sub, sum, tanh, tensor, vjp, type Tensor } from "../../src/tensor/index.js";
import { errorCode } from "../support/errorCode.js";
import { close, f64, flat } from "../support/tensors.js";

/** A function touching every primitive family, with broadcasting and views. */
const f = (x: Tensor): Tensor => {
  const a = mul(sin(x), x.transpose().reshape(x.shape));
  const b = div(exp(tanh(a)), add(sqrt(add(mul(x, x), 1)), 1));
  return sub(mul(sum(b, 1, true), log(add(mul(x, x), 2))), x.slice(null, [null, null, -1]));
};

describe("jvp", () => {
  it("matches finite differences along random directions, and vjp by the adjoint identity ⟨ct, J·v⟩ = ⟨Jᵀ·ct, v⟩", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const g = rng(seed);
        const x = randn([3, 3], { rng: g, dtype: "float64" });
        const v = randn([3, 3], { rng: g, dtype: "float64" });
        const ct = randn([3, 3], { rng: g, dtype: "float64" });
        const [y, t] = jvp(f, [x], [v]);
        expect(flat(y)).toEqual(flat(f(x)));
        // Finite differences of s ↦ ⟨ct, f(x + s v)⟩ at 0.
        const along = (s: number[]) => sum(mul(ct, f(add(x, mul(v, s[0]))))).item();
        const numeric = centralDifference(along, [0], 0);
        const forward = sum(mul(ct, t)).item();
        close([forward], [numeric], 1e-7);
        const [, pullback] = vjp(f, x);
        const reverse = sum(mul(pullback(ct)[0], v)).item();
        close([forward], [reverse], 1e-12);
      }),
      { numRuns: 20 },
    );
  });

  it("tangent shapes and dtypes must match their primals", () => {
    const x = f64([1, 2], [2]);
    expect(errorCode(() => jvp(f, [x], [f64([1, 2, 3], [3])]))).toBe("ShapeMismatch");
    expect(errorCode(() => jvp(f, [x], []))).toBe("InvalidArgument");
    expect(errorCode(() => jvp(f, [tensor([1], { dtype: "int32" })], [tensor([1], { dtype: "int32" })]))).toBe("DTypeMismatch");
  });

  it("nested jvp gives second directional derivatives without perturbation confusion", () => {
    // d/ds d/dt sin(x + s u + t v) = −sin(x)·u·v elementwise.
    const x = f64([0.3, -1.2], [2]);
    const u = f64([1, 2], [2]);
    const v = f64([0.5, -1], [2]);
    const [, second] = jvp((p: Tensor) => jvp((q: Tensor) => sin(q), [p], [v])[1], [x], [u]);
    close(
      flat(second),
      [0.3, -1.2].map((xi, i) => -Math.sin(xi) * [1, 2][i] * [0.5, -1][i]),
      1e-14,
    );
    // Inner closes over the outer primal: d/dx [x · d/dy (x·y)] = 2x, as with reverse mode.
    const [, d] = jvp((p: Tensor) => mul(p, jvp((q: Tensor) => mul(p, q), [f64([1], [1])], [f64([1], [1])])[1]), [f64([3], [1])], [f64([1], [1])]);
    expect(d.item()).toBe(6);
  });

  it("nested jvp through rules that read the output (exp: dx·y, div, tanh): the inner rule sees the output's outer tangent", () => {
    // d/ds d/dt g(x + s u + t v) = g''(x)·u·v elementwise, with g'' known in closed form.
    const x = f64([0.3, -1.2], [2]);
    const u = f64([1, 2], [2]);
    const v = f64([0.5, -1], [2]);
    const cases: [string, (q: Tensor) => Tensor, (xi: number) => number][] = [
      ["exp", (q) => exp(q), (xi) => Math.exp(xi)],
      ["1/(x+2)", (q) => div(1, add(q, 2)), (xi) => 2 / (xi + 2) ** 3],
      ["tanh", (q) => tanh(q), (xi) => -2 * Math.tanh(xi) * (1 - Math.tanh(xi) ** 2)],
    ];
    for (const [what, g, second] of cases) {
      const [, got] = jvp((p: Tensor) => jvp(g, [p], [v])[1], [x], [u]);
      const want = [0.3, -1.2].map((xi, i) => second(xi) * [1, 2][i] * [0.5, -1][i]);
      expect(
        flat(got).every((a, i) => Math.abs(a - want[i]) <= 1e-13 * Math.max(1, Math.abs(want[i]))),
        `${what}: ${flat(got)} vs ${want}`,
      ).toBe(true);
    }
  });
});

describe("Jacobians and Hessians", () => {
  it("jacfwd equals jacrev, both of shape [...out, ...in]", () => {
    const x = randn([2, 2], { rng: rng(3), dtype: "float64" });
    const jf = jacfwd(f)(x);
    const jr = jacrev(f)(x);
    expect(jf.shape).toEqual([2, 2, 2, 2]);
    expect(jr.shape).toEqual([2, 2, 2, 2]);
    close(flat(jf), flat(jr), 1e-12);
    // Column (0, 1) is the derivative along e₀₁.
    const e = f64([0, 1, 0, 0], [2, 2]);
    const [, t] = jvp(f, [x], [e]);
    close(flat(jf.slice(null, null, 0, 1)), flat(t), 1e-14);
  });

  it("hessian (forward over reverse) of a quadratic form is A + Aᵀ, and matches reverse over forward", () => {
    const A = randn([3, 3], { rng: rng(9), dtype: "float64" });
    const q = (x: Tensor) => sum(mul(x, sum(mul(A, x.reshape([1, 3])), 1)));
    const H = hessian(q)(f64([0.1, 0.2, 0.3], [3]));
    const a = flat(A);
    close(
      flat(H),
      [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => a[i * 3 + j] + a[j * 3 + i])),
      1e-12,
    );
    // Reverse over forward: grad of x ↦ ⟨∇q, v⟩ computed by jvp.
    const v = f64([1, -1, 2], [3]);
    const hv = grad((x: Tensor) => jvp(q, [x], [v])[1])(f64([0.1, 0.2, 0.3], [3])) as Tensor;
    close(
      flat(hv),
      [0, 1, 2].map((i) => [0, 1, 2].reduce((s, j) => s + (a[i * 3 + j] + a[j * 3 + i]) * [1, -1, 2][j], 0)),
      1e-12,
    );
  });

  it("hessian of a non-quadratic function matches finite differences of the gradient", () => {
    const g = (x: Tensor) => sum(mul(sin(x), exp(mul(x.slice([null, null, -1]), 0.5))));
    const x0 = [0.2, -0.4, 0.9];
    const H = flat(hessian(g)(f64(x0, [3])));
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const numeric = centralDifference((v) => (grad(g)(f64(v, [3])) as Tensor).data()[i], x0, j);
        close([H[i * 3 + j]], [numeric], 1e-7);
      }
    }
  });
});
