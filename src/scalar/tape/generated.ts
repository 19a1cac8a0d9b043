/**
 * A program's sweeps as generated JavaScript (`new Function`), so V8 compiles a recording the way it
 * compiles hand-written code: no dispatch per node, operand indices as constants. A trace of a loop
 * repeats the same few ops with indices that step by a fixed amount each iteration, so the
 * instruction stream is first split into runs — a body of `period` instructions repeated `reps`
 * times, each operand index affine in the repetition — and each run becomes a `for` loop again
 * ("rerolling"). What repeats nowhere is emitted straight-line, as one block.
 *
 * One repetition of a body (or one straight-line block) is an *instance*. A node that only its own
 * instance reads is *local*: its value and adjoint live in JavaScript locals (registers), never in
 * the arena. Only *kept* nodes — read by another instance or by a `sum`, the output, the guards —
 * are written to `value` (and have their adjoint in `adj`, zeroed by the forward sweep, so no sweep
 * clears the whole arena). What the reverse sweep needs of an instance (the partials of sin, cos and
 * the rule-table ops, and the local values the arithmetic partials are made of) goes into a compact
 * buffer of a few doubles per instance that the reverse sweep streams back. The arithmetic is the
 * tape's, operation for operation and in the same order, so a replay gives bit for bit what a fresh
 * recording gives; only the intermediate nodes are no longer in the arena.
 *
 * Generated code is used only when it stays small (V8 does not optimise very large functions) and
 * the environment allows `new Function` (a Content-Security-Policy may not); otherwise
 * `generateSweeps` returns undefined and the program interprets its instructions instead.
 */
import { binaryRules, unaryRules } from "../elementary.js";
import { numberScalar } from "../number.js";
import { BINARY_OPS, UNARY_OPS } from "../scalar.js";
import { FIRST_BINARY, FIRST_UNARY, OP_NAMES, PASSIVE, SUM } from "./codes.js";

/** What generated code needs of a program: its instructions (node, operands), the arena's op codes and edges. */
export interface Instructions {
  readonly dst: Int32Array;
  /** Operand nodes (for a sum: its first edge and the end of its edges). */
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** The arena's op code per node. */
  readonly op: Uint8Array;
  /** The arena's edge parents (a sum's operands). */
  readonly parent: Int32Array;
}

export interface Sweeps {
  /** Every instruction's value; writes the kept nodes' values and zeroes their adjoints. */
  forward(value: Float64Array, adj: Float64Array, parent: Int32Array): void;
  /** Every instruction in reverse, after `forward`; the output's adjoint is seeded by the caller. */
  backward(value: Float64Array, adj: Float64Array, parent: Int32Array): void;
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

/**
 * The generated sweeps over instructions 0 … count−1, or undefined. `keep`: nodes whose values must
 * be in the arena after the forward sweep (the output, the guards).
 */
export function generateSweeps(p: Instructions, count: number, keep: readonly number[]): Sweeps | undefined {
  const rs = runs(p, count, MAX_STATEMENTS);
  if (rs === undefined || 2 * statements(rs) > MAX_STATEMENTS) return undefined;
  const kept = keptInstructions(p, count, rs, keep);
  let slots = 0;
  const forward: string[] = [];
  const backward: string[] = [];
  for (const run of rs) {
    const code = emitRun(p, run, kept, slots);
    forward.push(code.forward);
    backward.push(code.backward);
    slots += code.slots * run.reps;
  }
  const source =
    `"use strict";\nconst K = new Float64Array(${slots});\nreturn {\nforward(v, adj, P) {\n${forward.join("\n")}\n},\n` +
    `backward(v, adj, P) {\nlet g = 0;\n${backward.reverse().join("\n")}\n}\n};`;
  try {
    return new Function("RULES", "S", source)(RULES, numberScalar) as Sweeps;
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

/**
 * Which instructions' nodes must be in the arena (1) rather than local to their instance (0): read by
 * another instance or by a sum, in `keep`, or read in their own instance through an index that is
 * not the same affine expression in every repetition (the generated code could not name it).
 */
function keptInstructions(p: Instructions, count: number, rs: readonly Run[], keep: readonly number[]): Uint8Array {
  const { dst, a, b, op, parent } = p;
  const kept = new Uint8Array(count);
  // Instruction of each node (−1: a leaf); nodes only ever read smaller nodes.
  const nodes = count === 0 ? 0 : dst[count - 1] + 1;
  const by = new Int32Array(nodes).fill(-1);
  for (let j = 0; j < count; j++) by[dst[j]] = j;
  const keepNode = (node: number) => {
    const j = node >= 0 && node < nodes ? by[node] : -1;
    if (j >= 0) kept[j] = 1;
  };
  for (const node of keep) keepNode(node);
  for (const { start, period, reps } of rs) {
    const end = start + period * reps;
    for (let k = start; k < end; k++) {
      if (op[dst[k]] === SUM) {
        for (let e = a[k]; e < b[k]; e++) keepNode(parent[e]);
        continue;
      }
      // Its instance: a straight-line block is one; a loop's repetition r starts at start + r·period.
      const first = reps === 1 ? start : k - ((k - start) % period);
      const readIn = (x: Int32Array) => {
        const j = x[k] < 0 ? -1 : by[x[k]];
        if (j < 0 || kept[j] === 1) return;
        if (j < first || (reps > 1 && !sameExpression(x, k, dst, j, start, period))) kept[j] = 1;
      };
      readIn(a);
      readIn(b);
    }
  }
  return kept;
}

/** Whether operand index x[k] and node dst[j] have the same base and step in their loop. */
function sameExpression(x: Int32Array, k: number, dst: Int32Array, j: number, start: number, period: number): boolean {
  const k0 = start + ((k - start) % period);
  const j0 = start + ((j - start) % period);
  return x[k0] === dst[j0] && x[k0 + period] - x[k0] === dst[j0 + period] - dst[j0];
}

/** An operand as the generated code names it. */
interface Operand {
  /** Its value: a local (`y3`) or an arena read (`v[…]`). */
  readonly value: string;
  /** Where its adjoint accumulates (`a3`, `adj[…]`), or undefined for a constant (never read). */
  readonly adjoint: string | undefined;
  /** The body position of the local it names, or −1. */
  readonly local: number;
}

/** One run's code: the forward and reverse statements, and the kept doubles per instance. */
function emitRun(p: Instructions, run: Run, kept: Uint8Array, base: number): { forward: string; backward: string; slots: number } {
  const { start, period, reps } = run;
  const { dst, a, b, op } = p;
  // In a loop, index = its value in the first body + its step per body · r.
  const at = (x: ArrayLike<number>, j: number) => {
    const step = reps === 1 ? 0 : x[j + period] - x[j];
    return step === 0 ? String(x[j]) : step === 1 ? `${x[j]} + r` : `${x[j]} + ${step} * r`;
  };
  const isKept = (t: number) => {
    for (let r = 0; r < reps; r++) if (kept[start + t + r * period] === 1) return true;
    return false;
  };
  const local: boolean[] = [];
  const D: string[] = [];
  for (let t = 0; t < period; t++) {
    local.push(!isKept(t));
    D.push(at(dst, start + t));
  }
  /** A constant operand in every repetition gets no adjoint (nothing reads a constant's adjoint). */
  const constant = (x: Int32Array, j: number) => {
    const step = reps === 1 ? 0 : x[j + period] - x[j];
    for (let r = 0; r < reps; r++) if (op[x[j] + step * r] !== PASSIVE) return false;
    return true;
  };
  const operand = (x: Int32Array, t: number): Operand => {
    const index = at(x, start + t);
    const u = D.indexOf(index);
    if (u >= 0 && u < t && local[u]) return { value: `y${u}`, adjoint: `a${u}`, local: u };
    return { value: `v[${index}]`, adjoint: constant(x, start + t) ? undefined : `adj[${index}]`, local: -1 };
  };

  // Slots per instance: partials the forward sweep computes, then local values the reverse sweep reads.
  let slots = 0;
  const slot = (k: number) => (reps === 1 ? `K[${base + k}]` : `K[k + ${k}]`);
  const partialSlot: number[] = [];
  for (let t = 0; t < period; t++) {
    partialSlot.push(slots);
    slots += partialCount(op[dst[start + t]]);
  }
  const valueSlot = new Map<number, number>();
  const reverseValue = (o: Operand) => {
    if (o.local < 0) return o.value;
    if (!valueSlot.has(o.local)) valueSlot.set(o.local, slots++);
    return slot(valueSlot.get(o.local) as number);
  };
  const self = (t: number): Operand => (local[t] ? { value: `y${t}`, adjoint: `a${t}`, local: t } : { value: `v[${D[t]}]`, adjoint: `adj[${D[t]}]`, local: -1 });

  const back: string[] = [];
  for (let t = 0; t < period; t++) {
    const code = op[dst[start + t]];
    const sum = code === SUM;
    const A = sum ? undefined : operand(a, t);
    const B = sum || b[start + t] < 0 ? undefined : operand(b, t);
    back.push(reverseStatement(code, self(t), A, B, reverseValue, (k) => slot(partialSlot[t] + k), sum ? [at(a, start + t), at(b, start + t)] : undefined));
  }
  const fwd: string[] = [];
  for (let t = 0; t < period; t++) {
    const code = op[dst[start + t]];
    const sum = code === SUM;
    const A = sum ? undefined : operand(a, t);
    const B = sum || b[start + t] < 0 ? undefined : operand(b, t);
    fwd.push(forwardStatement(code, t, A, B, (k) => slot(partialSlot[t] + k), sum ? [at(a, start + t), at(b, start + t)] : undefined));
    if (!local[t]) fwd.push(`v[${D[t]}] = y${t}; adj[${D[t]}] = 0;`);
    const vs = valueSlot.get(t);
    if (vs !== undefined) fwd.push(`${slot(vs)} = y${t};`);
  }
  back.reverse();
  const locals = local.flatMap((l, t) => (l ? [`a${t} = 0`] : []));
  const reverseHead = locals.length === 0 ? "" : `let ${locals.join(", ")};\n`;
  if (reps === 1) return { forward: `{\n${fwd.join("\n")}\n}`, backward: `{\n${reverseHead}${back.join("\n")}\n}`, slots };
  const k = slots === 0 ? "" : `const k = ${base} + ${slots} * r;\n`;
  return {
    forward: `for (let r = 0; r < ${reps}; r++) {\n${k}${fwd.join("\n")}\n}`,
    backward: `for (let r = ${reps - 1}; r >= 0; r--) {\n${k}${reverseHead}${back.join("\n")}\n}`,
    slots,
  };
}

/** Partials an op's forward statement keeps for the reverse sweep (the arithmetic ones are remade from values). */
function partialCount(code: number): number {
  if (code === SUM) return 0;
  switch (OP_NAMES[code]) {
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "neg":
    case "exp":
    case "log":
    case "sqrt":
    case "tanh":
      return 0;
  }
  return code < FIRST_BINARY ? 1 : 2;
}

/** Position t's value into the local `y${t}`, and its kept partials into `W(k)`. */
function forwardStatement(code: number, t: number, A: Operand | undefined, B: Operand | undefined, W: (k: number) => string, edges: [string, string] | undefined): string {
  const y = `y${t}`;
  if (edges !== undefined) return `let ${y} = 0; for (let e = ${edges[0]}; e < ${edges[1]}; e++) ${y} += v[P[e]];`;
  const a = (A as Operand).value;
  const b = B?.value;
  switch (OP_NAMES[code]) {
    case "add":
      return `const ${y} = ${a} + ${b};`;
    case "sub":
      return `const ${y} = ${a} - ${b};`;
    case "mul":
      return `const ${y} = ${a} * ${b};`;
    case "div":
      return `const ${y} = ${a} / ${b};`;
    case "neg":
      return `const ${y} = -${a};`;
    case "sin":
      return `const x${t} = ${a}; const ${y} = Math.sin(x${t}); ${W(0)} = Math.cos(x${t});`;
    case "cos":
      return `const x${t} = ${a}; const ${y} = Math.cos(x${t}); ${W(0)} = -Math.sin(x${t});`;
    case "exp":
    case "log":
    case "sqrt":
    case "tanh":
      return `const ${y} = Math.${OP_NAMES[code]}(${a});`;
  }
  const R = `RULES[${code}]`;
  if (code < FIRST_BINARY) return `const x${t} = ${a}; const ${y} = ${R}.primal(x${t}); ${W(0)} = ${R}.df(S, x${t}, ${y});`;
  return `const x${t} = ${a}; const z${t} = ${b}; const ${y} = ${R}.primal(x${t}, z${t}); ${W(0)} = ${R}.da(S, x${t}, z${t}, ${y}); ${W(1)} = ${R}.db(S, x${t}, z${t}, ${y});`;
}

/**
 * Node `self`'s adjoint g into its operands with the partial the tape records (tape.ts), skipped
 * when g is 0. Values come through `value` (a local's from the kept buffer), kept partials from `W`.
 */
function reverseStatement(
  code: number,
  self: Operand,
  A: Operand | undefined,
  B: Operand | undefined,
  value: (o: Operand) => string,
  W: (k: number) => string,
  edges: [string, string] | undefined,
): string {
  const skip = `g = ${self.adjoint}; if (g !== 0) `;
  if (edges !== undefined) return `${skip}for (let e = ${edges[0]}; e < ${edges[1]}; e++) adj[P[e]] += g;`;
  const a = A as Operand;
  // A constant operand's adjoint is never read: no statement for it, and its term is never made (so
  // no value is kept for its sake).
  const into = (o: Operand | undefined, term: () => string) => (o?.adjoint === undefined ? "" : ` ${o.adjoint} += ${term()};`);
  const from = (o: Operand | undefined, term: () => string) => (o?.adjoint === undefined ? "" : ` ${o.adjoint} -= ${term()};`);
  const both = (body: string) => (body === "" ? "" : `${skip}{${body} }`);
  switch (OP_NAMES[code]) {
    case "add":
      return both(into(a, () => "g") + into(B, () => "g"));
    case "sub":
      return both(into(a, () => "g") + from(B, () => "g"));
    case "mul":
      return both(into(a, () => `g * ${value(B as Operand)}`) + into(B, () => `g * ${value(a)}`));
    case "div":
      return both(into(a, () => `g * (1 / ${value(B as Operand)})`) + into(B, () => `g * (-${value(self)} / ${value(B as Operand)})`));
    case "neg":
      return both(from(a, () => "g"));
    case "exp":
      return both(into(a, () => `g * ${value(self)}`));
    case "log":
      return both(into(a, () => `g * (1 / ${value(a)})`));
    case "sqrt":
      return both(into(a, () => `g * (0.5 / ${value(self)})`));
    case "tanh":
      return both(into(a, () => `g * (1 - ${value(self)} * ${value(self)})`));
  }
  if (code < FIRST_BINARY) return both(into(a, () => `g * ${W(0)}`));
  return both(into(a, () => `g * ${W(0)}`) + into(B, () => `g * ${W(1)}`));
}
