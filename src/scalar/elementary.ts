/**
 * ONE table of the elementary scalar functions: each one's value on plain numbers and its local
 * derivative written over `Scalar<T>`. Dual numbers, the tape, the source transform and the tensor
 * engine's elementwise rules (on tensors, src/tensor/primitives/unary.ts) all read this table, so every
 * function has exactly one derivative for every mode, and because `df` is written in the numeric
 * interface it can be evaluated on duals again: derivatives nest to any order. A rule that branches on
 * `S.value` cannot run on tensors (pow, atan2, min, max, hypot keep tensor rules of their own).
 *
 * Conventions at non-differentiable points and domain edges (documented in docs/errors-and-edges.md, tested):
 * - abs at 0, sign everywhere: derivative 0 (the subgradient PyTorch and JAX use).
 * - min/max at a tie: the derivative is split ½/½, so max(x, x) has derivative 1.
 * - hypot(0, 0), atan2(0, 0): derivative 0.
 * - sqrt, cbrt, log at 0; asin, acos, atanh at ±1; acosh at 1: the one-sided infinite derivative.
 * - pow(a, b): ∂/∂a is 0 when b = 0, even at a = 0 (where b·aᵇ⁻¹ would be 0·∞); ∂/∂b is 0 when
 *   a = 0, and NaN when a < 0 (a^b is not defined for non-integer b there, so no derivative in b
 *   exists; `checkFinite` reports it).
 * - A zero tangent or cotangent stays zero even against an infinite local derivative (constants
 *   through sqrt(0) give 0, not NaN): the domains apply `df` only to nonzero seeds.
 */
import { erf } from "./special.js";
import type { BinaryOp, Scalar, UnaryOp } from "./scalar.js";

export interface UnaryRule {
  /** The function on plain numbers. */
  readonly primal: (x: number) => number;
  /** dy/dx at x, given y = f(x) too (several derivatives are cheapest in terms of y). */
  readonly df: <T>(S: Scalar<T>, x: T, y: T) => T;
}

export interface BinaryRule {
  readonly primal: (a: number, b: number) => number;
  /** ∂y/∂a at (a, b), given y = f(a, b). */
  readonly da: <T>(S: Scalar<T>, a: T, b: T, y: T) => T;
  /** ∂y/∂b at (a, b), given y = f(a, b). */
  readonly db: <T>(S: Scalar<T>, a: T, b: T, y: T) => T;
}

const LN2 = Math.LN2;
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** 1/(1+e^(−x)) without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1+eˣ) without overflow: max(x, 0) + log1p(e^(−|x|)). */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

const constant =
  (c: number) =>
  <T>(S: Scalar<T>): T =>
    S.from(c);

export const unaryRules = {
  neg: { primal: (x) => -x, df: constant(-1) },
  // d √x = dx / (2√x)
  sqrt: { primal: Math.sqrt, df: (S, _x, y) => S.div(0.5, y) },
  // d ∛x = dx / (3∛x²)
  cbrt: { primal: Math.cbrt, df: (S, _x, y) => S.div(1 / 3, S.mul(y, y)) },
  exp: { primal: Math.exp, df: (_S, _x, y) => y },
  // d (eˣ − 1) = eˣ dx = (y + 1) dx
  expm1: { primal: Math.expm1, df: (S, _x, y) => S.add(y, 1) },
  log: { primal: Math.log, df: (S, x) => S.div(1, x) },
  log1p: { primal: Math.log1p, df: (S, x) => S.div(1, S.add(x, 1)) },
  log2: { primal: Math.log2, df: (S, x) => S.div(1, S.mul(x, LN2)) },
  sin: { primal: Math.sin, df: (S, x) => S.cos(x) },
  cos: { primal: Math.cos, df: (S, x) => S.neg(S.sin(x)) },
  // d tan x = (1 + tan²x) dx
  tan: { primal: Math.tan, df: (S, _x, y) => S.add(1, S.mul(y, y)) },
  // d asin x = dx / √(1 − x²)
  asin: { primal: Math.asin, df: (S, x) => S.div(1, S.sqrt(S.sub(1, S.mul(x, x)))) },
  acos: { primal: Math.acos, df: (S, x) => S.div(-1, S.sqrt(S.sub(1, S.mul(x, x)))) },
  atan: { primal: Math.atan, df: (S, x) => S.div(1, S.add(1, S.mul(x, x))) },
  sinh: { primal: Math.sinh, df: (S, x) => S.cosh(x) },
  cosh: { primal: Math.cosh, df: (S, x) => S.sinh(x) },
  // d tanh x = (1 − tanh²x) dx
  tanh: { primal: Math.tanh, df: (S, _x, y) => S.sub(1, S.mul(y, y)) },
  asinh: { primal: Math.asinh, df: (S, x) => S.div(1, S.sqrt(S.add(S.mul(x, x), 1))) },
  // d acosh x = dx / (√(x−1)·√(x+1)); the split form keeps precision near x = 1
  acosh: { primal: Math.acosh, df: (S, x) => S.div(1, S.mul(S.sqrt(S.sub(x, 1)), S.sqrt(S.add(x, 1)))) },
  atanh: { primal: Math.atanh, df: (S, x) => S.div(1, S.sub(1, S.mul(x, x))) },
  // d σ(x) = σ(x)(1 − σ(x)) dx
  sigmoid: { primal: sigmoid, df: (S, _x, y) => S.mul(y, S.sub(1, y)) },
  // d log(1 + eˣ) = σ(x) dx
  softplus: { primal: softplus, df: (S, x) => S.sigmoid(x) },
  // d|x| = sign(x) dx: 0 at 0; written with S.sign (no branch on a value) so tensors can read it too
  abs: { primal: Math.abs, df: (S, x) => S.sign(x) },
  sign: { primal: Math.sign, df: constant(0) },
  // d erf x = (2/√π) e^(−x²) dx
  erf: { primal: erf, df: (S, x) => S.mul(TWO_OVER_SQRT_PI, S.exp(S.neg(S.mul(x, x)))) },
} as const satisfies { readonly [K in UnaryOp]: UnaryRule };

/** ½/½ at a tie; 1 to the winner otherwise. `first` says whether we want ∂/∂a (true) or ∂/∂b. */
function pick<T>(S: Scalar<T>, a: T, b: T, larger: boolean, first: boolean): T {
  const va = S.value(a);
  const vb = S.value(b);
  if (va === vb) return S.from(0.5);
  if (Number.isNaN(va) || Number.isNaN(vb)) return S.from(NaN);
  const aWins = larger ? va > vb : va < vb;
  return S.from(aWins === first ? 1 : 0);
}

export const binaryRules = {
  add: { primal: (a, b) => a + b, da: constant(1), db: constant(1) },
  sub: { primal: (a, b) => a - b, da: constant(1), db: constant(-1) },
  mul: { primal: (a, b) => a * b, da: (_S, _a, b) => b, db: (_S, a) => a },
  // d (a/b) = da/b − (a/b²) db = da/b − y db/b
  div: { primal: (a, b) => a / b, da: (S, _a, b) => S.div(1, b), db: (S, _a, b, y) => S.neg(S.div(y, b)) },
  // d aᵇ = b·aᵇ⁻¹ da + aᵇ·ln a db (edge conventions in the header)
  pow: {
    primal: Math.pow,
    // At b = 0, b·aᵇ⁻¹ is 0 but its derivative in b (aᵇ⁻¹) is not, so b stays in the expression, as
    // b·y/a (the same function for a ≠ 0, with no aᵇ⁻¹ to overflow); at a = 0 the convention gives 0.
    da: (S, a, b, y) => {
      if (S.value(b) !== 0) return S.mul(b, S.pow(a, S.sub(b, 1)));
      return S.value(a) === 0 ? S.from(0) : S.div(S.mul(b, y), a);
    },
    db: (S, a, _b, y) => (S.value(a) === 0 ? S.from(0) : S.mul(y, S.log(a))),
  },
  // atan2(a, b) is the angle of the point (b, a): d = (b da − a db) / (a² + b²)
  atan2: {
    primal: Math.atan2,
    da: (S, a, b) => (S.value(a) === 0 && S.value(b) === 0 ? S.from(0) : S.div(b, S.add(S.mul(a, a), S.mul(b, b)))),
    db: (S, a, b) => (S.value(a) === 0 && S.value(b) === 0 ? S.from(0) : S.neg(S.div(a, S.add(S.mul(a, a), S.mul(b, b))))),
  },
  min: { primal: Math.min, da: (S, a, b) => pick(S, a, b, false, true), db: (S, a, b) => pick(S, a, b, false, false) },
  max: { primal: Math.max, da: (S, a, b) => pick(S, a, b, true, true), db: (S, a, b) => pick(S, a, b, true, false) },
  // d √(a² + b²) = (a da + b db) / y
  hypot: {
    primal: Math.hypot,
    da: (S, a, _b, y) => (S.value(y) === 0 ? S.from(0) : S.div(a, y)),
    db: (S, _a, b, y) => (S.value(y) === 0 ? S.from(0) : S.div(b, y)),
  },
} as const satisfies { readonly [K in BinaryOp]: BinaryRule };
