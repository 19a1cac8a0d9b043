/**
 * Random programs: fast-check builds small functions of (x: number[], y: number) from the covered
 * language — declarations, reassignments, compound assignments, local array writes and reads,
 * branches on loop counters, nested loops, helper calls — and each one's reverse gradient must match
 * finite differences, forward mode must agree with it, and the Hessian must be symmetric and match
 * differences of the gradient. The printed counterexample is the program's source.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { centralDifference, checkGradient } from "../../src/testing/checkGradient.js";
import { differentiate, transformHessian } from "../../src/transform/index.js";

const RUNS = Number(process.env.TRANSFORM_RUNS ?? 30);

interface Ctx {
  /** Also branch, break, return and loop on values (kinks: checked mode against mode only). */
  readonly data: boolean;
  readonly vars: string[];
  readonly loopVars: string[];
  depth: number;
  /** How many ifs enclose the current statement (kept small, or programs grow without bound). */
  nest: number;
  fresh: number;
}

/** A smooth, bounded expression over the variables in scope. */
function expr(ctx: Ctx, rnd: () => number, depth = 0): string {
  const leaf = (): string => {
    const r = rnd();
    if (r < 0.3 && ctx.vars.length > 0) return ctx.vars[Math.floor(rnd() * ctx.vars.length)];
    if (r < 0.45) return "y";
    if (r < 0.7) {
      const index = ctx.loopVars.length > 0 && rnd() < 0.7 ? ctx.loopVars[Math.floor(rnd() * ctx.loopVars.length)] : String(Math.floor(rnd() * 4));
      return `x[${index}]`;
    }
    if (r < 0.8) return `a[${Math.floor(rnd() * 3)}]`;
    return String(Math.round(rnd() * 40 - 20) / 10);
  };
  if (depth > 2 || rnd() < 0.3) return leaf();
  const e1 = expr(ctx, rnd, depth + 1);
  const e2 = expr(ctx, rnd, depth + 1);
  switch (Math.floor(rnd() * 8)) {
    case 0:
      return `(${e1} + ${e2})`;
    case 1:
      return `(${e1} - ${e2})`;
    case 2:
      return `(${e1} * ${e2} * 0.5)`;
    case 3:
      return `Math.sin(${e1})`;
    case 4:
      return `Math.tanh(${e1} * ${e2})`;
    case 5:
      return `(${e1} / (2 + ${e2} * ${e2}))`;
    case 6:
      return `Math.exp(-(${e1} * ${e1}))`;
    default:
      return `helper(${e1}, ${e2})`;
  }
}

function statements(ctx: Ctx, rnd: () => number, count: number, indent: string): string[] {
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const r = rnd();
    if (ctx.data && ctx.nest < 2 && rnd() < 0.3) {
      const q = rnd();
      const cut = (Math.round(rnd() * 20 - 10) / 10).toFixed(1);
      const saved = ctx.vars.length;
      if (q < 0.4) {
        ctx.nest++;
        out.push(`${indent}if (${expr(ctx, rnd)} > ${cut}) {`, ...statements(ctx, rnd, 2, indent + "  "));
        ctx.vars.length = saved;
        out.push(`${indent}} else {`, ...statements(ctx, rnd, 1, indent + "  "), `${indent}}`);
        ctx.nest--;
      } else if (q < 0.6 && ctx.depth > 0) out.push(`${indent}if (${expr(ctx, rnd)} < ${cut}) ${rnd() < 0.5 ? "break" : "continue"};`);
      else if (q < 0.75) out.push(`${indent}if (${expr(ctx, rnd)} > ${cut}) return s * ${expr(ctx, rnd)};`);
      else if (ctx.depth < 2) {
        const w = `w${ctx.fresh++}`;
        ctx.depth++;
        // The counter steps first, so a `continue` cannot skip it.
        out.push(
          `${indent}let ${w} = 0;`,
          `${indent}while (${w} < 6 && ${expr(ctx, rnd)} < ${cut}) {`,
          `${indent}  ${w}++;`,
          ...statements(ctx, rnd, 2, indent + "  "),
          `${indent}}`,
        );
        ctx.depth--;
      }
      ctx.vars.length = saved;
    } else if (r < 0.25) {
      const v = `v${ctx.fresh++}`;
      out.push(`${indent}let ${v} = ${expr(ctx, rnd)};`);
      ctx.vars.push(v);
    } else if (r < 0.4 && ctx.vars.length > 0) {
      const v = ctx.vars[Math.floor(rnd() * ctx.vars.length)];
      // Forms that keep values bounded (a random program must not blow up, or no step size suits it).
      const e = expr(ctx, rnd);
      out.push(`${indent}${[`${v} = ${v} * 0.5 + ${e}`, `${v} += Math.sin(${e}) * 0.3`, `${v} -= Math.tanh(${e}) * 0.3`, `${v} *= Math.cos(${e})`][Math.floor(rnd() * 4)]};`);
    } else if (r < 0.55) {
      out.push(`${indent}s += ${expr(ctx, rnd)};`);
    } else if (r < 0.65) {
      out.push(`${indent}a[${Math.floor(rnd() * 3)}] = ${expr(ctx, rnd)};`);
    } else if (r < 0.7 && ctx.depth > 0) {
      // An array made in a loop: a fresh one each iteration, written and read.
      const t = `t${ctx.fresh++}`;
      out.push(
        `${indent}{ const ${t} = [${expr(ctx, rnd)}, ${expr(ctx, rnd)}, 0.5];`,
        `${indent}  ${t}[${Math.floor(rnd() * 3)}] = ${expr(ctx, rnd)} * ${t}[${Math.floor(rnd() * 3)}];`,
        `${indent}  s += ${t}[0] * ${t}[1] - ${t}[2]; }`,
      );
    } else if (r < 0.78 && ctx.loopVars.length > 0 && ctx.nest < 2) {
      const i = ctx.loopVars[ctx.loopVars.length - 1];
      ctx.nest++;
      const saved = ctx.vars.length;
      out.push(`${indent}if (${i} % 2 === ${Math.floor(rnd() * 2)}) {`, ...statements(ctx, rnd, 2, indent + "  "));
      ctx.vars.length = saved;
      out.push(`${indent}} else {`, ...statements(ctx, rnd, 1, indent + "  "), `${indent}}`);
      ctx.vars.length = saved;
      ctx.nest--;
    } else if (ctx.depth < 2) {
      const i = `i${ctx.fresh++}`;
      ctx.depth++;
      ctx.loopVars.push(i);
      const saved = ctx.vars.length;
      const bound = rnd() < 0.5 ? "x.length" : String(1 + Math.floor(rnd() * 3));
      out.push(`${indent}for (let ${i} = 0; ${i} < ${bound}; ${i}++) {`, ...statements(ctx, rnd, 3, indent + "  "), `${indent}}`);
      ctx.vars.length = saved;
      ctx.loopVars.pop();
      ctx.depth--;
    } else out.push(`${indent}s += ${expr(ctx, rnd)};`);
  }
  return out;
}

function program(seed: number, data = false): string {
  let state = seed >>> 0 || 1;
  const rnd = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const ctx: Ctx = { data, vars: [], loopVars: [], depth: 0, nest: 0, fresh: 0 };
  const body = statements(ctx, rnd, 4 + Math.floor(rnd() * 4), "  ");
  if (process.env.SHOW_PROGRAMS) console.log(body.join("\n"));
  return ["const a = [y, 0.5, -0.25];", "let s = 0;", ...body.map((l) => l.slice(2)), `return s + a[0] * a[1] - a[2]${ctx.vars.map((v) => ` + ${v}`).join("")};`].join("\n");
}

const helper = (p: number, q: number) => Math.sin(p) * q * 0.5 + p;
const close = (a: number, b: number, rtol: number, atol: number) => Math.abs(a - b) <= atol + rtol * Math.max(Math.abs(a), Math.abs(b));
const point = fc.tuple(fc.array(fc.double({ min: -1.5, max: 1.5, noNaN: true }), { minLength: 4, maxLength: 4 }), fc.double({ min: -1.5, max: 1.5, noNaN: true }));

describe("random programs", () => {
  it("reverse mode matches finite differences, forward mode agrees with it", () => {
    fc.assert(
      fc.property(fc.integer(), point, fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }), (seed, [x, y], t) => {
        const source = program(seed);
        const fn = new Function("x", "y", source) as (x: number[], y: number) => number;
        const direct = new Function("helper", `return function (x, y) {\n${source}\n}`)(helper) as (x: number[], y: number) => number;
        const plain = (v: number[]) => direct(v.slice(0, 4), v[4]);
        const df = differentiate(fn as never, { functions: { helper } });
        const r = df(x, y);
        expect(close(r.value, plain([...x, y]), 1e-13, 1e-13), source).toBe(true);
        const g = [...(r.gradient[0] as Float64Array), r.gradient[1] as number];
        // Two step sizes: a sharp random program can defeat one of them, not a wrong derivative.
        const reports = [1e-3, 1e-5].map((step) => checkGradient(plain, [...x, y], { gradient: g, step, rtol: 1e-5, atol: 1e-6 }));
        expect(
          reports.some((rep) => rep.ok),
          `${source}\n${reports.map((rep) => rep.summary).join("\n")}`,
        ).toBe(true);
        const jvp = differentiate(fn as (...args: never[]) => number, { functions: { helper }, mode: "forward" });
        const tangent = jvp([x, y], [t.slice(0, 4), t[4]]).tangent;
        const expected = g.reduce((s, gi, i) => s + gi * t[i], 0);
        expect(close(tangent, expected, 1e-9, 1e-9), `${source}\ntangent ${tangent} vs ${expected}`).toBe(true);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it("with branches, breaks, returns and loops on values: forward and reverse agree, and give f's value", () => {
    fc.assert(
      fc.property(fc.integer(), point, fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }), (seed, [x, y], t) => {
        const source = program(seed, true);
        const fn = new Function("x", "y", source) as (x: number[], y: number) => number;
        const direct = new Function("helper", `return function (x, y) {\n${source}\n}`)(helper) as (x: number[], y: number) => number;
        const r = differentiate(fn as never, { functions: { helper } })(x, y);
        const value = direct(x, y);
        expect(Number.isFinite(value), source).toBe(true);
        expect(close(r.value, value, 1e-13, 1e-13), source).toBe(true);
        const g = [...(r.gradient[0] as Float64Array), r.gradient[1] as number];
        const jvp = differentiate(fn as (...args: never[]) => number, { functions: { helper }, mode: "forward" })([x, y], [t.slice(0, 4), t[4]]);
        const expected = g.reduce((s, gi, i) => s + gi * t[i], 0);
        const scale = g.reduce((s, gi, i) => s + Math.abs(gi * t[i]), 0);
        expect(close(jvp.tangent, expected, 1e-9, 1e-9 * scale + 1e-12), `${source}\ntangent ${jvp.tangent} vs ${expected}`).toBe(true);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it("the Hessian is symmetric and matches differences of the gradient", () => {
    fc.assert(
      fc.property(fc.integer(), point, (seed, [x, y]) => {
        const source = program(seed);
        const fn = new Function("x", "y", source) as (x: number[], y: number) => number;
        const df = differentiate(fn as never, { functions: { helper } });
        const h = transformHessian(fn as never, { functions: { helper } })(x, y).hessian;
        const grad = (v: number[]) => {
          const r = df(v.slice(0, 4), v[4]);
          return [...(r.gradient[0] as Float64Array), r.gradient[1] as number];
        };
        const at = [...x, y];
        for (let j = 0; j < 5; j++) {
          for (let i = 0; i < 5; i++) {
            const numeric = [1e-4, 1e-6].map((step) => centralDifference((v) => grad(v)[i], at, j, step));
            expect(
              numeric.some((d) => close(h[i][j], d, 1e-5, 1e-5)),
              `${source}\nH[${i}][${j}] = ${h[i][j]} vs ${numeric}`,
            ).toBe(true);
            expect(close(h[i][j], h[j][i], 1e-9, 1e-9), source).toBe(true);
          }
        }
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  }, 120_000);
});
