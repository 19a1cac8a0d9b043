/**
 * Compile-time checks of the numeric interface and the forward functionals (run by `npm test` via
 * tsc; an unused `@ts-expect-error` fails the type check). Nothing here runs.
 */
import { derivative, derivatives, Dual, dualScalar, gradient, jacobianForward, numberScalar, type Scalar } from "../../src/index.js";

/** Written once: runs on numbers, duals and tape variables. */
const spring = <T>(S: Scalar<T>, x: T): T => S.add(S.mul(-4, x), S.mul(0.1, S.pow(x, 3)));

export function oneFunctionManyDomains(): number {
  const onNumbers: number = spring(numberScalar, 1);
  const onDuals: Dual = spring(dualScalar, Dual.variable(1));
  // @ts-expect-error a Dual is not a number: the domain and the value must agree
  spring(numberScalar, Dual.variable(1));
  // @ts-expect-error a number domain does not produce Duals
  const wrong: Dual = spring(numberScalar, 1);
  void wrong;
  return onNumbers + onDuals.dx;
}

export function functionalsTakeMethodAndGenericStyles(): number {
  // Method style: the parameter is contextually typed as a generic Numeric value.
  const a = derivative((x) => x.add(1).mul(x.sin()), 2).derivative;
  // Generic style: the Scalar comes second.
  const b = derivative((x, S) => spring(S, x), 2).derivative;
  const c = derivatives((x) => x.exp(), 0, 4)[4];
  const d = gradient(([p, q]) => p.mul(q).sub(p.log()), [1, 2])[0];
  const e = jacobianForward((xs, S) => [S.mul(xs[0], xs[1]), xs[0].sin()], [1, 2]).jacobian[0][1];
  // @ts-expect-error arithmetic operators do not apply to AD values: use the methods
  derivative((x) => x * 2, 1);
  // @ts-expect-error Math functions take numbers, not AD values
  derivative((x) => Math.sin(x), 1);
  // @ts-expect-error f must return the value it computed (or a number), not a string
  derivative((x) => `${x.value}`, 1);
  return a + b + c + d + e;
}
