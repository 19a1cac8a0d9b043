/**
 * `npm run bench:scalar`: the gradient of f(x) = Σᵢ sin(xᵢ)·xᵢ₊₁ + xᵢ² (i = 0 … n−2) at n = 1e4, 1e5,
 * 1e6, computed as a plain-number primal, a hand-written analytic gradient, a Dual pass (one
 * direction), and tape record + backward in both call styles. Prints min/median/max per case and the
 * ratios tape/primal and tape/hand-written, and the bytes each recorded op costs; writes the table
 * into bench/RESULTS.md. Run with `--quick` for a fast smoke run.
 */
import { Tape, numberScalar, type Scalar, type Var } from "../src/index.js";
import { chain, chainDual, chainHand, seededInput } from "./chain.js";
import { consumeSink, fmtMs, timeInterleaved, timingReport, writeResultsSection, type Timing } from "./harness.js";

const quick = process.argv.includes("--quick");
const sizes = quick ? [1e4] : [1e4, 1e5, 1e6];

/** The same f written once against the numeric interface. */
function generic<T>(S: Scalar<T>, x: readonly T[]): T {
  let acc = S.from(0);
  for (let i = 0; i < x.length - 1; i++) acc = S.add(acc, S.add(S.mul(S.sin(x[i]), x[i + 1]), S.mul(x[i], x[i])));
  return acc;
}

function tapeExplicit(tape: Tape, x: Float64Array): number {
  tape.reset();
  const xs = tape.variables(x);
  let acc: Var<unknown> = tape.constant(0);
  for (let i = 0; i < xs.length - 1; i++) {
    acc = tape.add(acc, tape.add(tape.mul(tape.sin(xs[i]), xs[i + 1]), tape.mul(xs[i], xs[i])));
  }
  const g = tape.backward(acc).all();
  return g[0] + g[g.length - 1];
}

function tapeMethods(tape: Tape, x: Float64Array): number {
  tape.reset();
  const xs = tape.variables(x);
  let acc = tape.constant(0);
  for (let i = 0; i < xs.length - 1; i++) acc = acc.add(xs[i].sin().mul(xs[i + 1]).add(xs[i].mul(xs[i])));
  const g = tape.backward(acc).all();
  return g[0] + g[g.length - 1];
}

/** JS heap bytes allocated per recorded op (handles and the like; the arena itself is preallocated). */
function heapBytesPerOp(tape: Tape, x: Float64Array): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  tapeMethods(tape, x); // grow the arena first: we measure steady state, not growth
  tape.reset();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const xs = tape.variables(x);
  let acc = tape.constant(0);
  for (let i = 0; i < xs.length - 1; i++) acc = acc.add(xs[i].sin().mul(xs[i + 1]).add(xs[i].mul(xs[i])));
  const after = process.memoryUsage().heapUsed;
  const ops = tape.size;
  return acc.value === acc.value ? (after - before) / ops : NaN;
}

const rows: string[][] = [];
const ratioRows: string[][] = [];
let memoryLine = "";
for (const n of sizes) {
  const x = seededInput(n);
  const g = new Float64Array(n);
  const xsArray = Array.from(x);
  const tape = new Tape();
  const cases = [
    { name: "primal (plain loop)", run: () => chain(x) },
    { name: "primal (Scalar<number>)", run: () => generic(numberScalar, xsArray) },
    { name: "hand-written gradient", run: () => chainHand(x, g) },
    { name: "Dual (one direction)", run: () => chainDual(x) },
    { name: "tape, explicit tape.mul(a, b)", run: () => tapeExplicit(tape, x) },
    { name: "tape, methods a.mul(b)", run: () => tapeMethods(tape, x) },
  ];
  const rounds = quick ? 5 : n >= 1e6 ? 11 : 21;
  const timings = timeInterleaved(cases, { rounds, warmup: 3, minMs: n < 1e5 ? 20 : 0 });
  const byName = new Map(timings.map((t) => [t.name, t] as const));
  const median = (name: string) => (byName.get(name) as Timing).median;
  for (const t of timings) rows.push([n.toExponential(0), t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max)]);
  for (const style of ["tape, explicit tape.mul(a, b)", "tape, methods a.mul(b)"]) {
    ratioRows.push([
      n.toExponential(0),
      style,
      (median(style) / median("primal (plain loop)")).toFixed(2),
      (median(style) / median("hand-written gradient")).toFixed(2),
    ]);
  }
  ratioRows.push([n.toExponential(0), "Dual (one direction)", (median("Dual (one direction)") / median("primal (plain loop)")).toFixed(2), "–"]);
  if (n === sizes[0]) {
    const perOp = heapBytesPerOp(tape, x);
    memoryLine =
      `Arena: ${tape.bytesPerNode} bytes per recorded node (value, adjoint, edge start) plus ${tape.bytesPerEdge} per edge (parent, partial); ` +
      `JS heap allocated per recorded op, steady state (n = ${n}): ${perOp.toFixed(1)} bytes (the Var handle returned by the op).`;
  }
}

const report = timingReport({
  quick,
  intro: "f(x) = Σ sin(xᵢ)·xᵢ₊₁ + xᵢ², value and gradient. Times in ms per evaluation.",
  key: "n",
  rows,
  ratios: "Ratios of medians (target: tape gradient within 4× of the primal).",
  ratioRows,
  closing: ["", memoryLine],
});

console.log(report);
if (consumeSink() === 42.4242) console.log(""); // keep the sink alive

if (!quick) {
  writeResultsSection("scalar", "Scalar gradient (npm run bench:scalar)", report);
  console.log(`\nwritten to bench/RESULTS.md`);
}
