/**
 * `npm run bench:transform`: source transformation against the other ways to get the same gradient,
 * on two functions:
 * - the scalar benchmark's f(x) = Σᵢ sin(xᵢ)·xᵢ₊₁ + xᵢ² at n = 1e5 (a loop over an array);
 * - an explicit Euler integration of two bodies under gravity over 10,000 steps, the final
 *   separation differentiated with respect to the 8 initial positions and velocities (a long loop
 *   of straight-line code, where the reverse sweep needs every step's state).
 * Each is run as a plain-number primal, a hand-written gradient, the transformed gradient
 * (`differentiate`; for the chain also `df.into`, which reuses the caller's gradient array), the tape (record + backward) and Dual (one direction, and every direction for
 * the 8-input one). The gradients are cross-checked before anything is timed. Prints min/median/max
 * and the ratios to the primal and to the hand-written gradient; writes the table into
 * bench/RESULTS.md. `--quick` for a smoke run.
 *
 * Then the transform's own cost: the time `differentiate` (and forward mode, transformHessian) takes
 * to compile long straight-line programs, a loop of many statements and deep nesting, which shows
 * whether compile time grows linearly with the program.
 */
import { Dual, Tape, dualScalar, type Scalar, type Var } from "../src/index.js";
import { chain, chainDual, chainHand, seededInput } from "./chain.js";
import { attempt } from "../src/errors.js";
import { differentiate, transformHessian } from "../src/transform/index.js";
import { consumeSink, fmtMs, table, timeInterleaved, timingReport, writeResultsSection, type Case, type Timing } from "./harness.js";

const quick = process.argv.includes("--quick");

// ---------------------------------------------------------------------------------------------
// f(x) = Σ sin(xᵢ)·xᵢ₊₁ + xᵢ²

function chainTape(tape: Tape, x: Float64Array): Float64Array {
  tape.reset();
  const xs = tape.variables(x);
  let acc: Var<unknown> = tape.constant(0);
  for (let i = 0; i < xs.length - 1; i++) acc = tape.add(acc, tape.add(tape.mul(tape.sin(xs[i]), xs[i + 1]), tape.mul(xs[i], xs[i])));
  return Float64Array.from(tape.backward(acc).all());
}

// ---------------------------------------------------------------------------------------------
// Two bodies, explicit Euler. s = [x1, y1, x2, y2, u1, v1, u2, v2] (positions, then velocities).

const STEPS = quick ? 1000 : 10_000;
const DT = 1e-3;
const M1 = 1;
const M2 = 0.5;

/** The final separation of the two bodies after STEPS steps from s. */
function twoBody(s: Float64Array): number {
  let x1 = s[0], y1 = s[1], x2 = s[2], y2 = s[3];
  let u1 = s[4], v1 = s[5], u2 = s[6], v2 = s[7];
  for (let k = 0; k < STEPS; k++) {
    const dx = x2 - x1;
    const dy = y2 - y1;
    const r2 = dx * dx + dy * dy;
    const inv = 1 / (r2 * Math.sqrt(r2));
    x1 += DT * u1;
    y1 += DT * v1;
    x2 += DT * u2;
    y2 += DT * v2;
    u1 += DT * M2 * dx * inv;
    v1 += DT * M2 * dy * inv;
    u2 -= DT * M1 * dx * inv;
    v2 -= DT * M1 * dy * inv;
  }
  return Math.sqrt((x2 - x1) ** 2 + (y2 - y1) ** 2);
}

/**
 * The hand-written adjoint: a forward sweep that keeps each step's separation (dx, dy) (twoBody's
 * loop again, on purpose: a hand-written gradient is one self-contained function), then the
 * reverse sweep. Per step, x' = x + dt·u and u' = u + dt·a(x) with a₁ = m₂·d·r⁻³, a₂ = −m₁·d·r⁻³,
 * d = p₂ − p₁; so ū = ū' + dt·x̄', and x̄ = x̄' + dt·J_a(x)ᵀ ū', where for c = dt·(m₂ū₁' − m₁ū₂'),
 * ∂(c·d r⁻³)/∂d = c r⁻³ − 3 (c·d) r⁻⁵ d, added to p̄₂ and taken from p̄₁.
 */
function twoBodyHand(s: Float64Array, g: Float64Array, saved: Float64Array): number {
  let x1 = s[0], y1 = s[1], x2 = s[2], y2 = s[3];
  let u1 = s[4], v1 = s[5], u2 = s[6], v2 = s[7];
  for (let k = 0; k < STEPS; k++) {
    const dx = x2 - x1;
    const dy = y2 - y1;
    saved[2 * k] = dx;
    saved[2 * k + 1] = dy;
    const r2 = dx * dx + dy * dy;
    const inv = 1 / (r2 * Math.sqrt(r2));
    x1 += DT * u1;
    y1 += DT * v1;
    x2 += DT * u2;
    y2 += DT * v2;
    u1 += DT * M2 * dx * inv;
    v1 += DT * M2 * dy * inv;
    u2 -= DT * M1 * dx * inv;
    v2 -= DT * M1 * dy * inv;
  }
  const fx = x2 - x1;
  const fy = y2 - y1;
  const dist = Math.sqrt(fx * fx + fy * fy);
  let bx2 = fx / dist, by2 = fy / dist;
  let bx1 = -bx2, by1 = -by2;
  let bu1 = 0, bv1 = 0, bu2 = 0, bv2 = 0;
  for (let k = STEPS - 1; k >= 0; k--) {
    const dx = saved[2 * k];
    const dy = saved[2 * k + 1];
    const r2 = dx * dx + dy * dy;
    const inv = 1 / (r2 * Math.sqrt(r2));
    const cx = DT * (M2 * bu1 - M1 * bu2);
    const cy = DT * (M2 * bv1 - M1 * bv2);
    const cd = (cx * dx + cy * dy) * 3 * inv / r2;
    const gx = cx * inv - cd * dx;
    const gy = cy * inv - cd * dy;
    bu1 += DT * bx1;
    bv1 += DT * by1;
    bu2 += DT * bx2;
    bv2 += DT * by2;
    bx2 += gx;
    by2 += gy;
    bx1 -= gx;
    by1 -= gy;
  }
  g[0] = bx1; g[1] = by1; g[2] = bx2; g[3] = by2;
  g[4] = bu1; g[5] = bv1; g[6] = bu2; g[7] = bv2;
  return dist;
}

/** The same integration over the numeric interface (tape and Dual). */
function twoBodyGeneric<T>(S: Scalar<T>, s: readonly T[]): T {
  let [x1, y1, x2, y2, u1, v1, u2, v2] = s;
  for (let k = 0; k < STEPS; k++) {
    const dx = S.sub(x2, x1);
    const dy = S.sub(y2, y1);
    const r2 = S.add(S.mul(dx, dx), S.mul(dy, dy));
    const inv = S.div(1, S.mul(r2, S.sqrt(r2)));
    x1 = S.add(x1, S.mul(DT, u1));
    y1 = S.add(y1, S.mul(DT, v1));
    x2 = S.add(x2, S.mul(DT, u2));
    y2 = S.add(y2, S.mul(DT, v2));
    u1 = S.add(u1, S.mul(DT * M2, S.mul(dx, inv)));
    v1 = S.add(v1, S.mul(DT * M2, S.mul(dy, inv)));
    u2 = S.sub(u2, S.mul(DT * M1, S.mul(dx, inv)));
    v2 = S.sub(v2, S.mul(DT * M1, S.mul(dy, inv)));
  }
  const fx = S.sub(x2, x1);
  const fy = S.sub(y2, y1);
  return S.sqrt(S.add(S.mul(fx, fx), S.mul(fy, fy)));
}

function twoBodyTape(tape: Tape, s: Float64Array): Float64Array {
  tape.reset();
  const vars = tape.variables(s);
  return Float64Array.from(tape.backward(twoBodyGeneric(tape.scalar, vars)).all());
}

function twoBodyDual(s: Float64Array, direction: number): number {
  const xs = Array.from(s, (v, i) => Dual.variable(v, i === direction ? 1 : 0));
  return twoBodyGeneric(dualScalar, xs).dx;
}

// ---------------------------------------------------------------------------------------------

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / Math.max(scale, 1e-300);
}

/** Every gradient of one function must agree with the hand-written one before timing. */
function crossCheck(label: string, want: Float64Array, got: Record<string, ArrayLike<number>>): void {
  for (const [name, g] of Object.entries(got)) {
    const d = maxRelDiff(want, g);
    if (!(d < 1e-9)) throw new Error(`bench:transform: ${label}: ${name} differs from the hand-written gradient (relative ${d.toExponential(2)})`);
  }
}

const gradOf = (r: { gradient: unknown }): ArrayLike<number> => {
  const g = r.gradient as ArrayLike<number> | ArrayLike<number>[];
  return typeof g[0] === "number" ? (g as ArrayLike<number>) : (g as ArrayLike<number>[])[0];
};

const rows: string[][] = [];
const ratioRows: string[][] = [];

function report(label: string, cases: readonly Case[], rounds: number, minMs: number): void {
  const timings = timeInterleaved(cases, { rounds, warmup: 3, minMs });
  const by = new Map(timings.map((t) => [t.name, t] as const));
  const median = (name: string) => (by.get(name) as Timing).median;
  for (const t of timings) rows.push([label, t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max)]);
  for (const t of timings) {
    if (t.name === "primal") continue;
    ratioRows.push([label, t.name, (t.median / median("primal")).toFixed(2), t.name === "hand-written gradient" ? "1" : (t.median / median("hand-written gradient")).toFixed(2)]);
  }
}

{
  const n = quick ? 1e4 : 1e5;
  const x = seededInput(n);
  const g = new Float64Array(n);
  const df = differentiate(chain);
  const into = [new Float64Array(n)];
  const tape = new Tape();
  chainHand(x, g);
  crossCheck("chain", g, { transformed: gradOf(df(x)), "df.into": gradOf(df.into(into, x)), tape: chainTape(tape, x) });
  report(`chain, n = ${n.toExponential(0)}`, [
    { name: "primal", run: () => chain(x) },
    { name: "hand-written gradient", run: () => chainHand(x, g) },
    { name: "transformed gradient", run: () => df(x).value },
    { name: "transformed gradient, df.into (reused array)", run: () => df.into(into, x).value },
    { name: "tape gradient", run: () => chainTape(tape, x)[0] },
    { name: "Dual (one direction)", run: () => chainDual(x) },
  ], quick ? 5 : 21, 20);
}

{
  const s = Float64Array.from([0, 0, 1, 0, 0, -0.3, 0, 0.6]);
  const g = new Float64Array(8);
  const saved = new Float64Array(2 * STEPS);
  const df = differentiate(twoBody, { constants: { STEPS, DT, M1, M2 } });
  const tape = new Tape();
  twoBodyHand(s, g, saved);
  crossCheck("two bodies", g, {
    transformed: gradOf(df(s)),
    tape: twoBodyTape(tape, s),
    Dual: Array.from({ length: 8 }, (_, i) => twoBodyDual(s, i)),
  });
  report(`two bodies, ${STEPS} Euler steps`, [
    { name: "primal", run: () => twoBody(s) },
    { name: "hand-written gradient", run: () => twoBodyHand(s, g, saved) },
    { name: "transformed gradient", run: () => df(s).value },
    { name: "tape gradient", run: () => twoBodyTape(tape, s)[0] },
    { name: "Dual (one direction)", run: () => twoBodyDual(s, 0) },
    { name: "Dual (all 8 directions)", run: () => { let t = 0; for (let i = 0; i < 8; i++) t += twoBodyDual(s, i); return t; }, rounds: quick ? 3 : 7 },
  ], quick ? 5 : 21, 20);
}

// ---------------------------------------------------------------------------------------------
// Compile time.

/** `const a1 = a0 * y + Math.sin(a0) * 0.5; …`: n statements, each using the one before. */
function straightLine(n: number): (x: number, y: number) => number {
  const lines = Array.from({ length: n }, (_, i) => `const a${i + 1} = a${i} * y + Math.sin(a${i}) * 0.5;`);
  return new Function("x", "y", `const a0 = x;\n${lines.join("\n")}\nreturn a${n};`) as never;
}

/** One loop over x whose body is n such statements, summed (a reduction: one fused sweep). */
function loopOf(n: number): (x: number[], y: number) => number {
  const body = Array.from({ length: n }, () => "t = t * y + Math.sin(t) * 0.5;").join("\n");
  return new Function("x", "y", `let s = 0;\nfor (let i = 0; i < x.length; i++) {\nlet t = x[i];\n${body}\ns += t;\n}\nreturn s;`) as never;
}

const nestedSin = (n: number): ((x: number) => number) => new Function("x", `return ${"Math.sin(".repeat(n)}x${")".repeat(n)};`) as never;

/** The fastest of a few compiles (the machine is shared: the minimum is the least disturbed), and what came of it. */
function compileTime(compile: () => unknown, runs: number): { ms: number; outcome: string } {
  let best = Infinity;
  let outcome = "compiled";
  for (let k = 0; k < runs; k++) {
    const t = performance.now();
    const r = attempt(compile);
    best = Math.min(best, performance.now() - t);
    if (!r.ok) outcome = `refused: ${r.error.code} (${String(r.error.details.construct)})`;
  }
  return { ms: best, outcome };
}

const compileRows: string[][] = [];
{
  differentiate(straightLine(50)); // warm the compiler's own code first
  const runs = quick ? 1 : 3;
  const cases: [string, string, () => unknown][] = [
    ...(quick ? [250, 1000] : [250, 500, 1000, 2000, 4000]).map((n): [string, string, () => unknown] => [`${n} straight-line statements`, "reverse", () => differentiate(straightLine(n))]),
    ["1000 straight-line statements", "forward", () => differentiate(straightLine(1000), { mode: "forward" })],
    ["1000 straight-line statements", "transformHessian", () => transformHessian(straightLine(1000))],
    ["a loop of 1000 statements", "reverse", () => differentiate(loopOf(1000))],
    ["Math.sin nested 400 deep", "reverse", () => differentiate(nestedSin(400))],
    ["Math.sin nested 900 deep", "reverse", () => differentiate(nestedSin(900))],
  ];
  for (const [program, mode, compile] of cases) {
    const { ms, outcome } = compileTime(compile, runs);
    compileRows.push([program, mode, fmtMs(ms), outcome]);
  }
}

const out = timingReport({
  quick,
  intro: "Value and gradient, ms per evaluation. Every gradient is checked against the hand-written one first.",
  key: "function",
  rows,
  ratios: "Ratios of medians (targets: transformed gradient ≤ 1.5× hand-written and ≤ 3× primal).",
  ratioRows,
  closing: [
    "",
    `Compile time: ms for \`differentiate\` (or transformHessian) to parse, transform and compile the program, the fastest of ${quick ? 1 : 3} (the machine is shared with other work, so single runs are noisy). Code nested more than 500 levels deep is refused by design (README § Source transformation).`,
    "",
    table(["program", "mode", "compile ms", "outcome"], compileRows),
  ],
});

console.log(out);
if (consumeSink() === 42.4242) console.log("");
if (!quick) {
  writeResultsSection("transform", "Source transformation (npm run bench:transform)", out);
  console.log("\nwritten to bench/RESULTS.md");
}
