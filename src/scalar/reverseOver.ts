/**
 * Reverse mode over another domain: a small tape whose values are `T` of a `Scalar<T>` (usually an
 * enclosing tape's `Var`s), so a `gradient` taken inside another `gradient`'s `f` records its own
 * arithmetic — partials and the reverse sweep included — on the enclosing tape (reverse over
 * reverse). The number tape (typed arrays) cannot hold the outer tape's values; this one can, at
 * the cost of one object per node, which is why it runs only when calls nest.
 *
 * A value of an enclosing domain met here (a closed-over outer `Var`) is a constant of this tape,
 * so each call differentiates only with respect to its own inputs: no perturbation confusion. A
 * genuinely foreign value reaches the enclosing domain's ops, which still raise `ForeignVariable`.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { binaryRules, unaryRules } from "./elementary.js";
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type Scalar, type UnaryOp } from "./scalar.js";

/** A variable of a `ReverseOver` tape: its node index and its value in the enclosing domain. */
export class RevVar<T> {
  constructor(
    readonly tape: ReverseOver<T>,
    readonly index: number,
    readonly primal: T,
  ) {}
  get value(): number {
    return this.tape.outer.value(this.primal);
  }
}

type Methods<T> = { [K in UnaryOp]: () => RevVar<T> } & { [K in BinaryOp]: (b: unknown) => RevVar<T> };
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface RevVar<T> extends Methods<T> {}

for (const op of UNARY_OPS) {
  Object.defineProperty(RevVar.prototype, op, {
    value(this: RevVar<unknown>) {
      return this.tape.unary(op, this);
    },
  });
}
for (const op of BINARY_OPS) {
  Object.defineProperty(RevVar.prototype, op, {
    value(this: RevVar<unknown>, b: unknown) {
      return this.tape.binary(op, this, b);
    },
  });
}

/** The tape: per node, its parents and the local partials (values of the enclosing domain). */
export class ReverseOver<T> {
  private readonly parents: number[][] = [];
  private readonly partials: T[][] = [];
  readonly scalar: Scalar<RevVar<T>>;
  /** Set when an explicit nested tape's scope ends (`nested.ts`): its variables are stale from then on. */
  private closed = false;

  constructor(readonly outer: Scalar<T>) {
    const scalar: Record<string, unknown> = {
      name: `reverse over ${outer.name}`,
      from: (n: number) => this.node(n as T, [], []),
      value: (a: unknown) => (a instanceof RevVar ? a.value : outer.value(a as T | number)),
    };
    for (const op of UNARY_OPS) scalar[op] = (a: unknown) => this.unary(op, a);
    for (const op of BINARY_OPS) scalar[op] = (a: unknown, b: unknown) => this.binary(op, a, b);
    this.scalar = scalar as unknown as Scalar<RevVar<T>>;
  }

  variable(x: T): RevVar<T> {
    this.live("variable");
    return this.node(x, [], []);
  }

  unary(op: UnaryOp, a: unknown): RevVar<T> {
    this.live(op);
    const S = this.outer;
    const x = this.primalOf(a);
    const y = S[op](x);
    return this.own(a) ? this.node(y, [(a as RevVar<T>).index], [unaryRules[op].df(S, x, y)]) : this.node(y, [], []);
  }

  binary(op: BinaryOp, a: unknown, b: unknown): RevVar<T> {
    this.live(op);
    const S = this.outer;
    const [x, z] = [this.primalOf(a), this.primalOf(b)];
    const y = S[op](x, z);
    const parents: number[] = [];
    const partials: T[] = [];
    if (this.own(a)) (parents.push((a as RevVar<T>).index), partials.push(binaryRules[op].da(S, x, z, y)));
    if (this.own(b)) (parents.push((b as RevVar<T>).index), partials.push(binaryRules[op].db(S, x, z, y)));
    return this.node(y, parents, partials);
  }

  /** ∂y/∂xs as values of the enclosing domain: one reverse sweep. */
  gradient(y: unknown, xs: readonly RevVar<T>[]): T[] {
    const adjoint = this.adjoints(y, this.outer.from(1));
    return xs.map((x) => adjoint[x.index] ?? this.outer.from(0));
  }

  /** Every node's adjoint (undefined: 0) for the output `y` seeded with `seed`: one reverse sweep. */
  adjoints(y: unknown, seed: T): (T | undefined)[] {
    this.live("backward");
    const S = this.outer;
    const adjoint: (T | undefined)[] = new Array(this.parents.length);
    if (this.own(y)) adjoint[(y as RevVar<T>).index] = seed;
    for (let i = this.parents.length - 1; i >= 0; i--) {
      const g = adjoint[i];
      if (g === undefined) continue;
      const parents = this.parents[i];
      for (let k = 0; k < parents.length; k++) {
        const w = this.partials[i][k];
        // A partial that is the number 0 (a constant operand of a product) adds nothing, as on the
        // flat tape, where the parent's adjoint then stays 0 and is skipped: no 0·∞ further down.
        if ((w as unknown) === 0 && Number.isFinite(S.value(g))) continue;
        const term = S.mul(g, w);
        const p = parents[k];
        adjoint[p] = adjoint[p] === undefined ? term : S.add(adjoint[p] as T, term);
      }
    }
    return adjoint;
  }

  /** Ends an explicit nested tape's scope: every later op or sweep on it is a `StaleVariable`. */
  close(): void {
    this.closed = true;
  }

  /** Whether `a` is a variable of this tape. */
  own(a: unknown): a is RevVar<T> {
    return a instanceof RevVar && a.tape === this;
  }

  private live(op: string): void {
    if (this.closed) {
      throw new AdError("StaleVariable", "the nested tape's scope has ended (tape.nest returned); its variables cannot be recorded on or differentiated any more", {
        op: `NestedTape.${op}`,
      });
    }
  }

  /**
   * The value of f's result in the enclosing domain. A number stays a number (every `Scalar` takes
   * numbers as constants), so a rule's partial that is a constant operand is the number itself.
   */
  primalOf(a: unknown): T {
    if (a instanceof RevVar && a.tape === this) return a.primal as T;
    return a as T;
  }

  private node(primal: T, parents: number[], partials: T[]): RevVar<T> {
    this.parents.push(parents);
    this.partials.push(partials);
    return new RevVar(this, this.parents.length - 1, primal);
  }
}

/**
 * The domains of the differentiating calls now running, innermost last: a tape's scalar for
 * `gradient`, `dualScalar` for `derivative` (`functionals.ts`, `forward.ts`).
 */
const enclosingDomains: Scalar<unknown>[] = [];

/** The innermost enclosing call's domain, or undefined outside every call. */
export function enclosingDomain(): Scalar<unknown> | undefined {
  // Not `a[a.length - 1]`: on the empty stack (every top-level call) that reads the property "-1",
  // a slow lookup up the prototype chain that was half the time of `derivative` on a small f.
  const n = enclosingDomains.length;
  return n === 0 ? undefined : enclosingDomains[n - 1];
}

/** Runs `body` with `S` as the innermost enclosing domain. */
export function within<R>(S: Scalar<unknown>, body: () => R): R {
  enclosingDomains.push(S);
  try {
    return body();
  } finally {
    enclosingDomains.pop();
  }
}

/** `within` as a pair, for a caller that must not allocate a closure per call: `leave()` in a `finally`. */
export function enter(S: Scalar<unknown>): void {
  enclosingDomains.push(S);
}

export function leave(): void {
  enclosingDomains.pop();
}

/**
 * f's value and gradient at xs (numbers or values of `outer`) by reverse mode over `outer`: the
 * results are `outer`'s values.
 */
export function reverseOver(
  op: string,
  outer: Scalar<unknown>,
  f: (xs: RevVar<unknown>[], S: Scalar<RevVar<unknown>>) => unknown,
  xs: readonly unknown[],
): { value: unknown; gradient: unknown[] } {
  const tape = new ReverseOver(outer);
  const vars = xs.map((x) => tape.variable(tape.primalOf(x)));
  const y = result(
    op,
    within(tape.scalar as Scalar<unknown>, () => f(vars, tape.scalar)),
  );
  return { value: outerValue(outer, tape.primalOf(y)), gradient: tape.gradient(y, vars) };
}

/** A result as a value of the enclosing domain (a number made a constant there, with its methods). */
function outerValue(outer: Scalar<unknown>, v: unknown): unknown {
  return typeof v === "number" ? outer.from(v) : v;
}

/** f's values and Jacobian at xs over `outer`: f recorded once, one reverse sweep per output. */
export function reverseOverJacobian(
  op: string,
  outer: Scalar<unknown>,
  f: (xs: RevVar<unknown>[], S: Scalar<RevVar<unknown>>) => unknown,
  xs: readonly unknown[],
): { value: unknown[]; jacobian: unknown[][] } {
  const tape = new ReverseOver(outer);
  const vars = xs.map((x) => tape.variable(tape.primalOf(x)));
  const ys = within(tape.scalar as Scalar<unknown>, () => f(vars, tape.scalar));
  if (!Array.isArray(ys)) throw invalidArgument(op, `f must return an array of values or numbers, got ${describe(ys)}`, { argument: "f", returned: describe(ys) });
  const outs = Array.from(ys as unknown[], (y) => result(op, y));
  return { value: outs.map((y) => outerValue(outer, tape.primalOf(y))), jacobian: outs.map((y) => tape.gradient(y, vars)) };
}

/**
 * f's Hessian at xs over `outer` (row i: the gradient of ∂f/∂xᵢ), or with `v` the product H·v (the
 * gradient of ∇f·v): the gradient recorded on a tape over a tape over `outer` (reverse over reverse),
 * then that tape swept once per row, or once.
 */
export function reverseOverHessian(
  op: string,
  outer: Scalar<unknown>,
  f: (xs: RevVar<unknown>[], S: Scalar<RevVar<unknown>>) => unknown,
  xs: readonly unknown[],
  v?: readonly unknown[],
): unknown[][] {
  const tape = new ReverseOver(outer);
  const S = tape.scalar;
  const vars = xs.map((x) => tape.variable(tape.primalOf(x)));
  const g = within(S as Scalar<unknown>, () => reverseOver(op, S as Scalar<unknown>, f, vars).gradient);
  if (v === undefined) return g.map((gi) => tape.gradient(gi, vars));
  let gv: unknown = 0;
  for (let i = 0; i < g.length; i++) gv = S.add(gv as RevVar<unknown>, S.mul(g[i] as RevVar<unknown>, v[i] as RevVar<unknown>));
  return [tape.gradient(gv, vars)];
}

/** f's result, refused when it is junk: a value of the enclosing domain is an object too (a closed-over outer variable: a constant). */
function result(op: string, y: unknown): unknown {
  if (typeof y !== "number" && (typeof y !== "object" || y === null)) {
    throw invalidArgument(op, `f must return the value it computed from its arguments (or a number), got ${describe(y)}`, { argument: "f", returned: describe(y) });
  }
  return y;
}
