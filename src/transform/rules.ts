/**
 * Local derivatives as IR. Most come straight from the shared table in `scalar/elementary.ts`: its
 * `df`/`da`/`db` are written over `Scalar<T>`, so running them on a *staging* Scalar, whose
 * operations append IR statements instead of computing, yields the derivative code with the same
 * formula the Dual type and the tape use. The few table rules that branch on a primal value
 * (`S.value`: pow, atan2, min, max, hypot) cannot be staged; they are restated here with
 * `select`, and test/transform/rules.test.ts compares each against the table on many points.
 */
import { AdError } from "../errors.js";
import { binaryRules, unaryRules, type BinaryRule, type UnaryRule } from "../scalar/elementary.js";
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type Scalar, type UnaryOp } from "../scalar/scalar.js";
import { num, ref, type Atom, type CompareOp, type Expr, type LocalKind, type Locals, type Stmt } from "./ir.js";

/** Appends single-operation statements to `out`, folding constants where that changes no result. */
export class Builder {
  /** Locals this builder made for one expression's intermediate result (safe to retarget). */
  readonly temps = new Set<number>();
  constructor(
    readonly locals: Locals,
    public out: Stmt[],
  ) {}

  temp(base = "t", kind: LocalKind = "num"): number {
    return this.locals.add(base, kind);
  }

  /** A fresh local holding `e`, or the folded atom. */
  emit(e: Expr, base = "t"): Atom {
    const folded = fold(e);
    if (folded !== undefined) return folded;
    const kind: LocalKind = e.op === "compare" || e.op === "not" || e.op === "logic" ? "bool" : "num";
    const dst = this.temp(base, kind);
    this.temps.add(dst);
    this.out.push({ s: "assign", dst, e });
    return ref(dst);
  }

  unary(fn: UnaryOp, a: Atom): Atom {
    return this.emit({ op: "unary", fn, a });
  }
  binary(fn: BinaryOp | "mod", a: Atom, b: Atom): Atom {
    return this.emit({ op: "binary", fn, a, b });
  }
  compare(fn: CompareOp, a: Atom, b: Atom): Atom {
    return this.emit({ op: "compare", fn, a, b }, "c");
  }
  select(c: Atom, a: Atom, b: Atom): Atom {
    if (c.t === "bool") return c.v ? a : b;
    return this.emit({ op: "select", c, a, b });
  }
}

const isNum = (a: Atom, v?: number): a is { t: "num"; v: number } => a.t === "num" && (v === undefined || Object.is(a.v, v));

/** `e` as an atom when it is one whatever its operands hold (constants, x·1, x + 0). */
export function fold(e: Expr): Atom | undefined {
  switch (e.op) {
    case "unary":
      return isNum(e.a) ? num(unaryRules[e.fn].primal(e.a.v)) : undefined;
    case "binary": {
      const { a, b } = e;
      if (isNum(a) && isNum(b)) return num(e.fn === "mod" ? a.v % b.v : binaryRules[e.fn].primal(a.v, b.v));
      // Only identities that hold for every number, ±∞ and NaN included (x·0 is not 0 at ∞).
      if (e.fn === "add" && isNum(b, 0)) return a;
      if (e.fn === "add" && isNum(a, 0)) return b;
      if (e.fn === "sub" && isNum(b, 0)) return a;
      if (e.fn === "mul" && isNum(b, 1)) return a;
      if (e.fn === "mul" && isNum(a, 1)) return b;
      if (e.fn === "div" && isNum(b, 1)) return a;
      return undefined;
    }
    default:
      return undefined;
  }
}

const lift = (a: Atom | number): Atom => (typeof a === "number" ? num(a) : a);

const stagings = new WeakMap<Builder, Scalar<Atom>>();

/** A Scalar whose operations append IR to a Builder: the table's rules, run on it, become code (made once per Builder). */
function staging(b: Builder): Scalar<Atom> {
  const made = stagings.get(b);
  if (made !== undefined) return made;
  const S: Record<string, unknown> = {
    name: "staging",
    from: (n: number) => num(n),
    value: () => {
      // A table rule that branches on a primal value cannot be staged; it needs a case in this file.
      throw new AdError("MissingDerivative", "a derivative rule branches on a value and has no staged form", { op: "differentiate" });
    },
  };
  for (const fn of UNARY_OPS) S[fn] = (a: Atom | number) => b.unary(fn, lift(a));
  for (const fn of BINARY_OPS) S[fn] = (a: Atom | number, c: Atom | number) => b.binary(fn, lift(a), lift(c));
  stagings.set(b, S as unknown as Scalar<Atom>);
  return S as unknown as Scalar<Atom>;
}

/** dy/dx for y = fn(x), as an atom computed by statements appended to `b`. */
export function unaryPartial(b: Builder, fn: UnaryOp, x: Atom, y: Atom): Atom {
  const rule: UnaryRule = unaryRules[fn];
  return rule.df(staging(b), x, y);
}

/** [∂y/∂a, ∂y/∂b] for y = fn(a, b). */
export function binaryPartials(bl: Builder, fn: BinaryOp | "mod", a: Atom, b: Atom, y: Atom): [Atom, Atom] {
  const eq = (u: Atom, v: Atom) => bl.compare("eq", u, v);
  const zero = num(0);
  switch (fn) {
    case "add":
    case "sub":
    case "mul":
    case "div": {
      const S = staging(bl);
      const rule: BinaryRule = binaryRules[fn];
      return [rule.da(S, a, b, y), rule.db(S, a, b, y)];
    }
    // a % b = a − b·trunc(a/b): d = da − trunc(a/b) db (not in the table: no Dual op has it)
    case "mod":
      return [num(1), bl.unary("neg", bl.emit({ op: "step", fn: "trunc", a: bl.binary("div", a, b) }))];
    case "pow": {
      // The table's edge conventions (elementary.ts header): ∂/∂a keeps b in the b = 0 case as b·y/a.
      const general = bl.binary("mul", b, bl.binary("pow", a, bl.binary("sub", b, num(1))));
      const atZeroB = bl.select(eq(a, zero), zero, bl.binary("div", bl.binary("mul", b, y), a));
      const da = bl.select(bl.compare("ne", b, zero), general, atZeroB);
      const db = bl.select(eq(a, zero), zero, bl.binary("mul", y, bl.unary("log", a)));
      return [da, db];
    }
    case "atan2": {
      const origin = bl.emit({ op: "logic", fn: "and", a: eq(a, zero), b: eq(b, zero) });
      const r2 = bl.binary("add", bl.binary("mul", a, a), bl.binary("mul", b, b));
      return [bl.select(origin, zero, bl.binary("div", b, r2)), bl.select(origin, zero, bl.unary("neg", bl.binary("div", a, r2)))];
    }
    case "min":
    case "max": {
      // ½/½ at a tie, 1 to the winner, NaN if either is NaN (neither comparison holds)
      const tie = eq(a, b);
      const aWins = bl.compare(fn === "max" ? "gt" : "lt", a, b);
      const bWins = bl.compare(fn === "max" ? "gt" : "lt", b, a);
      const half = num(0.5);
      return [bl.select(tie, half, bl.select(aWins, num(1), bl.select(bWins, zero, num(NaN)))), bl.select(tie, half, bl.select(aWins, zero, bl.select(bWins, num(1), num(NaN))))];
    }
    case "hypot": {
      const atZero = eq(y, zero);
      return [bl.select(atZero, zero, bl.binary("div", a, y)), bl.select(atZero, zero, bl.binary("div", b, y))];
    }
    default:
      return fn satisfies never;
  }
}

/** Whether every partial of the op is a constant (add, sub, neg, loads): such ops need no zero guard. */
export function isLinear(e: Expr): boolean {
  if (e.op === "copy" || e.op === "load" || e.op === "select") return true;
  if (e.op === "unary") return e.fn === "neg";
  if (e.op === "binary") return e.fn === "add" || e.fn === "sub";
  return false;
}
