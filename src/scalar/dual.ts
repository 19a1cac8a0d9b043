/**
 * `Dual`: forward-mode AD with dual numbers x + dx·ε, ε² = 0. Running f on `Dual.variable(x)` gives
 * f(x) in `.x` and f'(x) in `.dx`, in one pass with no tape. Every value and derivative comes from the
 * one table in `elementary.ts` (its `df` evaluated on plain numbers), so Dual, the tape and nested
 * duals agree by construction. add/sub/mul/div/neg and sqrt/exp/log/sin/cos/tanh are written out
 * for speed (the shared table call site is megamorphic); they follow the same rules, including the
 * table's convention that a zero tangent stays zero against an infinite local derivative.
 *
 * A Dual refuses to be coerced to a primitive number (`x * 2`, `Math.sin(x)`): inside a function
 * being differentiated that is always a mistake that would silently give NaN or drop the derivative.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { binaryRules, unaryRules, type BinaryRule, type UnaryRule } from "./elementary.js";
import { numberScalar } from "./number.js";
import type { BinaryOp, Numeric, Scalar } from "./scalar.js";
import { checked, MixedDual, useDualClass } from "./taggedDual.js";

export class Dual implements Numeric<Dual> {
  // Declared, not class fields: assigned in the constructor, as `Trusted` (below) assigns them.
  /** The primal value. */
  declare readonly x: number;
  /** The tangent: the derivative of `x` along the seeded direction. */
  declare readonly dx: number;
  /**
   * Which perturbation `dx` belongs to: each forward-mode call (`derivative`, …) seeds a tag of its
   * own, so nested calls never mix their tangents (see `taggedDual.ts`). 0 for your own duals.
   */
  declare readonly tag: number;

  constructor(x: number, dx: number, tag = 0) {
    // The ops build their results with `Trusted`, which skips this check.
    if (typeof x !== "number" || typeof dx !== "number" || typeof tag !== "number" || tag >>> 0 !== tag) notNumbers(x, dx, tag);
    // Every dual gets `Trusted`'s hidden class, whichever way it was made: with two classes the ops'
    // reads turn polymorphic and V8 no longer keeps a loop's duals in registers.
    return new Trusted(x, dx, tag);
  }

  /** An input to differentiate along: tangent `dx` (1 by default, i.e. d/dx). */
  static variable(x: number, dx = 1): Dual {
    if (typeof x !== "number" || typeof dx !== "number") badVariable(x, dx);
    return new Trusted(x, dx, 0);
  }

  /** A value that does not depend on the input: tangent 0. */
  static constant(x: number): Dual {
    if (typeof x !== "number") throw badNumber("Dual.constant", "x", x);
    return new Trusted(x, 0, 0);
  }

  get value(): number {
    return this.x;
  }

  // The ops are written for V8's inliner: it inlines into a caller only up to a budget of bytecode per
  // function, and a Dual that is passed to a call that was not inlined cannot be scalar-replaced
  // (kept in registers instead of allocated). Locals instead of repeated property reads and the
  // small `isDualOf` keep four of them, `sin` and `Dual.variable` within one loop's budget.
  add(b: Dual | number): Dual {
    if (typeof b === "number") return shifted(this, b);
    const t = this.tag;
    if (isDualOf(b, t)) return new Trusted(this.x + b.x, this.dx + b.dx, t);
    return mixedTags("add", this, b);
  }

  sub(b: Dual | number): Dual {
    if (typeof b === "number") return shifted(this, -b);
    const t = this.tag;
    if (isDualOf(b, t)) return new Trusted(this.x - b.x, this.dx - b.dx, t);
    return mixedTags("sub", this, b);
  }

  mul(b: Dual | number): Dual {
    if (typeof b === "number") return scaled(this, b);
    const t = this.tag;
    if (!isDualOf(b, t)) return mixedTags("mul", this, b);
    const x = this.x;
    const dx = this.dx;
    const y = b.x;
    const dy = b.dx;
    return new Trusted(x * y, (dx === 0 ? 0 : dx * y) + (dy === 0 ? 0 : dy * x), t);
  }

  div(b: Dual | number): Dual {
    let y: number;
    let dy: number;
    if (typeof b === "number") {
      y = this.x / b;
      dy = this.dx === 0 ? 0 : this.dx / b;
    } else if (isDualOf(b, this.tag)) {
      y = this.x / b.x;
      // d (a/b) = da/b − (a/b)·db/b
      dy = (this.dx === 0 ? 0 : this.dx / b.x) + (b.dx === 0 ? 0 : -b.dx * (y / b.x));
    } else return mixedTags("div", this, b);
    return new Trusted(y, dy, this.tag);
  }

  pow(b: Dual | number): Dual {
    return binary("pow", binaryRules.pow, this, b);
  }
  atan2(b: Dual | number): Dual {
    return binary("atan2", binaryRules.atan2, this, b);
  }
  min(b: Dual | number): Dual {
    return binary("min", binaryRules.min, this, b);
  }
  max(b: Dual | number): Dual {
    return binary("max", binaryRules.max, this, b);
  }
  hypot(b: Dual | number): Dual {
    return binary("hypot", binaryRules.hypot, this, b);
  }

  neg(): Dual {
    return new Trusted(-this.x, -this.dx, this.tag);
  }
  sqrt(): Dual {
    const y = Math.sqrt(this.x);
    return new Trusted(y, this.dx === 0 ? 0 : this.dx * (0.5 / y), this.tag);
  }
  cbrt(): Dual {
    return unary(unaryRules.cbrt, this);
  }
  exp(): Dual {
    const y = Math.exp(this.x);
    return new Trusted(y, this.dx === 0 ? 0 : this.dx * y, this.tag);
  }
  expm1(): Dual {
    return unary(unaryRules.expm1, this);
  }
  log(): Dual {
    return new Trusted(Math.log(this.x), this.dx === 0 ? 0 : this.dx * (1 / this.x), this.tag);
  }
  log1p(): Dual {
    return unary(unaryRules.log1p, this);
  }
  log2(): Dual {
    return unary(unaryRules.log2, this);
  }
  sin(): Dual {
    const x = this.x;
    const dx = this.dx;
    return new Trusted(Math.sin(x), dx === 0 ? 0 : dx * Math.cos(x), this.tag);
  }
  cos(): Dual {
    return new Trusted(Math.cos(this.x), this.dx === 0 ? 0 : -this.dx * Math.sin(this.x), this.tag);
  }
  tan(): Dual {
    return unary(unaryRules.tan, this);
  }
  asin(): Dual {
    return unary(unaryRules.asin, this);
  }
  acos(): Dual {
    return unary(unaryRules.acos, this);
  }
  atan(): Dual {
    return unary(unaryRules.atan, this);
  }
  sinh(): Dual {
    return unary(unaryRules.sinh, this);
  }
  cosh(): Dual {
    return unary(unaryRules.cosh, this);
  }
  tanh(): Dual {
    const y = Math.tanh(this.x);
    return new Trusted(y, this.dx === 0 ? 0 : this.dx * (1 - y * y), this.tag);
  }
  asinh(): Dual {
    return unary(unaryRules.asinh, this);
  }
  acosh(): Dual {
    return unary(unaryRules.acosh, this);
  }
  atanh(): Dual {
    return unary(unaryRules.atanh, this);
  }
  sigmoid(): Dual {
    return unary(unaryRules.sigmoid, this);
  }
  softplus(): Dual {
    return unary(unaryRules.softplus, this);
  }
  abs(): Dual {
    return unary(unaryRules.abs, this);
  }
  sign(): Dual {
    return unary(unaryRules.sign, this);
  }
  erf(): Dual {
    return unary(unaryRules.erf, this);
  }

  toString(): string {
    return `Dual(${this.x}, ${this.dx})`;
  }

  [Symbol.toPrimitive](hint: string): string {
    if (hint === "string") return this.toString();
    throw new AdError("UnsupportedOp", "a Dual cannot be used as a plain number; use its methods (x.mul(y), x.sin()) or the Scalar (S.mul(x, y))", {
      op: "Dual.toPrimitive",
      value: this.toString(),
    });
  }
}

/**
 * How the library makes a Dual from numbers it has checked: the same prototype (`instanceof Dual`,
 * the same methods) but a constructor of three stores. V8 inlines an op and its constructor into the
 * caller only within a budget of bytecode per function; with the public constructor's checks (80
 * bytes) in every op the budget ran out after four ops, and a Dual that is not inlined cannot be
 * scalar-replaced (kept in registers instead of allocated).
 */
const Trusted = function (this: { x: number; dx: number; tag: number }, x: number, dx: number, tag: number) {
  this.x = x;
  this.dx = dx;
  this.tag = tag;
} as unknown as new (x: number, dx: number, tag: number) => Dual;
Trusted.prototype = Dual.prototype;
useDualClass(Dual);

/**
 * @internal A dual of numbers and a tag the caller has checked (the functionals' seeds): `Trusted`
 * for forward.ts, where the public constructor's checks would take 84 bytes of the caller's
 * inlining budget (see `add`).
 */
export function seedDual(x: number, dx: number, tag: number): Dual {
  return new Trusted(x, dx, tag);
}

/**
 * b is a dual of `tag` with plain-number parts: a `Dual`, or a value shaped as one (a `MixedDual`
 * always has a dual part, see `taggedDual.ts`). Neither `b instanceof Dual` nor `b != null`: in an op
 * inlined into a loop, V8's escape analysis gives up on a dual that meets either check, and every
 * dual of the loop is allocated (measured: ~2.4× the young-generation garbage, twice the time).
 */
function isDualOf(b: Dual | null | undefined, tag: number): b is Dual {
  return b?.tag === tag && typeof b.x === "number" && typeof b.dx === "number";
}

/**
 * `checked` (taggedDual.ts) behind a local function: every read of an imported binding carries a
 * check that its module has loaded (7 bytes of bytecode), and the ops must stay small (see `add`).
 */
function mixedTags(op: BinaryOp, a: Dual, b: unknown): Dual {
  return checked(op, a, b);
}

// A number operand in its own function: a call that a loop never makes is not inlined, so it costs the
// op a few bytes of the budget instead of the whole branch.
function shifted(a: Dual, b: number): Dual {
  return new Trusted(a.x + b, a.dx, a.tag);
}

function scaled(a: Dual, b: number): Dual {
  return new Trusted(a.x * b, a.dx === 0 ? 0 : a.dx * b, a.tag);
}

function unary(rule: UnaryRule, a: Dual): Dual {
  const y = rule.primal(a.x);
  return new Trusted(y, a.dx === 0 ? 0 : a.dx * rule.df(numberScalar, a.x, y), a.tag);
}

function binary(op: BinaryOp, rule: BinaryRule, a: Dual, b: Dual | number): Dual {
  let bx: number;
  let bdx: number;
  if (typeof b === "number") {
    bx = b;
    bdx = 0;
  } else if (b instanceof Dual && b.tag === a.tag) {
    bx = b.x;
    bdx = b.dx;
  } else {
    return mixedTags(op, a, b);
  }
  const y = rule.primal(a.x, bx);
  const fromA = a.dx === 0 ? 0 : a.dx * rule.da(numberScalar, a.x, bx, y);
  const fromB = bdx === 0 ? 0 : bdx * rule.db(numberScalar, a.x, bx, y);
  return new Trusted(y, fromA + fromB, a.tag);
}

function badVariable(x: unknown, dx: unknown): never {
  throw typeof x !== "number" ? badNumber("Dual.variable", "x", x) : badNumber("Dual.variable", "dx", dx);
}

function notNumbers(x: unknown, dx: unknown, tag: unknown): never {
  if (typeof x !== "number") throw badNumber("Dual", "x", x);
  if (typeof dx !== "number") throw badNumber("Dual", "dx", dx);
  throw invalidArgument("Dual", `tag must be a non-negative integer, got ${describe(tag)}`, { argument: "tag", got: describe(tag) });
}

function badOperand(op: string, b: unknown, argument = "b"): AdError {
  return invalidArgument(op, `${argument} must be a Dual or a number, got ${describe(b)}`, { argument, got: describe(b) });
}

function badNumber(op: string, argument: string, value: unknown): AdError {
  return invalidArgument(op, `${argument} must be a number, got ${describe(value)}`, { argument, got: describe(value) });
}

/** A `Scalar` operand as a Dual: a Dual as is, a number as a constant. */
function lift(op: string, a: Dual | number, argument: string): Dual {
  if (a instanceof Dual) return a;
  // Same methods, typed as Dual (see `taggedDual.ts`).
  if ((a as unknown) instanceof MixedDual) return a as unknown as Dual;
  if (typeof a === "number") return new Trusted(a, 0, 0);
  throw badOperand(op, a, argument);
}

/** `Scalar<Dual>`: generic code run on duals. Numbers are accepted anywhere as constants. */
export const dualScalar: Scalar<Dual> = {
  name: "dual",
  from: (n) => Dual.constant(n),
  value: (t) => {
    if (typeof t === "number") return t;
    if (t instanceof Dual) return t.x;
    if ((t as unknown) instanceof MixedDual) return (t as unknown as MixedDual).value;
    throw badOperand("Dual.value", t, "t");
  },
  add: (a, b) => lift("Dual.add", a, "a").add(b),
  sub: (a, b) => lift("Dual.sub", a, "a").sub(b),
  mul: (a, b) => lift("Dual.mul", a, "a").mul(b),
  div: (a, b) => lift("Dual.div", a, "a").div(b),
  pow: (a, b) => lift("Dual.pow", a, "a").pow(b),
  atan2: (a, b) => lift("Dual.atan2", a, "a").atan2(b),
  min: (a, b) => lift("Dual.min", a, "a").min(b),
  max: (a, b) => lift("Dual.max", a, "a").max(b),
  hypot: (a, b) => lift("Dual.hypot", a, "a").hypot(b),
  neg: (a) => lift("Dual.neg", a, "a").neg(),
  sqrt: (a) => lift("Dual.sqrt", a, "a").sqrt(),
  cbrt: (a) => lift("Dual.cbrt", a, "a").cbrt(),
  exp: (a) => lift("Dual.exp", a, "a").exp(),
  expm1: (a) => lift("Dual.expm1", a, "a").expm1(),
  log: (a) => lift("Dual.log", a, "a").log(),
  log1p: (a) => lift("Dual.log1p", a, "a").log1p(),
  log2: (a) => lift("Dual.log2", a, "a").log2(),
  sin: (a) => lift("Dual.sin", a, "a").sin(),
  cos: (a) => lift("Dual.cos", a, "a").cos(),
  tan: (a) => lift("Dual.tan", a, "a").tan(),
  asin: (a) => lift("Dual.asin", a, "a").asin(),
  acos: (a) => lift("Dual.acos", a, "a").acos(),
  atan: (a) => lift("Dual.atan", a, "a").atan(),
  sinh: (a) => lift("Dual.sinh", a, "a").sinh(),
  cosh: (a) => lift("Dual.cosh", a, "a").cosh(),
  tanh: (a) => lift("Dual.tanh", a, "a").tanh(),
  asinh: (a) => lift("Dual.asinh", a, "a").asinh(),
  acosh: (a) => lift("Dual.acosh", a, "a").acosh(),
  atanh: (a) => lift("Dual.atanh", a, "a").atanh(),
  sigmoid: (a) => lift("Dual.sigmoid", a, "a").sigmoid(),
  softplus: (a) => lift("Dual.softplus", a, "a").softplus(),
  abs: (a) => lift("Dual.abs", a, "a").abs(),
  sign: (a) => lift("Dual.sign", a, "a").sign(),
  erf: (a) => lift("Dual.erf", a, "a").erf(),
};
