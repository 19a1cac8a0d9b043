/**
 * `Scalar<T>`: the numeric interface, the TypeScript form of a numeric trait. A function written once
 * as `<T>(S: Scalar<T>, x: T) => T` runs on plain numbers (`numberScalar`), on dual numbers
 * (`dualScalar`, nested duals for higher order) and on tape variables (`tape.scalar`), so the same
 * code gives values, forward derivatives and reverse derivatives.
 *
 * Every operation accepts `T | number` so constants can be written inline (`S.mul(x, 2)`); `from`
 * lifts a number explicitly and `value` reads the primal back so code can branch on it.
 */

/** Elementwise functions of one argument. The list is the contract shared by every domain. */
export const UNARY_OPS = [
  "neg",
  "sqrt",
  "cbrt",
  "exp",
  "expm1",
  "log",
  "log1p",
  "log2",
  "sin",
  "cos",
  "tan",
  "asin",
  "acos",
  "atan",
  "sinh",
  "cosh",
  "tanh",
  "asinh",
  "acosh",
  "atanh",
  "sigmoid",
  "softplus",
  "abs",
  "sign",
  "erf",
] as const;

/** Functions of two arguments. */
export const BINARY_OPS = ["add", "sub", "mul", "div", "pow", "atan2", "min", "max", "hypot"] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];

type UnaryMethods<T> = { readonly [K in UnaryOp]: (a: T | number) => T };
type BinaryMethods<T> = { readonly [K in BinaryOp]: (a: T | number, b: T | number) => T };

export interface Scalar<T> extends UnaryMethods<T>, BinaryMethods<T> {
  /** A short name for messages and test labels: "number", "dual", "tape". */
  readonly name: string;
  /** Lifts a plain number into the domain as a constant (zero derivative). */
  from(n: number): T;
  /** The primal value as a plain number, for branching and reading results. */
  value(t: T | number): number;
}

type UnaryMethodsOf<T> = { readonly [K in UnaryOp]: () => T };
type BinaryMethodsOf<T> = { readonly [K in BinaryOp]: (b: T | number) => T };

/**
 * The method style shared by `Dual`, nested duals and tape `Var`s: `x.mul(y).add(x.sin())`. A
 * function typed `<T extends Numeric<T>>(x: T) => T` runs on every domain, like one written against
 * `Scalar<T>`; the functionals (`derivative`, `gradient`, `jacobian`, …) pass both, `f(x, S)`.
 */
export interface Numeric<T> extends UnaryMethodsOf<T>, BinaryMethodsOf<T> {
  /** The primal value as a plain number. */
  readonly value: number;
}

/** f: ℝ → ℝ in any domain, called as `f(x, S)`; a plain number result is a constant. */
export type UnivariateFn = <T extends Numeric<T>>(x: T, S: Scalar<T>) => T | number;
/** f: ℝⁿ → ℝ in any domain, called as `f(xs, S)`. */
export type MultivariateFn = <T extends Numeric<T>>(xs: readonly T[], S: Scalar<T>) => T | number;
/** f: ℝⁿ → ℝᵐ in any domain, called as `f(xs, S)`. */
export type VectorFn = <T extends Numeric<T>>(xs: readonly T[], S: Scalar<T>) => readonly (T | number)[];
