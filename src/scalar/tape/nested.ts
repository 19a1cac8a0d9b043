/**
 * Explicit tapes nested in explicit tapes: nested reverse mode as Pearlmutter & Siskind give it
 * ("Reverse-mode AD in a functional framework", 2008). `tape.nest((inner) => …)` opens a tape one
 * level down whose values are the enclosing tape's values: each op records on the inner tape its
 * parents and local partials, computed by the enclosing tape's own ops, and `inner.backward(z)` is a
 * reverse sweep whose arithmetic is recorded on the enclosing tape too (reverse over reverse). So:
 *
 * - each tape is its own level: the inner sweep differentiates only with respect to the inner
 *   tape's variables, and a variable of an enclosing tape used in the inner computation is a
 *   constant there (no perturbation confusion) unless it is lifted, `inner.variable(x)`;
 * - the enclosing tape sees how the inner results (values and gradients, which are its own
 *   values) depend on its variables, so `outer.backward` of a function of them is exact.
 *
 * The inner tape holds one small object per node (its values are the enclosing tape's handles), as
 * the functionals' own nesting does (`reverseOver.ts`, which this is the explicit face of). Its
 * variables are branded with the scope like a `Tape.with` tape's; when `nest` returns they are stale.
 */
import { describe, expectFunction, expectLength, invalidArgument } from "../../errors.js";
import { ReverseOver, type RevVar } from "../reverseOver.js";
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type Scalar, type UnaryOp } from "../scalar.js";

declare const level: unique symbol;

type NestedMethods<C, T> = { readonly [K in UnaryOp]: () => NestedVar<C, T> } & {
  readonly [K in BinaryOp]: (b: NestedVar<C, T> | T | number) => NestedVar<C, T>;
};

/**
 * A variable of a nested tape (type `C`, the scope's own) over the enclosing tape's values `T`:
 * the method style records on the nested tape; `value` is the primal as a number.
 */
export type NestedVar<C, T> = NestedMethods<C, T> & {
  readonly value: number;
  /** `in out`-like: the brand is invariant, so two scopes' variables never assign to each other. */
  readonly [level]: (c: C) => C;
};

/** A `tape.nest` callback: generic in the brand, so each nested tape's variables get their own type. */
export type NestScope<T, R> = <C>(tape: NestedTape<C, T>) => R;

/** An operand of a nested tape: its own variable, a value of the enclosing tape (a constant), or a number. */
export type NestedOperand<C, T> = NestedVar<C, T> | T | number;

type Ops<C, T> = { readonly [K in UnaryOp]: (a: NestedOperand<C, T>) => NestedVar<C, T> } & {
  readonly [K in BinaryOp]: (a: NestedOperand<C, T>, b: NestedOperand<C, T>) => NestedVar<C, T>;
};

/** Runs `fn` with a tape nested in `outer` (one level down), and ends its scope when `fn` returns. */
export function nest<T, R>(op: string, outer: Scalar<T>, fn: NestScope<T, R>): R {
  expectFunction(op, "fn", fn);
  const tape = new NestedTape<unknown, T>(outer);
  try {
    return fn(tape);
  } finally {
    tape.close();
  }
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface NestedTape<in out C, T> extends Ops<C, T> {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class NestedTape<in out C, T> {
  readonly name = "nested tape";
  readonly #tape: ReverseOver<T>;

  /** @internal Made by `tape.nest` (or `nested.nest`), which ends its scope. */
  constructor(outer: Scalar<T>) {
    this.#tape = new ReverseOver(outer);
  }

  /** This tape as a `Scalar`, for code written once as `<T>(S: Scalar<T>, x: T) => T`. */
  get scalar(): Scalar<NestedVar<C, T>> {
    return this.#tape.scalar as unknown as Scalar<NestedVar<C, T>>;
  }

  /**
   * An input of this level: a number, or a value of the enclosing tape lifted to this one (its
   * derivative then flows both ways: this tape's gradient reaches it, and the enclosing tape still
   * sees everything computed from it).
   */
  variable(x: T | number): NestedVar<C, T> {
    if (this.#tape.own(x)) {
      throw invalidArgument("NestedTape.variable", "x is already a variable of this tape; lift values of the enclosing tape or numbers", { got: describe(x) });
    }
    this.#tape.outer.value(x); // refuses junk, and another tape's or a stale variable, as the enclosing tape does
    return this.#tape.variable(x as T) as unknown as NestedVar<C, T>;
  }

  /** One variable per element of `xs`. */
  variables(xs: readonly (T | number)[]): NestedVar<C, T>[] {
    if (!Array.isArray(xs)) throw invalidArgument("NestedTape.variables", `xs must be an array, got ${describe(xs)}`, { got: describe(xs) });
    const n = expectLength("NestedTape.variables", "xs", xs);
    const out: NestedVar<C, T>[] = [];
    for (let i = 0; i < n; i++) out.push(this.variable(xs[i]));
    return out;
  }

  /** A constant of this level (`Scalar.from`). */
  from(n: number): NestedVar<C, T> {
    return this.#tape.scalar.from(n) as unknown as NestedVar<C, T>;
  }

  /** The primal as a plain number. */
  value(t: NestedOperand<C, T>): number {
    return this.#tape.scalar.value(t as never);
  }

  /** The primal as a value of the enclosing tape: what the enclosing tape differentiates. */
  primal(t: NestedOperand<C, T>): T {
    const p = this.#tape.primalOf(t);
    return typeof p === "number" ? this.#tape.outer.from(p) : p;
  }

  /** The gradient of `out` with respect to this level's variables: one sweep, recorded on the enclosing tape. */
  backward(out: NestedOperand<C, T>): NestedGradient<C, T> {
    const adjoints = this.#tape.adjoints(out, this.#tape.outer.from(1));
    return new NestedGradient<C, T>(this.#tape, adjoints);
  }

  /** A tape one level further down, over this one. */
  nest<R>(fn: NestScope<NestedVar<C, T>, R>): R {
    return nest("NestedTape.nest", this.scalar, fn);
  }

  /** @internal Ends the scope (`nest`). */
  close(): void {
    this.#tape.close();
  }
}

for (const op of UNARY_OPS) {
  Object.defineProperty(NestedTape.prototype, op, {
    value(this: NestedTape<unknown, unknown>, a: unknown) {
      return this.scalar[op](a as never);
    },
  });
}
for (const op of BINARY_OPS) {
  Object.defineProperty(NestedTape.prototype, op, {
    value(this: NestedTape<unknown, unknown>, a: unknown, b: unknown) {
      return this.scalar[op](a as never, b as never);
    },
  });
}

/** One `backward` of a nested tape: adjoints as values of the enclosing tape. */
export class NestedGradient<in out C, T> {
  /** @internal Built by `NestedTape.backward`. */
  constructor(
    private readonly tape: ReverseOver<T>,
    private readonly adjoints: readonly (T | undefined)[],
  ) {}

  /** ∂out/∂x for a variable of the nested tape, as a value of the enclosing tape. */
  wrt(x: NestedVar<C, T>): T;
  wrt(xs: readonly NestedVar<C, T>[]): T[];
  wrt(x: NestedVar<C, T> | readonly NestedVar<C, T>[]): T | T[] {
    if (Array.isArray(x)) return Array.from(x as readonly unknown[], (xi) => this.one(xi));
    return this.one(x);
  }

  private one(x: unknown): T {
    if (!this.tape.own(x)) {
      throw invalidArgument("NestedGradient.wrt", `expected a variable of the nested tape, got ${describe(x)}`, { got: describe(x) });
    }
    return this.adjoints[(x as RevVar<T>).index] ?? this.tape.outer.from(0);
  }
}
