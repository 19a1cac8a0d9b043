/**
 * Runs one workload across the libraries: prepares each library's case, runs it once to check its
 * result against the first library's (a benchmark of a wrong result is worthless: a disagreement
 * throws), then times all cases interleaved (bench/harness.ts). A library that throws while preparing
 * or computing is reported as unable to run the workload, with its error; one without the workload is
 * reported as missing. Slow cases get fewer rounds so the whole benchmark fits its time budget.
 */
import { timeInterleaved, type Case, type Timing } from "../harness.js";
import type { Rival } from "../rivals/index.js";
import type { GradResult, Prepared, Workload } from "../rivals/rival.js";

export interface Loaded {
  readonly name: string;
  readonly rival: Rival;
}

export interface Schedule {
  readonly rounds: number;
  readonly warmup: number;
  /** A case whose first run took longer than budgetMs / rounds gets ⌊budgetMs / first run⌋ rounds (at least `minRounds`) and no warm-up. */
  readonly budgetMs: number;
  readonly minRounds: number;
  /** Repeat a case within one sample until this many ms have passed (tiny workloads). Default 0. */
  readonly minMs?: number;
}

export interface Row {
  readonly name: string;
  readonly threads: number;
  readonly timing: Timing;
  /** A jitted case's first call (trace, optimise, code generation and one run), ms. */
  readonly firstCallMs?: number;
}

export interface Outcome {
  readonly rows: readonly Row[];
  /** "name: why" for each library that has no implementation of the workload. */
  readonly missing: readonly string[];
  /** "name: error" for each library whose implementation threw. */
  readonly failed: readonly string[];
  /** One line per checked library: how far its result is from the reference's. */
  readonly agreement: readonly string[];
  /** The reference's result (its value, for the report). */
  readonly reference: GradResult | null;
  /** Cases that ran fewer rounds than the schedule's (slow ones). */
  readonly reduced: readonly string[];
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
}

/** A case ready to time, with the duration of its first (checking) run. */
interface Ready {
  readonly name: string;
  readonly threads: number;
  readonly run: () => number;
  readonly firstMs: number;
  readonly firstCallMs?: () => number | undefined;
}

function schedule(ready: readonly Ready[], s: Schedule): { cases: Case[]; reduced: string[] } {
  const reduced: string[] = [];
  const cases = ready.map((r): Case => {
    if (r.firstMs * s.rounds <= s.budgetMs) return { name: r.name, run: r.run };
    const rounds = Math.max(s.minRounds, Math.min(s.rounds, Math.floor(s.budgetMs / r.firstMs)));
    if (rounds < s.rounds) reduced.push(`${r.name} (${rounds} rounds)`);
    return { name: r.name, run: r.run, rounds, warmup: 0 };
  });
  return { cases, reduced };
}

function time(ready: readonly Ready[], s: Schedule): Pick<Outcome, "rows" | "reduced"> {
  const { cases, reduced } = schedule(ready, s);
  const timings = timeInterleaved(cases, { rounds: s.rounds, warmup: s.warmup, minMs: s.minMs });
  // Read after timing: a case whose jitted function is first called by its first step has made it by then.
  return { rows: timings.map((timing, i) => ({ name: ready[i].name, threads: ready[i].threads, timing, firstCallMs: ready[i].firstCallMs?.() })), reduced };
}

/** Records that `l` has no case for `workload` (a call-style variant is not a missing library). */
function noteMissing(missing: string[], l: Loaded, workload: Workload): void {
  if (l.rival.variant !== true) missing.push(`${l.name} (${l.rival.missing?.[workload] ?? "not implemented"})`);
}

/** Matmul: each case returns C[0,0], checked against the plain loop's value `expected`. */
export function runMatmul(loaded: readonly Loaded[], a: Float32Array, b: Float32Array, n: number, expected: number, s: Schedule): Outcome {
  const ready: Ready[] = [];
  const missing: string[] = [];
  const failed: string[] = [];
  for (const l of loaded) {
    if (l.rival.matmul === undefined) {
      noteMissing(missing, l, "matmul");
      continue;
    }
    try {
      const run = l.rival.matmul(a, b, n);
      const [got, firstMs] = timed(run);
      if (!(Math.abs(got - expected) <= 1e-3 * Math.max(1, Math.abs(expected)))) throw new Error(`matmul ${n}: ${l.name} gives C[0,0] = ${got}, the plain loop ${expected}`);
      ready.push({ name: l.name, threads: l.rival.threads, run, firstMs });
    } catch (e) {
      if (e instanceof Error && e.message.startsWith("matmul")) throw e; // a wrong product is a bug, not a missing feature
      failed.push(`${l.name}: ${message(e)}`);
    }
  }
  return { ...time(ready, s), missing, failed, agreement: [], reference: null };
}

export interface Tolerance {
  /** Largest relative difference of the value. */
  readonly value: number;
  /** Largest absolute difference of a gradient element, relative to that gradient's largest element. */
  readonly grad: number;
}

function maxAbs(xs: Float32Array): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]));
  return m;
}

function maxAbsDiff(xs: Float32Array, ys: Float32Array): number {
  if (xs.length !== ys.length) return Infinity;
  let m = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = Math.abs(xs[i] - ys[i]);
    m = d > m || Number.isNaN(d) ? d : m;
  }
  return m;
}

class Disagreement extends Error {}

/** Throws a Disagreement unless `got` matches `want` within `tol`; else a line saying how close they are. */
function checkAgreement(title: string, name: string, got: GradResult, refName: string, want: GradResult, tol: Tolerance): string {
  const valueRel = Math.abs(got.value - want.value) / Math.abs(want.value);
  if (!(valueRel <= tol.value)) throw new Disagreement(`${title}: ${name} gives ${got.value}, ${refName} ${want.value} (relative difference ${valueRel.toExponential(2)})`);
  const parts: string[] = [];
  for (const k of Object.keys(want.grads)) {
    const g = got.grads[k];
    if (g === undefined) throw new Disagreement(`${title}: ${name} returns no gradient for ${k}`);
    const diff = maxAbsDiff(g, want.grads[k]);
    const scale = maxAbs(want.grads[k]);
    if (!(diff <= tol.grad * Math.max(scale, 1e-12))) {
      throw new Disagreement(`${title}: ${name}'s gradient of ${k} differs from ${refName}'s by up to ${diff.toExponential(2)} (largest element ${scale.toExponential(2)})`);
    }
    parts.push(`d${k} ${(diff / Math.max(scale, 1e-30)).toExponential(1)}`);
  }
  return `${name}: value ${valueRel.toExponential(1)}; gradients ${parts.join(", ")}`;
}

/** A value-and-gradient workload (MLP, CNN, chain): every library's result is checked against the first's. */
export function runGradients(
  loaded: readonly Loaded[],
  workload: Exclude<Workload, "matmul">,
  title: string,
  prepare: (r: Rival) => Prepared | undefined,
  tol: Tolerance,
  s: Schedule,
): Outcome {
  const ready: Ready[] = [];
  const missing: string[] = [];
  const failed: string[] = [];
  const agreement: string[] = [];
  let reference: { name: string; result: GradResult } | null = null;
  for (const l of loaded) {
    try {
      const p = prepare(l.rival);
      if (p === undefined) {
        noteMissing(missing, l, workload);
        continue;
      }
      const [result, firstMs] = timed(p.result);
      if (reference === null) reference = { name: l.name, result };
      else agreement.push(checkAgreement(title, l.name, result, reference.name, reference.result, tol));
      ready.push({ name: l.name, threads: l.rival.threads, run: p.step, firstMs, firstCallMs: p.firstCallMs });
    } catch (e) {
      if (e instanceof Disagreement) throw e;
      failed.push(`${l.name}: ${message(e)}`);
    }
  }
  return { ...time(ready, s), missing, failed, agreement, reference: reference?.result ?? null };
}
