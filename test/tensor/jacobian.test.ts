/**
 * Jacobians and Hessians over trees: jacfwd / jacrev / hessian with `argnums`, tree inputs and tree
 * outputs (JAX's layout: the output's structure outside, the arguments' inside), checked against each
 * other and against central finite differences; tree-valued outputs in vjp / jvp; `hasAux`.
 */
import { describe, expect, it } from "vitest";
import { isAdError } from "../../src/errors.js";
import fc from "fast-check";
import { exp, grad, hessian, jacfwd, jacrev, jvp, matmul, mul, sin, sub, sum, tanh, tensor, valueAndGrad, vjp, zeros, type Tensor } from "../../src/tensor/index.js";
import { errorCode } from "../support/errorCode.js";
import type { Storage } from "../../src/backends/dtype.js";

const f64 = (values: readonly number[], shape: readonly number[] = [values.length]): Tensor => tensor(new Float64Array(values), { shape });
const flat = (t: unknown): number[] => Array.from((t as Tensor).data());
const shapeOf = (t: unknown): number[] => [...(t as Tensor).shape];

function close(actual: readonly number[], expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i]))));
}

/** ∂ out / ∂ x[k] by central differences, for every element k of x (x's storage perturbed in place). */
function fdColumns(out: () => number[], x: Tensor, h = 1e-6): number[][] {
  const cols: number[][] = [];
  for (let k = 0; k < x.size; k++) {
    const storage = x.storage as Storage;
    const v = storage[k];
    storage[k] = v + h;
    const plus = out();
    storage[k] = v - h;
    const minus = out();
    storage[k] = v;
    cols.push(plus.map((p, i) => (p - minus[i]) / (2 * h)));
  }
  return cols;
}

/** The [out, in] block from FD columns, row-major. */
const block = (cols: number[][]): number[] => (cols.length === 0 ? [] : cols[0].flatMap((_, i) => cols.map((c) => c[i])));

// A function of a tree and a tensor, returning a tree: { y: A·x + sin(b), s: Σ tanh(x)·c }.
type P = { a: Tensor; b: Tensor };
const g = (p: P, x: Tensor) => ({ y: matmul(p.a, x).add(sin(p.b)), s: [sum(mul(tanh(x), exp(p.b.sum())))] });

describe("jacobians over trees", () => {
  const p: P = { a: f64([0.3, -1, 2, 0.5, 0.1, -0.7], [2, 3]), b: f64([0.2, -0.4]) };
  const x = f64([0.5, -1.5, 2]);

  it("jacfwd and jacrev give the output's structure around the arguments' structure, blocks [...out, ...in]", () => {
    for (const jac of [jacfwd, jacrev]) {
      const J = jac(g, { argnums: [0, 1] })(p, x) as unknown as { y: [P, Tensor]; s: [[P, Tensor]] };
      expect(shapeOf(J.y[0].a)).toEqual([2, 2, 3]);
      expect(shapeOf(J.y[0].b)).toEqual([2, 2]);
      expect(shapeOf(J.y[1])).toEqual([2, 3]);
      expect(shapeOf(J.s[0][0].a)).toEqual([2, 3]);
      expect(shapeOf(J.s[0][1])).toEqual([3]);
      // Against finite differences, block by block.
      const y = () => flat(g(p, x).y);
      const s = () => flat(g(p, x).s[0]);
      close(flat(J.y[0].a), block(fdColumns(y, p.a)), 1e-7);
      close(flat(J.y[0].b), block(fdColumns(y, p.b)), 1e-7);
      close(flat(J.y[1]), block(fdColumns(y, x)), 1e-7);
      close(flat(J.s[0][0].b), block(fdColumns(s, p.b)), 1e-7);
      close(flat(J.s[0][1]), block(fdColumns(s, x)), 1e-7);
    }
  });

  it("a single argnum gives that argument's structure, not a list", () => {
    const Jf = jacfwd(g, { argnums: 1 })(p, x) as unknown as { y: Tensor; s: [Tensor] };
    const Jr = jacrev(g, { argnums: 1 })(p, x) as unknown as { y: Tensor; s: [Tensor] };
    expect(shapeOf(Jf.y)).toEqual([2, 3]);
    close(flat(Jf.y), flat(Jr.y), 1e-14);
    close(flat(Jf.s[0]), flat(Jr.s[0]), 1e-14);
  });

  it("jacfwd equals jacrev on random shapes (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer(), (m, n, seed) => {
        const r = (i: number) => Math.sin(seed + i * 1.7);
        const A = f64(
          Array.from({ length: m * n }, (_, i) => r(i)),
          [m, n],
        );
        const v = f64(Array.from({ length: n }, (_, i) => r(100 + i)));
        const h = (t: { A: Tensor }, u: Tensor) => [tanh(matmul(t.A, u)), sum(mul(u, u))];
        const Jf = jacfwd(h, { argnums: [0, 1] })({ A }, v) as unknown as [[{ A: Tensor }, Tensor], [{ A: Tensor }, Tensor]];
        const Jr = jacrev(h, { argnums: [0, 1] })({ A }, v) as unknown as [[{ A: Tensor }, Tensor], [{ A: Tensor }, Tensor]];
        expect(shapeOf(Jf[0][0].A)).toEqual([m, m, n]);
        expect(shapeOf(Jr[1][1])).toEqual([n]);
        for (const [a, b] of [
          [Jf[0][0].A, Jr[0][0].A],
          [Jf[0][1], Jr[0][1]],
          [Jf[1][0].A, Jr[1][0].A],
          [Jf[1][1], Jr[1][1]],
        ]) {
          expect(shapeOf(a)).toEqual(shapeOf(b));
          close(flat(a), flat(b), 1e-13);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("Jacobians are differentiable: jacfwd(jacrev(f)) and jacrev(jacrev(f)) are the Hessian; grad through a Jacobian matches FD", () => {
    const f = (t: Tensor) => sum(mul(sin(t), t.mul(t)));
    const x0 = f64([0.3, -0.8, 1.1]);
    const H = flat(hessian(f)(x0));
    close(flat(jacfwd(jacrev(f))(x0)), H, 1e-13);
    close(flat(jacrev(jacrev(f))(x0)), H, 1e-13);
    close(flat(jacrev(jacfwd(f))(x0)), H, 1e-13);
    // d/dx Σ J(x) for J = jacrev of an elementwise-then-matmul function.
    const A = f64([1, 2, -1, 0.5, 0.3, -2], [2, 3]);
    const k = (t: Tensor) => sum(jacrev((u: Tensor) => matmul(A, sin(u).mul(u)))(t).mul(t));
    const gk = flat(grad(k)(x0));
    close(
      gk,
      fdColumns(() => flat(k(x0)), x0).map((c) => c[0]),
      1e-6,
    );
  });

  it("hessian over several arguments gives the nested blocks ∂²f/∂aᵢ∂bⱼ", () => {
    const f = (a: Tensor, b: Tensor) => sum(mul(sin(a), matmul(b, b)));
    const a0 = f64([0.2, -0.3]);
    const b0 = f64([0.5, 1, -1, 0.25], [2, 2]);
    const H = hessian(f, { argnums: [0, 1] })(a0, b0) as unknown as [[Tensor, Tensor], [Tensor, Tensor]];
    expect([shapeOf(H[0][0]), shapeOf(H[0][1]), shapeOf(H[1][0]), shapeOf(H[1][1])]).toEqual([
      [2, 2],
      [2, 2, 2],
      [2, 2, 2],
      [2, 2, 2, 2],
    ]);
    // Each block row is a finite difference of the gradient.
    const ga = () => flat((grad(f, { argnums: [0, 1] })(a0, b0) as Tensor[])[0]);
    const gb = () => flat((grad(f, { argnums: [0, 1] })(a0, b0) as Tensor[])[1]);
    close(flat(H[0][0]), block(fdColumns(ga, a0)), 1e-6);
    close(flat(H[0][1]), block(fdColumns(ga, b0)), 1e-6);
    close(flat(H[1][0]), block(fdColumns(gb, a0)), 1e-6);
    close(flat(H[1][1]), block(fdColumns(gb, b0)), 1e-6);
  });

  it("size-0 inputs and outputs give empty blocks of the right shapes", () => {
    const e = zeros([0, 2], { dtype: "float64" });
    const h = (t: { e: Tensor; v: Tensor }) => ({ s: sum(t.v), e: t.e.mul(2) });
    const v = f64([1, 2]);
    for (const jac of [jacfwd, jacrev]) {
      const J = jac(h)({ e, v }) as unknown as { s: { e: Tensor; v: Tensor }; e: { e: Tensor; v: Tensor } };
      expect(shapeOf(J.s.e)).toEqual([0, 2]);
      expect(flat(J.s.v)).toEqual([1, 1]);
      expect(shapeOf(J.e.e)).toEqual([0, 2, 0, 2]);
      expect(shapeOf(J.e.v)).toEqual([0, 2, 2]);
    }
  });

  it("bad arguments are AdErrors", () => {
    expect(errorCode(() => jacrev(g, { argnums: 2 })(p, x))).toBe("InvalidArgument");
    expect(errorCode(() => jacfwd(g)({ a: "x" } as never, x))).toBe("InvalidArgument");
    expect(errorCode(() => jacrev((t: Tensor) => t.argmax())(x))).toBe("DTypeMismatch");
    expect(errorCode(() => jacfwd((t: Tensor) => t, { argnums: 0 })(tensor([1, 2], { dtype: "int32" })))).toBe("DTypeMismatch");
    expect(errorCode(() => jacrev((_: Tensor) => "no tensor")(x))).toBe("InvalidArgument");
    expect(errorCode(() => hessian((t: Tensor) => sum(t), { hasAux: true })(x))).toBe("InvalidArgument");
  });
});

describe("tree-valued outputs in vjp and jvp", () => {
  const x = f64([0.4, -1.2, 0.9]);
  const f = (t: Tensor) => ({ sq: t.mul(t), parts: [sum(t), sin(t)] });

  it("vjp takes a cotangent in the output's structure and adds the contributions", () => {
    const [out, pullback] = vjp(f, x);
    close(flat(out.sq), [0.16, 1.44, 0.81], 1e-15);
    const ct = { sq: f64([1, 0, 2]), parts: [f64([3], []), f64([0, 1, 0])] };
    const [gx] = pullback(ct) as Tensor[];
    // 2x·ct.sq + 3 + cos(x)·ct.sin
    close(flat(gx), [2 * 0.4 * 1 + 3, 3 + Math.cos(-1.2), 2 * 0.9 * 2 + 3], 1e-14);
    expect(errorCode(() => pullback({ sq: f64([1, 0, 2]), parts: [f64([3], [])] } as never))).toBe("ShapeMismatch");
    expect(errorCode(() => pullback({ sq: f64([1, 0]), parts: [f64([3], []), f64([0, 1, 0])] }))).toBe("ShapeMismatch");
  });

  it("jvp returns the output's tangent in the output's structure", () => {
    const v = f64([1, -2, 0.5]);
    const [out, tan] = jvp(f, [x], [v]);
    expect(shapeOf(out.parts[1])).toEqual([3]);
    close(flat(tan.sq), flat(mul(x, v).mul(2)), 1e-15);
    close(flat(tan.parts[0]), [1 - 2 + 0.5], 1e-15);
    close(flat(tan.parts[1]), flat(mul(sin(x).mul(0).add(x.cos()), v)), 1e-15);
  });
});

describe("hasAux", () => {
  it("grad and valueAndGrad pass aux through undifferentiated", () => {
    const loss = (w: Tensor) => {
      const err = sub(w.mul(2), f64([1, 1]));
      return [sum(err.mul(err)), { err, note: "mse" }] as const;
    };
    const w = f64([1, 3]);
    const [g, aux] = grad(loss, { hasAux: true })(w) as [Tensor, { err: Tensor; note: string }];
    close(flat(g), [4, 20], 1e-15);
    expect(aux.note).toBe("mse");
    close(flat(aux.err), [1, 5], 1e-15);
    const [[value, aux2], g2] = valueAndGrad(loss, { hasAux: true })(w);
    expect(value.item()).toBe(26);
    expect((aux2 as { note: string }).note).toBe("mse");
    close(flat(g2), [4, 20], 1e-15);
  });

  it("f must return [value, aux]", () => {
    expect(errorCode(() => grad((w: Tensor) => sum(w), { hasAux: true })(f64([1])))).toBe("InvalidArgument");
    expect(errorCode(() => grad((w: Tensor) => sum(w), { hasAux: "yes" as never })(f64([1])))).toBe("InvalidArgument");
  });
});

describe("errors name the function the user called (issue 18)", () => {
  it("hessian of a vector function is hessian's ShapeMismatch, with the inner op as detail", () => {
    let error: unknown;
    try {
      hessian((x: Tensor) => mul(x, 2))(tensor([1, 2], { dtype: "float64" }));
    } catch (e) {
      error = e;
    }
    expect(isAdError(error, "ShapeMismatch") && error.details).toMatchObject({ op: "hessian", inner: "valueAndGrad", shape: [2] });
  });
});
