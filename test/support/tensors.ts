/**
 * Helpers shared by the tensor suites: float64 tensors from plain arrays and back, a closeness check,
 * gradients against central differences (`checkGradient`), the JVP against the VJP by the adjoint
 * identity, and the arbitraries for shapes, values and non-contiguous layouts.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { grad, hessian, jvp, mul, randn, sin, sum, tensor, vjp, type Rng, type Tensor } from "../../src/tensor/index.js";
import { centralDifference, checkGradient } from "../../src/testing/checkGradient.js";

/** A float64 tensor of `shape` holding `values` in row-major order. */
export const f64 = (values: ArrayLike<number>, shape: readonly number[]): Tensor => tensor(new Float64Array(values), { shape });
/** The elements of `t` in row-major order. */
export const flat = (t: Tensor): number[] => Array.from(t.data());
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Same length, and |a[i] − b[i]| ≤ tol · max(1, |b[i]|) for every i. */
export const close = (a: number[], b: number[], tol: number): void => {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]), `element ${i}: ${x} vs ${b[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]))));
};

/** Checks ∂F/∂x for F(x) = f(x as a tensor of `shape`).item() against central differences. */
export function expectGradientMatches(f: (x: Tensor) => Tensor, x: number[], shape: readonly number[], analytic: number[], rtol = 1e-6): void {
  const report = checkGradient((v) => f(f64(v, shape)).item(), x, { gradient: analytic, rtol, atol: 1e-8 });
  expect(report.ok, report.summary).toBe(true);
}

/** Checks grad of Σ w·sin(f(args)) with respect to every argument against central differences. */
export function expectVjpMatches(f: (...xs: Tensor[]) => Tensor, args: Tensor[], g: Rng): void {
  const w = randn(f(...args).shape, { rng: g, dtype: "float64" });
  const loss = (...xs: Tensor[]) => sum(mul(w, sin(f(...xs))));
  const grads = grad(loss, { argnums: args.map((_, i) => i) })(...args) as Tensor[];
  args.forEach((x, i) => {
    expect(grads[i].shape).toEqual(x.shape);
    const at = (v: number[]) => loss(...args.map((y, j) => (j === i ? f64(v, x.shape) : y))).item();
    const report = checkGradient(at, flat(x), { gradient: flat(grads[i]), rtol: 1e-6, atol: 1e-8 });
    expect(report.ok, `argument ${i} of shape [${x.shape}]: ${report.summary}`).toBe(true);
  });
}

/** The JVP against the VJP: ⟨c, J·t⟩ = Σᵢ ⟨Jᵢᵀ·c, tᵢ⟩ for random tangents t and cotangent c. */
export function expectJvpMatchesVjp(f: (...xs: Tensor[]) => Tensor, args: Tensor[], g: Rng): void {
  const tangents = args.map((x) => randn(x.shape, { rng: g, dtype: "float64" }));
  const [y, t] = jvp(f, args, tangents);
  expect(t.shape).toEqual(y.shape);
  close(flat(y), flat(f(...args)), 0);
  const c = randn(y.shape, { rng: g, dtype: "float64" });
  const [, pullback] = vjp(f, ...args);
  const reverse = pullback(c).reduce((s, ct, i) => s + sum(mul(ct, tangents[i])).item(), 0);
  close([sum(mul(c, t)).item()], [reverse], 1e-10);
}

/** Rank 0…3 shapes with axes of size 1…3. */
export const shapeArb = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 });
/** `sizeOf(shape)` doubles in [min, max]. */
export const valuesFor = (shape: readonly number[], min: number, max: number): fc.Arbitrary<number[]> =>
  fc.array(fc.double({ min, max, noNaN: true }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) });

/** How a test lays out an operand: as is, or as a transposed or reversed view of another tensor (each suite says which axes). */
export type Layout = "contiguous" | "transposed" | "reversed";
export const layoutArb: fc.Arbitrary<Layout> = fc.constantFrom<Layout>("contiguous", "transposed", "reversed");

/** The Hessian of a scalar f at x against central differences of its gradient, column by column. */
export function expectHessianMatches(f: (x: Tensor) => Tensor, x: Tensor): void {
  const h = flat(hessian(f)(x));
  const n = x.size;
  const gradAt = (v: number[]) => flat(grad(f)(f64(v, x.shape)) as Tensor);
  const x0 = flat(x);
  for (let j = 0; j < n; j++) {
    const column = Array.from({ length: n }, (_, i) => centralDifference((v) => gradAt(v)[i], x0, j));
    close(
      Array.from({ length: n }, (_, i) => h[i * n + j]),
      column,
      1e-6,
    );
  }
}
