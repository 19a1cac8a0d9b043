/**
 * Forward-mode functionals: derivatives of ℝ → ℝ (first and nth order), directional derivatives,
 * gradients and Jacobians of ℝⁿ → ℝ(ᵐ), each computed by running `f` on dual numbers. A forward pass
 * costs a small constant times one evaluation of f and gives one directional derivative, so forward
 * mode wins for few inputs (the Jacobian takes n passes); reverse mode (`gradient`) for few outputs.
 *
 * `f` is called as `f(x, S)`: method style `(x) => x.mul(x.sin())` and generic style
 * `(x, S) => S.mul(x, S.sin(x))` both work. It may return a plain number for a constant result.
 *
 * Each call seeds its inputs with a fresh tag (`taggedDual.ts`), so calls nest: inside another
 * call's `f`, the results are that call's duals (typed `number`, used through the outer values'
 * methods; coercing one to a plain number is an `AdError`), and nested derivatives are exact.
 */
import { AdError, describe, expectFinite, expectFiniteVector, expectFunction, expectInteger, expectLength, invalidArgument } from "../errors.js";
import { Dual, dualScalar, seedDual } from "./dual.js";
import { dualScalarOver, NestedDual } from "./nestedDual.js";
import type { MultivariateFn, Numeric, Scalar, UnivariateFn, VectorFn } from "./scalar.js";
import { enclosingDomain, enter, leave, reverseOver } from "./reverseOver.js";
import { closeTag, isTagged, openTag, primalWrt, tangentWrt, type Tagged } from "./taggedDual.js";

/**
 * f written for duals only, e.g. `(x: Dual) => x.mul(derivative((y: Dual) => x.mul(y), 1).derivative)`:
 * a nested derivative closes over the outer dual, which a function generic in its domain cannot.
 */
export type DualFn = (x: Dual, S: Scalar<Dual>) => Dual | number;
/** ℝⁿ → ℝ written for duals only (see `DualFn`). */
export type DualMultivariateFn = (xs: readonly Dual[], S: Scalar<Dual>) => Dual | number;
/** ℝⁿ → ℝᵐ written for duals only (see `DualFn`). */
export type DualVectorFn = (xs: readonly Dual[], S: Scalar<Dual>) => readonly (Dual | number)[];

/** The highest order `derivatives` accepts: an op at nesting depth n costs about 3ⁿ operations. */
export const MAX_DERIVATIVE_ORDER = 12;

/** f(x) and f'(x) in one forward pass. */
export function derivative(f: UnivariateFn, x: number): { value: number; derivative: number };
export function derivative(f: DualFn, x: number): { value: number; derivative: number };
export function derivative(f: UnivariateFn | DualFn, x: number): { value: number; derivative: number } {
  const op = "derivative";
  // The checks' calls only where they fail (see below): `x - x` is 0 for finite numbers only.
  if (typeof f !== "function") expectFunction(op, "f", f);
  if (typeof x !== "number" || x - x !== 0) expectFinite(op, "x", x);
  const outer = enclosingDomain();
  if (outer !== undefined && outer !== dualScalar) return derivativeOver(op, outer, f as UnivariateFn, x);
  // No closure per call (the tag and the enclosing domain are opened and closed in place), and
  // every rare path out of line: V8 inlines into the caller's loop only so many bytes of bytecode,
  // and when `derivative`, f and f's ops all fit, f's duals and the result stay in registers.
  // The result is built after the `finally`: one built inside it is allocated.
  const tag = openTag();
  enter(dualScalar as Scalar<unknown>);
  let y: unknown;
  try {
    y = (f as DualFn)(seedDual(x, 1, tag), dualScalar);
  } finally {
    leave();
    closeTag();
  }
  return isOwnDual(y, tag) ? { value: y.x, derivative: y.dx } : taggedDerivative(op, y, tag);
}

/**
 * Inside a gradient's f, f′(x) is a one-input gradient recorded on the enclosing tape: a Dual cannot
 * hold that tape's variables, a tape over them can.
 */
function derivativeOver(op: string, outer: Scalar<unknown>, f: UnivariateFn, x: number): { value: number; derivative: number } {
  const { value, gradient } = reverseOver(op, outer, ([v], S) => f(v as never, S as never), [x]);
  return { value: value as number, derivative: gradient[0] as number };
}

/** `derivative`'s result when f returned something other than its own dual (see `primalOf`). */
function taggedDerivative(op: string, y: unknown, tag: number): { value: number; derivative: number } {
  return { value: primalOf(op, y, tag), derivative: tangentOf(op, y, tag) };
}

/**
 * [f(x), f'(x), …, f⁽ⁿ⁾(x)] by n nested duals: x is seeded with tangent 1 at every level, so following
 * the tangent k times and the primal n − k times reads off f⁽ᵏ⁾(x).
 */
export function derivatives(f: UnivariateFn, x: number, n: number): number[] {
  return derivativesFor("derivatives", f, x, n);
}

/** f⁽ⁿ⁾(x); n = 0 gives f(x). */
export function nthDerivative(f: UnivariateFn, x: number, n: number): number {
  const all = derivativesFor("nthDerivative", f, x, n);
  return all[all.length - 1];
}

/** `derivatives`, with `op` naming the public function the caller called (for its errors). */
function derivativesFor(op: string, f: UnivariateFn, x: number, n: number): number[] {
  expectFunction(op, "f", f);
  expectFinite(op, "x", x);
  expectInteger(op, "n", n, 0, MAX_DERIVATIVE_ORDER);
  if (n <= 1) {
    const y = dualResult(op, f(n === 0 ? Dual.constant(x) : Dual.variable(x), dualScalar));
    return n === 0 ? [y.x] : [y.x, y.dx];
  }
  // The levels' types depend on n, which is only known at run time: build them untyped.
  let S: Scalar<unknown> = dualScalar as Scalar<unknown>;
  let v: unknown = Dual.variable(x);
  for (let level = 2; level <= n; level++) {
    v = new NestedDual(S, v, S.from(1));
    S = dualScalarOver(S) as Scalar<unknown>;
  }
  const top = f(v as NestedDual<unknown>, S as Scalar<NestedDual<unknown>>) as unknown;
  const inner = (v as NestedDual<unknown>).S;
  if (typeof top !== "number" && !(top instanceof NestedDual && top.S === inner)) throw badResult(op, top);
  const out: number[] = [];
  for (let k = 0; k <= n; k++) out.push(coefficient(op, top, k));
  return out;
}

/** f(x) and ∇f(x)·v in one forward pass. */
export function directionalDerivative(f: MultivariateFn, x: readonly number[], v: readonly number[]): { value: number; derivative: number };
export function directionalDerivative(f: DualMultivariateFn, x: readonly number[], v: readonly number[]): { value: number; derivative: number };
export function directionalDerivative(f: MultivariateFn | DualMultivariateFn, x: readonly number[], v: readonly number[]): { value: number; derivative: number } {
  const op = "directionalDerivative";
  expectFunction(op, "f", f);
  const point = expectFiniteVector(op, "x", x);
  const direction = expectFiniteVector(op, "v", v);
  if (direction.length !== point.length) {
    throw new AdError("ShapeMismatch", `v has ${direction.length} components but x has ${point.length}`, {
      op,
      xLength: point.length,
      vLength: direction.length,
    });
  }
  const tag = openTag();
  try {
    const xs = point.map((xi, i) => seedDual(xi, direction[i], tag));
    const y: unknown = (f as DualMultivariateFn)(xs, dualScalar);
    return { value: primalOf(op, y, tag), derivative: tangentOf(op, y, tag) };
  } finally {
    closeTag();
  }
}

/** f(x) and ∇f(x) by n forward passes, one per input (prefer reverse mode for large n). */
export function gradientForward(f: MultivariateFn, x: readonly number[]): { value: number; gradient: number[] };
export function gradientForward(f: DualMultivariateFn, x: readonly number[]): { value: number; gradient: number[] };
export function gradientForward(f: MultivariateFn | DualMultivariateFn, x: readonly number[]): { value: number; gradient: number[] } {
  const op = "gradientForward";
  expectFunction(op, "f", f);
  const point = expectFiniteVector(op, "x", x);
  const g = f as DualMultivariateFn;
  const tag = openTag();
  try {
    const gradient = new Array<number>(point.length);
    const constants = constantsOf(point, tag);
    // With no inputs there is no seeded pass to read the value from: one unseeded pass gives it.
    let value = point.length === 0 ? primalOf(op, g([], dualScalar), tag) : NaN;
    for (let j = 0; j < point.length; j++) {
      const y: unknown = g(seeded(constants, point, j, tag), dualScalar);
      if (j === 0) value = primalOf(op, y, tag);
      gradient[j] = tangentOf(op, y, tag);
    }
    return { value, gradient };
  } finally {
    closeTag();
  }
}

/** f(x) and the Jacobian J[i][j] = ∂fᵢ/∂xⱼ by n forward passes, one column per pass. */
export function jacobianForward(f: VectorFn, x: readonly number[]): { value: number[]; jacobian: number[][] };
export function jacobianForward(f: DualVectorFn, x: readonly number[]): { value: number[]; jacobian: number[][] };
export function jacobianForward(f: VectorFn | DualVectorFn, x: readonly number[]): { value: number[]; jacobian: number[][] } {
  const op = "jacobianForward";
  expectFunction(op, "f", f);
  const point = expectFiniteVector(op, "x", x);
  const g = f as DualVectorFn;
  const tag = openTag();
  try {
    return jacobianColumns(op, g, point, tag);
  } finally {
    closeTag();
  }
}

/** `jacobianForward`'s passes, seeded with `tag`. */
function jacobianColumns(op: string, g: DualVectorFn, point: readonly number[], tag: number): { value: number[]; jacobian: number[][] } {
  const n = point.length;
  const constants = constantsOf(point, tag);
  // Pass j seeds input j and gives column j; with no inputs one unseeded pass gives the values.
  const first = vectorResult(op, g(seeded(constants, point, n === 0 ? -1 : 0, tag), dualScalar));
  const m = first.length;
  const value = first.map((y) => primalWrt(y, tag) as number);
  const jacobian: number[][] = [];
  for (let i = 0; i < m; i++) jacobian.push(new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    const ys = j === 0 ? first : vectorResult(op, g(seeded(constants, point, j, tag), dualScalar));
    if (ys.length !== m) {
      throw new AdError("ShapeMismatch", `f returned ${m} outputs in one pass and ${ys.length} in another`, {
        op,
        firstLength: m,
        laterLength: ys.length,
      });
    }
    for (let i = 0; i < m; i++) jacobian[i][j] = tangentWrt(ys[i], tag) as number;
  }
  return { value, jacobian };
}

/** The inputs as duals of `tag` with tangent 0. */
function constantsOf(point: readonly number[], tag: number): Dual[] {
  return point.map((xi) => seedDual(xi, 0, tag));
}

/**
 * The inputs of pass j: input j with tangent 1, the others `constants` (all of them for j = −1). Duals
 * are immutable, so the passes share the constants; each pass gets an array of its own.
 */
function seeded(constants: readonly Dual[], point: readonly number[], j: number, tag: number): Dual[] {
  const xs = constants.slice();
  if (j >= 0) xs[j] = seedDual(point[j], 1, tag);
  return xs;
}

/**
 * y's primal along `tag`. Most results are a dual of this call's tag with number parts, read
 * directly; anything else (a number, an outer call's dual, a `MixedDual`) by the tag rules.
 */
function primalOf(op: string, y: unknown, tag: number): number {
  if (isOwnDual(y, tag)) return y.x;
  return primalWrt(tagged(op, y), tag) as number;
}

/**
 * y is a dual of this call's tag with number parts. Not `y instanceof Dual`: a dual that meets
 * `instanceof` is allocated (dual.ts's `isDualOf`), and f's result could otherwise stay in registers.
 */
function isOwnDual(y: unknown, tag: number): y is Dual {
  const d = y as Dual | null | undefined;
  return d?.tag === tag && typeof d.x === "number" && typeof d.dx === "number";
}

/** y's tangent along `tag` (see `primalOf`). */
function tangentOf(op: string, y: unknown, tag: number): number {
  if (isOwnDual(y, tag)) return y.dx;
  return tangentWrt(tagged(op, y), tag) as number;
}

function dualResult(op: string, y: unknown): Dual {
  if (y instanceof Dual) return y;
  if (typeof y === "number") return Dual.constant(y);
  throw badResult(op, y);
}

/** f's result as a tagged value (a number, a Dual of any tag, a MixedDual). */
function tagged(op: string, y: unknown): Tagged {
  if (isTagged(y)) return y;
  throw badResult(op, y);
}

function vectorResult(op: string, ys: unknown): Tagged[] {
  if (!Array.isArray(ys)) {
    throw invalidArgument(op, `f must return an array of Duals or numbers, got ${describe(ys)}`, { argument: "f", returned: describe(ys) });
  }
  const out: Tagged[] = [];
  const n = expectLength(op, "f's result", ys);
  for (let i = 0; i < n; i++) {
    const y: unknown = ys[i];
    if (isTagged(y)) out.push(y);
    else {
      throw invalidArgument(op, `f must return an array of Duals or numbers, but element ${i} is ${describe(y)}`, {
        argument: "f",
        index: i,
        returned: describe(y),
      });
    }
  }
  return out;
}

function badResult(op: string, y: unknown): AdError {
  return invalidArgument(op, `f must return the value it computed from its argument (or a number), got ${describe(y)}`, {
    argument: "f",
    returned: describe(y),
  });
}

/** f⁽ᵏ⁾ from a tower of nested duals: k tangent steps, then primal steps down to a number. */
function coefficient(op: string, y: unknown, k: number): number {
  let t = y;
  let remaining = k;
  for (;;) {
    if (typeof t === "number") return remaining === 0 ? t : 0;
    // `new NestedDual(S, x, dx)` is unchecked: f can return one holding anything.
    if (!(t instanceof NestedDual || t instanceof Dual)) throw badResult(op, y);
    const d = t as Numeric<unknown> & { readonly x: unknown; readonly dx: unknown };
    if (remaining > 0) {
      remaining--;
      t = d.dx;
    } else {
      t = d.x;
    }
  }
}
