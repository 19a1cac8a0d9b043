/**
 * The forward (tangent) transform, IR → IR: next to each active value v it computes v_dot, the
 * derivative along the direction given by the parameters' tangents, with the partials from the
 * same rules as the reverse transform. A zero tangent stays zero against an infinite partial, as
 * for Dual (`dx === 0 ? 0 : dx · f'(x)`). It applies to any program, including the output of
 * `reverse`: that is the Hessian (forward over reverse), with pushed values pushing their tangents.
 */
import { AdError } from "../errors.js";
import { activity, prune } from "./analysis.js";
import { exprReads, Locals, num, ref, type Atom, type Expr, type Program, type Stmt } from "./ir.js";
import { binaryPartials, Builder, unaryPartial } from "./rules.js";

/** The tangent program of `p`: params are p's then one tangent per param; outputs p's then their tangents. */
export function forward(p: Program, options: { readonly allowCalls: boolean }): Program {
  const active = activity(p.body, p.params);
  const locals = new Locals(p.locals);
  const b = new Builder(locals, []);
  const dot = locals.derived("dot");
  const dotOf = (a: Atom): Atom => (a.t === "local" && active.has(a.id) ? ref(dot(a.id)) : num(0));

  /** dx·p, or 0 when dx is 0 (even if p is ±∞ or NaN). */
  const term = (dx: Atom, partial: Atom): Atom => {
    if (dx.t === "num" && dx.v === 0) return num(0);
    if (partial.t === "num") return partial.v === 1 ? dx : partial.v === -1 ? b.unary("neg", dx) : b.binary("mul", dx, partial);
    return b.select(b.compare("eq", dx, num(0)), num(0), b.binary("mul", dx, partial));
  };
  const sum = (terms: Atom[]): Atom => {
    const live = terms.filter((t) => !(t.t === "num" && t.v === 0));
    if (live.length === 0) return num(0);
    return live.slice(1).reduce((acc, t) => b.binary("add", acc, t), live[0]);
  };

  /** The tangent of `e` whose result is in y. */
  const tangent = (e: Expr, y: Atom): Atom => {
    switch (e.op) {
      case "copy":
        return dotOf(e.a);
      case "unary":
        return e.a.t === "local" && active.has(e.a.id) ? term(dotOf(e.a), unaryPartial(b, e.fn, e.a, y)) : num(0);
      case "binary": {
        const [pa, pb] = binaryPartials(b, e.fn, e.a, e.b, y);
        return sum([term(dotOf(e.a), pa), term(dotOf(e.b), pb)]);
      }
      case "select":
        return b.select(e.c, dotOf(e.a), dotOf(e.b));
      case "load":
        return active.has(e.arr) ? b.emit({ op: "load", arr: dot(e.arr), index: e.index }, "elem_dot") : num(0);
      default:
        return num(0);
    }
  };

  const transform = (stmts: readonly Stmt[]): Stmt[] => {
    const saved = b.out;
    b.out = [];
    for (const st of stmts) {
      switch (st.s) {
        case "assign": {
          if (!active.has(st.dst)) {
            b.out.push(st);
            break;
          }
          // When dst is also an operand (v = v + t), compute into a temporary first: the partials read the old v.
          let overwrites = false;
          exprReads(
            st.e,
            (a) => (overwrites ||= a.t === "local" && a.id === st.dst),
            () => {},
          );
          const y = overwrites ? locals.add("y", locals.get(st.dst).kind) : st.dst;
          b.out.push({ ...st, dst: y });
          const t = tangent(st.e, ref(y));
          b.out.push({ s: "assign", dst: dot(st.dst), e: { op: "copy", a: t } });
          if (overwrites) b.out.push({ s: "assign", dst: st.dst, e: { op: "copy", a: ref(y) } });
          break;
        }
        case "call": {
          b.out.push(st);
          if (!active.has(st.dst)) break;
          if (!options.allowCalls && st.uses === undefined) {
            throw new AdError("UnsupportedOp", `second derivatives through the defineDerivative function ${p.externals[st.fn].name} need its rule's source`, {
              op: "transformHessian",
              construct: "defineDerivative call",
            });
          }
          const t = sum(st.args.map((a, i) => term(dotOf(a), st.uses?.[i] ?? ref(st.partials[i]))));
          b.out.push({ s: "assign", dst: dot(st.dst), e: { op: "copy", a: t } });
          break;
        }
        case "store":
          b.out.push(st);
          if (active.has(st.arr)) b.out.push({ s: "store", arr: dot(st.arr), index: st.index, value: dotOf(st.value) });
          break;
        case "newArray":
          b.out.push(st);
          if (active.has(st.dst)) b.out.push({ s: "newArray", dst: dot(st.dst), size: st.size });
          break;
        case "if":
          b.out.push({ s: "if", cond: st.cond, then: transform(st.then), else: transform(st.else) });
          break;
        case "loop":
          b.out.push({ s: "loop", pre: transform(st.pre), cond: st.cond, post: transform(st.post) });
          break;
        case "push":
          b.out.push(st);
          if (st.a.t === "local" && active.has(st.a.id)) b.out.push({ s: "push", a: ref(dot(st.a.id)) });
          break;
        case "pop":
          if (active.has(st.dst)) b.out.push({ s: "pop", dst: dot(st.dst) });
          b.out.push(st);
          break;
        default:
          st satisfies never;
      }
    }
    const out = b.out;
    b.out = saved;
    return out;
  };

  // Every param gets a tangent param, so the caller's signature does not depend on the analysis.
  const paramDots = p.params.map((id) => dot(id));
  const body = transform(p.body);
  const copied = new Set(p.copied);
  for (const id of p.copied) copied.add(dot(id));
  return prune({
    ...p,
    name: locals.reserve(p.name.endsWith("_gradient") ? `${p.name.slice(0, -"_gradient".length)}_hessian` : `${p.name}_tangent`),
    locals: locals.list,
    params: [...p.params, ...paramDots],
    copied,
    body,
    outputs: [...p.outputs, ...p.outputs.map(dotOf)],
    gradientResult: undefined,
  });
}
