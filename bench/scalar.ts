/**
 * `npm run bench:scalar`: the gradient of f(x) = Σᵢ sin(xᵢ)·xᵢ₊₁ + xᵢ² (i = 0 … n−2) at n = 1e4, 1e5,
 * 1e6, computed as a plain-number primal, a hand-written analytic gradient, the source transform's
 * gradient (the floor the others are compared to), a Dual pass (one direction) and the same direction by
 * the transform's forward mode, tape record + backward
 * in three call styles (plain-number handles, explicit `tape.mul`, methods), handles with one node per
 * statement (`h.begin()` … `h.end(out)`) and with it compiled once (`h.statement`), a replay of a recorded tape (`rec.into`, no gradient array
 * per call, as the transform's `df.into`), and the arena's own floor (the handles case's nodes
 * written inline, `ArenaFloor`, with one node per statement, `StatementFloor`, and in a layout of two
 * edge slots per node, `TwoSlotFloor`). Prints min/median/max per case and the ratios to the primal and to the hand-written gradient,
 * and the heap bytes each recorded op costs; writes the table into bench/RESULTS.md. Run with
 * `--quick` for a fast smoke run.
 */
import { cpus, loadavg } from "node:os";
import { Tape, derivative, differentiate, gradient, gradientForward, numberScalar, type Dual, type Handle, type MultivariateFn, type Scalar, type Var } from "../src/index.js";
import { chain, chainDual, chainHand, seededInput } from "./chain.js";
import { consumeSink, fmtMs, table, timeInterleaved, timingReport, writeResultsSection, type Timing } from "./harness.js";

const quick = process.argv.includes("--quick");
// The machine is shared: the load beside the run says how far to trust its medians.
const loadAtStart = loadavg()[0];
const sizes = quick ? [1e4] : [1e4, 1e5, 1e6];

/** The same f written once against the numeric interface. */
function generic<T>(S: Scalar<T>, x: readonly T[]): T {
  let acc = S.from(0);
  for (let i = 0; i < x.length - 1; i++) acc = S.add(acc, S.add(S.mul(S.sin(x[i]), x[i + 1]), S.mul(x[i], x[i])));
  return acc;
}

/** Handles are int32s: `h.variables` writes the inputs' into an Int32Array reused from call to call. */
function tapeHandles(tape: Tape, x: Float64Array, hs: Int32Array): number {
  tape.reset();
  const h = tape.handles;
  const n = x.length;
  const xs = h.variables(x, hs);
  let acc = h.constant(0);
  for (let i = 0; i < n - 1; i++) {
    const xi = xs[i];
    acc = h.add(acc, h.add(h.mul(h.sin(xi), xs[i + 1]), h.mul(xi, xi)));
  }
  h.backward(acc);
  return h.gradient(xs[0]) + h.gradient(xs[n - 1]);
}

/** The handles case with one node per element: each statement preaccumulated by h.begin() … h.end(out). */
function tapeStatements(tape: Tape, x: Float64Array, hs: Int32Array): number {
  tape.reset();
  const h = tape.handles;
  const n = x.length;
  const xs = h.variables(x, hs);
  let acc = h.constant(0);
  for (let i = 0; i < n - 1; i++) {
    const xi = xs[i];
    h.begin();
    acc = h.end(h.add(acc, h.add(h.mul(h.sin(xi), xs[i + 1]), h.mul(xi, xi))));
  }
  h.backward(acc);
  return h.gradient(xs[0]) + h.gradient(xs[n - 1]);
}

/** The handles case with each element's statement compiled once (`h.statement`): one node and three edges per element, no op recorded. */
function tapeCompiled(tape: Tape, x: Float64Array, hs: Int32Array, step: (...xs: Handle[]) => Handle): number {
  tape.reset();
  const h = tape.handles;
  const n = x.length;
  const xs = h.variables(x, hs);
  let acc = h.constant(0);
  for (let i = 0; i < n - 1; i++) acc = step(acc, xs[i], xs[i + 1]);
  h.backward(acc);
  return h.gradient(xs[0]) + h.gradient(xs[n - 1]);
}

/** The element's statement acc + sin(xᵢ)·xᵢ₊₁ + xᵢ² for `h.statement`, written once against `Scalar`. */
const element = <T>([acc, xi, xj]: readonly T[], S: Scalar<T>): T => S.add(acc, S.add(S.mul(S.sin(xi), xj), S.mul(xi, xi)));

/**
 * The handles case's arena work with no API around it: the same 6 nodes and 9 edges per element
 * written straight into typed arrays of the same layout (value, op code, CSR start, parent,
 * partial), no checks, no calls, then the same reverse sweep. Not a way to use the library: the cost
 * of the representation itself, the floor under any op-by-op recording style.
 */
class ArenaFloor {
  value: Float64Array;
  adj: Float64Array;
  op: Uint8Array;
  start: Int32Array;
  parent: Int32Array;
  partial: Float64Array;
  constructor(nodes: number) {
    this.value = new Float64Array(nodes);
    this.adj = new Float64Array(nodes);
    this.op = new Uint8Array(nodes);
    this.start = new Int32Array(nodes + 1);
    this.parent = new Int32Array(2 * nodes);
    this.partial = new Float64Array(2 * nodes);
  }

  run(x: Float64Array, hs: Int32Array): number {
    const { value, op, start, parent, partial } = this;
    const n = x.length;
    let size = 0;
    let edges = 0;
    for (let i = 0; i < n; i++) {
      value[size] = x[i];
      op[size] = 0;
      start[size + 1] = edges;
      hs[i] = size++;
    }
    value[size] = 0;
    op[size] = 1;
    start[size + 1] = edges;
    let acc = size++;
    for (let i = 0; i < n - 1; i++) {
      const xi = hs[i];
      const xj = hs[i + 1];
      const v = value[xi];
      const w = value[xj];
      const s = Math.sin(v);
      // sin, s·xⱼ, xᵢ·xᵢ, their sum, acc + it: one node each, edges as the handles style records them.
      parent[edges] = xi;
      partial[edges++] = Math.cos(v);
      value[size] = s;
      op[size] = 2;
      start[++size] = edges;
      parent[edges] = size - 1;
      partial[edges++] = w;
      parent[edges] = xj;
      partial[edges++] = s;
      value[size] = s * w;
      op[size] = 3;
      start[++size] = edges;
      parent[edges] = xi;
      partial[edges++] = v;
      parent[edges] = xi;
      partial[edges++] = v;
      value[size] = v * v;
      op[size] = 3;
      start[++size] = edges;
      parent[edges] = size - 2;
      partial[edges++] = 1;
      parent[edges] = size - 1;
      partial[edges++] = 1;
      value[size] = s * w + v * v;
      op[size] = 4;
      start[++size] = edges;
      parent[edges] = acc;
      partial[edges++] = 1;
      parent[edges] = size - 1;
      partial[edges++] = 1;
      value[size] = value[acc] + value[size - 1];
      op[size] = 4;
      acc = size;
      start[++size] = edges;
    }
    return this.sweep(acc, hs, n);
  }

  /** The reverse sweep, streaming the arena once from `acc` down; the sum of the first and last inputs' adjoints. */
  protected sweep(acc: number, hs: Int32Array, n: number): number {
    const { adj, start, parent, partial } = this;
    adj.fill(0, 0, acc + 1);
    adj[acc] = 1;
    for (let i = acc; i >= 0; i--) {
      const g = adj[i];
      if (g === 0) continue;
      const end = start[i + 1];
      for (let k = start[i]; k < end; k++) adj[parent[k]] += g * partial[k];
    }
    return adj[hs[0]] + adj[hs[n - 1]];
  }
}

/**
 * The floor with statement-level preaccumulation: `ArenaFloor`'s layout, but one node per element
 * for the whole statement acc + sin(xᵢ)·xᵢ₊₁ + xᵢ², with its three partials (∂/∂acc, ∂/∂xᵢ,
 * ∂/∂xᵢ₊₁) computed inline, as an expression-template tool records it. What any handle API that
 * records one node per statement would cost at best.
 */
class StatementFloor extends ArenaFloor {
  override run(x: Float64Array, hs: Int32Array): number {
    const { value, start, parent, partial } = this;
    const n = x.length;
    let size = 0;
    let edges = 0;
    for (let i = 0; i < n; i++) {
      value[size] = x[i];
      start[size + 1] = edges;
      hs[i] = size++;
    }
    value[size] = 0;
    start[size + 1] = edges;
    let acc = size++;
    for (let i = 0; i < n - 1; i++) {
      const xi = hs[i];
      const xj = hs[i + 1];
      const v = value[xi];
      const w = value[xj];
      const s = Math.sin(v);
      parent[edges] = acc;
      partial[edges++] = 1;
      parent[edges] = xi;
      partial[edges++] = Math.cos(v) * w + v + v;
      parent[edges] = xj;
      partial[edges++] = s;
      value[size] = value[acc] + (s * w + v * v);
      acc = size;
      start[++size] = edges;
    }
    return this.sweep(acc, hs, n);
  }
}

/**
 * The arena floor in another layout: two edge slots per node at 2i, 2i+1 (a unary op's second edge
 * into a sink slot with partial 0), so no edge-start array is written or read and the sweep has no
 * inner loop. The best of the layouts measured for issue 19 (one interleaved array per node, value
 * and adjoint interleaved: within 5–10% of the CSR floor); nodes of more edges (sum, checkpoint,
 * statements) would need an escape. How much of the floor is the layout.
 */
class TwoSlotFloor {
  value: Float64Array;
  adj: Float64Array;
  parent: Int32Array;
  partial: Float64Array;
  constructor(private readonly nodes: number) {
    this.value = new Float64Array(nodes);
    this.adj = new Float64Array(nodes + 1);
    this.parent = new Int32Array(2 * nodes);
    this.partial = new Float64Array(2 * nodes);
  }

  run(x: Float64Array, hs: Int32Array): number {
    const { value, parent, partial } = this;
    const sink = this.nodes;
    const n = x.length;
    let size = 0;
    const leaf = (v: number) => {
      value[size] = v;
      parent[2 * size] = parent[2 * size + 1] = sink;
      partial[2 * size] = partial[2 * size + 1] = 0;
      return size++;
    };
    for (let i = 0; i < n; i++) hs[i] = leaf(x[i]);
    let acc = leaf(0);
    for (let i = 0; i < n - 1; i++) {
      const xi = hs[i];
      const xj = hs[i + 1];
      const v = value[xi];
      const w = value[xj];
      const s = Math.sin(v);
      let e = 2 * size;
      parent[e] = xi;
      partial[e] = Math.cos(v);
      parent[e + 1] = sink;
      partial[e + 1] = 0;
      value[size++] = s;
      e += 2;
      parent[e] = size - 1;
      partial[e] = w;
      parent[e + 1] = xj;
      partial[e + 1] = s;
      value[size++] = s * w;
      e += 2;
      parent[e] = xi;
      partial[e] = v;
      parent[e + 1] = xi;
      partial[e + 1] = v;
      value[size++] = v * v;
      e += 2;
      parent[e] = size - 2;
      partial[e] = 1;
      parent[e + 1] = size - 1;
      partial[e + 1] = 1;
      value[size] = s * w + v * v;
      size++;
      e += 2;
      parent[e] = acc;
      partial[e] = 1;
      parent[e + 1] = size - 1;
      partial[e + 1] = 1;
      value[size] = value[acc] + value[size - 1];
      acc = size++;
    }
    const adj = this.adj;
    adj.fill(0, 0, acc + 1);
    adj[acc] = 1;
    for (let i = acc; i >= 0; i--) {
      const g = adj[i];
      if (g === 0) continue;
      adj[parent[2 * i]] += g * partial[2 * i];
      adj[parent[2 * i + 1]] += g * partial[2 * i + 1];
    }
    return adj[hs[0]] + adj[hs[n - 1]];
  }
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
  for (let i = 0; i < xs.length - 1; i++)
    acc = acc.add(
      xs[i]
        .sin()
        .mul(xs[i + 1])
        .add(xs[i].mul(xs[i])),
    );
  const g = tape.backward(acc).all();
  return g[0] + g[g.length - 1];
}

/**
 * JS heap bytes allocated per recorded op over one whole evaluation (record, backward, the gradient
 * read out), measured on the timed function itself once it is optimised: cold code boxes every
 * intermediate double, which says nothing about the steady state.
 */
function heapBytesPerOp(tape: Tape, run: () => number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  // The least of three evaluations: one sample can catch the heap growing for something else.
  let least = Infinity;
  for (let k = 0; k < 3; k++) {
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const y = run();
    const after = process.memoryUsage().heapUsed;
    least = Math.min(least, y === y ? (after - before) / tape.size : NaN);
  }
  return least;
}

// First, in a fresh process: after the large cases the heap and V8's feedback are theirs.
const perCall = perCallTable();

const rows: string[][] = [];
const ratioRows: string[][] = [];
let memoryLine = "";
for (const n of sizes) {
  const x = seededInput(n);
  const g = new Float64Array(n);
  const xsArray = Array.from(x);
  const tape = new Tape();
  const hs = new Int32Array(n);
  const compiledStep = tape.handles.statement(3, element);
  const df = differentiate(chain);
  // The Dual row's one direction (1, …, 1) through the source transform's forward mode: no object per value.
  const forward = differentiate(chain, { mode: "forward" });
  const ones = new Float64Array(n).fill(1);
  const into = [new Float64Array(n)];
  const recording = Tape.record(((xs, S) => generic(S, xs)) as MultivariateFn, x);
  const replayInto = new Float64Array(n);
  const floor = new ArenaFloor(6 * n);
  const statementFloor = new StatementFloor(2 * n);
  const twoSlotFloor = new TwoSlotFloor(6 * n);
  const floorHandles = new Int32Array(n);
  const expected = tapeHandles(tape, x, hs);
  if (Math.abs(tapeCompiled(tape, x, hs, compiledStep) - expected) > 1e-9 * Math.abs(expected)) throw new Error("the compiled statements' gradient disagrees with the tape's");
  if (Math.abs(floor.run(x, floorHandles) - expected) > 1e-9 * Math.abs(expected)) throw new Error("the arena floor's gradient disagrees with the tape's");
  if (Math.abs(statementFloor.run(x, floorHandles) - expected) > 1e-9 * Math.abs(expected)) throw new Error("the statement floor's gradient disagrees with the tape's");
  if (Math.abs(twoSlotFloor.run(x, floorHandles) - expected) > 1e-9 * Math.abs(expected)) throw new Error("the two-slot floor's gradient disagrees with the tape's");
  const cases = [
    { name: "primal (plain loop)", run: () => chain(x) },
    { name: "primal (Scalar<number>)", run: () => generic(numberScalar, xsArray) },
    { name: "hand-written gradient", run: () => chainHand(x, g) },
    { name: "transform, df.into (the floor)", run: () => df.into(into, x).value },
    { name: "Dual (one direction)", run: () => chainDual(x) },
    { name: "transform, forward mode (one direction)", run: () => forward([x], [ones]).tangent as number },
    { name: "tape, handles h.mul(a, b)", run: () => tapeHandles(tape, x, hs) },
    { name: "tape, handles, one node per statement (h.begin/h.end)", run: () => tapeStatements(tape, x, hs) },
    { name: "tape, handles, compiled statement (h.statement)", run: () => tapeCompiled(tape, x, hs, compiledStep) },
    { name: "arena floor (same layout, inline, no API)", run: () => floor.run(x, floorHandles) },
    { name: "arena floor, one node per statement (preaccumulated)", run: () => statementFloor.run(x, floorHandles) },
    { name: "arena floor, two edge slots per node (no start array)", run: () => twoSlotFloor.run(x, floorHandles) },
    { name: "tape, explicit tape.mul(a, b)", run: () => tapeExplicit(tape, x) },
    { name: "tape, methods a.mul(b)", run: () => tapeMethods(tape, x) },
    { name: "replay of Tape.record, rec.into", run: () => recording.into(replayInto, x).value },
  ];
  const rounds = quick ? 5 : n >= 1e6 ? 11 : 21;
  const timings = timeInterleaved(cases, { rounds, warmup: 3, minMs: n < 1e5 ? 20 : 0 });
  const byName = new Map(timings.map((t) => [t.name, t] as const));
  const median = (name: string) => (byName.get(name) as Timing).median;
  for (const t of timings) rows.push([n.toExponential(0), t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max)]);
  for (const style of [
    "transform, df.into (the floor)",
    "arena floor (same layout, inline, no API)",
    "arena floor, one node per statement (preaccumulated)",
    "arena floor, two edge slots per node (no start array)",
    "tape, handles h.mul(a, b)",
    "tape, handles, one node per statement (h.begin/h.end)",
    "tape, handles, compiled statement (h.statement)",
    "tape, explicit tape.mul(a, b)",
    "tape, methods a.mul(b)",
    "replay of Tape.record, rec.into",
  ]) {
    ratioRows.push([n.toExponential(0), style, (median(style) / median("primal (plain loop)")).toFixed(2), (median(style) / median("hand-written gradient")).toFixed(2)]);
  }
  for (const style of ["Dual (one direction)", "transform, forward mode (one direction)"]) {
    ratioRows.push([n.toExponential(0), style, (median(style) / median("primal (plain loop)")).toFixed(2), "–"]);
  }
  if (n === sizes[0]) {
    const handles = heapBytesPerOp(tape, () => tapeHandles(tape, x, hs));
    const statements = heapBytesPerOp(tape, () => tapeStatements(tape, x, hs));
    const compiled = heapBytesPerOp(tape, () => tapeCompiled(tape, x, hs, compiledStep));
    const explicit = heapBytesPerOp(tape, () => tapeExplicit(tape, x));
    const methods = heapBytesPerOp(tape, () => tapeMethods(tape, x));
    memoryLine =
      `Arena: ${tape.bytesPerNode} bytes per recorded node (value, adjoint, edge start) plus ${tape.bytesPerEdge} per edge (parent, partial); ` +
      `JS heap allocated per recorded op, steady state (n = ${n}, a whole evaluation): ${handles.toFixed(1)} bytes with handles, ${statements.toFixed(1)} per statement node with h.begin/h.end, ${compiled.toFixed(1)} per compiled statement node, ` +
      `${explicit.toFixed(1)} explicit with Vars, ${methods.toFixed(1)} methods with Vars (the Var each op returns).`;
  }
}

/**
 * What one call of a functional costs on a small f, where the call's own work (tags, the tape and its
 * arena, the result) weighs as much as f: ns per call against the plain function, interleaved.
 */
function perCallTable(): string {
  const small = (x: Dual) => x.add(1).mul(x.sin());
  const four: MultivariateFn = (xs) => xs[0].mul(xs[1]).add(xs[2].sin()).mul(xs[3]);
  const point = [0.5, 1, 2, 3];
  const calls = 1000;
  // One loop per case (a shared loop calling each case's f would make that call megamorphic), each
  // call at a new point so that none can be hoisted.
  const cases = [
    {
      name: "f(x) = (x + 1)·sin x, plain",
      run: () => {
        let s = 0;
        for (let i = 0; i < calls; i++) {
          const x = 0.5 + i * 1e-7;
          s += (x + 1) * Math.sin(x);
        }
        return s;
      },
    },
    {
      name: "derivative(f, x)",
      run: () => {
        let s = 0;
        for (let i = 0; i < calls; i++) s += derivative(small, 0.5 + i * 1e-7).derivative;
        return s;
      },
    },
    {
      name: "f(x₀…x₃) = (x₀x₁ + sin x₂)·x₃, plain",
      run: () => {
        let s = 0;
        for (let i = 0; i < calls; i++) {
          point[0] = 0.5 + i * 1e-7;
          s += (point[0] * point[1] + Math.sin(point[2])) * point[3];
        }
        return s;
      },
    },
    {
      name: "gradientForward(f, x) (4 passes)",
      run: () => {
        let s = 0;
        for (let i = 0; i < calls; i++) {
          point[0] = 0.5 + i * 1e-7;
          s += gradientForward(four, point).gradient[0];
        }
        return s;
      },
    },
    {
      name: "gradient(f, x) (tape)",
      run: () => {
        let s = 0;
        for (let i = 0; i < calls; i++) {
          point[0] = 0.5 + i * 1e-7;
          s += gradient(four, point)[0];
        }
        return s;
      },
    },
  ];
  // CPU time (process.cpuUsage), the least of the interleaved rounds: on a machine this loaded the
  // wall clock of a short run is mostly other processes' time, and not the same share for each case.
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const least = cases.map(() => Infinity);
  let sink = 0;
  for (let round = 0; round < (quick ? 5 : 15) + 3; round++) {
    cases.forEach((c, k) => {
      let reps = 0;
      const t0 = cpuMs();
      let t1 = t0;
      do {
        sink += c.run();
        reps++;
        t1 = cpuMs();
      } while (t1 - t0 < 20);
      if (round >= 3) least[k] = Math.min(least[k], (t1 - t0) / reps);
    });
  }
  if (sink === 42.4242) console.log(""); // keep the work observable
  const ns = (k: number) => (least[k] / calls) * 1e6;
  const row = (k: number, plain: number) => [cases[k].name, ns(k).toFixed(0), plain < 0 ? "–" : (ns(k) / ns(plain)).toFixed(1)];
  return [
    "",
    "Per call on small functions (CPU time, the least of the rounds, ns per call; ÷ the plain function):",
    "",
    table(["call", "ns", "÷ plain"], [row(0, -1), row(1, 0), row(2, -1), row(3, 2), row(4, 2)]),
  ].join("\n");
}

const report = timingReport({
  quick,
  intro:
    "f(x) = Σ sin(xᵢ)·xᵢ₊₁ + xᵢ², value and gradient. Times in ms per evaluation. " +
    `Load average (1 min) at the start and the end of the run: ${loadAtStart.toFixed(1)}, ${loadavg()[0].toFixed(1)} on ${cpus().length} logical cores.`,
  key: "n",
  rows,
  ratios: "Ratios of medians (targets: handles ≤ 6× the primal, methods ≤ 10×, replay ≤ 3×, Dual ≤ 3×; the transform is the floor).",
  ratioRows,
  closing: ["", memoryLine, perCall],
});

console.log(report);
if (consumeSink() === 42.4242) console.log(""); // keep the sink alive

if (!quick) {
  writeResultsSection("scalar", "Scalar gradient (npm run bench:scalar)", report);
  console.log(`\nwritten to bench/RESULTS.md`);
}
