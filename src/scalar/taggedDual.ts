/**
 * Tagged perturbations. Every forward-mode call (`derivative`, `gradientForward`, …) seeds its input
 * with a tag of its own, and duals of different tags compose as nested duals instead of adding their
 * tangents. Without tags, d/dx [x · (d/dy (x + y))(1)] comes out 2 instead of 1: the inner call
 * mistakes x's perturbation for y's (perturbation confusion, Siskind & Pearlmutter 2005).
 *
 * A value is a `Tagged`: a number, a `Dual` (primal and tangent plain numbers, one tag) or a
 * `MixedDual` (one tag whose primal and tangent are themselves tagged with OLDER tags). Tags grow
 * with every call, so a nested call's tag is always the newest: it is the outermost structure, and
 * reading off its tangent leaves the enclosing calls' perturbations intact inside. Tag 0 is the
 * user's own `Dual.variable`s, which all share one perturbation as before.
 *
 * The arithmetic here is the general case; `Dual` keeps its plain-number fast path for operands of
 * one tag and comes here only when tags differ. Every local derivative is the one in `elementary.ts`,
 * evaluated on tagged values, so nesting reaches any depth.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import type { Dual } from "./dual.js";
import { binaryRules, unaryRules } from "./elementary.js";
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type Scalar, type UnaryOp } from "./scalar.js";

/**
 * The `Dual` class, handed over by dual.ts as it loads (`useDualClass`): dual.ts calls into this
 * module for operands of different tags, so importing the class back would close a run-time import
 * cycle. Every way to a tagged op passes through a Dual, so the class is always set by then.
 */
let DualClass: typeof Dual;

/** @internal Called once, by dual.ts. */
export function useDualClass(cls: typeof Dual): void {
  DualClass = cls;
}

export type Tagged = number | Dual | MixedDual;

let lastTag = 0;
/** Forward-mode calls in progress: while any is, tags only grow, so the newest is the innermost. */
let inFlight = 0;
/** Tags stay unsigned 32-bit integers (`Dual` checks them so): the numbering starts over past this. */
const RESTART_AT = 2 ** 31;

/**
 * Opens one forward-mode call: a tag no perturbation in flight has (the user's own `Dual.variable`s
 * have tag 0). Every `openTag` is closed by a `closeTag` in a `finally`. The numbering starts over
 * only when no call is in progress, so a long process never runs out of tags and nested calls always
 * see increasing ones. A pair of calls rather than a function taking the body as a closure: on a
 * small f the closures cost as much as the derivative.
 */
export function openTag(): number {
  if (inFlight === 0 && lastTag >= RESTART_AT) lastTag = 0;
  inFlight++;
  return ++lastTag;
}

export function closeTag(): void {
  inFlight--;
}

/** @internal For tests: puts the numbering at `tag` (the next call gets `tag + 1`). */
export function setLastTag(tag: number): void {
  lastTag = tag;
}

/**
 * A dual of one tag whose primal and tangent carry older tags: what x · y is when x was seeded by an
 * outer `derivative` and y by an inner one. It is never built by hand; it behaves like a `Dual` (the
 * same methods, `value` the innermost primal) and the functionals read it apart by tag.
 */
export class MixedDual {
  /** @internal Built by the tagged arithmetic. */
  constructor(
    readonly tag: number,
    /** The primal, a value of older tags. */
    readonly x: Tagged,
    /** The tangent along this tag, a value of older tags. */
    readonly dx: Tagged,
  ) {}

  /** The innermost primal as a plain number. */
  get value(): number {
    return primalNumber(this);
  }

  add(b: Dual | MixedDual | number): Dual {
    return checked("add", this, b);
  }
  sub(b: Dual | MixedDual | number): Dual {
    return checked("sub", this, b);
  }
  mul(b: Dual | MixedDual | number): Dual {
    return checked("mul", this, b);
  }
  div(b: Dual | MixedDual | number): Dual {
    return checked("div", this, b);
  }
  pow(b: Dual | MixedDual | number): Dual {
    return checked("pow", this, b);
  }
  atan2(b: Dual | MixedDual | number): Dual {
    return checked("atan2", this, b);
  }
  min(b: Dual | MixedDual | number): Dual {
    return checked("min", this, b);
  }
  max(b: Dual | MixedDual | number): Dual {
    return checked("max", this, b);
  }
  hypot(b: Dual | MixedDual | number): Dual {
    return checked("hypot", this, b);
  }
  neg(): Dual {
    return asDual(unary("neg", this));
  }
  sqrt(): Dual {
    return asDual(unary("sqrt", this));
  }
  cbrt(): Dual {
    return asDual(unary("cbrt", this));
  }
  exp(): Dual {
    return asDual(unary("exp", this));
  }
  expm1(): Dual {
    return asDual(unary("expm1", this));
  }
  log(): Dual {
    return asDual(unary("log", this));
  }
  log1p(): Dual {
    return asDual(unary("log1p", this));
  }
  log2(): Dual {
    return asDual(unary("log2", this));
  }
  sin(): Dual {
    return asDual(unary("sin", this));
  }
  cos(): Dual {
    return asDual(unary("cos", this));
  }
  tan(): Dual {
    return asDual(unary("tan", this));
  }
  asin(): Dual {
    return asDual(unary("asin", this));
  }
  acos(): Dual {
    return asDual(unary("acos", this));
  }
  atan(): Dual {
    return asDual(unary("atan", this));
  }
  sinh(): Dual {
    return asDual(unary("sinh", this));
  }
  cosh(): Dual {
    return asDual(unary("cosh", this));
  }
  tanh(): Dual {
    return asDual(unary("tanh", this));
  }
  asinh(): Dual {
    return asDual(unary("asinh", this));
  }
  acosh(): Dual {
    return asDual(unary("acosh", this));
  }
  atanh(): Dual {
    return asDual(unary("atanh", this));
  }
  sigmoid(): Dual {
    return asDual(unary("sigmoid", this));
  }
  softplus(): Dual {
    return asDual(unary("softplus", this));
  }
  abs(): Dual {
    return asDual(unary("abs", this));
  }
  sign(): Dual {
    return asDual(unary("sign", this));
  }
  erf(): Dual {
    return asDual(unary("erf", this));
  }

  toString(): string {
    return `MixedDual#${this.tag}(${String(this.x)}, ${String(this.dx)})`;
  }

  [Symbol.toPrimitive](hint: string): string {
    if (hint === "string") return this.toString();
    throw new AdError("UnsupportedOp", "a Dual cannot be used as a plain number; use its methods (x.mul(y), x.sin()) or the Scalar (S.mul(x, y))", {
      op: "Dual.toPrimitive",
      value: this.toString(),
    });
  }
}

/** True for the values the tagged arithmetic accepts. */
export function isTagged(a: unknown): a is Tagged {
  return typeof a === "number" || a instanceof DualClass || a instanceof MixedDual;
}

/** `a op b` for tagged values after checking `b` (the public entry from `Dual`'s and `MixedDual`'s methods). */
export function checked(op: BinaryOp, a: Dual | MixedDual, b: unknown): Dual {
  if (!isTagged(b)) {
    throw invalidArgument(`Dual.${op}`, `b must be a Dual or a number, got ${describe(b)}`, { argument: "b", got: describe(b) });
  }
  return asDual(binary(op, a, b));
}

/**
 * Tagged results stay typed as `Dual` at the API (a `MixedDual` has the same methods): code written
 * for duals runs unchanged when an enclosing `derivative` adds a perturbation of its own.
 */
function asDual(y: Tagged): Dual {
  return (typeof y === "number" ? new DualClass(y, 0) : y) as Dual;
}

function tagOf(a: Tagged): number {
  return typeof a === "number" ? -1 : a.tag;
}

/** a's primal with respect to tag t (a itself when t is not a's tag). */
function primalAt(a: Tagged, t: number): Tagged {
  return typeof a !== "number" && a.tag === t ? a.x : a;
}

/** a's tangent along tag t (0 when t is not a's tag). */
function tangentAt(a: Tagged, t: number): Tagged {
  return typeof a !== "number" && a.tag === t ? a.dx : 0;
}

function make(t: number, x: Tagged, dx: Tagged): Tagged {
  return typeof x === "number" && typeof dx === "number" ? new DualClass(x, dx, t) : new MixedDual(t, x, dx);
}

/** Zero in every component: such a tangent is never multiplied by a local derivative (0·∞ stays 0). */
function isZero(a: Tagged): boolean {
  return typeof a === "number" ? a === 0 : isZero(a.x) && isZero(a.dx);
}

function primalNumber(a: Tagged): number {
  let t = a;
  while (typeof t !== "number") t = t.x;
  return t;
}

/** p + q where either may be absent (`undefined`: zero). */
function sum(p: Tagged | undefined, q: Tagged | undefined): Tagged {
  if (p === undefined) return q === undefined ? 0 : q;
  return q === undefined ? p : binary("add", p, q);
}

/** The result's tag is the newest of the operands'; the older one is a constant along it. */
export function binary(op: BinaryOp, a: Tagged, b: Tagged): Tagged {
  const t = Math.max(tagOf(a), tagOf(b));
  if (t < 0) return binaryRules[op].primal(a as number, b as number);
  const ax = primalAt(a, t);
  const bx = primalAt(b, t);
  const adx = tangentAt(a, t);
  const bdx = tangentAt(b, t);
  const y = binary(op, ax, bx);
  const rule = binaryRules[op];
  const fromA = isZero(adx) ? undefined : binary("mul", adx, rule.da(taggedScalar, ax, bx, y));
  const fromB = isZero(bdx) ? undefined : binary("mul", bdx, rule.db(taggedScalar, ax, bx, y));
  return make(t, y, sum(fromA, fromB));
}

export function unary(op: UnaryOp, a: Tagged): Tagged {
  if (typeof a === "number") return unaryRules[op].primal(a);
  const y = unary(op, a.x);
  return make(a.tag, y, isZero(a.dx) ? 0 : binary("mul", a.dx, unaryRules[op].df(taggedScalar, a.x, y)));
}

/**
 * y's primal with respect to tag t: the perturbations of every other tag kept (a plain number when
 * they are all zero, e.g. from `Dual.constant`).
 */
export function primalWrt(y: Tagged, t: number): Tagged {
  return settle(primalAbove(y, t));
}

/** y's tangent along tag t, settled like `primalWrt`. */
export function tangentWrt(y: Tagged, t: number): Tagged {
  return settle(tangentAbove(y, t));
}

/** A value with no nonzero tangent at any level is the number it holds. */
function settle(y: Tagged): Tagged {
  return typeof y !== "number" && constant(y) ? primalNumber(y) : y;
}

function constant(y: Tagged): boolean {
  return typeof y === "number" || (isZero(y.dx) && constant(y.x));
}

function primalAbove(y: Tagged, t: number): Tagged {
  const u = tagOf(y);
  if (u < t) return y;
  const d = y as Dual | MixedDual;
  return u === t ? d.x : make(u, primalAbove(d.x, t), primalAbove(d.dx, t));
}

function tangentAbove(y: Tagged, t: number): Tagged {
  const u = tagOf(y);
  if (u < t) return 0;
  const d = y as Dual | MixedDual;
  return u === t ? d.dx : make(u, tangentAbove(d.x, t), tangentAbove(d.dx, t));
}

/** The numeric interface the local derivative rules are evaluated in. Internal: operands are trusted. */
const taggedScalar = {
  name: "tagged",
  from: (n: number) => n,
  value: primalNumber,
  ...Object.fromEntries(BINARY_OPS.map((op) => [op, (a: Tagged, b: Tagged) => binary(op, a, b)])),
  ...Object.fromEntries(UNARY_OPS.map((op) => [op, (a: Tagged) => unary(op, a)])),
} as unknown as Scalar<Tagged>;
