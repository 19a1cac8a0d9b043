/**
 * The reverse transform, IR → IR: a forward sweep (the program, plus what the reverse sweep needs
 * saved) followed by a reverse sweep that visits every statement backwards and pushes adjoints
 * from results to operands.
 *
 * What the reverse sweep reads must hold the value it had at that point of the forward sweep. The
 * rule that makes this true: a local assigned more than once (at two places, or in a loop) is
 * pushed on a stack before each assignment and popped where the reverse sweep passes that
 * assignment, so walking back restores every value in turn. Straight-line code outside loops is in
 * SSA form (the lowering renamed its reassignments), so it saves nothing. Array contents are never
 * read backwards (loads go into locals, which are restored), so an array write saves nothing
 * either: its reverse hands the slot's adjoint to the stored value and zeroes it, because the old
 * value in that slot is a different value with its own adjoint. Branch decisions are the
 * (restored) condition locals; a loop's trip count is counted forward and pushed when the loop is
 * itself inside a loop.
 */
import { activity, cse, integerLocals, prune, splitSelfAssignments, writtenArrays } from "./analysis.js";
import { Recipes } from "./available.js";
import { fusable, type Fused } from "./fuse.js";
import { assigned, exprReads, forEachRead, Locals, num, ref, type Atom, type Expr, type Program, type Stmt } from "./ir.js";
import { optimize } from "./optimize.js";
import { binaryPartials, Builder, isLinear, unaryPartial } from "./rules.js";

export interface ReverseOptions {
  /**
   * Skip a nonlinear op's reverse step when its adjoint is 0, so a zero cotangent stays zero against
   * an infinite local derivative (the table's convention). Off for forward-over-reverse, where the
   * adjoint's tangent may be nonzero while the adjoint is 0.
   */
  readonly guards: boolean;
}

/**
 * The gradient program of `p`: params are p's params then one adjoint array per array param (the
 * caller passes zeros, gets ∂/∂ that array back in it); outputs are [value, ∂/∂ each number param].
 */
export function reverse(original: Program, options: ReverseOptions): Program {
  // Loads of the same element and copies become one local first, so each has one adjoint: `x[i]·x[i]`
  // then writes its adjoint back to x_adj[i] once.
  const p = optimize(cse(original, true), new Map());
  const locals = new Locals(p.locals);
  // An active `v = v · x` needs the old v for its partials: it becomes `t = v · x; v = t`.
  const body = splitSelfAssignments(p.body, activity(p.body, p.params), locals);
  // Swapped for an iteration's own while a reduction loop is fused (fuse.ts).
  let active = activity(body, p.params);
  const b = new Builder(locals, []);
  const primalCount = locals.list.length;
  const integers = integerLocals(body, p.params);
  const written = writtenArrays(body);
  const globalAdjoint = locals.derived("adj");
  let iterationAdjoint = globalAdjoint;
  /** In a fused iteration, the locals it assigns (their adjoints are the iteration's own). */
  let iterationLocals: ReadonlySet<number> = new Set();
  /** In a fused iteration scaled at run time, where outer numbers' adjoints are collected apart. */
  let parts: Map<number, number> | undefined;
  const adj = (id: number): number => {
    if (parts !== undefined && !iterationLocals.has(id) && locals.get(id).kind !== "arr") {
      let part = parts.get(id);
      if (part === undefined) parts.set(id, (part = locals.add(`${locals.get(id).name}_part`, "num")));
      return part;
    }
    return (iterationLocals.has(id) ? iterationAdjoint : globalAdjoint)(id);
  };
  const isActive = (a: Atom): a is { t: "local"; id: number } => a.t === "local" && active.has(a.id);

  // Locals assigned at two places, or inside a loop, are saved before each assignment.
  const sites = new Map<number, number>();
  const countSites = (stmts: readonly Stmt[], weight: number) => {
    for (const st of stmts) {
      const hit = (id: number) => sites.set(id, (sites.get(id) ?? 0) + weight);
      if (st.s === "assign") hit(st.dst);
      else if (st.s === "call") [st.dst, ...st.partials].forEach(hit);
      else if (st.s === "if") {
        countSites(st.then, weight);
        countSites(st.else, weight);
      } else if (st.s === "loop") {
        countSites(st.pre, 2);
        countSites(st.post, 2);
      }
    }
  };
  p.params.forEach((id) => sites.set(id, 1));
  countSites(body, 1);
  const globalSaved = (id: number) => (sites.get(id) ?? 0) > 1;
  /** The last top-level statement of the body that reads each local (fuse.ts asks what the code after a loop reads). */
  const lastRead = new Map<number, number>();
  body.forEach((st, at) => forEachRead([st], (id) => lastRead.set(id, at)));
  /** Whether a local is pushed before each assignment and popped where the reverse passes it. */
  let saved = globalSaved;
  /** Whether a local's adjoint is zeroed after its reverse step (the next value assigned there starts from 0). */
  let resets = globalSaved;

  /** Whether a partial passed to `accumulate` since it was last cleared may be ±∞ or NaN. */
  let unbounded = false;
  /** Statements into `out` (b's current list) computing `target += g · partial`. */
  const accumulate = (target: number, g: Atom, partial: Atom) => {
    if (partial.t === "num" && partial.v === 0) return;
    if (!(partial.t === "num" ? Number.isFinite(partial.v) : partial.t === "local" && integers.has(partial.id))) unbounded = true;
    const e: Expr =
      partial.t === "num" && partial.v === 1
        ? { op: "binary", fn: "add", a: ref(target), b: g }
        : partial.t === "num" && partial.v === -1
          ? { op: "binary", fn: "sub", a: ref(target), b: g }
          : { op: "binary", fn: "add", a: ref(target), b: b.binary("mul", g, partial) };
    b.out.push({ s: "assign", dst: target, e });
  };
  const accumulateSlot = (arr: number, index: Atom, g: Atom) => {
    const old = b.emit({ op: "load", arr: adj(arr), index }, "slot");
    b.out.push({ s: "store", arr: adj(arr), index, value: b.binary("add", old, g) });
  };

  /**
   * Rematerialisation. A saved local whose value comes from a cheap pure operation (a load from an
   * array nothing writes, + − × ÷, a copy) on values unchanged since, earlier in the same block, is
   * recomputed where the reverse sweep reads it instead of being pushed and popped: `x[i]`,
   * `1 − x[i]` or `i + 1` in a loop cost no stack traffic.
   */
  let avail = new Recipes();
  /**
   * Operations a recomputation costs (a division counts 4); more than 6 costs more than a push and a
   * pop. Exact below `budget`, and at least `budget` otherwise: a long chain of recipes is not walked.
   */
  const cost = (a: Atom, budget = 7): number => {
    const e = a.t === "local" && saved(a.id) ? avail.get(a.id) : undefined;
    if (e === undefined || budget <= 0) return 0;
    if (e.op === "load") return 1 + cost(e.index, budget - 1);
    if (e.op === "copy") return cost(e.a, budget);
    if (e.op === "unary") return 1 + cost(e.a, budget - 1);
    if (e.op === "binary") {
      const own = e.fn === "div" ? 4 : 1;
      const left = own + cost(e.a, budget - own);
      return left >= budget ? left : left + cost(e.b, budget - left);
    }
    return Infinity;
  };
  const operand = (a: Atom): Atom => {
    if (a.t !== "local" || !saved(a.id)) return a;
    const e = avail.get(a.id);
    if (e === undefined || cost(a) > 6) return a;
    switch (e.op) {
      case "load":
        return b.emit({ op: "load", arr: e.arr, index: operand(e.index) }, "elem");
      case "copy":
        return operand(e.a);
      case "unary":
        return b.unary(e.fn, operand(e.a));
      case "binary":
        return b.binary(e.fn, operand(e.a), operand(e.b));
      default:
        return a;
    }
  };
  /**
   * Which locals a recomputation may read: ones never reassigned, integer counters (restored by
   * arithmetic), and, on the second pass, ones the reverse sweep reads anyway. So recomputing
   * never makes the forward sweep save a value it would not have saved.
   */
  let leafOk = (id: number): boolean => !saved(id) || integers.has(id);
  const rematerialisable = (dst: number, e: Expr): boolean => {
    let reads = true;
    exprReads(
      e,
      (a) => (reads &&= !(a.t === "local" && (a.id === dst || !(avail.has(a.id) || leafOk(a.id))))),
      () => {},
    );
    if (!reads) return false;
    if (e.op === "load") return !written.has(e.arr);
    if (e.op === "copy") return true;
    if (e.op === "unary") return e.fn === "neg";
    if (e.op === "binary") return e.fn === "add" || e.fn === "sub" || e.fn === "mul" || e.fn === "div";
    return false;
  };

  /** The adjoint steps for `dst = e` (dst active), appended to b.out. */
  const contributions = (dst: number, e: Expr) => {
    const g = ref(adj(dst));
    switch (e.op) {
      case "copy":
        if (isActive(e.a)) accumulate(adj(e.a.id), g, num(1));
        return;
      case "unary":
        if (isActive(e.a)) accumulate(adj(e.a.id), g, unaryPartial(b, e.fn, operand(e.a), ref(dst)));
        return;
      case "binary": {
        const [pa, pb] = binaryPartials(b, e.fn, operand(e.a), operand(e.b), ref(dst));
        if (isActive(e.a)) accumulate(adj(e.a.id), g, pa);
        if (isActive(e.b)) accumulate(adj(e.b.id), g, pb);
        return;
      }
      case "select":
        if (isActive(e.a)) accumulate(adj(e.a.id), b.select(e.c, g, num(0)), num(1));
        if (isActive(e.b)) accumulate(adj(e.b.id), b.select(e.c, num(0), g), num(1));
        return;
      case "load":
        if (active.has(e.arr)) accumulateSlot(e.arr, operand(e.index), g);
        return;
      default:
        return;
    }
  };

  /** Runs `f` with b writing to a fresh list. */
  const into = (f: () => void): Stmt[] => {
    const saved = b.out;
    b.out = [];
    f();
    const out = b.out;
    b.out = saved;
    return out;
  };

  /**
   * The guarded reverse step: `if (g !== 0) { … }` for ops whose partials may be infinite. Linear
   * ops and products with a finite constant (`0.001 · u`, `x / 4`) have finite partials whatever
   * the operands hold, so g · partial is 0 when g is: they need no branch.
   */
  const step = (dst: number, e: Expr): Stmt[] =>
    into(() => {
      if (!options.guards || isLinear(e)) return contributions(dst, e);
      unbounded = false;
      const body = into(() => contributions(dst, e));
      if (!unbounded) {
        b.out.push(...body);
        return;
      }
      if (body.length === 0) return;
      const nonzero = b.compare("ne", ref(adj(dst)), num(0));
      b.out.push({ s: "if", cond: nonzero, then: body, else: [] });
    });

  /**
   * `i = i ± c` on an integer-valued local with an integer constant c is undone exactly by
   * `i = i ∓ c`: loop counters are restored by arithmetic, not by the stack.
   */
  const inversions = new Set<Stmt>();
  const inversion = (st: Extract<Stmt, { s: "assign" }>): Stmt | undefined => {
    const e = st.e;
    if (active.has(st.dst) || !integers.has(st.dst) || e.op !== "binary" || (e.fn !== "add" && e.fn !== "sub")) return undefined;
    if (!(e.a.t === "local" && e.a.id === st.dst && e.b.t === "num" && Number.isInteger(e.b.v) && Math.abs(e.b.v) <= 2 ** 20)) return undefined;
    return { s: "assign", dst: st.dst, e: { op: "binary", fn: e.fn === "add" ? "sub" : "add", a: ref(st.dst), b: e.b } };
  };

  /** The reverse steps of fused iterations (inside the forward sweep): what they read must be kept too. */
  let fusedReverse: Stmt[] = [];
  const fusedLoops = new Set<Stmt>();

  /**
   * A reduction loop run once, each iteration followed by its own reverse (fuse.ts): the iteration's
   * locals get their own adjoints, zeroed after each step and saved only when the iteration assigns
   * them twice; the sums' end values are seeded with their constant adjoints. The reverse sweep
   * only puts back the values the loop overwrote.
   */
  const fuse = (f: Fused, cond: Atom): { fwd: Stmt[]; rev: Stmt[] } => {
    const starts = f.restore.map((id) => [id, locals.add(`${locals.get(id).name}_start`, locals.get(id).kind)] as const);
    const stmts = [...f.pre, ...f.post];
    const mine = assigned(stmts);
    const outer = { active, saved, resets, iterationAdjoint, iterationLocals, parts };
    active = activity(
      stmts,
      [...outer.active].filter((id) => !mine.has(id) && !f.sums.has(id)),
    );
    const onAPath = assignmentsOnAPath(stmts);
    saved = (id) => (onAPath.get(id) ?? 0) > 1;
    resets = (id) => mine.has(id);
    iterationAdjoint = locals.derived("adj");
    iterationLocals = mine;
    if (f.scaled !== undefined) parts = new Map();
    const collected = parts;
    const post = transform(f.post, true);
    const seeds: Stmt[] = f.seeds.filter((s) => active.has(s.id)).map((s) => ({ s: "assign", dst: adj(s.id), e: { op: "copy", a: num(s.adjoint) } }));
    ({ active, saved, resets, iterationAdjoint, iterationLocals, parts } = outer);
    fusedReverse.push(...post.rev);
    const loop: Stmt = { s: "loop", pre: f.pre, cond, post: [...post.fwd, ...seeds, ...post.rev, ...f.finals] };
    fusedLoops.add(loop);
    return {
      fwd: [...starts.map(([id, s]): Stmt => ({ s: "assign", dst: s, e: { op: "copy", a: ref(id) } })), loop],
      rev: [
        ...(f.scaled === undefined ? [] : scale(ref(adj(f.scaled.sum)), collected!, f.scaled.arrays)),
        ...starts.map(([id, s]): Stmt => ({ s: "assign", dst: id, e: { op: "copy", a: ref(s) } })),
      ],
    };
  };

  /**
   * A fused loop's results times the sum's exit adjoint A, where the reverse sweep passes the loop:
   * each outer number's collected part added, each array's adjoint multiplied in place (skipped
   * when A is 1). A of 0 gives 0, not 0 · ∞, as a zero cotangent does everywhere.
   */
  // Without guards (forward over reverse) the products are plain and always run: a branch on A
  // (A ≠ 0, A ≠ 1) would drop A's tangent exactly where A is 0 or 1.
  const scale = (a: Atom, collected: Map<number, number>, arrays: readonly number[]): Stmt[] =>
    into(() => {
      const nonzero = options.guards ? b.compare("ne", a, num(0)) : undefined;
      const add = into(() => {
        for (const [id, part] of collected) accumulate(adj(id), a, ref(part));
      });
      if (nonzero === undefined) b.out.push(...add);
      else if (add.length > 0) b.out.push({ s: "if", cond: nonzero, then: add, else: [] });
      for (const arr of arrays) {
        const g = adj(arr);
        const j = locals.add("j", "num");
        const pre = into(() => {
          const n = b.emit({ op: "length", arr: g }, "n");
          b.out.push({ s: "assign", dst: locals.add("c", "bool"), e: { op: "compare", fn: "lt", a: ref(j), b: n } });
        });
        const cond = (pre[pre.length - 1] as Extract<Stmt, { s: "assign" }>).dst;
        const post = into(() => {
          const slot = b.emit({ op: "load", arr: g, index: ref(j) }, "slot");
          const product = b.binary("mul", slot, a);
          b.out.push({ s: "store", arr: g, index: ref(j), value: nonzero === undefined ? product : b.select(nonzero, product, num(0)) });
          b.out.push({ s: "assign", dst: j, e: { op: "binary", fn: "add", a: ref(j), b: num(1) } });
        });
        const loop: Stmt[] = [
          { s: "assign", dst: j, e: { op: "copy", a: num(0) } },
          { s: "loop", pre, cond: ref(cond), post },
        ];
        if (options.guards) b.out.push({ s: "if", cond: b.compare("ne", a, num(1)), then: loop, else: [] });
        else b.out.push(...loop);
      }
    });

  const transform = (stmts: readonly Stmt[], inLoop: boolean): { fwd: Stmt[]; rev: Stmt[] } => {
    const fwd: Stmt[] = [];
    const revParts: Stmt[][] = [];
    const outer = avail;
    avail = new Recipes();
    /**
     * Arrays this block creates inside a loop: a fresh one each iteration, so each iteration's
     * reverse starts from a fresh zero adjoint of that iteration's size (the block's values are its
     * own again where its reverse begins), made there rather than in the forward sweep.
     */
    const freshAdjoints: Stmt[] = [];
    for (let at = 0; at < stmts.length; at++) {
      const st = stmts[at];
      const rev: Stmt[] = [];
      switch (st.s) {
        case "assign": {
          // At this statement's reverse step dst already holds the new value: what was computed from
          // the old one cannot be recomputed there.
          avail.forget(st.dst);
          const inverse = inversion(st);
          if (saved(st.dst) && inverse === undefined) fwd.push({ s: "push", a: ref(st.dst) });
          fwd.push(st);
          if (active.has(st.dst)) {
            rev.push(...step(st.dst, st.e));
            if (resets(st.dst)) rev.push({ s: "assign", dst: adj(st.dst), e: { op: "copy", a: num(0) } });
          }
          if (inverse !== undefined) {
            rev.push(inverse);
            inversions.add(inverse);
          } else if (saved(st.dst)) rev.push({ s: "pop", dst: st.dst });
          if (rematerialisable(st.dst, st.e)) avail.set(st.dst, st.e);
          break;
        }
        case "call": {
          const outs = [st.dst, ...st.partials];
          outs.forEach((id) => avail.forget(id));
          for (const id of outs) if (saved(id)) fwd.push({ s: "push", a: ref(id) });
          fwd.push(st);
          if (active.has(st.dst)) {
            rev.push(
              ...into(() => {
                st.args.forEach((a, i) => {
                  if (isActive(a)) accumulate(adj(a.id), ref(adj(st.dst)), st.uses?.[i] ?? ref(st.partials[i]));
                });
              }),
            );
            if (resets(st.dst)) rev.push({ s: "assign", dst: adj(st.dst), e: { op: "copy", a: num(0) } });
          }
          for (const id of outs.slice().reverse()) if (saved(id)) rev.push({ s: "pop", dst: id });
          break;
        }
        case "store":
          fwd.push(st);
          if (active.has(st.arr)) {
            rev.push(
              ...into(() => {
                const index = operand(st.index);
                if (isActive(st.value)) {
                  const g = b.emit({ op: "load", arr: adj(st.arr), index }, "slot");
                  accumulate(adj(st.value.id), g, num(1));
                }
                b.out.push({ s: "store", arr: adj(st.arr), index, value: num(0) });
              }),
            );
          }
          break;
        case "newArray":
          fwd.push(st);
          if (active.has(st.dst)) (inLoop ? freshAdjoints : fwd).push({ s: "newArray", dst: adj(st.dst), size: st.size });
          break;
        case "if": {
          avail.clear();
          const then = transform(st.then, inLoop);
          const otherwise = transform(st.else, inLoop);
          fwd.push({ s: "if", cond: st.cond, then: then.fwd, else: otherwise.fwd });
          rev.push({ s: "if", cond: st.cond, then: then.rev, else: otherwise.rev });
          break;
        }
        case "loop": {
          avail.clear();
          const readAfter = (id: number) => (lastRead.get(id) ?? -1) > at;
          const f =
            stmts === body
              ? fusable(st, stmts.slice(0, at), stmts.slice(at + 1), p.outputs[0], { active, sites: (id) => sites.get(id) ?? 0, written, integers, locals, readAfter })
              : undefined;
          if (f !== undefined) {
            const fused = fuse(f, st.cond);
            fwd.push(...fused.fwd);
            rev.push(...fused.rev);
            break;
          }
          const pre = transform(st.pre, true);
          const post = transform(st.post, true);
          const n = locals.add("iterations", "num");
          const k = locals.add("k", "num");
          const count = locals.add("more", "bool");
          fwd.push({ s: "assign", dst: n, e: { op: "copy", a: num(0) } });
          fwd.push({ s: "loop", pre: pre.fwd, cond: st.cond, post: [...post.fwd, { s: "assign", dst: n, e: { op: "binary", fn: "add", a: ref(n), b: num(1) } }] });
          if (inLoop) fwd.push({ s: "push", a: ref(n) });
          if (inLoop) rev.push({ s: "pop", dst: n });
          rev.push(...pre.rev);
          rev.push({ s: "assign", dst: k, e: { op: "copy", a: ref(n) } });
          rev.push({
            s: "loop",
            pre: [{ s: "assign", dst: count, e: { op: "compare", fn: "gt", a: ref(k), b: num(0) } }],
            cond: ref(count),
            post: [...post.rev, ...pre.rev, { s: "assign", dst: k, e: { op: "binary", fn: "sub", a: ref(k), b: num(1) } }],
          });
          break;
        }
        case "push":
        case "pop":
          throw new Error("reverse: the program to reverse already uses the stack");
        default:
          st satisfies never;
      }
      revParts.push(rev);
    }
    avail = outer;
    avail.clear();
    return { fwd, rev: [...freshAdjoints, ...revParts.reverse().flat()] };
  };

  // Only primal locals the reverse sweep reads need their values restored (an inversion's own read
  // of its local does not count).
  const neededBy = (rev: readonly Stmt[]): Set<number> => {
    const needed = new Set<number>();
    const note = (id: number) => {
      if (id < primalCount) needed.add(id);
    };
    const reads = (stmts: readonly Stmt[]) => {
      for (const st of stmts) {
        if (inversions.has(st)) continue;
        if (st.s === "if") {
          forEachRead([{ ...st, then: [], else: [] }], note);
          reads(st.then);
          reads(st.else);
        } else if (st.s === "loop") {
          forEachRead([{ ...st, pre: [], post: [] }], note);
          reads(st.pre);
          reads(st.post);
        } else forEachRead([st], note);
      }
    };
    reads(rev);
    return needed;
  };
  // Two passes: the first learns what the reverse sweep reads anyway, the second recomputes from those.
  const first = transform(body, false);
  const readAnyway = neededBy(first.rev);
  inversions.clear();
  fusedReverse = [];
  fusedLoops.clear();
  leafOk = (id) => !saved(id) || integers.has(id) || readAnyway.has(id);
  const { fwd, rev } = transform(body, false);
  // A value is saved for the reverse sweep that reads it: the main one, or a fused iteration's own.
  const neededMain = neededBy(rev);
  const neededFused = neededBy(fusedReverse);
  const keepSave =
    (needed: Set<number>) =>
    (st: Stmt): boolean => {
      if (inversions.has(st)) return needed.has((st as { dst: number }).dst);
      if (st.s === "push" && st.a.t === "local" && st.a.id < primalCount) return needed.has(st.a.id);
      if (st.s === "pop" && st.dst < primalCount) return needed.has(st.dst);
      return true;
    };
  const filter = (stmts: Stmt[], needed: Set<number>): Stmt[] =>
    stmts
      .filter(keepSave(needed))
      .map((st) =>
        st.s === "if"
          ? { ...st, then: filter(st.then, needed), else: filter(st.else, needed) }
          : st.s === "loop"
            ? { ...st, pre: filter(st.pre, fusedLoops.has(st) ? neededFused : needed), post: filter(st.post, fusedLoops.has(st) ? neededFused : needed) }
            : st,
      );

  const result = p.outputs[0];
  const value = locals.add("value", "num");
  const tail: Stmt[] = [{ s: "assign", dst: value, e: { op: "copy", a: result } }];
  if (isActive(result)) tail.push({ s: "assign", dst: adj(result.id), e: { op: "copy", a: num(1) } });

  const arrayParams = p.params.filter((id) => locals.get(id).kind === "arr");
  const numberParams = p.params.filter((id) => locals.get(id).kind !== "arr");
  // Adjoint arrays of array params come from the caller; make sure each exists.
  const adjointArrays = arrayParams.map((id) => adj(id));
  const outputs: Atom[] = [ref(value), ...numberParams.map((id) => (active.has(id) ? ref(adj(id)) : num(0)))];
  // The final load merging (index.ts's cse) leaves copies; propagating them keeps the source short.
  return optimize(
    cse(
      optimize(
        prune({
          ...p,
          name: locals.reserve(`${p.name}_gradient`),
          locals: locals.list,
          params: [...p.params, ...adjointArrays],
          body: [...filter(fwd, neededMain), ...tail, ...filter(rev, neededMain)],
          outputs,
          gradientResult: p.params.map((id) => (locals.get(id).kind === "arr" ? ref(adj(id)) : active.has(id) ? ref(adj(id)) : num(0))),
        }),
      ),
    ),
  );
}

/** How many times one pass through `stmts` may assign each local (the larger branch of an if). */
function assignmentsOnAPath(stmts: readonly Stmt[]): Map<number, number> {
  const n = new Map<number, number>();
  const hit = (id: number, k = 1) => n.set(id, (n.get(id) ?? 0) + k);
  for (const st of stmts) {
    if (st.s === "assign") hit(st.dst);
    else if (st.s === "call") {
      hit(st.dst);
      for (const id of st.partials) if (id !== st.dst) hit(id);
    } else if (st.s === "if") {
      const then = assignmentsOnAPath(st.then);
      const otherwise = assignmentsOnAPath(st.else);
      for (const [id, k] of then) hit(id, Math.max(k, otherwise.get(id) ?? 0));
      for (const [id, k] of otherwise) if (!then.has(id)) hit(id, k);
    }
  }
  return n;
}
