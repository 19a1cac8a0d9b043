/**
 * A program's sweeps as generated JavaScript (`new Function`), so V8 compiles a recording the way it
 * compiles hand-written code: no dispatch per node, operand indices as constants. A trace of a loop
 * repeats the same few ops with indices that step by a fixed amount each iteration, so the
 * instruction stream is first split into runs — a body of `period` instructions repeated `reps`
 * times, each operand index affine in the repetition — and each run becomes a `for` loop again
 * ("rerolling"). What repeats nowhere is emitted straight-line.
 *
 * Generated code is used only when it stays small (V8 does not optimise very large functions) and
 * the environment allows `new Function` (a Content-Security-Policy may not); otherwise
 * `generateSweeps` returns undefined and the program interprets its instructions instead.
 */
import { binaryRules, unaryRules } from "../elementary.js";
import { numberScalar } from "../number.js";
import { BINARY_OPS, UNARY_OPS } from "../scalar.js";
import { FIRST_BINARY, FIRST_UNARY, OP_NAMES, SUM } from "./codes.js";

/** What generated code needs of a program: its instructions (node, operands) and the node op codes. */
export interface Instructions {
  readonly dst: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** The arena's op code per node. */
  readonly op: Uint8Array;
}

export interface Sweeps {
  forward(value: Float64Array, wa: Float64Array, wb: Float64Array, parent: Int32Array): void;
  /** Instructions 0 … live−1 in reverse; the adjoints are seeded by the caller. */
  backward(value: Float64Array, adj: Float64Array, wa: Float64Array, wb: Float64Array, parent: Int32Array): void;
}

/** Statements emitted (loop bodies counted once) above which the program is interpreted instead. */
const MAX_STATEMENTS = 1500;
/** Longest loop body looked for. */
const MAX_PERIOD = 64;

/** Instructions start … start + period·reps − 1: `period` instructions, `reps` times. */
interface Run {
  readonly start: number;
  readonly period: number;
  readonly reps: number;
}

const RULES: readonly unknown[] = [
  ...new Array<unknown>(FIRST_UNARY).fill(undefined),
  ...UNARY_OPS.map((name) => unaryRules[name]),
  ...BINARY_OPS.map((name) => binaryRules[name]),
];

/** The generated sweeps over instructions 0 … count−1 (forward) and 0 … live−1 (backward), or undefined. */
export function generateSweeps(p: Instructions, count: number, live: number): Sweeps | undefined {
  const forwardRuns = runs(p, count, MAX_STATEMENTS);
  const backwardRuns = live === count ? forwardRuns : runs(p, live, MAX_STATEMENTS);
  if (forwardRuns === undefined || backwardRuns === undefined || statements(forwardRuns) + statements(backwardRuns) > MAX_STATEMENTS) return undefined;
  const forward = forwardRuns.map((run) => emitRun(p, run, forwardStatement, false)).join("\n");
  const backward = `let g = 0;\n${[...backwardRuns]
    .reverse()
    .map((run) => emitRun(p, run, backwardStatement, true))
    .join("\n")}`;
  try {
    const make = new Function("RULES", "S", `"use strict";\nreturn {\nforward(v, wa, wb, P) {\n${forward}\n},\nbackward(v, adj, wa, wb, P) {\n${backward}\n}\n};`);
    return make(RULES, numberScalar) as Sweeps;
  } catch {
    // `new Function` refused (a Content-Security-Policy without 'unsafe-eval'): interpret instead.
    return undefined;
  }
}

function statements(rs: readonly Run[]): number {
  let n = 0;
  for (const run of rs) n += run.period;
  return n;
}

/**
 * Greedy split into runs: at each point, the period whose run covers most (ties: the shortest).
 * Undefined as soon as the runs need more than `budget` statements (no need to split the rest).
 */
function runs(p: Instructions, count: number, budget: number): Run[] | undefined {
  const out: Run[] = [];
  let s = 0;
  let used = 0;
  while (s < count) {
    let best: Run = { start: s, period: 1, reps: 1 };
    for (let period = 1; period <= MAX_PERIOD && s + 2 * period <= count; period++) {
      // A multiple of a period that already covers two of its bodies repeats the same loop unrolled.
      if (best.reps > 1 && period % best.period === 0 && best.period * best.reps >= 2 * period) continue;
      const reps = repetitions(p, s, period, count);
      if (reps > 1 && period * reps > best.period * best.reps) best = { start: s, period, reps };
    }
    const last = out[out.length - 1];
    // Consecutive instructions that repeat nowhere join one straight-line run (reps 1).
    if (best.reps === 1 && last !== undefined && last.reps === 1) out[out.length - 1] = { start: last.start, period: last.period + 1, reps: 1 };
    else out.push(best);
    s += best.period * best.reps;
    used += best.reps === 1 ? 1 : best.period;
    if (used > budget) return undefined;
  }
  return out;
}

/** How many times the body at s … s+period−1 repeats with every index stepping by the same amount. */
function repetitions(p: Instructions, s: number, period: number, count: number): number {
  const { dst, a, b, op } = p;
  let reps = 1;
  for (let next = s + period; next + period <= count; next += period) {
    for (let t = 0; t < period; t++) {
      const i = s + t;
      const j = next + t;
      const k = j - period;
      if (op[dst[j]] !== op[dst[i]]) return reps;
      // Steps measured on the first two bodies; each later body must keep them.
      if (dst[j] - dst[k] !== dst[i + period] - dst[i]) return reps;
      if (a[j] - a[k] !== a[i + period] - a[i] || b[j] - b[k] !== b[i + period] - b[i]) return reps;
    }
    reps++;
  }
  return reps;
}

/** Instruction j's node and operands (and its slot for kept partials) as index expressions. */
interface Operands {
  readonly D: string;
  readonly A: string;
  readonly B: string;
  readonly J: string;
}

/** One run as code: a loop over r (counting down in the backward sweep) or, for reps 1, straight. */
function emitRun(p: Instructions, run: Run, statement: (code: number, o: Operands) => string, reverse: boolean): string {
  const { start, period, reps } = run;
  // In a loop, index = its value in the first body + its step per body · r.
  const at = (x: ArrayLike<number>, j: number) => {
    const step = reps === 1 ? 0 : x[j + period] - x[j];
    return step === 0 ? String(x[j]) : step === 1 ? `${x[j]} + r` : `${x[j]} + ${step} * r`;
  };
  const body: string[] = [];
  for (let j = start; j < start + period; j++) {
    const J = reps === 1 ? String(j) : `${j} + ${period} * r`;
    body.push(statement(p.op[p.dst[j]], { D: at(p.dst, j), A: at(p.a, j), B: at(p.b, j), J }));
  }
  if (reverse) body.reverse();
  if (reps === 1) return body.join("\n");
  const head = reverse ? `for (let r = ${reps - 1}; r >= 0; r--) {` : `for (let r = 0; r < ${reps}; r++) {`;
  return `${head}\n${body.join("\n")}\n}`;
}

function forwardStatement(code: number, { D, A, B, J }: Operands): string {
  if (code === SUM) return `{ let y = 0; for (let k = ${A}; k < ${B}; k++) y += v[P[k]]; v[${D}] = y; }`;
  switch (OP_NAMES[code]) {
    case "add":
      return `v[${D}] = v[${A}] + v[${B}];`;
    case "sub":
      return `v[${D}] = v[${A}] - v[${B}];`;
    case "mul":
      return `v[${D}] = v[${A}] * v[${B}];`;
    case "div":
      return `v[${D}] = v[${A}] / v[${B}];`;
    case "neg":
      return `v[${D}] = -v[${A}];`;
    case "sin":
      return `{ const x = v[${A}]; v[${D}] = Math.sin(x); wa[${J}] = Math.cos(x); }`;
    case "cos":
      return `{ const x = v[${A}]; v[${D}] = Math.cos(x); wa[${J}] = -Math.sin(x); }`;
    case "exp":
    case "log":
    case "sqrt":
    case "tanh":
      return `v[${D}] = Math.${OP_NAMES[code]}(v[${A}]);`;
  }
  const R = `RULES[${code}]`;
  if (code < FIRST_BINARY) return `{ const x = v[${A}]; const y = ${R}.primal(x); v[${D}] = y; wa[${J}] = ${R}.df(S, x, y); }`;
  return `{ const x = v[${A}]; const z = v[${B}]; const y = ${R}.primal(x, z); v[${D}] = y; wa[${J}] = ${R}.da(S, x, z, y); wb[${J}] = ${R}.db(S, x, z, y); }`;
}

/** Adjoint g of node D into its operands, with the same partial the tape records (tape.ts), skipped when g is 0. */
function backwardStatement(code: number, { D, A, B, J }: Operands): string {
  const skip = `g = adj[${D}]; if (g !== 0) `;
  if (code === SUM) return `${skip}for (let k = ${A}; k < ${B}; k++) adj[P[k]] += g;`;
  switch (OP_NAMES[code]) {
    case "add":
      return `${skip}{ adj[${A}] += g; adj[${B}] += g; }`;
    case "sub":
      return `${skip}{ adj[${A}] += g; adj[${B}] -= g; }`;
    case "mul":
      return `${skip}{ adj[${A}] += g * v[${B}]; adj[${B}] += g * v[${A}]; }`;
    case "div":
      return `${skip}{ const z = v[${B}]; adj[${A}] += g * (1 / z); adj[${B}] += g * (-v[${D}] / z); }`;
    case "neg":
      return `${skip}adj[${A}] -= g;`;
    case "exp":
      return `${skip}adj[${A}] += g * v[${D}];`;
    case "log":
      return `${skip}adj[${A}] += g * (1 / v[${A}]);`;
    case "sqrt":
      return `${skip}adj[${A}] += g * (0.5 / v[${D}]);`;
    case "tanh":
      return `${skip}{ const y = v[${D}]; adj[${A}] += g * (1 - y * y); }`;
  }
  if (code < FIRST_BINARY) return `${skip}adj[${A}] += g * wa[${J}];`;
  return `${skip}{ adj[${A}] += g * wa[${J}]; adj[${B}] += g * wb[${J}]; }`;
}
