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
 * buffer of a few doubles per instance that the reverse sweep streams back. A loop's accumulator
 * (a node read only by its own repetition and the next) is carried in a local from one repetition
 * to the next, its adjoint likewise in reverse (`emitRun`). The arithmetic is the
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
import { FIRST_UNARY, PASSIVE, SUM } from "./codes.js";
import { inRegisters } from "./registers.js";
import { forwardStatement, partialCount, reverseStatement, type Operand } from "./sweepStatements.js";

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
  /**
   * Every instruction's value; writes the kept nodes' values and zeroes their adjoints. With
   * `direct`, the inputs' values are read from `x` (input k is x[k]), not from the arena.
   */
  forward(value: Float64Array, adj: Float64Array, parent: Int32Array, x: Float64Array): number;
  /**
   * Every instruction in reverse, after `forward`; the output's adjoint is seeded by the caller.
   * With `direct`, the inputs' adjoints accumulate into `gradient` (zeroed by the caller).
   */
  backward(value: Float64Array, adj: Float64Array, parent: Int32Array, x: Float64Array, gradient: Float64Array): void;
  /** Whether the inputs are read from `x` and their adjoints written to `gradient`, bypassing the arena. */
  readonly direct: boolean;
  /**
   * Whether `forward` reads every input and returns NaN when one is not finite (0 when all are), so
   * the caller need not check x before.
   */
  readonly checksInputs: boolean;
}

/** The inputs as consecutive nodes first … first + count − 1. */
export interface InputNodes {
  readonly first: number;
  readonly count: number;
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

/** The derivative table by op code, for generated code (`RULES[code].primal`, `.df`, `.da`, `.db`). */
export const RULES: readonly unknown[] = [
  ...new Array<unknown>(FIRST_UNARY).fill(undefined),
  ...UNARY_OPS.map((name) => unaryRules[name]),
  ...BINARY_OPS.map((name) => binaryRules[name]),
];

/**
 * The generated sweeps over instructions 0 … count−1, or undefined. `keep`: nodes whose values must
 * be in the arena after the forward sweep (the output, the guards). `inputs`, when the inputs are
 * consecutive nodes: the sweeps then read and write them outside the arena if every operand index
 * names inputs in all its repetitions or in none, and no sum or kept node is an input.
 */
export function generateSweeps(p: Instructions, count: number, keep: readonly number[], inputs?: InputNodes): Sweeps | undefined {
  const rs = runs(p, count, MAX_STATEMENTS);
  if (rs === undefined || 2 * statements(rs) > MAX_STATEMENTS) return undefined;
  const flags = nodeFlags(p, count, rs, keep);
  const direct = inputs !== undefined && separable(p, rs, keep, inputs) ? inputs : undefined;
  const covered = direct === undefined ? undefined : new Uint8Array(direct.count);
  let slots = 0;
  const forward: string[] = [];
  const backward: string[] = [];
  for (const run of rs) {
    const code = emitRun(p, run, flags, slots, direct, covered);
    forward.push(code.forward);
    backward.push(code.backward);
    slots += code.slots * run.reps;
  }
  const source =
    `"use strict";\nconst K = new Float64Array(${slots});\nreturn {\ndirect: ${direct !== undefined},\nchecksInputs: ${covered !== undefined && !covered.includes(0)},\n` +
    `forward(v, adj, P, X) {\nlet F = 0;\n${forward.join("\n")}\nreturn F;\n},\n` +
    `backward(v, adj, P, X, G) {\nlet g = 0;\n${backward.reverse().join("\n")}\n}\n};`;
  try {
    return new Function("RULES", "S", source)(RULES, numberScalar) as Sweeps;
  } catch {
    // `new Function` refused (a Content-Security-Policy without 'unsafe-eval'): interpret instead.
    return undefined;
  }
}

/** Whether every operand index of the runs names inputs in all its repetitions or in none, and no sum or kept node reads an input. */
function separable(p: Instructions, rs: readonly Run[], keep: readonly number[], { first, count }: InputNodes): boolean {
  const { dst, a, b, op, parent } = p;
  const input = (node: number) => node >= first && node < first + count;
  if (keep.some(input)) return false;
  for (const { start, period, reps } of rs) {
    for (let j = start; j < start + period; j++) {
      const last = j + (reps - 1) * period;
      if (op[dst[j]] === SUM) {
        for (let r = 0; r < reps; r++) for (let e = a[j + r * period]; e < b[j + r * period]; e++) if (input(parent[e])) return false;
        continue;
      }
      // Affine in r: all in the interval iff both ends are; none iff both ends are on its same side.
      for (const x of [a, b]) {
        if (x[j] < 0 || (input(x[j]) && input(x[last]))) continue;
        if (input(x[j]) || input(x[last]) || x[j] < first !== x[last] < first) return false;
      }
    }
  }
  return true;
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

/** Flags per instruction (see `nodeFlags`). */
const KEPT = 1;
/** Read by the next repetition of its loop through the loop-carried index (dst − step). */
const NEXT = 2;
/** Read in its own instance from the arena (a sum, or an index that names it in one repetition only). */
const INSIDE = 4;

/**
 * Where each instruction's node must live. KEPT: in the arena — read by another instance (other
 * than the next repetition through the carried index) or by a sum, or in `keep`. NEXT and INSIDE as
 * above; a node read only in its own instance and by the next repetition can be carried from one
 * repetition to the next in a local (see `emitRun`).
 */
function nodeFlags(p: Instructions, count: number, rs: readonly Run[], keep: readonly number[]): Uint8Array {
  const { dst, a, b, op, parent } = p;
  const flags = new Uint8Array(count);
  // Instruction of each node (−1: a leaf); nodes only ever read smaller nodes.
  const nodes = count === 0 ? 0 : dst[count - 1] + 1;
  const by = new Int32Array(nodes).fill(-1);
  for (let j = 0; j < count; j++) by[dst[j]] = j;
  const of = (node: number) => (node >= 0 && node < nodes ? by[node] : -1);
  for (const node of keep) {
    const j = of(node);
    if (j >= 0) flags[j] |= KEPT;
  }
  for (const { start, period, reps } of rs) {
    const end = start + period * reps;
    /** Instruction k (whose instance starts at `first`) reads operand x[k]. */
    const readIn = (x: Int32Array, k: number, first: number) => {
      const j = x[k] < 0 ? -1 : of(x[k]);
      if (j < 0) return;
      if (j >= first) {
        if (reps > 1 && !sameExpression(x, k, dst, j, start, period, 0)) flags[j] |= KEPT | INSIDE;
      } else if (reps > 1 && j >= first - period && j >= start && sameExpression(x, k, dst, j, start, period, 1)) flags[j] |= NEXT;
      else flags[j] |= KEPT;
    };
    for (let k = start; k < end; k++) {
      // Its instance: a straight-line block is one; a loop's repetition r starts at start + r·period.
      const first = reps === 1 ? start : k - ((k - start) % period);
      if (op[dst[k]] === SUM) {
        for (let e = a[k]; e < b[k]; e++) {
          const j = of(parent[e]);
          if (j >= 0) flags[j] |= j < first ? KEPT : KEPT | INSIDE;
        }
        continue;
      }
      readIn(a, k, first);
      readIn(b, k, first);
    }
  }
  return flags;
}

/**
 * Whether operand index x[k] is node dst[j] `back` repetitions earlier, in every repetition of their
 * loop: the same step, and a base `back` steps before dst's.
 */
function sameExpression(x: Int32Array, k: number, dst: Int32Array, j: number, start: number, period: number, back: number): boolean {
  const k0 = start + ((k - start) % period);
  const j0 = start + ((j - start) % period);
  const step = dst[j0 + period] - dst[j0];
  return x[k0] === dst[j0] - back * step && x[k0 + period] - x[k0] === step;
}

/**
 * One run's code: the forward and reverse statements, and the kept doubles per instance.
 *
 * A loop's position whose node is read only in its own repetition and by the next one (an
 * accumulator, `acc = acc + …`) is *carried*: the forward sweep passes it to the next repetition in
 * a local `c`, and the reverse sweep passes its adjoint back in a local `n`, so it never touches the
 * arena except for the last repetition's node when something after the loop reads it. Repetition 0
 * reads the node before the loop instead; the reverse sweep peels it off, so that node's adjoint
 * takes its contributions in the tape's order.
 */
/** `covered`: the inputs the forward sweep reads (and checks), marked as they are emitted. */
function emitRun(
  p: Instructions,
  run: Run,
  flags: Uint8Array,
  base: number,
  inputs: InputNodes | undefined,
  covered: Uint8Array | undefined,
): { forward: string; backward: string; slots: number } {
  const { start, period, reps } = run;
  const { dst, a, b, op } = p;
  const index = (x: number, step: number) => (step === 0 ? String(x) : step === 1 ? `${x} + r` : `${x} + ${step} * r`);
  // In a loop, index = its value in the first body + its step per body · r.
  const at = (x: ArrayLike<number>, j: number) => index(x[j], reps === 1 ? 0 : x[j + period] - x[j]);
  const any = (t: number, flag: number, from = 0, to = reps) => {
    for (let r = from; r < to; r++) if ((flags[start + t + r * period] & flag) !== 0) return true;
    return false;
  };
  const local: boolean[] = [];
  const carried: boolean[] = [];
  /** Carried positions whose last node is read after the loop: it goes to the arena there. */
  const lastKept: boolean[] = [];
  const D: string[] = [];
  /** The carried index (the previous repetition's node) of each carried position, and its node before the loop. */
  const C: string[] = [];
  const seed: number[] = [];
  for (let t = 0; t < period; t++) {
    const j = start + t;
    const step = reps === 1 ? 0 : dst[j + period] - dst[j];
    // Repetition 0 reads the node one step before: it must come before the loop (read once, first).
    const carry = reps > 1 && any(t, NEXT) && !any(t, KEPT, 0, reps - 1) && !any(t, INSIDE) && dst[j] - step < dst[start];
    carried.push(carry);
    lastKept.push(carry && any(t, KEPT, reps - 1));
    local.push(carry || !any(t, KEPT | NEXT));
    D.push(at(dst, j));
    C.push(carry ? index(dst[j] - step, step) : "");
    seed.push(dst[j] - step);
  }
  /** A constant operand in every repetition gets no adjoint (nothing reads a constant's adjoint). */
  const constant = (x: Int32Array, j: number) => {
    const step = reps === 1 ? 0 : x[j + period] - x[j];
    for (let r = 0; r < reps; r++) if (op[x[j] + step * r] !== PASSIVE) return false;
    return true;
  };
  const input = (node: number) => inputs !== undefined && node >= inputs.first && node < inputs.first + inputs.count;
  /** Node `node` (+ step·r) in the arena, or in the caller's x and gradient when it is an input read directly. */
  const leaf = (node: number, step: number): Operand => {
    if (input(node)) {
      const k = index(node - (inputs as InputNodes).first, step);
      return { value: `X[${k}]`, adjoint: `G[${k}]`, key: -1 };
    }
    const i = index(node, step);
    return { value: `v[${i}]`, adjoint: `adj[${i}]`, key: -1 };
  };
  /** `peel`: repetition 0 of the reverse sweep, where a carried operand is the node before the loop. */
  const operand = (x: Int32Array, t: number, peel: boolean): Operand => {
    const j = start + t;
    const expr = at(x, j);
    const u = D.indexOf(expr);
    if (u >= 0 && u < t && local[u]) return { value: `y${u}`, adjoint: `a${u}`, key: u };
    const c = C.indexOf(expr);
    if (c >= 0 && carried[c]) {
      return { value: `c${c}`, adjoint: !peel ? `n${c}` : op[seed[c]] === PASSIVE ? undefined : leaf(seed[c], 0).adjoint, key: period + c };
    }
    const ref = leaf(x[j], reps === 1 ? 0 : x[j + period] - x[j]);
    return constant(x, j) ? { value: ref.value, adjoint: undefined, key: -1 } : ref;
  };

  // Slots per instance: partials the forward sweep computes, then values of locals the reverse sweep reads.
  let slots = 0;
  const slot = (k: number) => (reps === 1 ? `K[${base + k}]` : `K[k + ${k}]`);
  const partialSlot: number[] = [];
  for (let t = 0; t < period; t++) {
    partialSlot.push(slots);
    slots += partialCount(op[dst[start + t]]);
  }
  const valueSlot = new Map<number, number>();
  const reverseValue = (o: Operand) => {
    if (o.key < 0) return o.value;
    if (!valueSlot.has(o.key)) valueSlot.set(o.key, slots++);
    return slot(valueSlot.get(o.key) as number);
  };
  const self = (t: number): Operand => (local[t] ? { value: `y${t}`, adjoint: `a${t}`, key: t } : { value: `v[${D[t]}]`, adjoint: `adj[${D[t]}]`, key: -1 });
  const edgesOf = (t: number): [string, string] | undefined => (op[dst[start + t]] === SUM ? [at(a, start + t), at(b, start + t)] : undefined);
  const operands = (t: number, peel: boolean): [Operand | undefined, Operand | undefined] => {
    if (op[dst[start + t]] === SUM) return [undefined, undefined];
    return [operand(a, t, peel), b[start + t] < 0 ? undefined : operand(b, t, peel)];
  };
  const reverseBody = (peel: boolean) => {
    const lines: string[] = [];
    for (let t = period - 1; t >= 0; t--) {
      const [A, B] = operands(t, peel);
      lines.push(reverseStatement(op[dst[start + t]], self(t), A, B, reverseValue, (k) => slot(partialSlot[t] + k), edgesOf(t)));
    }
    return lines;
  };
  // The reverse statements first: they decide which local values need a slot.
  const back = reverseBody(false);
  const backPeeled = carried.includes(true) ? reverseBody(true) : [];

  const last = (t: number) => String(dst[start + t + (reps - 1) * period]);
  const fwd: string[] = [];
  for (const [key, s] of valueSlot) if (key >= period) fwd.push(`${slot(s)} = c${key - period};`);
  for (let t = 0; t < period; t++) {
    const [A, B] = operands(t, false);
    fwd.push(forwardStatement(op[dst[start + t]], t, A, B, (k) => slot(partialSlot[t] + k), edgesOf(t)));
    if (!local[t]) fwd.push(`v[${D[t]}] = y${t}; adj[${D[t]}] = 0;`);
    const vs = valueSlot.get(t);
    if (vs !== undefined) fwd.push(`${slot(vs)} = y${t};`);
  }
  for (let t = 0; t < period; t++) if (carried[t]) fwd.push(`c${t} = y${t};`);
  // Stored every repetition (the last store stays): code after a hot loop has no type feedback when
  // V8 compiles the loop on stack replacement, and would deoptimise it on every call.
  for (let t = 0; t < period; t++) if (lastKept[t]) fwd.push(`v[${last(t)}] = y${t}; adj[${last(t)}] = 0;`);

  const adjoints = local.flatMap((l, t) => (l && !carried[t] ? [`a${t} = 0`] : []));
  const reverseHead = [...carried.flatMap((c, t) => (c ? [`let a${t} = n${t};`, `n${t} = 0;`] : [])), ...(adjoints.length === 0 ? [] : [`let ${adjoints.join(", ")};`])].join("\n");
  // The forward sweep writes the arena's values, so only the inputs are read into locals there.
  const fwdBody = inRegisters(fwd, ["X"], [], "X").join("\n");
  if (covered !== undefined) markInputs(fwd.join("\n"), reps, covered);
  const backBody = inRegisters(back, ["X", "v"], ["G", "adj"]).join("\n");
  if (reps === 1) return { forward: `{\n${fwdBody}\n}`, backward: `{\n${reverseHead}\n${backBody}\n}`, slots };
  const k = slots === 0 ? "" : `const k = ${base} + ${slots} * r;\n`;
  const before = carried.flatMap((c, t) => (c ? [`let c${t} = ${leaf(seed[t], 0).value};`] : []));
  const forward = [...before, `for (let r = 0; r < ${reps}; r++) {\n${k}${fwdBody}\n}`].join("\n");
  const backward = carried.includes(true)
    ? [
        ...carried.flatMap((c, t) => (c ? [`let n${t} = ${lastKept[t] ? `adj[${last(t)}]` : "0"};`] : [])),
        `for (let r = ${reps - 1}; r >= 1; r--) {\n${k}${reverseHead}\n${backBody}\n}`,
        `{\nconst r = 0;\n${k}${reverseHead}\n${inRegisters(backPeeled, ["X", "v"], ["G", "adj"]).join("\n")}\n}`,
      ].join("\n")
    : `for (let r = ${reps - 1}; r >= 0; r--) {\n${k}${reverseHead}\n${backBody}\n}`;
  return { forward: `{\n${forward}\n}`, backward: `{\n${backward}\n}`, slots };
}

/** Marks the inputs that `X[…]` elements in `code` read in repetitions 0 … reps−1. */
function markInputs(code: string, reps: number, covered: Uint8Array): void {
  for (const [, index] of code.matchAll(/\bX\[([^\]]+)\]/g)) {
    const m = /^(-?\d+)(?: \+ (?:(-?\d+) \* )?r)?$/.exec(index);
    if (m === null) continue;
    const step = m[2] !== undefined ? Number(m[2]) : index.endsWith("r") ? 1 : 0;
    for (let r = 0; r < (step === 0 ? 1 : reps); r++) covered[Number(m[1]) + step * r] = 1;
  }
}
