/**
 * Moré, Garbow & Hillstrom (1981), "Testing unconstrained optimization software", ACM TOMS 7(1):
 * the classics as residual functions over `Scalar`, so one definition serves the tape (as Σ rᵢ²),
 * Gauss–Newton and Levenberg–Marquardt (as residuals). Starting points and minima are the paper's.
 */
import type { Numeric, Scalar } from "../../../src/scalar/scalar.js";

type Residuals = <T extends Numeric<T>>(xs: readonly T[], S: Scalar<T>) => (T | number)[];

export interface Problem {
  readonly name: string;
  readonly residuals: Residuals;
  readonly x0: readonly number[];
  /** The published minimisers with their values (Freudenstein–Roth has a local one too). */
  readonly minima: readonly { readonly x: readonly number[]; readonly f: number }[];
}

/** f = Σ rᵢ², the form the paper minimises. */
export function sumOfSquares(residuals: Residuals) {
  return <T extends Numeric<T>>(xs: readonly T[], S: Scalar<T>): T | number => residuals(xs, S).reduce<T | number>((s, r) => S.add(s, S.mul(r, r)), 0);
}

/** (1) Rosenbrock and (21) its extension to n (even) variables, pairs of the 2-D one. */
export function extendedRosenbrock(n: number): Problem {
  return {
    name: n === 2 ? "Rosenbrock (2-D)" : `extended Rosenbrock (${n}-D)`,
    residuals: (xs, S) => {
      const r: (ReturnType<typeof S.mul> | number)[] = [];
      for (let i = 0; i < n; i += 2) r.push(S.mul(10, S.sub(xs[i + 1], S.mul(xs[i], xs[i]))), S.sub(1, xs[i]));
      return r;
    },
    x0: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1)),
    minima: [{ x: new Array<number>(n).fill(1), f: 0 }],
  };
}

export const rosenbrock = extendedRosenbrock(2);
export const rosenbrock100 = extendedRosenbrock(100);

/** (13) Powell singular: the Hessian is singular at the minimum, so convergence there is slow. */
export const powellSingular: Problem = {
  name: "Powell singular",
  residuals: ([x1, x2, x3, x4], S) => [
    S.add(x1, S.mul(10, x2)),
    S.mul(Math.sqrt(5), S.sub(x3, x4)),
    S.pow(S.sub(x2, S.mul(2, x3)), 2),
    S.mul(Math.sqrt(10), S.pow(S.sub(x1, x4), 2)),
  ],
  x0: [3, -1, 0, 1],
  minima: [{ x: [0, 0, 0, 0], f: 0 }],
};

/** (4) Brown badly scaled: the minimiser's coordinates differ by twelve orders of magnitude. */
export const brownBadlyScaled: Problem = {
  name: "Brown badly scaled",
  residuals: ([x1, x2], S) => [S.sub(x1, 1e6), S.sub(x2, 2e-6), S.sub(S.mul(x1, x2), 2)],
  x0: [1, 1],
  minima: [{ x: [1e6, 2e-6], f: 0 }],
};

/** (5) Beale. */
export const beale: Problem = {
  name: "Beale",
  residuals: ([x1, x2], S) => [1.5, 2.25, 2.625].map((y, i) => S.sub(y, S.mul(x1, S.sub(1, S.pow(x2, i + 1))))),
  x0: [1, 1],
  minima: [{ x: [3, 0.5], f: 0 }],
};

/** (2) Freudenstein and Roth: a local minimum besides the global one, which most methods find from x0. */
export const freudensteinRoth: Problem = {
  name: "Freudenstein–Roth",
  residuals: ([x1, x2], S) => [S.add(-13, S.add(x1, S.mul(S.sub(S.mul(S.sub(5, x2), x2), 2), x2))), S.add(-29, S.add(x1, S.mul(S.sub(S.mul(S.add(x2, 1), x2), 14), x2)))],
  x0: [0.5, -2],
  minima: [
    { x: [5, 4], f: 0 },
    { x: [11.412779, -0.8968052045], f: 48.98425368 },
  ],
};

/** (7) Helical valley: θ = atan(x₂/x₁)/2π, plus ½ where x₁ < 0. */
export const helicalValley: Problem = {
  name: "helical valley",
  residuals: ([x1, x2, x3], S) => {
    const turn = S.div(S.atan(S.div(x2, x1)), 2 * Math.PI);
    const theta = S.value(x1) < 0 ? S.add(turn, 0.5) : turn;
    return [S.mul(10, S.sub(x3, S.mul(10, theta))), S.mul(10, S.sub(S.sqrt(S.add(S.mul(x1, x1), S.mul(x2, x2))), 1)), x3];
  },
  x0: [-1, 0, 0],
  minima: [{ x: [1, 0, 0], f: 0 }],
};

export const PROBLEMS: readonly Problem[] = [rosenbrock, rosenbrock100, powellSingular, brownBadlyScaled, beale, freudensteinRoth, helicalValley];

/** Which published minimum x is nearest to (its index), with the distance relative to its size. */
export function nearestMinimum(problem: Problem, x: ArrayLike<number>): { index: number; distance: number } {
  let best = { index: -1, distance: Infinity };
  problem.minima.forEach((m, index) => {
    let d = 0;
    for (let i = 0; i < m.x.length; i++) d = Math.max(d, Math.abs(x[i] - m.x[i]) / Math.max(1, Math.abs(m.x[i])));
    if (d < best.distance) best = { index, distance: d };
  });
  return best;
}
