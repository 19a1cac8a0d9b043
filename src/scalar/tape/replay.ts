/**
 * Record once, replay many times (CppAD's `ADFun`, the static graph at scalar level): `Tape.record`
 * traces f once and keeps the arena; a `Recording` then gives value and gradient (and Hessian-vector
 * products) at new inputs by sweeping that arena forward — each node re-evaluated from its parents by
 * its op code, with its local partials from `elementary.ts` — and backward, without running f again.
 *
 * f's control flow is fixed by the trace. Every read of a value that depends on the inputs
 * (`S.value(x)`, `x.value`) is where f could have branched, so the trace keeps it as a guard: the
 * value read. A replay that reads a different value there raises an `AdError` naming the guard (or
 * traces f again, with `{ onBranch: "retrace" }`): never a gradient of the wrong branch. Branching on
 * `S.value(S.sign(S.sub(a, b)))` instead of on `S.value(a) > S.value(b)` makes the guard the
 * comparison's outcome, so the replay fails only when the outcome changes.
 */
import { AdError, describe, expectFiniteVector, expectOptions, invalidArgument } from "../../errors.js";
import { Dual, dualScalar } from "../dual.js";
import { binaryRules, unaryRules, type BinaryRule, type UnaryRule } from "../elementary.js";
import { numberScalar } from "../number.js";
import { BINARY_OPS, UNARY_OPS } from "../scalar.js";
import type { Arena } from "./arena.js";
import { FIRST_BINARY, FIRST_UNARY, OP_NAMES, PASSIVE, SUM, VARIABLE } from "./codes.js";
import { Program } from "./program.js";

/** The values f read from the tape while it was traced, at the nodes they were read from. */
export interface Guards {
  readonly nodes: number[];
  readonly values: number[];
}

/** @internal What `Tape.record` hands over: the traced arena and where its inputs and output are. */
export interface Trace {
  readonly arena: Arena;
  /** Node index of each input, in order. */
  readonly inputs: Int32Array;
  /** The output's node, or −1 when f returned something that depends on no input. */
  readonly output: number;
  /** The output's value (what a replay returns when `output` is −1). */
  readonly value: number;
  readonly guards: Guards;
}

export interface RecordOptions {
  /**
   * What a replay does when f read a different value at a guard than when it was traced: `"throw"`
   * (the default) an `InvalidArgument` naming the guard; `"retrace"` runs f again at the new input
   * and keeps that trace.
   */
  readonly onBranch?: "throw" | "retrace";
}

const UNARY_BY_CODE: readonly UnaryRule[] = UNARY_OPS.map((name) => unaryRules[name]);
const BINARY_BY_CODE: readonly BinaryRule[] = BINARY_OPS.map((name) => binaryRules[name]);

export class Recording {
  private trace: Trace;
  /** The trace compiled for the sweeps (made again with each retrace). */
  private program: Program;
  /** The inputs' first node when they are consecutive nodes (a copy is then one `set`), else −1. */
  private firstInput: number;
  /** Scratch, reused by every call: the point when x is not a Float64Array, and `valueAndGradient`'s gradient. */
  private point64 = new Float64Array(0);
  private gradient64 = new Float64Array(0);
  /** Tangent-mode scratch (value tangents, partial tangents, adjoint tangents), made on first use. */
  private tangent: { tvalue: Float64Array; tpartial: Float64Array; tadj: Float64Array } | undefined;

  /** @internal Built by `Tape.record`; `retrace` runs f again at a point. */
  constructor(
    private readonly retrace: (x: readonly number[]) => Trace,
    x0: readonly number[],
    private readonly onBranch: "throw" | "retrace",
  ) {
    this.trace = retrace(x0);
    this.firstInput = consecutive(this.trace.inputs);
    this.program = this.compile();
  }

  /** Inputs f takes. */
  get inputs(): number {
    return this.trace.inputs.length;
  }

  /** Nodes in the recorded arena (each replay sweeps them twice). */
  get size(): number {
    return this.trace.arena.size;
  }

  /**
   * How the sweeps run: `"generated"` as JavaScript made for this trace (loops of the trace rolled up
   * again), or `"interpreted"` (one dispatch per node) where that code would be too large for V8 to
   * optimise or the environment forbids `new Function` (a Content-Security-Policy).
   */
  get sweeps(): "generated" | "interpreted" {
    return this.program.generated === undefined ? "interpreted" : "generated";
  }

  /** Values f read from the tape while traced: the points where a replay checks the control flow. */
  get guardCount(): number {
    return this.trace.guards.nodes.length;
  }

  /** f(x) and ∇f(x) by replaying the recorded arena: one forward and one reverse sweep, no call to f. */
  valueAndGradient(x: ArrayLike<number>): { value: number; gradient: number[] } {
    const n = this.trace.inputs.length;
    if (this.gradient64.length !== n) this.gradient64 = new Float64Array(n);
    const g = this.gradient64;
    const value = this.sweep("Recording.valueAndGradient", x, g);
    // Written once each, doubles from the start: `fill(0)` first would make V8 convert the array's
    // elements from small integers to doubles halfway.
    const gradient = new Array<number>(n);
    for (let k = 0; k < n; k++) gradient[k] = g[k];
    return { value, gradient };
  }

  /**
   * `valueAndGradient` writing ∇f(x) into a `Float64Array` you own (one entry per input), so a loop
   * allocates no gradient array per call; returns that array as `gradient`.
   */
  into(gradient: Float64Array, x: ArrayLike<number>): { value: number; gradient: Float64Array } {
    const op = "Recording.into";
    const n = this.trace.inputs.length;
    if (!(gradient instanceof Float64Array)) {
      throw invalidArgument(op, `gradient must be a Float64Array, got ${describe(gradient)}`, { argument: "gradient", got: describe(gradient) });
    }
    if (gradient.length !== n) {
      throw new AdError("ShapeMismatch", `gradient has ${gradient.length} entries but f was recorded with ${n} inputs`, { op, gradientLength: gradient.length, recorded: n });
    }
    return { value: this.sweep(op, x, gradient), gradient };
  }

  /** ∇f(x) by replay. */
  gradient(x: ArrayLike<number>): number[] {
    return this.valueAndGradient(x).gradient;
  }

  /**
   * H·v, the Hessian of f at x times v, by replay: the forward sweep carries tangents along v
   * through values and partials, and the reverse sweep the adjoints' tangents (forward over reverse).
   */
  hessianVectorProduct(x: ArrayLike<number>, v: ArrayLike<number>): number[] {
    const op = "Recording.hessianVectorProduct";
    const point = this.checked(op, x);
    const direction = expectFiniteVector(op, "v", v);
    if (direction.length !== point.length) {
      throw new AdError("ShapeMismatch", `v has ${direction.length} components but x has ${point.length}`, { op, xLength: point.length, vLength: direction.length });
    }
    // The tangent sweeps read the inputs from the arena.
    if (!this.forward(op, point, true)) this.retraceAt(point);
    const { arena, inputs, output } = this.trace;
    const out = new Array<number>(inputs.length).fill(0);
    if (output < 0) return out;
    const t = this.tangents();
    for (let k = 0; k < inputs.length; k++) t.tvalue[inputs[k]] = direction[k];
    sweepForwardTangent(arena, t);
    sweepTangent(arena, t.tpartial, t.tadj, output);
    for (let k = 0; k < inputs.length; k++) if (inputs[k] <= output) out[k] = t.tadj[inputs[k]];
    return out;
  }

  /** The forward sweep at x (retracing if a guard says so) and the reverse sweep, ∇f(x) into `gradient`; f(x). */
  private sweep(op: string, x: unknown, gradient: Float64Array): number {
    // A program that checks x as it reads it takes a Float64Array as it is (see `forward`).
    const unchecked = this.program.checksInputs && x instanceof Float64Array && x.length === gradient.length;
    let point = unchecked ? x : this.checked(op, x);
    // The sweeps read x while they write the gradient: an x in the gradient's memory is copied first.
    if (point.buffer === gradient.buffer) point = this.copied(point);
    if (!this.forward(op, point, false)) {
      this.retraceAt(point);
      // The new trace's own guards hold at x; this sweep fills what its program keeps.
      this.forward(op, point, false);
    }
    const { arena, inputs, output, value } = this.trace;
    const program = this.program;
    if (program.direct || output < 0) gradient.fill(0);
    if (output < 0) return value;
    program.backward(output, point, gradient);
    if (!program.direct) {
      // The gradient is the inputs' adjoints (zeroed by `forward`, so 0 where f does not depend on them).
      const adj = arena.adj;
      const first = this.firstInput;
      if (first >= 0) gradient.set(adj.subarray(first, first + gradient.length));
      else for (let k = 0; k < gradient.length; k++) gradient[k] = adj[inputs[k]];
    }
    return arena.value[output];
  }

  /**
   * x as a Float64Array of finite numbers, one per input: x itself when it is one (no copy), else
   * checked in full (its error names the first bad element) and copied into scratch.
   */
  private checked(op: string, x: unknown): Float64Array {
    const n = this.trace.inputs.length;
    if (x instanceof Float64Array && x.length === n) {
      let finite = true;
      for (let k = 0; k < n; k++) {
        const v = x[k];
        if (v - v !== 0) finite = false; // NaN or ±∞
      }
      if (finite) return x;
    }
    const point = expectFiniteVector(op, "x", x);
    if (point.length !== n) {
      throw new AdError("ShapeMismatch", `x has ${point.length} components but f was recorded with ${n}`, { op, xLength: point.length, recorded: n });
    }
    return this.copied(point);
  }

  /** `point` copied into scratch. */
  private copied(point: ArrayLike<number>): Float64Array {
    const n = this.trace.inputs.length;
    if (this.point64.length !== n) this.point64 = new Float64Array(n);
    this.point64.set(point);
    return this.point64;
  }

  private tangents(): { tvalue: Float64Array; tpartial: Float64Array; tadj: Float64Array } {
    const A = this.trace.arena;
    if (this.tangent === undefined || this.tangent.tvalue.length < A.size || this.tangent.tpartial.length < A.edges) {
      this.tangent = { tvalue: new Float64Array(A.size), tpartial: new Float64Array(A.edges), tadj: new Float64Array(A.size) };
    }
    return this.tangent;
  }

  private retraceAt(point: Float64Array): void {
    this.trace = this.retrace(Array.from(point));
    this.firstInput = consecutive(this.trace.inputs);
    this.program = this.compile();
  }

  private compile(): Program {
    const { arena, output, guards, inputs } = this.trace;
    const first = this.firstInput;
    return new Program(arena, output, guards.nodes, first >= 0 ? { first, count: inputs.length } : undefined);
  }

  /**
   * Re-evaluates every node at `x` (checked, or unchecked for a program that `checksInputs`) and
   * checks the guards. False when a guard read a
   * different value and the option says retrace. The inputs go into the arena unless the program
   * reads them from x, or `arena` asks for them there.
   */
  private forward(op: string, x: Float64Array, arena: boolean): boolean {
    const { arena: A, inputs, guards } = this.trace;
    if (arena || !this.program.direct) {
      // The inputs' adjoints are zeroed too: the sweeps zero only the nodes they keep.
      const { value, adj } = A;
      const n = inputs.length;
      const first = this.firstInput;
      if (first >= 0) {
        value.set(x, first);
        adj.fill(0, first, first + n);
      } else {
        for (let k = 0; k < n; k++) {
          value[inputs[k]] = x[k];
          adj[inputs[k]] = 0;
        }
      }
    }
    // A non-finite input gets its error (naming the element) before any guard reads the NaNs.
    if (this.program.forward(x) !== 0) this.checked(op, x);
    for (let g = 0; g < guards.nodes.length; g++) {
      const node = guards.nodes[g];
      const now = A.value[node];
      const then = guards.values[g];
      if (now === then || (now !== now && then !== then)) continue;
      if (this.onBranch === "retrace") return false;
      throw invalidArgument(
        op,
        `f read the value of node #${node} (${OP_NAMES[A.op[node]]}) to decide its control flow: ${then} when recorded, ${now} at this x; the recording may not follow f here (record with { onBranch: "retrace" } to trace f again)`,
        {
          argument: "x",
          guard: g,
          node,
          producedBy: OP_NAMES[A.op[node]],
          recorded: then,
          now,
        },
      );
    }
    return true;
  }
}

/**
 * The forward sweep on duals: each node's value tangent, and each partial's tangent from the same rules
 * evaluated on duals (the seeds are in `tvalue` at the inputs). Constants have tangent 0.
 */
function sweepForwardTangent(A: Arena, t: { tvalue: Float64Array; tpartial: Float64Array }): void {
  const { value, op, start, parent, partial } = A;
  const { tvalue, tpartial } = t;
  for (let i = 0; i < A.size; i++) {
    const code = op[i];
    if (code === PASSIVE) tvalue[i] = 0;
    if (code <= PASSIVE) continue;
    const e = start[i];
    const end = start[i + 1];
    if (code === SUM) {
      let y = 0;
      let ty = 0;
      for (let k = e; k < end; k++) {
        y += value[parent[k]];
        ty += tvalue[parent[k]];
        tpartial[k] = 0;
      }
      value[i] = y;
      tvalue[i] = ty;
      continue;
    }
    const a = new Dual(value[parent[e]], tvalue[parent[e]]);
    if (code < FIRST_BINARY) {
      const rule = UNARY_BY_CODE[code - FIRST_UNARY];
      const y = rule.primal(a.x);
      const ty = a.dx === 0 ? 0 : a.dx * rule.df(numberScalar, a.x, y);
      const w = rule.df(dualScalar, a, new Dual(y, ty));
      value[i] = y;
      tvalue[i] = ty;
      partial[e] = w.x;
      tpartial[e] = w.dx;
      continue;
    }
    const b = new Dual(value[parent[e + 1]], tvalue[parent[e + 1]]);
    const rule = BINARY_BY_CODE[code - FIRST_BINARY];
    const y = rule.primal(a.x, b.x);
    const wa = rule.da(numberScalar, a.x, b.x, y);
    const wb = rule.db(numberScalar, a.x, b.x, y);
    // A constant operand (tangent 0) adds nothing, even against an infinite partial.
    const ty = (a.dx === 0 ? 0 : a.dx * wa) + (b.dx === 0 ? 0 : b.dx * wb);
    const yd = new Dual(y, ty);
    const pa = rule.da(dualScalar, a, b, yd);
    const pb = rule.db(dualScalar, a, b, yd);
    value[i] = y;
    tvalue[i] = ty;
    partial[e] = pa.x;
    tpartial[e] = pa.dx;
    partial[e + 1] = pb.x;
    tpartial[e + 1] = pb.dx;
  }
}

/** The reverse sweep with tangents (as `Arena.backwardTangent`, on the recording's own tangent arrays). */
function sweepTangent(A: Arena, tpartial: Float64Array, tadj: Float64Array, out: number): void {
  const { adj, start, parent, partial, op } = A;
  adj.fill(0, 0, out + 1);
  tadj.fill(0, 0, out + 1);
  adj[out] = 1;
  for (let i = out; i >= 0; i--) {
    const g = adj[i];
    const tg = tadj[i];
    if ((g === 0 && tg === 0) || op[i] === VARIABLE) continue;
    const end = start[i + 1];
    for (let k = start[i]; k < end; k++) {
      const p = parent[k];
      if (op[p] === PASSIVE) continue;
      const w = partial[k];
      if (g !== 0) {
        adj[p] += g * w;
        tadj[p] += g * tpartial[k];
      }
      if (tg !== 0) tadj[p] += tg * w;
    }
  }
}

/** `Tape.record`'s option check. */
export function onBranchOption(op: string, options: unknown): "throw" | "retrace" {
  const onBranch: unknown = expectOptions<RecordOptions>(op, options, ["onBranch"], true).onBranch ?? "throw";
  if (onBranch !== "throw" && onBranch !== "retrace") {
    throw invalidArgument(op, `onBranch must be "throw" or "retrace", got ${describe(onBranch)}`, { argument: "onBranch", got: describe(onBranch) });
  }
  return onBranch;
}

/** The first of `nodes` when they are consecutive (n, n+1, …), else −1. */
function consecutive(nodes: Int32Array): number {
  for (let k = 1; k < nodes.length; k++) if (nodes[k] !== nodes[0] + k) return -1;
  return nodes.length === 0 ? -1 : nodes[0];
}
