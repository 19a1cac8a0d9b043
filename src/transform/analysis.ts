/**
 * Two analyses both transforms need. Activity: which locals and arrays can carry a derivative (they
 * depend, through differentiable operations, on a seeded parameter); the rest (loop counters,
 * indices, lengths, comparisons, floor/round results) get no adjoint and no tangent. Pruning:
 * removes assignments nothing reads, so a transform may emit every partial and let the unused ones
 * go (the ∂/∂b of pow when b is a constant, tangents of values no output depends on).
 */
import { exprReads, forEachRead, type Atom, type Expr, type Program, type Stmt } from "./ir.js";

/** Whether `e` passes a derivative from its operands to its result. */
function differentiable(e: Expr): boolean {
  switch (e.op) {
    case "copy":
    case "binary":
    case "select":
    case "load":
      return true;
    case "unary":
      return e.fn !== "sign";
    case "step":
    case "compare":
    case "not":
    case "logic":
    case "length":
      return false;
    default:
      return e satisfies never;
  }
}

export function activity(body: readonly Stmt[], seeds: Iterable<number>): Set<number> {
  const active = new Set(seeds);
  const isActive = (a: Atom) => a.t === "local" && active.has(a.id);
  let changed = true;
  const mark = (id: number) => {
    if (!active.has(id)) {
      active.add(id);
      changed = true;
    }
  };
  const visit = (stmts: readonly Stmt[]) => {
    for (const st of stmts) {
      switch (st.s) {
        case "assign": {
          if (!differentiable(st.e)) break;
          let any = false;
          exprReads(
            st.e,
            (a) => (any ||= isActive(a)),
            (arr) => (any ||= active.has(arr)),
          );
          // A select's condition carries no derivative: only its two sides count.
          if (st.e.op === "select") any = isActive(st.e.a) || isActive(st.e.b);
          if (st.e.op === "load") any = active.has(st.e.arr);
          if (any) mark(st.dst);
          break;
        }
        case "store":
          if (isActive(st.value)) mark(st.arr);
          break;
        case "call":
          if (st.args.some(isActive)) mark(st.dst);
          break;
        case "if":
          visit(st.then);
          visit(st.else);
          break;
        case "loop":
          visit(st.pre);
          visit(st.post);
          break;
        case "newArray":
        case "push":
        case "pop":
          break;
        default:
          st satisfies never;
      }
    }
  };
  while (changed) {
    changed = false;
    visit(body);
  }
  return active;
}

/** Drops assignments to locals that nothing reads (repeatedly), and ifs left empty. */
export function prune(p: Program): Program {
  let body = p.body;
  for (;;) {
    const read = new Set<number>(p.params);
    for (const a of p.outputs) if (a.t === "local") read.add(a.id);
    forEachRead(body, (id) => read.add(id));
    let removed = false;
    const keep = (stmts: readonly Stmt[]): Stmt[] => {
      const out: Stmt[] = [];
      for (const st of stmts) {
        if (st.s === "assign" && !read.has(st.dst)) {
          removed = true;
          continue;
        }
        if (st.s === "newArray" && !read.has(st.dst)) {
          removed = true;
          continue;
        }
        if (st.s === "if") {
          const then = keep(st.then);
          const otherwise = keep(st.else);
          if (then.length === 0 && otherwise.length === 0) {
            removed = true;
            continue;
          }
          out.push({ ...st, then, else: otherwise });
        } else if (st.s === "loop") out.push({ ...st, pre: keep(st.pre), post: keep(st.post) });
        else out.push(st);
      }
      return out;
    };
    body = keep(body);
    if (!removed) return { ...p, body };
  }
}
