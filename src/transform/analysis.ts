/**
 * Two analyses both transforms need. Activity: which locals and arrays can carry a derivative (they
 * depend, through differentiable operations, on a seeded parameter); the rest (loop counters,
 * indices, lengths, comparisons, floor/round results) get no adjoint and no tangent. Pruning:
 * removes assignments nothing reads, so a transform may emit every partial and let the unused ones
 * go (the ∂/∂b of pow when b is a constant, tangents of values no output depends on).
 */
import { Available } from "./available.js";
import { everyStmt, exprReads, forEachRead, ref, type Atom, type Expr, type Locals, type Program, type Stmt } from "./ir.js";

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

/**
 * The locals and arrays reachable from `seeds` along the program's differentiable data flow: one
 * pass collects the edges (operand → result, stored value → array), a worklist follows them. (A
 * fixed point over the statements would take a round per link of a chain that runs backwards
 * through a loop.)
 */
export function activity(body: readonly Stmt[], seeds: Iterable<number>): Set<number> {
  const edges = new Map<number, number[]>();
  const edge = (from: Atom | number, to: number) => {
    const id = typeof from === "number" ? from : from.t === "local" ? from.id : undefined;
    if (id === undefined) return;
    const list = edges.get(id);
    if (list === undefined) edges.set(id, [to]);
    else list.push(to);
  };
  everyStmt(body, (st) => {
    switch (st.s) {
      case "assign": {
        const e = st.e;
        if (!differentiable(e)) break;
        // A select's condition carries no derivative, nor a load's index: only the values do.
        if (e.op === "select") {
          edge(e.a, st.dst);
          edge(e.b, st.dst);
        } else if (e.op === "load") edge(e.arr, st.dst);
        else
          exprReads(
            e,
            (a) => edge(a, st.dst),
            (arr) => edge(arr, st.dst),
          );
        break;
      }
      case "store":
        edge(st.value, st.arr);
        break;
      case "call":
        for (const a of st.args) edge(a, st.dst);
        break;
      default:
        // ifs and loops: everyStmt visits their statements; the rest carry no derivative.
        break;
    }
  });
  const active = new Set(seeds);
  const work = [...active];
  while (work.length > 0) {
    for (const to of edges.get(work.pop()!) ?? []) {
      if (active.has(to)) continue;
      active.add(to);
      work.push(to);
    }
  }
  return active;
}

/** Drops assignments to locals that nothing reads (repeatedly), and ifs left empty. */
export function prune(p: Program): Program {
  let body = p.body;
  for (;;) {
    const read = new Set<number>(p.params);
    for (const a of [...p.outputs, ...(p.gradientResult ?? [])]) if (a.t === "local") read.add(a.id);
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

/** An active `v = f(v, …)` as `v_new = f(v, …); v = v_new`, so the reverse step can read the old v. */
export function splitSelfAssignments(stmts: readonly Stmt[], active: Set<number>, locals: Locals): Stmt[] {
  const out: Stmt[] = [];
  for (const st of stmts) {
    if (st.s === "assign" && active.has(st.dst)) {
      let self = false;
      exprReads(
        st.e,
        (a) => (self ||= a.t === "local" && a.id === st.dst),
        () => {},
      );
      if (self) {
        const t = locals.add(`${locals.get(st.dst).name}_new`, locals.get(st.dst).kind);
        out.push({ ...st, dst: t }, { s: "assign", dst: st.dst, e: { op: "copy", a: ref(t) } });
        continue;
      }
    }
    if (st.s === "if") out.push({ ...st, then: splitSelfAssignments(st.then, active, locals), else: splitSelfAssignments(st.else, active, locals) });
    else if (st.s === "loop") out.push({ ...st, pre: splitSelfAssignments(st.pre, active, locals), post: splitSelfAssignments(st.post, active, locals) });
    else out.push(st);
  }
  return out;
}

/**
 * Locals that only ever hold integers: every assignment is an integer constant, a `.length`, a copy
 * of one, or a sum or difference of them. (Exact in float64 below 2⁵³, so `i + 1 − 1` is `i`.)
 */
export function integerLocals(body: readonly Stmt[], params: readonly number[]): Set<number> {
  const assigns: Extract<Stmt, { s: "assign" }>[] = [];
  const excluded = new Set<number>(params);
  const collect = (stmts: readonly Stmt[]) => {
    for (const st of stmts) {
      if (st.s === "assign") assigns.push(st);
      else if (st.s === "call") [st.dst, ...st.partials].forEach((id) => excluded.add(id));
      else if (st.s === "pop") excluded.add(st.dst);
      else if (st.s === "if") {
        collect(st.then);
        collect(st.else);
      } else if (st.s === "loop") {
        collect(st.pre);
        collect(st.post);
      }
    }
  };
  collect(body);
  const ints = new Set(assigns.map((a) => a.dst).filter((id) => !excluded.has(id)));
  const isInt = (a: Atom) => (a.t === "num" ? Number.isInteger(a.v) : a.t === "local" && ints.has(a.id));
  const ok = (e: Expr) => e.op === "length" || (e.op === "copy" && isInt(e.a)) || (e.op === "binary" && (e.fn === "add" || e.fn === "sub") && isInt(e.a) && isInt(e.b));
  // A worklist: a local that turns out not to be an integer rechecks the assignments that read it.
  const readers = new Map<number, Extract<Stmt, { s: "assign" }>[]>();
  for (const st of assigns) {
    exprReads(
      st.e,
      (a) => {
        if (a.t !== "local") return;
        const list = readers.get(a.id);
        if (list === undefined) readers.set(a.id, [st]);
        else list.push(st);
      },
      () => {},
    );
  }
  const work = assigns.slice();
  while (work.length > 0) {
    const st = work.pop()!;
    if (!ints.has(st.dst) || ok(st.e)) continue;
    ints.delete(st.dst);
    for (const r of readers.get(st.dst) ?? []) work.push(r);
  }
  return ints;
}

/** Arrays some statement stores into. */
export function writtenArrays(stmts: readonly Stmt[], out = new Set<number>()): Set<number> {
  everyStmt(stmts, (st) => {
    if (st.s === "store") out.add(st.arr);
  });
  return out;
}

/**
 * Common subexpressions within a block: a pure operation on the same operands as an earlier one in
 * the same statement list or an enclosing one, none of them reassigned since (nor, for a load, the
 * array stored to), copies the earlier result. On final programs (the reverse sweep reloads `x[i]`
 * for each use; this makes it one load), and with `onlyLoads` before the reverse transform, where
 * merging arithmetic would hide the `i = i + 1` that restores a counter without the stack.
 */
export function cse(p: Program, onlyLoads = false): Program {
  const block = (stmts: readonly Stmt[], table: Available): Stmt[] => {
    const out: Stmt[] = [];
    for (const st of stmts) {
      switch (st.s) {
        case "assign": {
          const e = st.e;
          const reads: number[] = [];
          exprReads(
            e,
            (a) => {
              if (a.t === "local") reads.push(a.id);
            },
            (arr) => reads.push(arr),
          );
          const key = e.op === "copy" || (onlyLoads && e.op !== "load") ? undefined : exprKey(e);
          const hit = key === undefined ? undefined : table.get(key);
          out.push(hit === undefined ? st : { s: "assign", dst: st.dst, e: { op: "copy", a: ref(hit) } });
          table.invalidate(st.dst);
          if (key !== undefined && hit === undefined && !reads.includes(st.dst)) table.add({ key, dst: st.dst, reads, arr: e.op === "load" ? e.arr : undefined });
          break;
        }
        case "store":
          out.push(st);
          table.storeTo(st.arr);
          break;
        case "newArray":
        case "pop":
          out.push(st);
          table.invalidate(st.dst);
          break;
        case "call":
          out.push(st);
          table.invalidate(st.dst);
          for (const id of st.partials) table.invalidate(id);
          break;
        case "push":
          out.push(st);
          break;
        case "if":
          out.push({ ...st, then: block(st.then, table.copy()), else: block(st.else, table.copy()) });
          table = new Available();
          break;
        case "loop":
          out.push({ ...st, pre: block(st.pre, new Available()), post: block(st.post, new Available()) });
          table = new Available();
          break;
        default:
          st satisfies never;
      }
    }
    return out;
  };
  return prune({ ...p, body: block(p.body, new Available()) });
}

/** A string equal for two expressions exactly when they compute the same thing from the same operands. */
function exprKey(e: Expr): string {
  switch (e.op) {
    case "copy":
    case "not":
      return `${e.op} ${atomKey(e.a)}`;
    case "unary":
    case "step":
      return `${e.op} ${e.fn} ${atomKey(e.a)}`;
    case "binary":
    case "compare":
    case "logic":
      return `${e.op} ${e.fn} ${atomKey(e.a)} ${atomKey(e.b)}`;
    case "select":
      return `select ${atomKey(e.c)} ${atomKey(e.a)} ${atomKey(e.b)}`;
    case "load":
      return `load ${e.arr} ${atomKey(e.index)}`;
    case "length":
      return `length ${e.arr}`;
    default:
      return e satisfies never;
  }
}

/** Numbers by their String (so NaN, ±Infinity and -0 stay apart), locals by id. */
function atomKey(a: Atom): string {
  if (a.t === "local") return `#${a.id}`;
  if (a.t === "bool") return String(a.v);
  return Object.is(a.v, -0) ? "-0" : String(a.v);
}
