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
import { JournaledMap } from "./journal.js";
import { fold } from "./rules.js";

/** What is known about locals at a program point: each maps to the atom it equals. */
class Facts extends JournaledMap<Atom> {
  /**
   * For each local, which locals were recorded as copies of it (a superset: entries are checked
   * when used), so a kill does not scan every fact.
   */
  private readonly copies = new Map<number, Set<number>>();

  constructor(initial: ReadonlyMap<number, Atom>) {
    super();
    for (const [id, v] of initial) this.put(id, v);
  }

  /** A local is reassigned: facts about it, and facts that it is some other local's value, end. */
  kill(id: number): void {
    this.delete(id);
    const users = this.copies.get(id);
    if (users === undefined) return;
    for (const k of users) {
      const v = this.get(k);
      if (v !== undefined && v.t === "local" && v.id === id) this.delete(k);
    }
    users.clear();
  }

  protected override put(id: number, v: Atom): void {
    super.put(id, v);
    if (v.t !== "local") return;
    let users = this.copies.get(v.id);
    if (users === undefined) this.copies.set(v.id, (users = new Set()));
    users.add(id);
  }
}

const sameAtom = (a: Atom, b: Atom): boolean => a.t === b.t && (a.t === "local" ? a.id === (b as typeof a).id : Object.is(a.v, (b as typeof a).v));
const same = (a: Atom | undefined, b: Atom | undefined): boolean => a !== undefined && b !== undefined && sameAtom(a, b);

/**
 * Keeps the facts that hold both where `facts` is now and at the end of the other branch from
 * `mark` (`other`: each local that branch changed, with its value at its end); the locals changed
 * on neither side keep theirs.
 */
function meetWith(facts: Facts, mark: number, other: ReadonlyMap<number, Atom | undefined>): void {
  for (const [id, v] of other) if (!same(v, facts.get(id))) facts.delete(id);
  for (const [id, before] of facts.changesSince(mark)) if (!other.has(id) && !same(before, facts.get(id))) facts.delete(id);
}

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
        facts.kill(st.dst);
        if (e.op === "copy") facts.set(st.dst, e.a);
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
        facts.kill(st.dst);
        for (const id of st.partials) facts.kill(id);
        break;
      case "push":
        // Kept as it is: the forward transform pushes a tangent for an active local only, and pops
        // one for an active destination, so a push must name the local its pop restores.
        out.push(st);
        break;
      case "pop":
        facts.kill(st.dst);
        out.push(st);
        break;
      case "if": {
        const cond = at(st.cond);
        if (cond.t === "bool") {
          for (const taken of propagateBlock(cond.v ? st.then : st.else, facts, exact)) out.push(taken);
          break;
        }
        const mark = facts.mark();
        const then = propagateBlock(st.then, facts, exact);
        const thenEnd = facts.valuesSince(mark);
        facts.undo(mark);
        const otherwise = propagateBlock(st.else, facts, exact);
        meetWith(facts, mark, thenEnd);
        out.push({ s: "if", cond, then, else: otherwise });
        break;
      }
      case "loop": {
        if (!exact) {
          for (const id of assigned([st])) facts.kill(id);
          out.push(st);
          break;
        }
        // Facts at the loop's head: those that hold on entry and still hold at the end of the body.
        // Each round drops what the last one lost; a long chain of copies around the back edge
        // would take a round per link, so after ROUNDS every local the loop assigns is dropped.
        for (let round = 1; ; round++) {
          const head = facts.mark();
          propagateBlock(st.pre, facts, false);
          propagateBlock(st.post, facts, false);
          const lost = [...facts.changesSince(head)].filter(([id, before]) => before !== undefined && !same(before, facts.get(id)));
          facts.undo(head);
          if (lost.length === 0) break;
          if (round === ROUNDS) {
            for (const id of assigned([st])) facts.kill(id);
            break;
          }
          for (const [id] of lost) facts.delete(id);
        }
        const pre = propagateBlock(st.pre, facts);
        const cond = facts.get(st.cond.t === "local" ? st.cond.id : -1) ?? st.cond;
        // The loop leaves right after `pre`.
        const exit = facts.mark();
        const post = propagateBlock(st.post, facts);
        facts.undo(exit);
        out.push({ s: "loop", pre, cond, post });
        break;
      }
      default:
        st satisfies never;
    }
  }
  return out;
}

/**
 * Rounds of a loop's fixed point before settling for a safe approximation (the programs in the
 * tests need at most 3; each round is a pass over the loop).
 */
const ROUNDS = 4;

/** The locals live at a program point. */
type Live = JournaledMap<true>;

/**
 * Removes assignments whose value is dead; `live` holds after the block and is updated to before it.
 * `heads` keeps what each loop's head had live beyond what was live after it, from earlier rounds of
 * an enclosing loop: liveness only grows from round to round, so a nested loop's fixed point starts
 * from there instead of from nothing. Without `rewrite` (those rounds) only `live` is computed, so each nesting level adds one
 * pass over what it holds, not a factor.
 */
function deadBlock(stmts: readonly Stmt[], live: Live, heads: Map<Stmt, Set<number>>, rewrite: boolean): Stmt[] {
  const out: Stmt[] = [];
  const add = (id: number) => live.set(id, true);
  const reads = (st: Stmt) => forEachRead([st], add);
  for (let i = stmts.length - 1; i >= 0; i--) {
    const st = stmts[i];
    switch (st.s) {
      case "assign":
        if (!live.has(st.dst)) continue;
        live.delete(st.dst);
        exprReads(
          st.e,
          (a) => {
            if (a.t === "local") add(a.id);
          },
          add,
        );
        out.push(st);
        break;
      case "pop":
        live.delete(st.dst);
        out.push(st);
        break;
      case "call":
        live.delete(st.dst);
        for (const id of st.partials) live.delete(id);
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
        // Live before the if: live before either branch (each from what is live after it).
        const mark = live.mark();
        const then = deadBlock(st.then, live, heads, rewrite);
        const thenEnd = live.valuesSince(mark);
        live.undo(mark);
        const otherwise = deadBlock(st.else, live, heads, rewrite);
        const elseChanges = live.changesSince(mark);
        for (const [id, now] of thenEnd) if (now !== undefined) add(id);
        for (const [id, before] of elseChanges) if (!thenEnd.has(id) && before !== undefined) add(id);
        if (st.cond.t === "local") add(st.cond.id);
        if (rewrite) out.push({ ...st, then, else: otherwise });
        break;
      }
      case "loop": {
        // Live at the head: live after `pre` (the exit, the condition, or `post` and round again).
        // `live` holds what is live after the loop; the head's set is that plus `extra` (and less
        // what `pre` kills), so a round costs what the loop mentions, not what is live around it.
        const extra = new Set(heads.get(st));
        /** One round from `extra`: leaves `live` at the head, returns the head's locals not live after. */
        const round = (rw: boolean) => {
          const mark = live.mark();
          for (const id of extra) add(id);
          const post = deadBlock(st.post, live, heads, rw);
          for (const [id, before] of live.changesSince(mark)) if (before !== undefined && !live.has(id)) add(id);
          if (st.cond.t === "local") add(st.cond.id);
          const pre = deadBlock(st.pre, live, heads, rw);
          const more = [...live.changesSince(mark)].filter(([id, before]) => before === undefined && live.has(id)).map(([id]) => id);
          return { mark, pre, post, more };
        };
        for (let n = 1; ; n++) {
          const { mark, pre, post, more } = round(rewrite);
          const size = extra.size;
          for (const id of more) extra.add(id);
          if (extra.size === size || n > ROUNDS) {
            // Settled (usually at once, from the head an enclosing loop's last round left): `live`
            // is at the head and the rewrite is done, one pass per nesting level.
            heads.set(st, extra);
            live.compact(mark);
            if (rewrite) out.push({ ...st, pre, post });
            break;
          }
          live.undo(mark);
          // Everything read in the loop: more than the least fixed point, never less.
          if (n === ROUNDS) forEachRead([st], (id) => extra.add(id));
        }
        break;
      }
      default:
        st satisfies never;
    }
  }
  return out.reverse();
}

/** Both passes over a whole program, `initial` being what holds on entry. */
export function optimize(p: Program, initial: ReadonlyMap<number, Atom> = zeroFacts(p)): Program {
  let body = propagateBlock(p.body, new Facts(initial));
  const live: Live = new JournaledMap();
  for (const a of [...p.outputs, ...(p.gradientResult ?? [])]) if (a.t === "local") live.set(a.id, true);
  body = deadBlock(body, live, new Map(), true);
  return { ...p, body };
}

/** Every local that is not a parameter starts at 0 or false. */
export function zeroFacts(p: Program): Map<number, Atom> {
  const facts = new Map<number, Atom>();
  const params = new Set(p.params);
  for (const l of p.locals) {
    if (params.has(l.id)) continue;
    if (l.kind === "num") facts.set(l.id, { t: "num", v: 0 });
    else if (l.kind === "bool") facts.set(l.id, { t: "bool", v: false });
  }
  return facts;
}
