/**
 * Reduction loops (fuse.ts): which corpus loops run as one fused sweep. Their derivatives are
 * checked with the rest of the corpus (corpus.test.ts: finite differences, the tape, forward mode,
 * the Hessian); here, that the fusion happens where it should and only there.
 */
import { describe, expect, it } from "vitest";
import { differentiate, transformHessian } from "../../src/transform/index.js";
import { corpus } from "./corpus.js";

/** The reverse sweep of an unfused loop counts its trips forward (`iterations`) and runs them back. */
const sweeps = (source: string) => (/\biterations(_\d+)?\b/.test(source) ? 2 : 1);

describe("reduction loops", () => {
  const cases = corpus.filter((c) => c.fused !== undefined);

  it("the corpus has fused and unfused cases", () => {
    expect(cases.filter((c) => c.fused).length).toBeGreaterThanOrEqual(6);
    expect(cases.filter((c) => !c.fused).length).toBeGreaterThanOrEqual(4);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const source = differentiate(c.fn, { ...c.options, mode: "reverse" }).source;
    expect(sweeps(source), source).toBe(c.fused ? 1 : 2);
    // A fused loop pushes nothing per iteration.
    if (c.fused) expect(source).not.toMatch(/for \(;;\) \{[^]*stack\[sp\+\+\][^]*\n {2}\}/);
  });
});

/** A random term over x[i], its neighbour and the number y, from a small grammar. */
function term(rnd: () => number, depth: number): string {
  const leaves = ["x[i]", "x[(i + 1) % x.length]", "y", "0.5", "(i + 1)"];
  if (depth === 0 || rnd() < 0.3) return leaves[Math.floor(rnd() * leaves.length)];
  const a = term(rnd, depth - 1);
  const b = term(rnd, depth - 1);
  switch (Math.floor(rnd() * 7)) {
    case 0:
      return `(${a} + ${b})`;
    case 1:
      return `(${a} - ${b})`;
    case 2:
      return `(${a} * ${b})`;
    case 3:
      return `Math.sin(${a})`;
    case 4:
      return `Math.tanh(${a} * ${b})`;
    case 5:
      return `Math.exp(0.3 * ${a})`;
    default:
      return `(x[i] > 0 ? ${a} : ${b})`;
  }
}

/** A loop of one or two sums, then code after it: linear in the sums (fusable) or not. */
function program(seed: number): { source: string; linear: boolean; two: boolean } {
  let s = seed >>> 0 || 1;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const two = rnd() < 0.5;
  const linear = rnd() < 0.7;
  // Each term reads x[i], so each sum is active.
  const body = [`a ${rnd() < 0.5 ? "+=" : "-="} x[i] * ${term(rnd, 3)};`, ...(two ? [`b += ${term(rnd, 3)} + x[i];`] : [])];
  const tail = linear ? `return ${two ? "2 * a - b / 4" : "a * 3"} + y * y;` : `return ${two ? "a * b" : "Math.sin(a)"} + y;`;
  const start = rnd() < 0.5 ? "y" : "0";
  const source = `(x, y) => { let a = ${start}; let b = 0; for (let i = 0; i < x.length; i++) { ${body.join(" ")} } ${tail} }`;
  return { source, linear, two };
}

describe("random reduction loops", () => {
  it("reverse (fused where the sums' exit adjoints are constants, or there is one sum) agrees with forward mode", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { source, linear, two } = program(seed);
      const fn = new Function(`return ${source};`)() as (x: number[], y: number) => number;
      const df = differentiate(fn);
      const jvp = differentiate(fn, { mode: "forward" });
      // One sum under any function is scaled at run time; two need constant adjoints.
      expect(sweeps(df.source), source).toBe(linear || !two ? 1 : 2);
      const x = [0.3, -0.7, 1.1, -0.2].map((v) => v + seed / 100);
      const y = 0.4 - seed / 200;
      const r = df(x, y);
      expect(r.value, source).toBe(fn(x, y));
      const g = [...(r.gradient[0] as Float64Array), r.gradient[1] as number];
      for (let j = 0; j < 5; j++) {
        const t = [0, 0, 0, 0].map((_, k) => (k === j ? 1 : 0));
        const d = jvp([x, y], [t, j === 4 ? 1 : 0]).tangent;
        expect(Math.abs(g[j] - d), `${source}: ∂/∂${j} ${g[j]} vs ${d}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(d)));
      }
    }
  });
});

describe("a zero exit adjoint", () => {
  // sqrt′(0) = ∞: a zero cotangent must still give 0 there, fused or not, as the tape does.
  const sumOfRoots = (tail: string) => new Function("x", `let s = 0; for (let i = 0; i < x.length; i++) s += Math.sqrt(x[i]); ${tail}`) as (x: number[]) => number;
  it.each([
    ["scaled at run time: A = 0 gives 0, not 0 · ∞", "return Math.max(s, 5);", [0, 0, 0]],
    ["a constant A = 0", "return 0 * s + 1;", [0, 0, 0]],
    ["a nonzero A still gives ∞ where the derivative is", "return s * s;", [Infinity, 3, 1.5]],
  ] as const)("%s", (_name, tail, want) => {
    const df = differentiate(sumOfRoots(tail));
    expect(sweeps(df.source)).toBe(1);
    expect(Array.from(df([0, 1, 4]).gradient[0] as Float64Array)).toEqual(want);
  });
});

describe("the Hessian of a loop scaled at run time, where its exit adjoint A is exactly 0 or 1", () => {
  // Forward over reverse: the scaling by A must carry A's tangent even where A is 0 or 1 (a branch
  // on A dropped it: the Hessian was [[0, 0], [0, 0]] and [[2, 0], [0, 2]]).
  const sumThen = (term: string, tail: string) => new Function("x", `let s = 0; for (let i = 0; i < x.length; i++) s += ${term}; ${tail}`) as (x: number[]) => number;
  it.each([
    // log(Σx²) at |x| = 1: A = 1/s = 1; H = 2I/s − 4xxᵀ/s².
    [
      "A = 1: log of a sum of squares",
      sumThen("x[i] * x[i]", "return Math.log(s);"),
      [0.6, 0.8],
      [
        [0.56, -1.92],
        [-1.92, -0.56],
      ],
    ],
    // (Σ sin x)² where the sum is 0: A = 2s = 0; H = 2 cos xᵢ cos xⱼ.
    [
      "A = 0: a sum of sines squared",
      sumThen("Math.sin(x[i])", "return s * s;"),
      [-2, 2],
      [
        [2 * Math.cos(2) ** 2, 2 * Math.cos(2) ** 2],
        [2 * Math.cos(2) ** 2, 2 * Math.cos(2) ** 2],
      ],
    ],
  ] as const)("%s", (_name, f, x, want) => {
    expect(sweeps(differentiate(f).source)).toBe(1);
    const h = transformHessian(f)([...x]).hessian as number[][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(h[i][j]).toBeCloseTo(want[i][j], 12);
  });
});
