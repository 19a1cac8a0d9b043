/**
 * The transform's intermediate representation: a flat list of locals and structured statements
 * whose expressions are single operations on atoms (a local or a literal). Every control transfer
 * (return, break, continue) has been turned into flags by the lowering, so a program is only
 * straight-line code, `if`, and one loop shape; that is what makes the reverse sweep a mechanical
 * mirror of the forward one. The reverse and forward transforms both map IR to IR, so they compose:
 * the Hessian is the forward transform of the reverse program.
 */
import type { BinaryOp, UnaryOp } from "../scalar/scalar.js";
import type { Site } from "./refusal.js";

export type LocalKind = "num" | "bool" | "arr";

export interface Local {
  readonly id: number;
  /** A readable, unique JS identifier for the emitted code. */
  readonly name: string;
  readonly kind: LocalKind;
}

export type Atom = { readonly t: "local"; readonly id: number } | { readonly t: "num"; readonly v: number } | { readonly t: "bool"; readonly v: boolean };

/** Functions of one number with no derivative anywhere it is defined (piecewise constant). */
export type StepOp = "floor" | "ceil" | "round" | "trunc";
export type CompareOp = "lt" | "le" | "gt" | "ge" | "eq" | "ne";

export type Expr =
  | { readonly op: "copy"; readonly a: Atom }
  | { readonly op: "unary"; readonly fn: UnaryOp; readonly a: Atom }
  | { readonly op: "binary"; readonly fn: BinaryOp | "mod"; readonly a: Atom; readonly b: Atom }
  | { readonly op: "step"; readonly fn: StepOp; readonly a: Atom }
  | { readonly op: "compare"; readonly fn: CompareOp; readonly a: Atom; readonly b: Atom }
  | { readonly op: "not"; readonly a: Atom }
  | { readonly op: "logic"; readonly fn: "and" | "or"; readonly a: Atom; readonly b: Atom }
  /** `c ? a : b` with both sides already computed (only the transforms make these: pure math). */
  | { readonly op: "select"; readonly c: Atom; readonly a: Atom; readonly b: Atom }
  | { readonly op: "load"; readonly arr: number; readonly index: Atom }
  | { readonly op: "length"; readonly arr: number };

export type Stmt =
  | { readonly s: "assign"; readonly dst: number; readonly e: Expr }
  /**
   * `arr[index] = value`. With `at` (a store the user wrote), the emitted code first checks that
   * `index` is an integer within the length and refuses otherwise: JS would grow an Array there,
   * a Float64Array and its adjoint would drop the write, and neither has a derivative here.
   */
  | { readonly s: "store"; readonly arr: number; readonly index: Atom; readonly value: Atom; readonly at?: Site }
  /**
   * A fresh zero-filled Float64Array of `size` elements. With `check` (a length the user computed),
   * the emitted code first refuses a length JS's constructor `by` would throw a RangeError for
   * (`new Array(2.5)`, `new Float64Array(-1)`), rather than let the RangeError out or, for `Array`,
   * make an array JS would not.
   */
  | { readonly s: "newArray"; readonly dst: number; readonly size: Atom; readonly check?: { readonly at: Site; readonly by: "Array" | "Float64Array" } }
  | { readonly s: "if"; readonly cond: Atom; readonly then: Stmt[]; readonly else: Stmt[] }
  /** `for (;;) { pre; if (!cond) break; post }`: while, for and do-while all have this shape. */
  | { readonly s: "loop"; readonly pre: Stmt[]; readonly cond: Atom; readonly post: Stmt[] }
  /**
   * dst = externals[fn](...args); partials[i] = ∂/∂args[i], from a `defineDerivative` rule. With
   * `uses`, the partials were computed by the program itself (the rule's source inlined, so a second
   * transform can differentiate them): the call assigns only dst and reads them, `partials` is empty.
   */
  | { readonly s: "call"; readonly dst: number; readonly fn: number; readonly args: Atom[]; readonly partials: number[]; readonly uses?: readonly Atom[] }
  | { readonly s: "push"; readonly a: Atom }
  | { readonly s: "pop"; readonly dst: number };

export interface Program {
  /** The function's name, for the emitted code's header. */
  readonly name: string;
  readonly locals: Local[];
  readonly params: number[];
  /** Array params the body writes to: copied on entry, so a derivative never mutates its arguments. */
  readonly copied: Set<number>;
  readonly body: Stmt[];
  /** What the emitted function returns, as one array. */
  readonly outputs: Atom[];
  /**
   * Set by the reverse transform: return `{ value: outputs[0], gradient: [...] }` instead, one entry
   * per param of the original function (its adjoint, or its adjoint array).
   */
  readonly gradientResult?: readonly Atom[];
  /** Functions the body calls through `call` statements (a value and its rule). */
  readonly externals: readonly External[];
  /** Arrays from `options.constants`: read-only, no derivative, bound before the body runs. */
  readonly constArrays: readonly { readonly id: number; readonly value: Float64Array }[];
}

export interface External {
  /** The emitted names of the function and of its rule. */
  readonly name: string;
  readonly ruleName: string;
  readonly fn: (...args: number[]) => number;
  readonly rule: (...args: number[]) => number | ArrayLike<number>;
}

export const num = (v: number): Atom => ({ t: "num", v });
export const bool = (v: boolean): Atom => ({ t: "bool", v });
export const ref = (id: number): Atom => ({ t: "local", id });

/** A growing list of locals with unique names; transforms extend a copy of the program's. */
export class Locals {
  readonly list: Local[];
  private readonly used: Set<string>;
  /** Per base name, the suffix to try next: names are only added, so the ones below it are taken. */
  private readonly nextSuffix = new Map<string, number>();

  constructor(existing: readonly Local[] = [], reserved: readonly string[] = []) {
    this.list = existing.slice();
    this.used = new Set([...reserved, ...existing.map((l) => l.name)]);
  }

  add(base: string, kind: LocalKind): number {
    let clean = base.replace(/[^\w$]/g, "_");
    if (/^\d/.test(clean) || RESERVED.has(clean)) clean = `_${clean}`;
    let name = clean;
    if (this.used.has(name)) {
      let k = this.nextSuffix.get(clean) ?? 1;
      while (this.used.has(`${clean}_${k}`)) k++;
      name = `${clean}_${k}`;
      this.nextSuffix.set(clean, k + 1);
    }
    this.used.add(name);
    const id = this.list.length;
    this.list.push({ id, name, kind });
    return id;
  }

  /** A name no other local has, for something that is not a local (a function, an external). */
  reserve(base: string): string {
    return this.get(this.add(base, "num")).name;
  }

  get(id: number): Local {
    return this.list[id];
  }

  /**
   * A derivative local per local, made on first use and named `<name>_<suffix>` (an array's is an
   * array): the adjoints of the reverse transform, the tangents of the forward one.
   */
  derived(suffix: string): (id: number) => number {
    const made = new Map<number, number>();
    return (id) => {
      let d = made.get(id);
      if (d === undefined) {
        const l = this.get(id);
        made.set(id, (d = this.add(`${l.name}_${suffix}`, l.kind === "arr" ? "arr" : "num")));
      }
      return d;
    };
  }
}

/**
 * JS words a local may not be called, plus every other name the emitted code uses (the factory's
 * parameters in emit.ts and generate.ts, the helpers), so no user name can shadow one.
 */
const RESERVED = new Set(
  "break case catch class const continue debugger default delete do else export extends finally for function if import in instanceof new return super switch this throw try typeof var void while with yield let static enum await implements package protected interface private public null true false undefined NaN Infinity Math Float64Array arguments eval $runtime $externals $arrays stack sp grow spare partials partial outOfRange badLength sigmoid softplus erf".split(
    " ",
  ),
);

/** Every local a statement list reads (operands, indices, conditions, arrays), for liveness checks. */
export function forEachRead(stmts: readonly Stmt[], visit: (id: number) => void): void {
  const atom = (a: Atom) => {
    if (a.t === "local") visit(a.id);
  };
  for (const st of stmts) {
    switch (st.s) {
      case "assign":
        exprReads(st.e, atom, visit);
        break;
      case "store":
        visit(st.arr);
        atom(st.index);
        atom(st.value);
        break;
      case "newArray":
        atom(st.size);
        break;
      case "if":
        atom(st.cond);
        forEachRead(st.then, visit);
        forEachRead(st.else, visit);
        break;
      case "loop":
        forEachRead(st.pre, visit);
        atom(st.cond);
        forEachRead(st.post, visit);
        break;
      case "call":
        st.args.forEach(atom);
        st.uses?.forEach(atom);
        break;
      case "push":
        atom(st.a);
        break;
      case "pop":
        break;
      default:
        st satisfies never;
    }
  }
}

export function exprReads(e: Expr, atom: (a: Atom) => void, array: (id: number) => void): void {
  switch (e.op) {
    case "copy":
    case "unary":
    case "step":
    case "not":
      atom(e.a);
      break;
    case "binary":
    case "compare":
    case "logic":
      atom(e.a);
      atom(e.b);
      break;
    case "select":
      atom(e.c);
      atom(e.a);
      atom(e.b);
      break;
    case "load":
      array(e.arr);
      atom(e.index);
      break;
    case "length":
      array(e.arr);
      break;
    default:
      e satisfies never;
  }
}

/** Calls `visit` on every statement of `stmts`, inside ifs and loops too (a statement before its branches). */
export function everyStmt(stmts: readonly Stmt[], visit: (st: Stmt) => void): void {
  for (const st of stmts) {
    visit(st);
    if (st.s === "if") {
      everyStmt(st.then, visit);
      everyStmt(st.else, visit);
    } else if (st.s === "loop") {
      everyStmt(st.pre, visit);
      everyStmt(st.post, visit);
    }
  }
}

/** The locals one statement assigns (not counting its branches). */
export function assignedBy(st: Stmt): readonly number[] {
  if (st.s === "assign" || st.s === "pop" || st.s === "newArray") return [st.dst];
  if (st.s === "call") return [st.dst, ...st.partials];
  return [];
}

/** Every local a statement list assigns (at any depth). */
export function assigned(stmts: readonly Stmt[], out = new Set<number>()): Set<number> {
  everyStmt(stmts, (st) => assignedBy(st).forEach((id) => out.add(id)));
  return out;
}

/** `e` with each atom operand replaced by `at(atom)` (array ids are kept). */
export function substitute(e: Expr, at: (a: Atom) => Atom): Expr {
  switch (e.op) {
    case "copy":
    case "unary":
    case "step":
    case "not":
      return { ...e, a: at(e.a) };
    case "binary":
    case "compare":
    case "logic":
      return { ...e, a: at(e.a), b: at(e.b) };
    case "select":
      return { ...e, c: at(e.c), a: at(e.a), b: at(e.b) };
    case "load":
      return { ...e, index: at(e.index) };
    case "length":
      return e;
    default:
      return e satisfies never;
  }
}
