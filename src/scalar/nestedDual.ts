/**
 * `NestedDual<T>`: a dual number whose primal and tangent live in another domain `S: Scalar<T>`.
 * Over numbers it is a plain dual; over duals it carries second derivatives; over that, third; and so
 * on to any order. The values come from `S` and every local derivative from the table in
 * `elementary.ts`, evaluated in `S` — the table's rules are written in the numeric interface, so the
 * derivative of a derivative is just the same rule run one level down.
 *
 * A tangent that is zero all the way down is never multiplied by a local derivative (the table's
 * convention: constants through sqrt(0) keep tangent 0, not NaN); this also skips the work for
 * constants, which matters because an op at nesting depth k costs about 3ᵏ plain operations.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { Dual } from "./dual.js";
import { binaryRules, unaryRules, type BinaryRule, type UnaryRule } from "./elementary.js";
import type { BinaryOp, Numeric, Scalar, UnaryOp } from "./scalar.js";

export class NestedDual<T> implements Numeric<NestedDual<T>> {
  /** Unchecked (hot path): build values with `dualScalarOver(S).from` or as `new NestedDual(S, x, dx)`. */
  constructor(
    /** The inner domain that `x` and `dx` live in. */
    readonly S: Scalar<T>,
    /** The primal. */
    readonly x: T,
    /** The tangent. */
    readonly dx: T,
  ) {}

  /** The innermost primal as a plain number. */
  get value(): number {
    return this.S.value(this.x);
  }

  add(b: NestedDual<T> | number): NestedDual<T> {
    const S = this.S;
    if (typeof b === "number") return new NestedDual(S, S.add(this.x, b), this.dx);
    checkOperand("NestedDual.add", S, b);
    return new NestedDual(S, S.add(this.x, b.x), sum(S, tangent(this), tangent(b), this.dx));
  }

  sub(b: NestedDual<T> | number): NestedDual<T> {
    const S = this.S;
    if (typeof b === "number") return new NestedDual(S, S.sub(this.x, b), this.dx);
    checkOperand("NestedDual.sub", S, b);
    const bdx = tangent(b);
    return new NestedDual(S, S.sub(this.x, b.x), sum(S, tangent(this), bdx === undefined ? undefined : S.neg(bdx), this.dx));
  }

  mul(b: NestedDual<T> | number): NestedDual<T> {
    const S = this.S;
    const adx = tangent(this);
    if (typeof b === "number") return new NestedDual(S, S.mul(this.x, b), adx === undefined ? this.dx : S.mul(adx, b));
    checkOperand("NestedDual.mul", S, b);
    const bdx = tangent(b);
    const fromA = adx === undefined ? undefined : S.mul(adx, b.x);
    const fromB = bdx === undefined ? undefined : S.mul(bdx, this.x);
    return new NestedDual(S, S.mul(this.x, b.x), sum(S, fromA, fromB, this.dx));
  }

  div(b: NestedDual<T> | number): NestedDual<T> {
    return binary("div", binaryRules.div, this, b);
  }
  pow(b: NestedDual<T> | number): NestedDual<T> {
    return binary("pow", binaryRules.pow, this, b);
  }
  atan2(b: NestedDual<T> | number): NestedDual<T> {
    return binary("atan2", binaryRules.atan2, this, b);
  }
  min(b: NestedDual<T> | number): NestedDual<T> {
    return binary("min", binaryRules.min, this, b);
  }
  max(b: NestedDual<T> | number): NestedDual<T> {
    return binary("max", binaryRules.max, this, b);
  }
  hypot(b: NestedDual<T> | number): NestedDual<T> {
    return binary("hypot", binaryRules.hypot, this, b);
  }

  neg(): NestedDual<T> {
    const adx = tangent(this);
    return new NestedDual(this.S, this.S.neg(this.x), adx === undefined ? this.dx : this.S.neg(adx));
  }
  sqrt(): NestedDual<T> {
    return unary("sqrt", unaryRules.sqrt, this);
  }
  cbrt(): NestedDual<T> {
    return unary("cbrt", unaryRules.cbrt, this);
  }
  exp(): NestedDual<T> {
    return unary("exp", unaryRules.exp, this);
  }
  expm1(): NestedDual<T> {
    return unary("expm1", unaryRules.expm1, this);
  }
  log(): NestedDual<T> {
    return unary("log", unaryRules.log, this);
  }
  log1p(): NestedDual<T> {
    return unary("log1p", unaryRules.log1p, this);
  }
  log2(): NestedDual<T> {
    return unary("log2", unaryRules.log2, this);
  }
  sin(): NestedDual<T> {
    return unary("sin", unaryRules.sin, this);
  }
  cos(): NestedDual<T> {
    return unary("cos", unaryRules.cos, this);
  }
  tan(): NestedDual<T> {
    return unary("tan", unaryRules.tan, this);
  }
  asin(): NestedDual<T> {
    return unary("asin", unaryRules.asin, this);
  }
  acos(): NestedDual<T> {
    return unary("acos", unaryRules.acos, this);
  }
  atan(): NestedDual<T> {
    return unary("atan", unaryRules.atan, this);
  }
  sinh(): NestedDual<T> {
    return unary("sinh", unaryRules.sinh, this);
  }
  cosh(): NestedDual<T> {
    return unary("cosh", unaryRules.cosh, this);
  }
  tanh(): NestedDual<T> {
    return unary("tanh", unaryRules.tanh, this);
  }
  asinh(): NestedDual<T> {
    return unary("asinh", unaryRules.asinh, this);
  }
  acosh(): NestedDual<T> {
    return unary("acosh", unaryRules.acosh, this);
  }
  atanh(): NestedDual<T> {
    return unary("atanh", unaryRules.atanh, this);
  }
  sigmoid(): NestedDual<T> {
    return unary("sigmoid", unaryRules.sigmoid, this);
  }
  softplus(): NestedDual<T> {
    return unary("softplus", unaryRules.softplus, this);
  }
  abs(): NestedDual<T> {
    return unary("abs", unaryRules.abs, this);
  }
  sign(): NestedDual<T> {
    return unary("sign", unaryRules.sign, this);
  }
  erf(): NestedDual<T> {
    return unary("erf", unaryRules.erf, this);
  }

  toString(): string {
    return `NestedDual(${String(this.x)}, ${String(this.dx)})`;
  }

  [Symbol.toPrimitive](hint: string): string {
    if (hint === "string") return this.toString();
    throw new AdError("UnsupportedOp", "a NestedDual cannot be used as a plain number; use its methods (x.mul(y), x.sin()) or the Scalar (S.mul(x, y))", {
      op: "NestedDual.toPrimitive",
    });
  }
}

/** True when `t` is zero in every component, as far as we can see into it. */
function isZero(t: unknown): boolean {
  if (typeof t === "number") return t === 0;
  if (t instanceof Dual) return t.x === 0 && t.dx === 0;
  if (t instanceof NestedDual) return isZero(t.x) && isZero(t.dx);
  return false;
}

/** The tangent, or `undefined` when it is zero (so no rule is applied to it). */
function tangent<T>(a: NestedDual<T>): T | undefined {
  return isZero(a.dx) ? undefined : a.dx;
}

/** p + q where `undefined` means zero; `zero` is an existing zero tangent to reuse. */
function sum<T>(S: Scalar<T>, p: T | undefined, q: T | undefined, zero: T): T {
  if (p === undefined) return q === undefined ? zero : q;
  return q === undefined ? p : S.add(p, q);
}

function unary<T>(op: UnaryOp, rule: UnaryRule, a: NestedDual<T>): NestedDual<T> {
  const S = a.S;
  const y = S[op](a.x);
  const adx = tangent(a);
  return new NestedDual(S, y, adx === undefined ? a.dx : S.mul(adx, rule.df(S, a.x, y)));
}

function binary<T>(op: BinaryOp, rule: BinaryRule, a: NestedDual<T>, b: NestedDual<T> | number): NestedDual<T> {
  const S = a.S;
  let bx: T;
  let bdx: T | undefined;
  if (typeof b === "number") {
    bx = S.from(b);
    bdx = undefined;
  } else {
    checkOperand(`NestedDual.${op}`, S, b);
    bx = b.x;
    bdx = tangent(b);
  }
  const y = S[op](a.x, bx);
  const adx = tangent(a);
  const fromA = adx === undefined ? undefined : S.mul(adx, rule.da(S, a.x, bx, y));
  const fromB = bdx === undefined ? undefined : S.mul(bdx, rule.db(S, a.x, bx, y));
  return new NestedDual(S, y, sum(S, fromA, fromB, a.dx));
}

function checkOperand<T>(op: string, S: Scalar<T>, b: unknown, argument = "b"): asserts b is NestedDual<T> {
  if (!(b instanceof NestedDual)) {
    throw invalidArgument(op, `${argument} must be a NestedDual or a number, got ${describe(b)}`, { argument, got: describe(b) });
  }
  if (b.S !== S) {
    // Mixing nesting levels would silently confuse one level's perturbation with another's.
    throw invalidArgument(op, `${argument} is a NestedDual over ${b.S.name}, expected one over ${S.name}`, {
      argument,
      expected: S.name,
      got: b.S.name,
    });
  }
}

function isScalar(S: unknown): boolean {
  if (S === null || typeof S !== "object") return false;
  const s = S as Record<string, unknown>;
  return typeof s.from === "function" && typeof s.value === "function" && typeof s.mul === "function";
}

const scalars = new WeakMap<Scalar<unknown>, Scalar<NestedDual<unknown>>>();

/**
 * `Scalar<NestedDual<T>>`: generic code run on duals over `S`. `dualScalarOver(numberScalar)` is first
 * order; `dualScalarOver(dualScalarOver(numberScalar))` second; and so on. One scalar per `S`.
 */
export function dualScalarOver<T>(S: Scalar<T>): Scalar<NestedDual<T>> {
  if (!isScalar(S)) throw invalidArgument("dualScalarOver", `S must be a Scalar, got ${describe(S)}`, { argument: "S", got: describe(S) });
  const cached = scalars.get(S as Scalar<unknown>);
  if (cached !== undefined) return cached as unknown as Scalar<NestedDual<T>>;

  const lift = (op: string, a: NestedDual<T> | number): NestedDual<T> => {
    if (typeof a === "number") return new NestedDual(S, S.from(a), S.from(0));
    checkOperand(op, S, a, "a");
    return a;
  };
  const scalar: Scalar<NestedDual<T>> = {
    name: `dual(${S.name})`,
    from: (n) => {
      if (typeof n !== "number") throw invalidArgument("NestedDual.from", `n must be a number, got ${describe(n)}`, { argument: "n", got: describe(n) });
      return lift("NestedDual.from", n);
    },
    value: (t) => (typeof t === "number" ? t : lift("NestedDual.value", t).value),
    add: (a, b) => lift("NestedDual.add", a).add(b),
    sub: (a, b) => lift("NestedDual.sub", a).sub(b),
    mul: (a, b) => lift("NestedDual.mul", a).mul(b),
    div: (a, b) => lift("NestedDual.div", a).div(b),
    pow: (a, b) => lift("NestedDual.pow", a).pow(b),
    atan2: (a, b) => lift("NestedDual.atan2", a).atan2(b),
    min: (a, b) => lift("NestedDual.min", a).min(b),
    max: (a, b) => lift("NestedDual.max", a).max(b),
    hypot: (a, b) => lift("NestedDual.hypot", a).hypot(b),
    neg: (a) => lift("NestedDual.neg", a).neg(),
    sqrt: (a) => lift("NestedDual.sqrt", a).sqrt(),
    cbrt: (a) => lift("NestedDual.cbrt", a).cbrt(),
    exp: (a) => lift("NestedDual.exp", a).exp(),
    expm1: (a) => lift("NestedDual.expm1", a).expm1(),
    log: (a) => lift("NestedDual.log", a).log(),
    log1p: (a) => lift("NestedDual.log1p", a).log1p(),
    log2: (a) => lift("NestedDual.log2", a).log2(),
    sin: (a) => lift("NestedDual.sin", a).sin(),
    cos: (a) => lift("NestedDual.cos", a).cos(),
    tan: (a) => lift("NestedDual.tan", a).tan(),
    asin: (a) => lift("NestedDual.asin", a).asin(),
    acos: (a) => lift("NestedDual.acos", a).acos(),
    atan: (a) => lift("NestedDual.atan", a).atan(),
    sinh: (a) => lift("NestedDual.sinh", a).sinh(),
    cosh: (a) => lift("NestedDual.cosh", a).cosh(),
    tanh: (a) => lift("NestedDual.tanh", a).tanh(),
    asinh: (a) => lift("NestedDual.asinh", a).asinh(),
    acosh: (a) => lift("NestedDual.acosh", a).acosh(),
    atanh: (a) => lift("NestedDual.atanh", a).atanh(),
    sigmoid: (a) => lift("NestedDual.sigmoid", a).sigmoid(),
    softplus: (a) => lift("NestedDual.softplus", a).softplus(),
    abs: (a) => lift("NestedDual.abs", a).abs(),
    sign: (a) => lift("NestedDual.sign", a).sign(),
    erf: (a) => lift("NestedDual.erf", a).erf(),
  };
  scalars.set(S as Scalar<unknown>, scalar as unknown as Scalar<NestedDual<unknown>>);
  return scalar;
}
