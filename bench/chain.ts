/**
 * The scalar benchmarks' function f(x) = Σᵢ sin(xᵢ)·xᵢ₊₁ + xᵢ² (i = 0 … n−2), its hand-written
 * gradient, one Dual pass, and the seeded inputs: shared by bench/scalar.ts and bench/transform.ts.
 * `chain` is self-contained so that `differentiate` can read its source.
 */
import { Dual } from "../src/index.js";

export function chain(x: Float64Array): number {
  let acc = 0;
  for (let i = 0; i < x.length - 1; i++) acc += Math.sin(x[i]) * x[i + 1] + x[i] * x[i];
  return acc;
}

/** f(x), with ∇f written into g (overwritten). Also on float32 arrays (the tensor bench's plain JS row). */
export function chainHand(x: Float64Array | Float32Array, g: Float64Array | Float32Array): number {
  g.fill(0);
  let acc = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const s = Math.sin(x[i]);
    acc += s * x[i + 1] + x[i] * x[i];
    g[i] += Math.cos(x[i]) * x[i + 1] + 2 * x[i];
    g[i + 1] += s;
  }
  return acc;
}

/** One forward pass in direction (1, 1, …, 1): Σⱼ ∂f/∂xⱼ. */
export function chainDual(x: Float64Array): number {
  let acc = Dual.constant(0);
  let xi = Dual.variable(x[0]);
  for (let i = 0; i < x.length - 1; i++) {
    const next = Dual.variable(x[i + 1]);
    acc = acc.add(xi.sin().mul(next).add(xi.mul(xi)));
    xi = next;
  }
  return acc.dx;
}

/** n values in [−1, 1) from a fixed linear congruential sequence: the same inputs every run. */
export function seededInput(n: number, seed = 12345): Float64Array {
  const x = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return x;
}
