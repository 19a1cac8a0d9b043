/**
 * Clean-up passes, IR → IR, for what the reverse transform writes mechanically: every adjoint is
 * accumulated (`t_adj = t_adj + g`) and reset to 0 after use, every copy gets its own adjoint, and
 * the output's seed is the constant 1. Two passes undo that:
 * - `propagate` (forward): a local known to hold a constant or to equal another local is replaced
 *   by it where it is read, and operations on constants fold. So an adjoint known to be 0 (reset,
 *   or never touched) turns `t_adj = t_adj + g` into `t_adj = g`, and that copy disappears into
 *   its readers; `c = 1 !== 0; if (c)` becomes straight-line code.
 * - `dropDeadStores` (backward liveness): assignments whose value nothing reads before the next
 *   assignment go, which takes the resets `t_adj = 0` the first pass made unnecessary.
 * Both follow the structured control flow exactly: an `if` meets its two branches, a loop iterates
 * to a fixed point over its back edge. Every local starts at 0 (or false): the emitted `let`s.
 */
import { assigned, exprReads, forEachRead, substitute, type Atom, type Expr, type Program, type Stmt } from "./ir.js";
import { fold } from "./rules.js";

/** What is known about locals at a program point: each maps to the atom it equals. */
type Facts = Map<number, Atom>;

const sameAtom = (a: Atom, b: Atom): boolean => a.t === b.t && (a.t === "local" ? a.id === (b as typeof a).id : Object.is(a.v, (b as typeof a).v));

function meet(a: Facts, b: Facts): Facts {
  const out: Facts = new Map();
  for (const [id, v] of a) {
    const w = b.get(id);
    if (w !== undefined && sameAtom(v, w)) out.set(id, v);
  }
  return out;
}

const sameFacts = (a: Facts, b: Facts): boolean => a.size === b.size && [...a].every(([id, v]) => b.has(id) && sameAtom(v, b.get(id)!));

/** A local is reassigned: facts about it, and facts that it is some other local's value, end. */
function kill(facts: Facts, id: number): void {
  facts.delete(id);
  const users = copiesOf.get(facts)?.get(id);
  if (users === undefined) return;
  for (const k of users) {
    const v = facts.get(k);
    if (v !== undefined && v.t === "local" && v.id === id) facts.delete(k);
  }
  users.clear();
}

/**
 * For each facts map, which locals were recorded as copies of each local (a superset: entries are
 * checked when used), so a kill does not scan every fact.
 */
const copiesOf = new WeakMap<Facts, Map<number, Set<number>>>();

function record(facts: Facts, id: number, v: Atom): void {
  facts.set(id, v);
  if (v.t !== "local") return;
  let index = copiesOf.get(facts);
  if (index === undefined) copiesOf.set(facts, (index = new Map()));
  let users = index.get(v.id);
  if (users === undefined) index.set(v.id, (users = new Set()));
  users.add(id);
}

/** A copy of `facts`, with its index. */
function clone(facts: Facts): Facts {
  const out: Facts = new Map(facts);
  const index = copiesOf.get(facts);
  if (index !== undefined) copiesOf.set(out, new Map([...index].map(([k, v]) => [k, new Set(v)])));
  return out;
}

/** Sets `facts` to `from`'s content. */
function assign(facts: Facts, from: Facts): void {
  facts.clear();
  for (const [k, v] of from) record(facts, k, v);
}

/** Every local a statement list assigns (or pops), at any depth. */
const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
};

/** The table's folding, plus the boolean operations on constants and `pow(a, 1) = a`. */
function simplify(e: Expr): Expr {
  const folded = fold(e);
  if (folded !== undefined) return { op: "copy", a: folded };
  switch (e.op) {
    case "compare":
      return e.a.t === "num" && e.b.t === "num" ? { op: "copy", a: { t: "bool", v: COMPARE[e.fn](e.a.v, e.b.v) } } : e;
    case "not":
      return e.a.t === "bool" ? { op: "copy", a: { t: "bool", v: !e.a.v } } : e;
    case "select":
      return e.c.t === "bool" ? { op: "copy", a: e.c.v ? e.a : e.b } : e;
    case "binary":
      return e.fn === "pow" && e.b.t === "num" && e.b.v === 1 ? { op: "copy", a: e.a } : e;
    default:
      return e;
  }
}

/**
 * Constant and copy propagation with folding; `facts` holds at the start and is updated to the end.
 * `exact` off (the fixed-point rounds of an enclosing loop) treats a nested loop as forgetting all
 * it assigns, which is safe and keeps the work linear in the nesting depth.
 */
function propagateBlock(stmts: readonly Stmt[], facts: Facts, exact = true): Stmt[] {
  const at = (a: Atom): Atom => (a.t === "local" ? (facts.get(a.id) ?? a) : a);
  const out: Stmt[] = [];
  for (const st of stmts) {
    switch (st.s) {
      case "assign": {
        const e = simplify(substitute(st.e, at));
        // `v = v` (an accumulation into an adjoint known to be 0, from that adjoint) changes nothing.
        if (e.op === "copy" && e.a.t === "local" && e.a.id === st.dst) break;
        kill(facts, st.dst);
        if (e.op === "copy") record(facts, st.dst, e.a);
        out.push({ ...st, e });
        break;
      }
      case "store":
        out.push({ ...st, index: at(st.index), value: at(st.value) });
        break;
      case "newArray":
        out.push({ ...st, size: at(st.size) });
        break;
      case "call":
        out.push({ ...st, args: st.args.map(at), uses: st.uses?.map(at) });
        [st.dst, ...st.partials].forEach((id) => kill(facts, id));
        break;
      case "push":
        // Kept as it is: the forward transform pushes a tangent for an active local only, and pops
        // one for an active destination, so a push must name the local its pop restores.
        out.push(st);
        break;
      case "pop":
        kill(facts, st.dst);
        out.push(st);
        break;
      case "if": {
        const cond = at(st.cond);
        if (cond.t === "bool") {
          out.push(...propagateBlock(cond.v ? st.then : st.else, facts, exact));
          break;
        }
        const other = clone(facts);
        const then = propagateBlock(st.then, facts, exact);
        const otherwise = propagateBlock(st.else, other, exact);
        assign(facts, meet(facts, other));
        out.push({ s: "if", cond, then, else: otherwise });
        break;
      }
      case "loop": {
        if (!exact) {
          for (const id of assigned([st])) kill(facts, id);
          out.push(st);
          break;
        }
        // Facts at the loop's head: those that hold on entry and still hold at the end of the body.
        let head = clone(facts);
        for (;;) {
          const f = clone(head);
          propagateBlock(st.pre, f, false);
          propagateBlock(st.post, f, false);
          const next = meet(head, f);
          if (sameFacts(next, head)) break;
          head = new Map();
          assign(head, next);
        }
        const f = clone(head);
        const pre = propagateBlock(st.pre, f);
        const cond = f.get(st.cond.t === "local" ? st.cond.id : -1) ?? st.cond;
        const exit = clone(f);
        const post = propagateBlock(st.post, f);
        out.push({ s: "loop", pre, cond, post });
        // The loop leaves right after `pre`.
        assign(facts, exit);
        break;
      }
      default:
        st satisfies never;
    }
  }
  return out;
}

/** Removes assignments whose value is dead; `live` holds after the block and is updated to before it. */
function deadBlock(stmts: readonly Stmt[], live: Set<number>): Stmt[] {
  const out: Stmt[] = [];
  const reads = (st: Stmt) => forEachRead([st], (id) => live.add(id));
  for (let i = stmts.length - 1; i >= 0; i--) {
    const st = stmts[i];
    switch (st.s) {
      case "assign":
        if (!live.has(st.dst)) continue;
        live.delete(st.dst);
        exprReads(
          st.e,
          (a) => {
            if (a.t === "local") live.add(a.id);
          },
          (arr) => live.add(arr),
        );
        out.push(st);
        break;
      case "pop":
        live.delete(st.dst);
        out.push(st);
        break;
      case "call":
        [st.dst, ...st.partials].forEach((id) => live.delete(id));
        reads(st);
        out.push(st);
        break;
      case "store":
      case "newArray":
      case "push":
        reads(st);
        out.push(st);
        break;
      case "if": {
        const other = new Set(live);
        const then = deadBlock(st.then, live);
        const otherwise = deadBlock(st.else, other);
        for (const id of other) live.add(id);
        if (st.cond.t === "local") live.add(st.cond.id);
        out.push({ ...st, then, else: otherwise });
        break;
      }
      case "loop": {
        // Live at the head: live after `pre` (the exit, the condition, or `post` and round again).
        const after = new Set(live);
        let head = new Set<number>();
        const atHead = (h: Set<number>, rewrite: boolean) => {
          const l = new Set(h);
          const post = deadBlock(st.post, l);
          for (const id of after) l.add(id);
          if (st.cond.t === "local") l.add(st.cond.id);
          const pre = deadBlock(st.pre, l);
          return { l, pre: rewrite ? pre : [], post };
        };
        for (;;) {
          const { l } = atHead(head, false);
          for (const id of head) l.add(id);
          if (l.size === head.size) break;
          head = l;
        }
        const { pre, post } = atHead(head, true);
        live.clear();
        for (const id of head) live.add(id);
        out.push({ ...st, pre, post });
        break;
      }
      default:
        st satisfies never;
    }
  }
  return out.reverse();
}

/** Both passes over a whole program, `initial` being what holds on entry. */
export function optimize(p: Program, initial: Facts = zeroFacts(p)): Program {
  const facts: Facts = new Map();
  assign(facts, initial);
  let body = propagateBlock(p.body, facts);
  const live = new Set<number>();
  for (const a of [...p.outputs, ...(p.gradientResult ?? [])]) if (a.t === "local") live.add(a.id);
  body = deadBlock(body, live);
  return { ...p, body };
}

/** Every local that is not a parameter starts at 0 or false. */
export function zeroFacts(p: Program): Facts {
  const facts: Facts = new Map();
  const params = new Set(p.params);
  for (const l of p.locals) {
    if (params.has(l.id)) continue;
    if (l.kind === "num") facts.set(l.id, { t: "num", v: 0 });
    else if (l.kind === "bool") facts.set(l.id, { t: "bool", v: false });
  }
  return facts;
}
