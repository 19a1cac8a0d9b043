/**
 * `Var<B>`: a handle to one node of a tape — the tape, the node's index and the tape's generation
 * when the node was recorded; nothing else. The value lives in the tape's arena. The brand `B` is
 * the tape's own type parameter: inside `Tape.with((tape) => …)` it is a fresh type, so a variable
 * of one tape passed to another is a compile error; `reset()` bumps the generation, so a variable
 * kept across a reset is caught at run time.
 *
 * The methods are the ergonomic style over the same arena: `x.mul(y)` records exactly what
 * `tape.mul(x, y)` records.
 */
import { AdError } from "../../errors.js";
import type { Numeric } from "../scalar.js";
import type { Tape } from "./tape.js";

// `in out` makes B invariant, so Var<B1> and Var<B2> never assign to each other whatever B1, B2 are.
export class Var<in out B = unknown> implements Numeric<Var<B>> {
  constructor(
    readonly tape: Tape<B>,
    readonly index: number,
    readonly generation: number,
  ) {}

  /** The primal value, read from the arena (StaleVariable after the tape's reset). */
  get value(): number {
    return this.tape.value(this);
  }

  toString(): string {
    return `Var(#${this.index})`;
  }

  /** `x * 2` or `Math.sin(x)` on a variable would silently drop it from the tape: refuse. */
  [Symbol.toPrimitive](hint: string): string {
    if (hint === "string") return this.toString();
    throw new AdError("UnsupportedOp", "a tape variable cannot be used as a plain number; use its methods (x.mul(y), x.sin()) or the tape (tape.mul(x, y))", {
      op: "Var.toPrimitive",
      index: this.index,
    });
  }

  neg(): Var<B> {
    return this.tape.neg(this);
  }
  sqrt(): Var<B> {
    return this.tape.sqrt(this);
  }
  cbrt(): Var<B> {
    return this.tape.cbrt(this);
  }
  exp(): Var<B> {
    return this.tape.exp(this);
  }
  expm1(): Var<B> {
    return this.tape.expm1(this);
  }
  log(): Var<B> {
    return this.tape.log(this);
  }
  log1p(): Var<B> {
    return this.tape.log1p(this);
  }
  log2(): Var<B> {
    return this.tape.log2(this);
  }
  sin(): Var<B> {
    return this.tape.sin(this);
  }
  cos(): Var<B> {
    return this.tape.cos(this);
  }
  tan(): Var<B> {
    return this.tape.tan(this);
  }
  asin(): Var<B> {
    return this.tape.asin(this);
  }
  acos(): Var<B> {
    return this.tape.acos(this);
  }
  atan(): Var<B> {
    return this.tape.atan(this);
  }
  sinh(): Var<B> {
    return this.tape.sinh(this);
  }
  cosh(): Var<B> {
    return this.tape.cosh(this);
  }
  tanh(): Var<B> {
    return this.tape.tanh(this);
  }
  asinh(): Var<B> {
    return this.tape.asinh(this);
  }
  acosh(): Var<B> {
    return this.tape.acosh(this);
  }
  atanh(): Var<B> {
    return this.tape.atanh(this);
  }
  sigmoid(): Var<B> {
    return this.tape.sigmoid(this);
  }
  softplus(): Var<B> {
    return this.tape.softplus(this);
  }
  abs(): Var<B> {
    return this.tape.abs(this);
  }
  sign(): Var<B> {
    return this.tape.sign(this);
  }
  erf(): Var<B> {
    return this.tape.erf(this);
  }

  add(b: Var<B> | number): Var<B> {
    return this.tape.add(this, b);
  }
  sub(b: Var<B> | number): Var<B> {
    return this.tape.sub(this, b);
  }
  mul(b: Var<B> | number): Var<B> {
    return this.tape.mul(this, b);
  }
  div(b: Var<B> | number): Var<B> {
    return this.tape.div(this, b);
  }
  pow(b: Var<B> | number): Var<B> {
    return this.tape.pow(this, b);
  }
  atan2(b: Var<B> | number): Var<B> {
    return this.tape.atan2(this, b);
  }
  min(b: Var<B> | number): Var<B> {
    return this.tape.min(this, b);
  }
  max(b: Var<B> | number): Var<B> {
    return this.tape.max(this, b);
  }
  hypot(b: Var<B> | number): Var<B> {
    return this.tape.hypot(this, b);
  }
}
