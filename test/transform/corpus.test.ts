/**
 * Every corpus function, on random inputs: the reverse gradient matches finite differences (and the
 * tape, where the corpus has a generic version), forward mode agrees with reverse (⟨g, t⟩ is the
 * tangent), and the forward-over-reverse Hessian matches differences of the gradient.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { centralDifference, checkGradient } from "../../src/testing/checkGradient.js";
import { differentiate, transformHessian } from "../../src/transform/index.js";
import { gradientByTape } from "../support/expectAd.js";
import { corpus, type Case } from "./corpus.js";
import { argsArbitrary, flatten, fresh, plain, unflatten } from "./helpers.js";

const RUNS = Number(process.env.TRANSFORM_RUNS ?? 30);

const close = (a: number, b: number, rtol: number, atol: number) => Math.abs(a - b) <= atol + rtol * Math.max(Math.abs(a), Math.abs(b));

/**
 * For piecewise functions: no kink within reach of the differences' steps (central differences at
 * two steps agree, and so do the one-sided ones, which differ by the jump at a kink).
 */
function smoothAt(f: (x: number[]) => number, x: number[]): boolean {
  const fx = f(x);
  for (let i = 0; i < x.length; i++) {
    const a = centralDifference(f, x, i, 1e-3);
    const b = centralDifference(f, x, i, 1e-5);
    if (!close(a, b, 1e-5, 1e-9) || !Number.isFinite(a)) return false;
    const h = 1e-3 * Math.max(1, Math.abs(x[i]));
    const at = (t: number) => f(x.map((v, j) => (j === i ? v + t : v)));
    if (!close((at(h) - fx) / h, (fx - at(-h)) / h, 1e-2, 1e-3)) return false;
  }
  return true;
}

describe.each(corpus.map((c) => [c.name, c] as const))("%s", (_name, c: Case) => {
  const f = plain(c);
  const flat = (x: number[]) => f(...fresh(unflatten(c.shapes, x)));
  const df = differentiate(c.fn, { ...c.options, mode: "reverse" });
  const jvp = differentiate(c.fn, { ...c.options, mode: "forward" });

  it("reverse mode: the value is f's and the gradient matches finite differences", () => {
    fc.assert(
      fc.property(argsArbitrary(c.shapes, c.domain, c.kinks), (args) => {
        const x = flatten(args);
        if (c.kinks) fc.pre(smoothAt(flat, x));
        const r = df(...(fresh(args) as [number]));
        expect(r.gradient.length).toBe(c.shapes.length);
        r.gradient.forEach((g, i) => (c.shapes[i] === "num" ? expect(typeof g).toBe("number") : expect((g as Float64Array).length).toBe(c.shapes[i])));
        expect(close(r.value, f(...(fresh(args) as [number])), 1e-14, 1e-14), `value ${r.value} vs ${f(...(fresh(args) as [number]))}`).toBe(true);
        const report = checkGradient(flat, x, { gradient: flatten(r.gradient), rtol: 1e-6, atol: 1e-7 });
        expect(report.ok, report.summary).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  if (c.generic !== undefined) {
    const generic = c.generic;
    it("reverse mode agrees with the tape", () => {
      fc.assert(
        fc.property(argsArbitrary(c.shapes, c.domain, c.kinks), (args) => {
          const x = flatten(args);
          const tape = gradientByTape(generic, x);
          const g = flatten(df(...(fresh(args) as [number])).gradient);
          tape.gradient.forEach((t, i) => expect(close(g[i], t, 1e-11, 1e-12), `∂/∂x${i}: transform ${g[i]}, tape ${t}`).toBe(true));
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("forward mode: the tangent is ⟨gradient, tangent⟩", () => {
    fc.assert(
      fc.property(argsArbitrary(c.shapes, c.domain, c.kinks), argsArbitrary(c.shapes, [-1, 1]), (args, tangents) => {
        const g = flatten(df(...(fresh(args) as [number])).gradient);
        const t = flatten(tangents);
        const expected = g.reduce((s, gi, i) => s + gi * t[i], 0);
        const r = jvp(fresh(args), tangents);
        expect(close(r.value, f(...(fresh(args) as [number])), 1e-14, 1e-14)).toBe(true);
        const scale = g.reduce((s, gi, i) => s + Math.abs(gi * t[i]), 0);
        expect(close(r.tangent, expected, 1e-10, 1e-10 * scale + 1e-12), `tangent ${r.tangent}, ⟨g, t⟩ ${expected}`).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  if (c.hessian !== false) {
    const h = transformHessian(c.fn, c.options);
    it("transformHessian: symmetric, and matches differences of the gradient", () => {
      fc.assert(
        fc.property(argsArbitrary(c.shapes, c.domain, c.kinks), (args) => {
          const x = flatten(args);
          if (c.kinks) fc.pre(smoothAt(flat, x));
          const r = h(...fresh(args));
          const n = x.length;
          expect(r.hessian.length).toBe(n);
          const g = flatten(df(...(fresh(args) as [number])).gradient);
          flatten(r.gradient).forEach((gi, i) => expect(close(gi, g[i], 1e-12, 1e-12)).toBe(true));
          for (let j = 0; j < n; j++) {
            const column = (xs: number[]) => flatten(df(...unflatten(c.shapes, xs)).gradient);
            for (let i = 0; i < n; i++) {
              const numeric = centralDifference((xs) => column(xs)[i], x, j, 1e-4);
              expect(close(r.hessian[i][j], numeric, 1e-5, 1e-5), `H[${i}][${j}] = ${r.hessian[i][j]}, differences ${numeric}`).toBe(true);
              expect(close(r.hessian[i][j], r.hessian[j][i], 1e-9, 1e-9)).toBe(true);
            }
          }
        }),
        { numRuns: Math.ceil(RUNS / 3) },
      );
    });
  }
});

it("the corpus has at least 40 functions", () => {
  expect(corpus.length).toBeGreaterThanOrEqual(40);
});

it("the checks can fail: a gradient off by 1e-4 in one component is caught", () => {
  const c = corpus.find((k) => k.name === "design doc example")!;
  const df = differentiate(c.fn, { mode: "reverse" });
  const g = flatten(df(2, 3).gradient);
  g[1] += 1e-4;
  expect(checkGradient(([x, y]) => c.fn(x, y), [2, 3], { gradient: g, rtol: 1e-6, atol: 1e-7 }).ok).toBe(false);
});
