/**
 * Reduction loops, run forward and reversed in one pass. A loop whose iterations depend on each
 * other only through sums (`s += term(i)`) and through values with no derivative (counters) has a
 * reverse sweep whose iterations are independent: each hands the same adjoint A, the sum's adjoint
 * at the loop's exit, to its own terms. When A is a constant the code after the loop fixes (the
 * sum returned, halved, added to another…), each iteration's reverse can run at the end of its
 * forward step, while its values are still in locals: no stack, no second loop over the data,
 * what a hand-written gradient of Σᵢ f(xᵢ) does. This module decides whether a top-level loop is
 * such a loop and rewrites it into the shape reverse.ts fuses; anything else keeps the two sweeps.
 *
 * The conditions, each for a reason:
 * - no nested loop, array creation, or store into an active array in the body, and no active array
 *   the body reads is written anywhere: an iteration's array adjoints are then increments that
 *   commute with every other adjoint update in the program;
 * - the part before the exit test (`pre`) computes nothing active, so the exit iteration has no
 *   derivative;
 * - every local the body assigns and a later iteration or the code after the loop reads (carried)
 *   is either inactive, or a sum: a chain of `+ term`/`− term` from its start value whose links
 *   nothing else reads. A carried local assigned in `post` is assigned there once at the top level
 *   and renamed (`v′ = …`, reads after it use v′, `v = v′` last), so the iteration's reverse sees
 *   the values the iteration started with;
 * - outer active locals the body reads are assigned once (their adjoints only grow from then on);
 * - each sum's adjoint at the exit is a constant: found by walking the straight-line code after the
 *   loop back from the returned value through copies, sums and products with constants. Or there
 *   is one sum, with an adjoint A known only when the reverse sweep gets there (`Math.log(s)`,
 *   `s / x.length`, `Math.sqrt(s)`), and the arrays the body reads are read with a derivative
 *   nowhere else: the iterations then run with A = 1 and their results are scaled by A there
 *   (number adjoints collected apart, array adjoints multiplied in place).
 */
import { assigned, assignedBy, everyStmt, exprReads, forEachRead, ref, substitute, type Atom, type Locals, type Stmt } from "./ir.js";

type Loop = Extract<Stmt, { s: "loop" }>;

export interface Fused {
  readonly pre: Stmt[];
  /** `post` with the carried locals renamed and without the final copies. */
  readonly post: Stmt[];
  /** `v = v′` for each renamed carried local, to run after the iteration's reverse. */
  readonly finals: Stmt[];
  /** The sums' start-value locals: inactive inside an iteration's reverse. */
  readonly sums: ReadonlySet<number>;
  /** Each sum's end-of-iteration local and its adjoint, seeded before the iteration's reverse. */
  readonly seeds: readonly { readonly id: number; readonly adjoint: number }[];
  /**
   * Set when the one sum's exit adjoint A is known only at run time: the iteration's reverse is
   * seeded with 1 and what it gives is multiplied by A where the reverse sweep passes the loop (the
   * arrays' adjoints in place: nothing else in the program reads those arrays with a derivative).
   */
  readonly scaled?: { readonly sum: number; readonly arrays: readonly number[] };
  /** Locals the body assigns that are also assigned outside it: their values before the loop are put back where the reverse sweep passes it. */
  readonly restore: readonly number[];
}

export interface FuseContext {
  readonly active: ReadonlySet<number>;
  /** How many places assign each local in the whole program (a loop's counting twice). */
  readonly sites: (id: number) => number;
  readonly written: ReadonlySet<number>;
  readonly integers: Set<number>;
  readonly locals: Locals;
  /** Whether the code after the loop reads the local (asked instead of scanning that code per loop). */
  readonly readAfter: (id: number) => boolean;
}

/** The fused shape of `loop`, or undefined when it does not qualify. */
export function fusable(loop: Loop, before: readonly Stmt[], after: readonly Stmt[], output: Atom, cx: FuseContext): Fused | undefined {
  const { active } = cx;
  const body = [...loop.pre, ...loop.post];
  if (!simpleBody(body, cx)) return undefined;
  if ([...assigned(loop.pre)].some((id) => active.has(id))) return undefined;
  const inBody = assigned(body);
  if (![...inBody].some((id) => active.has(id))) return undefined;

  // Outer active locals read in the body: assigned at one place (so never restored by the stack).
  let outerOk = true;
  forEachRead(body, (id) => {
    if (!inBody.has(id) && active.has(id) && cx.locals.get(id).kind !== "arr" && cx.sites(id) > 1) outerOk = false;
  });
  if (!outerOk) return undefined;

  const carried = carriedLocals(loop, cx.readAfter, output, inBody);
  const postSites = countSites(loop.post);
  const preAssigned = assigned(loop.pre);
  const renames = new Map<number, number>();
  for (const v of carried) {
    if (preAssigned.has(v)) {
      // Assigned only before the exit test, inactive: its value stays current through the iteration.
      if (active.has(v) || (postSites.get(v) ?? 0) > 0) return undefined;
      continue;
    }
    if (postSites.get(v) !== 1 || !loop.post.some((st) => st.s === "assign" && st.dst === v)) return undefined;
    renames.set(v, -1);
  }

  // Rename each carried local's assignment in post; reads after it follow.
  const post: Stmt[] = [];
  const finals: Stmt[] = [];
  const current = new Map<number, number>();
  const at = (a: Atom): Atom => (a.t === "local" && current.has(a.id) ? ref(current.get(a.id)!) : a);
  for (const st of loop.post) {
    const renamed = renameReads(st, at, current);
    if (renamed.s === "assign" && renames.has(renamed.dst)) {
      const v = renamed.dst;
      const next = cx.locals.add(`${cx.locals.get(v).name}_next`, cx.locals.get(v).kind);
      if (cx.integers.has(v)) cx.integers.add(next);
      renames.set(v, next);
      current.set(v, next);
      post.push({ ...renamed, dst: next });
      finals.push({ s: "assign", dst: v, e: { op: "copy", a: ref(next) } });
    } else post.push(renamed);
  }

  // Active carried locals must be sums of the iteration's terms.
  const sums = new Set<number>();
  const ends: number[] = [];
  for (const v of carried) {
    if (!active.has(v)) continue;
    const end = sumChain(v, loop.pre, post, renames.get(v)!);
    if (end === undefined) return undefined;
    sums.add(v);
    ends.push(end);
  }
  if (sums.size === 0) return undefined;

  const adjoints = exitAdjoints(after, output);
  const seeds: { id: number; adjoint: number }[] = [];
  let k = 0;
  let scaled: Fused["scaled"];
  for (const v of sums) {
    const a = adjoints.get(v) ?? 0;
    if (a === "unknown" || !Number.isFinite(a)) {
      const arrays = activeLoads(body, cx.active);
      const elsewhere = activeLoads([...before, ...after], cx.active);
      if (sums.size > 1 || arrays.some((arr) => elsewhere.includes(arr))) return undefined;
      scaled = { sum: v, arrays };
      seeds.push({ id: ends[k++], adjoint: 1 });
    } else seeds.push({ id: ends[k++], adjoint: a });
  }
  // The program counts a loop's sites twice: more than that means the local is assigned outside too.
  const preSites = countSites(loop.pre);
  const restore = [...inBody].filter((id) => cx.sites(id) > 2 * ((postSites.get(id) ?? 0) + (preSites.get(id) ?? 0)));
  return { pre: loop.pre, post, finals, sums, seeds, restore, scaled };
}

/** Only assignments, stores into inactive arrays, calls and ifs of those; active loads from arrays nothing writes. */
function simpleBody(stmts: readonly Stmt[], cx: FuseContext): boolean {
  for (const st of stmts) {
    switch (st.s) {
      case "assign":
        if (st.e.op === "load" && cx.active.has(st.e.arr) && cx.written.has(st.e.arr)) return false;
        break;
      case "store":
        if (cx.active.has(st.arr)) return false;
        break;
      case "call":
        break;
      case "if":
        if (!simpleBody(st.then, cx) || !simpleBody(st.else, cx)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Active arrays loaded in `stmts` (at any depth). */
function activeLoads(stmts: readonly Stmt[], active: ReadonlySet<number>): number[] {
  const out = new Set<number>();
  everyStmt(stmts, (st) => {
    if (st.s === "assign" && st.e.op === "load" && active.has(st.e.arr)) out.add(st.e.arr);
  });
  return [...out];
}

/** Assignment sites per local in `stmts` (at any depth; the body has no loops). */
function countSites(stmts: readonly Stmt[]): Map<number, number> {
  const out = new Map<number, number>();
  everyStmt(stmts, (st) => assignedBy(st).forEach((id) => out.set(id, (out.get(id) ?? 0) + 1)));
  return out;
}

/**
 * Locals the body assigns that are read after the loop, or read in an iteration before that
 * iteration has surely assigned them (so the value comes from the previous one).
 */
function carriedLocals(loop: Loop, readAfter: (id: number) => boolean, output: Atom, inBody: Set<number>): Set<number> {
  const carried = new Set<number>();
  for (const id of inBody) if (readAfter(id)) carried.add(id);
  if (output.t === "local" && inBody.has(output.id)) carried.add(output.id);
  /** Walks a block: reads before sure assignments are carried; returns what it surely assigns. */
  const walk = (stmts: readonly Stmt[], known: Set<number>): Set<number> => {
    const mine = new Set(known);
    for (const st of stmts) {
      forEachRead([st.s === "if" ? { ...st, then: [], else: [] } : st], (id) => {
        if (inBody.has(id) && !mine.has(id)) carried.add(id);
      });
      if (st.s === "assign") mine.add(st.dst);
      else if (st.s === "call") [st.dst, ...st.partials].forEach((id) => mine.add(id));
      else if (st.s === "if") {
        const a = walk(st.then, mine);
        const b = walk(st.else, mine);
        for (const id of a) if (b.has(id)) mine.add(id);
      }
    }
    return mine;
  };
  const afterPre = walk(loop.pre, new Set());
  if (loop.cond.t === "local" && inBody.has(loop.cond.id) && !afterPre.has(loop.cond.id)) carried.add(loop.cond.id);
  walk(loop.post, afterPre);
  return carried;
}

/** `st` with reads renamed by `at` (an if's branches too, with their own later renames kept local). */
function renameReads(st: Stmt, at: (a: Atom) => Atom, current: Map<number, number>): Stmt {
  switch (st.s) {
    case "assign":
      return { ...st, e: substitute(st.e, at) };
    case "store":
      return { ...st, index: at(st.index), value: at(st.value) };
    case "call":
      return { ...st, args: st.args.map(at) };
    case "if": {
      const inner = (stmts: Stmt[]) => stmts.map((s) => renameReads(s, at, current));
      return { ...st, cond: at(st.cond), then: inner(st.then), else: inner(st.else) };
    }
    default:
      return st;
  }
}

/**
 * Follows v's start value through `post`: each link `u = w ± term` or `u = w` (w the previous
 * link, term free of the chain), read by nothing else, must end in `end` (v′). Returns `end`, or
 * undefined when v is not such a sum.
 */
function sumChain(v: number, pre: readonly Stmt[], post: readonly Stmt[], end: number): number | undefined {
  let readsOfV = 0;
  forEachRead(pre, (id) => {
    if (id === v) readsOfV++;
  });
  if (readsOfV > 0) return undefined;
  const chain = new Set([v]);
  let last = v;
  const uses = new Map<number, number>();
  forEachRead(post, (id) => uses.set(id, (uses.get(id) ?? 0) + 1));
  for (const st of post) {
    let touches = false;
    forEachRead([st], (id) => (touches ||= chain.has(id)));
    if (!touches) continue;
    if (st.s !== "assign") return undefined;
    const e = st.e;
    const isLink = (a: Atom) => a.t === "local" && a.id === last;
    const free = (a: Atom) => !(a.t === "local" && chain.has(a.id));
    const ok =
      (e.op === "copy" && isLink(e.a)) ||
      (e.op === "binary" && e.fn === "add" && ((isLink(e.a) && free(e.b)) || (isLink(e.b) && free(e.a)))) ||
      (e.op === "binary" && e.fn === "sub" && isLink(e.a) && free(e.b));
    if (!ok || (uses.get(last) ?? 0) !== 1) return undefined;
    chain.add(st.dst);
    last = st.dst;
  }
  return last === end ? end : undefined;
}

/**
 * The adjoint each local has where the code after the loop starts, when it is a constant: the
 * returned value's is 1, and it flows back through copies, sums, negation and products or
 * quotients with number literals. Anything else makes what it reads "unknown".
 */
function exitAdjoints(after: readonly Stmt[], output: Atom): Map<number, number | "unknown"> {
  const adj = new Map<number, number | "unknown">();
  const add = (a: Atom, g: number | "unknown") => {
    if (a.t !== "local") return;
    const old = adj.get(a.id) ?? 0;
    adj.set(a.id, old === "unknown" || g === "unknown" ? "unknown" : old + g);
  };
  if (output.t === "local") adj.set(output.id, 1);
  for (let k = after.length - 1; k >= 0; k--) {
    const st = after[k];
    if (st.s !== "assign") {
      forEachRead([st], (id) => adj.set(id, "unknown"));
      continue;
    }
    const g = adj.get(st.dst) ?? 0;
    if (g === 0) continue;
    const e = st.e;
    const unknown = () =>
      exprReads(
        e,
        (a) => add(a, "unknown"),
        (id) => adj.set(id, "unknown"),
      );
    if (g === "unknown") {
      unknown();
      continue;
    }
    if (e.op === "copy") add(e.a, g);
    else if (e.op === "unary" && e.fn === "neg") add(e.a, -g);
    else if (e.op === "binary" && e.fn === "add") {
      add(e.a, g);
      add(e.b, g);
    } else if (e.op === "binary" && e.fn === "sub") {
      add(e.a, g);
      add(e.b, -g);
    } else if (e.op === "binary" && e.fn === "mul" && e.b.t === "num") add(e.a, g * e.b.v);
    else if (e.op === "binary" && e.fn === "mul" && e.a.t === "num") add(e.b, g * e.a.v);
    else if (e.op === "binary" && e.fn === "div" && e.b.t === "num") add(e.a, g / e.b.v);
    else unknown();
  }
  return adj;
}
