/**
 * `Tape<B>`: reverse-mode AD on an arena. Every recorded operation appends numbers to the typed
 * arrays of `Arena` (value, op code, parents, local partials); `backward(out)` sweeps them once in
 * reverse. Variables are `Var<B>` handles (tape, index, generation), and the tape is a
 * `Scalar<Var<B>>` itself, so `tape.mul(a, b)`, `a.mul(b)` and generic code `f(tape.scalar, x)` all
 * record into the same arena and mix freely.
 *
 * Values that do not depend on any variable (constants, and ops on constants only) are recorded as
 * passive leaves with no edges: the reverse sweep never visits them, and an infinite local partial
 * into a constant (sqrt of a constant 0) can never surface as a spurious NaN or NonFinite.
 *
 * With `{ tangents: true }` each value also carries a tangent and each partial its tangent (the local
 * derivative rules from `elementary.ts` evaluated on dual numbers); the reverse sweep then gives
 * H·ẋ alongside the gradient: forward over reverse, used by `hessian` and `hessianVectorProduct`.
 */
import { AdError, describe, expectBooleanOption, expectFiniteVector, expectFunction, expectLength, expectOptions, invalidArgument } from "../../errors.js";
import { Dual, dualScalar } from "../dual.js";
import { binaryRules, unaryRules, type BinaryRule, type UnaryRule } from "../elementary.js";
import { numberScalar } from "../number.js";
import type { BinaryOp, MultivariateFn, Scalar, UnaryOp } from "../scalar.js";
import { Arena, BYTES_PER_EDGE, BYTES_PER_NODE, giveBackArena, takeArena, TANGENT_BYTES_PER_EDGE, TANGENT_BYTES_PER_NODE, write1, write2 } from "./arena.js";
import { BINARY_CODE, CHECKPOINT, OP_NAMES, PASSIVE, SUM, UNARY_CODE, VARIABLE } from "./codes.js";
import { enclosingValue, isEnclosingValue, NEST_INSTEAD } from "./enclosing.js";
import { Gradient } from "./gradient.js";
import { Handles } from "./handles.js";
import { nest, type NestScope } from "./nested.js";
import { onBranchOption, Recording, type Guards, type RecordOptions, type Trace } from "./replay.js";
import { Var } from "./variable.js";

export interface TapeOptions {
  /**
   * Throw `NonFinite` as soon as an op records a NaN/±Inf value (naming the op and its inputs), and
   * in `backward` at the first op whose local partial makes an adjoint non-finite. Off by default:
   * the checks cost a compare per op.
   */
  readonly checkFinite?: boolean;
  /** Carry a tangent with every value (forward over reverse). */
  readonly tangents?: boolean;
  /** Initial node capacity (edges get twice as many); the arena grows by doubling beyond it. */
  readonly capacity?: number;
}

const TAPE_KEYS = ["checkFinite", "tangents", "capacity"] as const;

/** A `Tape.with` callback: generic in the brand, so each tape's variables get their own type. */
export type TapeScope<R> = <B>(tape: Tape<B>) => R;

/** A function recorded by `tape.checkpoint` on a scratch tape of its own. */
export type CheckpointFn = <C>(inputs: readonly Var<C>[], tape: Tape<C>) => readonly Var<C>[] | Var<C>;

// `in out` makes B invariant: Tape<B1> and Tape<B2> never assign to each other.
export class Tape<in out B = unknown> implements Scalar<Var<B>> {
  readonly name = "tape";
  /** Bytes the arena holds per recorded node and per edge (2 edges for a binary op). */
  readonly bytesPerNode: number;
  readonly bytesPerEdge: number;
  readonly checkFinite: boolean;
  readonly tangents: boolean;

  private arena: Arena;
  private gen = 0;
  /** Node index of every variable of this generation, in creation order. */
  private varIndex = new Int32Array(16);
  private varCount = 0;
  /** Scratch tapes for `checkpoint`, one per nesting depth, reused. */
  private scratch: Tape<unknown> | undefined;
  /**
   * Set while `Tape.record` traces f: every operand is then kept as an edge (numbers as constant
   * leaves), so each node can be re-evaluated from its parents, and every read of an active value
   * is logged as a guard on the control flow.
   */
  private guards: Guards | undefined;
  private readonly handleView: Handles<B>;
  /**
   * `record1`/`record2` write the arena themselves while the node index is below `nodeRoom` and the
   * edges end within `edgeRoom` (its capacity; none with `checkFinite` or while tracing), set by
   * `room()`. Growth by other paths leaves them low, which only sends an op down `record…Any`; never
   * above the capacity, as a typed array drops a write past its end without a word.
   */
  private nodeRoom = 0;
  private edgeRoom = 0;

  constructor(options: TapeOptions = {}) {
    options = expectOptions<TapeOptions>("Tape", options, TAPE_KEYS, true);
    const capacity = options.capacity ?? 1024;
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > 2 ** 28) {
      throw invalidArgument("Tape", `capacity must be an integer in [0, 2^28], got ${describe(capacity)}`, { capacity: describe(capacity) });
    }
    this.checkFinite = expectBooleanOption("Tape", "checkFinite", options.checkFinite, false);
    this.tangents = expectBooleanOption("Tape", "tangents", options.tangents, false);
    this.arena = takeArena(capacity, this.tangents);
    this.handleView = new Handles<B>(this, this.arena, 0, this.checkFinite);
    this.room();
    this.bytesPerNode = BYTES_PER_NODE + (this.tangents ? TANGENT_BYTES_PER_NODE : 0);
    this.bytesPerEdge = BYTES_PER_EDGE + (this.tangents ? TANGENT_BYTES_PER_EDGE : 0);
  }

  /**
   * Runs `fn` with a fresh tape whose brand is a type of its own: a variable of one tape passed to
   * another is a compile error. After `fn` returns the tape is reset, so a variable that escaped is
   * stale (an `AdError` at run time, not a wrong number).
   */
  static with<R>(fn: TapeScope<R>, options?: TapeOptions): R {
    if (typeof fn !== "function") throw invalidArgument("Tape.with", `fn must be a function, got ${describe(fn)}`, { got: describe(fn) });
    const tape = new Tape<unknown>(expectOptions<TapeOptions>("Tape.with", options, TAPE_KEYS));
    try {
      return fn(tape);
    } finally {
      tape.release();
    }
  }

  /**
   * Traces `f` once at `x0` and returns a `Recording` that gives value, gradient and Hessian-vector
   * products at new inputs by replaying the trace, without running `f` again (see `replay.ts`, and
   * the guards that keep a replay from following the wrong branch).
   */
  static record(f: MultivariateFn, x0: ArrayLike<number>, options: RecordOptions = {}): Recording {
    const op = "Tape.record";
    expectFunction(op, "f", f);
    const point = expectFiniteVector(op, "x0", x0);
    return new Recording((x) => Tape.#trace(op, f, x), point, onBranchOption(op, options));
  }

  /** Runs `f` at `x` on a fresh tape in tracing mode and hands its arena over. */
  static #trace(op: string, f: MultivariateFn, x: readonly number[]): Trace {
    const tape = new Tape<unknown>({ capacity: 64 });
    const guards: Guards = { nodes: [], values: [] };
    tape.guards = guards;
    tape.room();
    const xs = tape.variables(x);
    const y: unknown = f(xs, tape.scalar);
    tape.guards = undefined;
    tape.room();
    if (typeof y !== "number" && !(y instanceof Var)) {
      throw invalidArgument(op, `f must return the value it computed from its arguments (or a number), got ${describe(y)}`, { argument: "f", returned: describe(y) });
    }
    const i = tape.operand("record", y);
    const value = tape.read(y as Var<unknown> | number, i);
    // Variables f made itself are not inputs: a replay keeps their recorded values.
    return { arena: tape.arena, inputs: tape.varIndex.slice(0, x.length), output: i, value, guards };
  }

  /** This tape as a `Scalar`, for code written once as `<T>(S: Scalar<T>, x: T) => T`. */
  get scalar(): Scalar<Var<B>> {
    return this;
  }

  /** Nodes recorded since the last reset. */
  get size(): number {
    return this.arena.size;
  }

  /** Edges recorded since the last reset (one per active operand). */
  get edges(): number {
    return this.arena.edges;
  }

  /** Nodes the arena holds before it grows. */
  get capacity(): number {
    return this.arena.capacity;
  }

  /** Bytes held by the arena's arrays. */
  get byteLength(): number {
    return this.arena.byteLength;
  }

  /** Incremented by `reset`; variables remember the generation they were recorded in. */
  get generation(): number {
    return this.gen;
  }

  /**
   * Forgets everything recorded and keeps the memory, so the next evaluation of the same function
   * allocates nothing in the arena. Variables from before are stale from now on.
   */
  reset(): void {
    this.arena.clear();
    this.varCount = 0;
    this.gen++;
    this.handleView.rebase(this.arena, this.gen);
  }

  /**
   * The explicit style with plain-number handles (`Handle<B>`), which allocate nothing per op: take
   * it once (`const h = tape.handles`) and record with `h.mul(a, b)`, `h.backward(out)`,
   * `h.gradient(x)` (see `handles.ts`). Not on tangent tapes or inside `Tape.record`, whose extra
   * bookkeeping it skips (`UnsupportedOp`).
   */
  get handles(): Handles<B> {
    if (this.tangents || this.guards !== undefined) {
      throw new AdError(
        "UnsupportedOp",
        this.tangents ? "handles record no tangents; use the tape's own ops on a tangent tape" : "handles are not traced by Tape.record; use f's variables",
        {
          op: "Tape.handles",
        },
      );
    }
    return this.handleView;
  }

  /**
   * Runs `fn` with an explicit tape nested in this one, one level down (`nested.ts`): its values
   * and gradients are this tape's values, so this tape differentiates through them; a variable of
   * this tape used there is a constant of that level unless lifted with `inner.variable(x)`.
   */
  nest<R>(fn: NestScope<Var<B>, R>): R {
    return nest("Tape.nest", this, fn);
  }

  /**
   * @internal The handles opened a statement (`h.begin()`): until it ends, every op of the `Var`
   * styles takes its slow path, which refuses to record (`recordable`) and, once the statement has
   * ended, restores the room (`room`).
   */
  statementOpened(): void {
    this.nodeRoom = 0;
  }

  // ── Leaves ─────────────────────────────────────────────────────────────────────────────────────

  /** An input to differentiate with respect to; `tangent` is its direction on a tangent tape. */
  variable(x: number, tangent = 0): Var<B> {
    if (typeof x !== "number") throw invalidArgument("Tape.variable", `x must be a number, got ${describe(x)}`, { got: describe(x) });
    if (typeof tangent !== "number") {
      throw invalidArgument("Tape.variable", `tangent must be a number, got ${describe(tangent)}`, { got: describe(tangent) });
    }
    if (this.checkFinite && !Number.isFinite(x)) throw new AdError("NonFinite", `variable value is ${x}`, { op: "Tape.variable", value: x });
    this.recordable("variable");
    const i = this.arena.leaf(VARIABLE, x);
    if (this.tangents) this.arena.tvalue[i] = tangent;
    if (this.varCount === this.varIndex.length) {
      const grown = new Int32Array(2 * this.varIndex.length);
      grown.set(this.varIndex);
      this.varIndex = grown;
    }
    this.varIndex[this.varCount++] = i;
    return new Var(this, i, this.gen);
  }

  /** One variable per element of `xs` (tangents per element on a tangent tape). */
  variables(xs: ArrayLike<number>, tangents?: ArrayLike<number>): Var<B>[] {
    if (!isArrayLike(xs)) throw invalidArgument("Tape.variables", `xs must be an array of numbers, got ${describe(xs)}`, { got: describe(xs) });
    const n = expectLength("Tape.variables", "xs", xs);
    if (tangents !== undefined && (!isArrayLike(tangents) || expectLength("Tape.variables", "tangents", tangents) !== n)) {
      throw new AdError("ShapeMismatch", `tangents must be an array as long as xs (${n}), got ${describe(tangents)}`, {
        op: "Tape.variables",
        xsLength: n,
        tangents: describe(tangents),
      });
    }
    // Read and check every element before recording any, so a bad element leaves the tape as it was.
    // Typed scratch arrays are fastest; past 2²⁴ elements a plain array, so that a huge sparse `xs`
    // fails at its first hole rather than in a giant allocation.
    const values: Float64Array | number[] = n <= 1 << 24 ? new Float64Array(n) : new Array<number>(n);
    const seeds: Float64Array | number[] = !this.tangents ? values : n <= 1 << 24 ? new Float64Array(n) : new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const x: unknown = xs[i];
      const t: unknown = tangents === undefined ? 0 : tangents[i];
      if (typeof x !== "number") throw invalidArgument("Tape.variables", `xs[${i}] must be a number, got ${describe(x)}`, { index: i, got: describe(x) });
      if (typeof t !== "number") throw invalidArgument("Tape.variables", `tangents[${i}] must be a number, got ${describe(t)}`, { index: i, got: describe(t) });
      if (this.checkFinite && !Number.isFinite(x)) throw new AdError("NonFinite", `xs[${i}] is ${x}`, { op: "Tape.variables", index: i, value: x });
      values[i] = x;
      if (this.tangents) seeds[i] = t;
    }
    const out = new Array<Var<B>>(n);
    for (let i = 0; i < n; i++) out[i] = this.variable(values[i], this.tangents ? seeds[i] : 0);
    return out;
  }

  /** A value that does not depend on the variables (its gradient is never needed). */
  constant(x: number): Var<B> {
    if (typeof x !== "number") throw invalidArgument("Tape.constant", `x must be a number, got ${describe(x)}`, { got: describe(x) });
    if (this.checkFinite && !Number.isFinite(x)) throw new AdError("NonFinite", `constant value is ${x}`, { op: "Tape.constant", value: x });
    this.recordable("constant");
    return new Var(this, this.arena.leaf(PASSIVE, x), this.gen);
  }

  /** `Scalar.from`: the same as `constant`. */
  from(n: number): Var<B> {
    return this.constant(n);
  }

  /** The primal value of a variable (or a number, returned as is). */
  value(t: Var<B> | number): number {
    if (typeof t === "number") return t;
    const i = this.operand("value", t);
    const v = this.read(t, i);
    if (this.guards !== undefined && i >= 0) {
      this.guards.nodes.push(i);
      this.guards.values.push(v);
    }
    return v;
  }

  /** The tangent of a value on a tangent tape (0 for numbers). */
  tangent(t: Var<B> | number): number {
    if (!this.tangents) throw invalidArgument("Tape.tangent", "the tape records no tangents; create it with { tangents: true }");
    const i = this.operand("tangent", t);
    return i < 0 ? 0 : this.arena.tvalue[i];
  }

  // ── Elementary operations ──────────────────────────────────────────────────────────────────────
  // add/sub/mul/div and sin/cos/exp/log/sqrt/tanh are written out because they dominate real
  // programs; everything else goes through the table. Both follow the same rules.

  add(a: Var<B> | number, b: Var<B> | number): Var<B> {
    const A = this.arena;
    if (this.tangents) return this.binaryTangent("add", a, b);
    const ia = this.operand("add", a);
    const ib = this.operand("add", b);
    const y = (ia >= 0 ? A.value[ia] : this.read(a, ia)) + (ib >= 0 ? A.value[ib] : this.read(b, ib));
    return this.record2(BINARY_CODE.add, y, ia, 1, ib, 1, a, b);
  }

  sub(a: Var<B> | number, b: Var<B> | number): Var<B> {
    const A = this.arena;
    if (this.tangents) return this.binaryTangent("sub", a, b);
    const ia = this.operand("sub", a);
    const ib = this.operand("sub", b);
    const y = (ia >= 0 ? A.value[ia] : this.read(a, ia)) - (ib >= 0 ? A.value[ib] : this.read(b, ib));
    return this.record2(BINARY_CODE.sub, y, ia, 1, ib, -1, a, b);
  }

  mul(a: Var<B> | number, b: Var<B> | number): Var<B> {
    const A = this.arena;
    if (this.tangents) return this.binaryTangent("mul", a, b);
    const ia = this.operand("mul", a);
    const ib = this.operand("mul", b);
    const va = ia >= 0 ? A.value[ia] : this.read(a, ia);
    const vb = ib >= 0 ? A.value[ib] : this.read(b, ib);
    return this.record2(BINARY_CODE.mul, va * vb, ia, vb, ib, va, a, b);
  }

  div(a: Var<B> | number, b: Var<B> | number): Var<B> {
    const A = this.arena;
    if (this.tangents) return this.binaryTangent("div", a, b);
    const ia = this.operand("div", a);
    const ib = this.operand("div", b);
    const va = ia >= 0 ? A.value[ia] : this.read(a, ia);
    const vb = ib >= 0 ? A.value[ib] : this.read(b, ib);
    const y = va / vb;
    return this.record2(BINARY_CODE.div, y, ia, 1 / vb, ib, -y / vb, a, b);
  }

  pow(a: Var<B> | number, b: Var<B> | number): Var<B> {
    return this.binary("pow", a, b);
  }
  atan2(a: Var<B> | number, b: Var<B> | number): Var<B> {
    return this.binary("atan2", a, b);
  }
  min(a: Var<B> | number, b: Var<B> | number): Var<B> {
    return this.binary("min", a, b);
  }
  max(a: Var<B> | number, b: Var<B> | number): Var<B> {
    return this.binary("max", a, b);
  }
  hypot(a: Var<B> | number, b: Var<B> | number): Var<B> {
    return this.binary("hypot", a, b);
  }

  neg(a: Var<B> | number): Var<B> {
    if (this.tangents) return this.unaryTangent("neg", a);
    const ia = this.operand("neg", a);
    return this.record1(UNARY_CODE.neg, -(ia >= 0 ? this.arena.value[ia] : this.read(a, ia)), ia, -1, a);
  }

  sin(a: Var<B> | number): Var<B> {
    if (this.tangents) return this.unaryTangent("sin", a);
    const ia = this.operand("sin", a);
    const x = ia >= 0 ? this.arena.value[ia] : this.read(a, ia);
    return this.record1(UNARY_CODE.sin, Math.sin(x), ia, ia < 0 ? 0 : Math.cos(x), a);
  }

  cos(a: Var<B> | number): Var<B> {
    if (this.tangents) return this.unaryTangent("cos", a);
    const ia = this.operand("cos", a);
    const x = ia >= 0 ? this.arena.value[ia] : this.read(a, ia);
    return this.record1(UNARY_CODE.cos, Math.cos(x), ia, ia < 0 ? 0 : -Math.sin(x), a);
  }

  exp(a: Var<B> | number): Var<B> {
    if (this.tangents) return this.unaryTangent("exp", a);
    const ia = this.operand("exp", a);
    const y = Math.exp(ia >= 0 ? this.arena.value[ia] : this.read(a, ia));
    return this.record1(UNARY_CODE.exp, y, ia, y, a);
  }

  log(a: Var<B> | number): Var<B> {
    if (this.tangents) return this.unaryTangent("log", a);
    const ia = this.operand("log", a);
    const x = ia >= 0 ? this.arena.value[ia] : this.read(a, ia);
    return this.record1(UNARY_CODE.log, Math.log(x), ia, 1 / x, a);
  }

  sqrt(a: Var<B> | number): Var<B> {
    if (this.tangents) return this.unaryTangent("sqrt", a);
    const ia = this.operand("sqrt", a);
    const y = Math.sqrt(ia >= 0 ? this.arena.value[ia] : this.read(a, ia));
    return this.record1(UNARY_CODE.sqrt, y, ia, 0.5 / y, a);
  }

  tanh(a: Var<B> | number): Var<B> {
    if (this.tangents) return this.unaryTangent("tanh", a);
    const ia = this.operand("tanh", a);
    const y = Math.tanh(ia >= 0 ? this.arena.value[ia] : this.read(a, ia));
    return this.record1(UNARY_CODE.tanh, y, ia, 1 - y * y, a);
  }

  cbrt(a: Var<B> | number): Var<B> {
    return this.unary("cbrt", a);
  }
  expm1(a: Var<B> | number): Var<B> {
    return this.unary("expm1", a);
  }
  log1p(a: Var<B> | number): Var<B> {
    return this.unary("log1p", a);
  }
  log2(a: Var<B> | number): Var<B> {
    return this.unary("log2", a);
  }
  tan(a: Var<B> | number): Var<B> {
    return this.unary("tan", a);
  }
  asin(a: Var<B> | number): Var<B> {
    return this.unary("asin", a);
  }
  acos(a: Var<B> | number): Var<B> {
    return this.unary("acos", a);
  }
  atan(a: Var<B> | number): Var<B> {
    return this.unary("atan", a);
  }
  sinh(a: Var<B> | number): Var<B> {
    return this.unary("sinh", a);
  }
  cosh(a: Var<B> | number): Var<B> {
    return this.unary("cosh", a);
  }
  asinh(a: Var<B> | number): Var<B> {
    return this.unary("asinh", a);
  }
  acosh(a: Var<B> | number): Var<B> {
    return this.unary("acosh", a);
  }
  atanh(a: Var<B> | number): Var<B> {
    return this.unary("atanh", a);
  }
  sigmoid(a: Var<B> | number): Var<B> {
    return this.unary("sigmoid", a);
  }
  softplus(a: Var<B> | number): Var<B> {
    return this.unary("softplus", a);
  }
  abs(a: Var<B> | number): Var<B> {
    return this.unary("abs", a);
  }
  sign(a: Var<B> | number): Var<B> {
    return this.unary("sign", a);
  }
  erf(a: Var<B> | number): Var<B> {
    return this.unary("erf", a);
  }

  /** Σ xs as ONE node with an edge per active term (cheaper than a chain of adds). */
  sum(xs: readonly (Var<B> | number)[]): Var<B> {
    if (!Array.isArray(xs)) throw invalidArgument("Tape.sum", `xs must be an array, got ${describe(xs)}`, { got: describe(xs) });
    const n = expectLength("Tape.sum", "xs", xs);
    this.recordable("sum");
    const A = this.arena;
    let y = 0;
    let ty = 0;
    let active = 0;
    let edges = 0;
    // One pass, each element read once (a getter may answer differently the second time): an active
    // term's edge is written straight into the next free slot, which `open` then claims.
    for (let k = 0; k < n; k++) {
      const x = xs[k];
      let i = this.operand("sum", x);
      if (i < 0) {
        // A constant leaf records no edges, so the free slots written so far stay free for `open`.
        if (this.guards !== undefined) i = this.constantNode(x as Var<B> | number, i);
        else {
          y += i === NUMBER ? (x as number) : A.value[-2 - i];
          continue;
        }
      } else active++;
      y += A.value[i];
      if (this.tangents) ty += A.tvalue[i];
      A.reserve(edges + 1);
      const e = A.edges + edges++;
      A.parent[e] = i;
      A.partial[e] = 1;
      if (this.tangents) A.tpartial[e] = 0;
    }
    this.checkValue("sum", y, ty, xs);
    if (active === 0) return this.passive(y);
    const out = A.open(SUM, y, edges);
    if (this.tangents) A.tvalue[out] = ty;
    return new Var(this, out, this.gen);
  }

  /**
   * Records `fn(inputs)` as one node per output whose edges hold the local Jacobian, computed on a
   * scratch tape (one reverse sweep per output) and then forgotten. A loop body of k ops with m
   * outputs costs m nodes and m·n edges here instead of k nodes: a long time-stepping loop whose
   * state is small keeps this tape's memory flat. Works on tangent tapes too (the scratch tape
   * carries tangents, so second derivatives flow through).
   */
  checkpoint(fn: CheckpointFn, inputs: readonly Var<B>[]): Var<B>[] {
    const op = "Tape.checkpoint";
    if (this.guards !== undefined) {
      throw new AdError("UnsupportedOp", "a checkpoint runs its body on another tape, which a recording cannot replay; call the body directly inside Tape.record", { op });
    }
    if (typeof fn !== "function") throw invalidArgument(op, `fn must be a function, got ${describe(fn)}`, { got: describe(fn) });
    if (!Array.isArray(inputs)) throw invalidArgument(op, `inputs must be an array of variables, got ${describe(inputs)}`, { got: describe(inputs) });
    this.recordable("checkpoint");
    const A = this.arena;
    const n = expectLength(op, "inputs", inputs);
    // A plain array: a huge (sparse) `inputs` fails at its first hole below, not at allocation.
    const index = new Array<number>(n);
    let active = 0;
    for (let k = 0; k < n; k++) {
      const i = this.operand("checkpoint", inputs[k]);
      if (i === NUMBER) throw invalidArgument(op, "inputs must be tape variables, got a number", { got: inputs[k] });
      index[k] = i;
      if (i >= 0) active++;
    }
    // The scratch tape is taken for the duration of the call, so a checkpoint inside `fn` gets its own.
    const scratch = this.scratch ?? new Tape<unknown>({ tangents: this.tangents, checkFinite: this.checkFinite });
    this.scratch = undefined;
    try {
      scratch.reset();
      const local = Array.from(index, (i) => (i >= 0 ? scratch.variable(A.value[i], this.tangents ? A.tvalue[i] : 0) : scratch.constant(A.value[-2 - i])));
      const result: unknown = fn(local, scratch);
      const outs = result instanceof Var ? [result] : result;
      if (!Array.isArray(outs)) {
        throw invalidArgument(op, `fn must return a variable or an array of variables of its tape, got ${describe(result)}`, { returned: describe(result) });
      }
      // Everything that can fail (each output's check and reverse sweep) happens before anything is
      // recorded here, so a failed checkpoint leaves this tape as it was.
      // Indexed, not for…of: the array's iterator would trust a length that a Proxy can fake.
      const m = expectLength(op, "fn's result", outs);
      const values = new Array<number>(m);
      const sweeps = new Array<Gradient<unknown> | undefined>(m);
      const tvalues = new Array<number>(m);
      for (let r = 0; r < m; r++) {
        const y: unknown = outs[r];
        const j = scratch.operand("checkpoint", y);
        values[r] = j === NUMBER ? (y as number) : scratch.arena.value[j < 0 ? -2 - j : j];
        // The scratch tape's variables are exactly the active inputs, in order.
        sweeps[r] = j < 0 || active === 0 ? undefined : scratch.backward(y as Var<unknown>);
        tvalues[r] = j >= 0 && this.tangents ? scratch.arena.tvalue[j] : 0;
      }
      const ys: Var<B>[] = [];
      for (let r = 0; r < m; r++) {
        const g = sweeps[r];
        if (g === undefined) {
          ys.push(this.passive(values[r]));
          continue;
        }
        A.reserve(active);
        let e = A.edges;
        for (let k = 0, v = 0; k < n; k++) {
          if (index[k] < 0) continue;
          A.parent[e] = index[k];
          A.partial[e] = g.adjoints[v];
          if (this.tangents) A.tpartial[e] = g.adjointTangents![v];
          e++;
          v++;
        }
        const out = A.open(CHECKPOINT, values[r], active);
        if (this.tangents) A.tvalue[out] = tvalues[r];
        ys.push(new Var(this, out, this.gen));
      }
      return ys;
    } finally {
      this.scratch = scratch;
    }
  }

  // ── Reverse sweep ──────────────────────────────────────────────────────────────────────────────

  /**
   * The gradient of `out` with respect to every variable of the tape: one reverse sweep, O(recorded
   * ops). The tape is left as it was, so it can be called again for another output (or seed), and
   * the returned `Gradient` stays valid after `reset`.
   */
  backward(out: Var<B> | number, seed = 1): Gradient<B> {
    const op = "Tape.backward";
    if (typeof seed !== "number") throw invalidArgument(op, `seed must be a number, got ${describe(seed)}`, { got: describe(seed) });
    if (this.checkFinite && !Number.isFinite(seed)) throw new AdError("NonFinite", `the seed is ${seed}`, { op, seed });
    const i = this.operand("backward", out);
    const count = this.varCount;
    const indices = this.varIndex.slice(0, count);
    const adjoints = new Float64Array(count);
    const tangents = this.tangents ? new Float64Array(count) : undefined;
    if (i >= 0) {
      const A = this.arena;
      let bad = -1;
      if (this.tangents) bad = A.backwardTangent(i, seed, this.checkFinite);
      else if (this.checkFinite) bad = A.backwardChecked(i, seed);
      else A.backward(i, seed);
      if (bad >= 0) throw this.nonFiniteEdge(bad);
      // Variables recorded after `out` cannot influence it; their adjoint slots were not cleared.
      for (let k = 0; k < count && indices[k] <= i; k++) {
        adjoints[k] = A.adj[indices[k]];
        if (tangents !== undefined) tangents[k] = A.tadj[indices[k]];
      }
    }
    return new Gradient(this, this.gen, this.arena.size, indices, adjoints, tangents);
  }

  toString(): string {
    return `Tape(${this.arena.size} nodes, ${this.arena.edges} edges)`;
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Validates an operand and classifies it: an active node's index (≥ 0); `−2 − index` (≤ −2) for a
   * passive node; `NUMBER` (−1) for a plain number. Throws ForeignVariable, StaleVariable or
   * InvalidArgument for anything else.
   */
  private operand(name: string, a: unknown): number {
    // A live variable of this tape, checked in few bytes so that V8 inlines this into every op (and
    // the op into the caller's loop); everything else, errors included, is `classify`'s.
    if (a instanceof Var && a.tape === this && a.generation === this.gen) {
      const i = a.index;
      if (typeof i === "number" && i < this.arena.size) {
        const code = this.arena.op[i];
        if (code !== undefined) return code === PASSIVE ? -2 - i : i;
      }
    }
    return typeof a === "number" ? NUMBER : this.classify(name, a);
  }

  /** `operand` for everything but a live variable of this tape and a number. */
  private classify(name: string, a: unknown): number {
    if (a instanceof Var) {
      if (a.tape !== this) {
        throw new AdError("ForeignVariable", FOREIGN, { op: `Tape.${name}`, index: a.index });
      }
      if (a.generation !== this.gen) {
        throw new AdError("StaleVariable", "the variable was recorded before the tape's last reset", {
          op: `Tape.${name}`,
          index: a.index,
          variableGeneration: a.generation,
          tapeGeneration: this.gen,
        });
      }
      // A handle made with `new Var(tape, index, generation)` can name no node at all (−1, 1.5, ∞):
      // reading it would record garbage, and `backward` from index ∞ would never end.
      const i = a.index;
      const code = typeof i === "number" ? this.arena.op[i] : undefined;
      if (code === undefined || i >= this.arena.size) {
        throw invalidArgument(`Tape.${name}`, `the variable names node #${describe(i)}, which this tape never recorded`, { index: describe(i) });
      }
      return code === PASSIVE ? -2 - i : i;
    }
    if (typeof a === "number") return NUMBER;
    if (isEnclosingValue(a)) throw enclosingValue(`Tape.${name}`, a);
    throw invalidArgument(`Tape.${name}`, `expected a variable of this tape or a number, got ${describe(a)}`, { got: describe(a) });
  }

  /** The node holding a non-active operand (`i` from `operand`): a new constant leaf for a number. */
  private constantNode(a: Var<B> | number, i: number): number {
    return i === NUMBER ? this.arena.leaf(PASSIVE, a as number) : -2 - i;
  }

  private passive(y: number): Var<B> {
    return new Var(this, this.arena.leaf(PASSIVE, y), this.gen);
  }

  /**
   * Refuses to record while a statement of the handles is open: `h.end(out)` drops the nodes above
   * the statement's first, so a `Var` recorded among them would name another node afterwards.
   */
  private recordable(name: string): void {
    if (this.handleView.inStatement) {
      throw invalidArgument(`Tape.${name}`, "a statement of tape.handles is open; end it with h.end(out) before recording with Vars");
    }
  }

  /** A node with one operand (`ia` from `operand`; a non-active operand makes a passive leaf). */
  // record1/record2 keep the common case (active operands, room in the arena: `nodeRoom`) in a few
  // bytes that V8 inlines into the op, and the op into the caller's loop; the rest is `record…Any`'s.
  private record1(code: number, y: number, ia: number, w: number, a: Var<B> | number): Var<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (ia < 0 || i >= this.nodeRoom || e >= this.edgeRoom) return this.record1Any(code, y, ia, w, a);
    write1(A, i, e, code, y, ia, w);
    return new Var(this, i, this.gen);
  }

  private record1Any(code: number, y: number, ia: number, w: number, a: Var<B> | number): Var<B> {
    this.recordable(OP_NAMES[code]);
    if (this.checkFinite && y - y !== 0) throw this.nonFiniteValue(code, y, [this.read(a, ia)]);
    const A = this.arena;
    const i = ia < 0 ? A.leaf(PASSIVE, y) : A.push1(code, y, ia, w);
    this.room();
    return new Var(this, i, this.gen);
  }

  private record2(code: number, y: number, ia: number, wa: number, ib: number, wb: number, a: Var<B> | number, b: Var<B> | number): Var<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if ((ia | ib) < 0 || i >= this.nodeRoom || e + 2 > this.edgeRoom) return this.record2Any(code, y, ia, wa, ib, wb, a, b);
    write2(A, i, e, code, y, ia, wa, ib, wb);
    return new Var(this, i, this.gen);
  }

  private record2Any(code: number, y: number, ia: number, wa: number, ib: number, wb: number, a: Var<B> | number, b: Var<B> | number): Var<B> {
    this.recordable(OP_NAMES[code]);
    if (this.checkFinite && y - y !== 0) throw this.nonFiniteValue(code, y, [this.read(a, ia), this.read(b, ib)]);
    const A = this.arena;
    // Before the push that may grow the arena: the room stays within the capacity, and the next op refreshes it.
    this.room();
    if (this.guards !== undefined && (ia >= 0 || ib >= 0)) {
      // Both operands as edges, in order (a constant one with partial 0), so a replay can re-evaluate.
      const pa = ia >= 0 ? ia : this.constantNode(a, ia);
      const pb = ib >= 0 ? ib : this.constantNode(b, ib);
      return new Var(this, A.push2(code, y, pa, ia >= 0 ? wa : 0, pb, ib >= 0 ? wb : 0), this.gen);
    }
    let i: number;
    if (ia >= 0) i = ib >= 0 ? A.push2(code, y, ia, wa, ib, wb) : A.push1(code, y, ia, wa);
    else i = ib >= 0 ? A.push1(code, y, ib, wb) : A.leaf(PASSIVE, y);
    return new Var(this, i, this.gen);
  }

  private unary(name: UnaryOp, a: Var<B> | number): Var<B> {
    if (this.tangents) return this.unaryTangent(name, a);
    const rule: UnaryRule = unaryRules[name];
    const ia = this.operand(name, a);
    const x = ia < 0 ? this.read(a, ia) : this.arena.value[ia];
    const y = rule.primal(x);
    return this.record1(UNARY_CODE[name], y, ia, ia < 0 ? 0 : rule.df(numberScalar, x, y), a);
  }

  private binary(name: BinaryOp, a: Var<B> | number, b: Var<B> | number): Var<B> {
    if (this.tangents) return this.binaryTangent(name, a, b);
    const rule: BinaryRule = binaryRules[name];
    const ia = this.operand(name, a);
    const ib = this.operand(name, b);
    const va = this.read(a, ia);
    const vb = this.read(b, ib);
    const y = rule.primal(va, vb);
    const wa = ia < 0 ? 0 : rule.da(numberScalar, va, vb, y);
    const wb = ib < 0 ? 0 : rule.db(numberScalar, va, vb, y);
    return this.record2(BINARY_CODE[name], y, ia, wa, ib, wb, a, b);
  }

  /** An operand's primal given its classification from `operand`. */
  private read(a: Var<B> | number, i: number): number {
    if (i === NUMBER) return a as number;
    return this.arena.value[i < 0 ? -2 - i : i];
  }

  /** An operand's primal and tangent as a Dual (numbers and passive nodes have tangent 0). */
  private dual(a: Var<B> | number, i: number): Dual {
    if (i === NUMBER) return new Dual(a as number, 0);
    if (i < 0) return new Dual(this.arena.value[-2 - i], 0);
    return new Dual(this.arena.value[i], this.arena.tvalue[i]);
  }

  /** Tangent mode: value and partials as duals, so the partials' tangents come out of the same rules. */
  private unaryTangent(name: UnaryOp, a: Var<B> | number): Var<B> {
    const rule: UnaryRule = unaryRules[name];
    const ia = this.operand(name, a);
    const x = this.dual(a, ia);
    const yx = rule.primal(x.x);
    if (ia < 0) return this.recordValue(UNARY_CODE[name], yx, 0, [x.x]);
    const w = rule.df(numberScalar, x.x, yx);
    const ty = x.dx === 0 ? 0 : x.dx * w;
    const wd = rule.df(dualScalar, x, new Dual(yx, ty));
    const A = this.arena;
    this.checkValue(name, yx, ty, [a]);
    const i = A.push1(UNARY_CODE[name], yx, ia, wd.x);
    A.tvalue[i] = ty;
    A.tpartial[A.start[i]] = wd.dx;
    return new Var(this, i, this.gen);
  }

  private binaryTangent(name: BinaryOp, a: Var<B> | number, b: Var<B> | number): Var<B> {
    const rule: BinaryRule = binaryRules[name];
    const ia = this.operand(name, a);
    const ib = this.operand(name, b);
    const da = this.dual(a, ia);
    const db = this.dual(b, ib);
    const y = rule.primal(da.x, db.x);
    if (ia < 0 && ib < 0) return this.recordValue(BINARY_CODE[name], y, 0, [da.x, db.x]);
    let ty = 0;
    let wa = 0;
    let wb = 0;
    if (ia >= 0) {
      wa = rule.da(numberScalar, da.x, db.x, y);
      if (da.dx !== 0) ty += da.dx * wa;
    }
    if (ib >= 0) {
      wb = rule.db(numberScalar, da.x, db.x, y);
      if (db.dx !== 0) ty += db.dx * wb;
    }
    this.checkValue(name, y, ty, [a, b]);
    const yd = new Dual(y, ty);
    const A = this.arena;
    let i: number;
    if (ia >= 0 && ib >= 0) {
      const pa = rule.da(dualScalar, da, db, yd);
      const pb = rule.db(dualScalar, da, db, yd);
      i = A.push2(BINARY_CODE[name], y, ia, pa.x, ib, pb.x);
      A.tpartial[A.start[i]] = pa.dx;
      A.tpartial[A.start[i] + 1] = pb.dx;
    } else if (ia >= 0) {
      const pa = rule.da(dualScalar, da, db, yd);
      i = A.push1(BINARY_CODE[name], y, ia, pa.x);
      A.tpartial[A.start[i]] = pa.dx;
    } else {
      const pb = rule.db(dualScalar, da, db, yd);
      i = A.push1(BINARY_CODE[name], y, ib, pb.x);
      A.tpartial[A.start[i]] = pb.dx;
    }
    A.tvalue[i] = ty;
    return new Var(this, i, this.gen);
  }

  /** A passive result (no active operand), checked if asked. */
  private recordValue(code: number, y: number, ty: number, operands: number[]): Var<B> {
    if (this.checkFinite && (y - y !== 0 || ty - ty !== 0)) throw this.nonFiniteValue(code, y, operands);
    return this.passive(y);
  }

  private checkValue(name: string, y: number, ty: number, inputs: readonly unknown[]): void {
    if (this.checkFinite && (y - y !== 0 || ty - ty !== 0)) {
      throw new AdError("NonFinite", `${name} produced ${y - y !== 0 ? `the value ${y}` : `the tangent ${ty}`}`, {
        op: `Tape.${name}`,
        value: y,
        tangent: ty,
        inputs: inputs.map((x) => (typeof x === "number" ? x : x instanceof Var && x.tape === this ? this.arena.value[x.index] : describe(x))),
      });
    }
  }

  private nonFiniteValue(code: number, y: number, inputs: readonly number[]): AdError {
    const name = OP_NAMES[code];
    return new AdError("NonFinite", `${name} produced ${y} from inputs ${inputs.join(", ")}`, { op: `Tape.${name}`, value: y, inputs });
  }

  /** The NonFinite error for the reverse sweep: edge `k` made an adjoint NaN/Inf. */
  private nonFiniteEdge(k: number): AdError {
    const A = this.arena;
    const node = A.ownerOfEdge(k);
    const name = OP_NAMES[A.op[node]];
    const parent = A.parent[k];
    return new AdError("NonFinite", `backward through ${name} (node #${node}) made an adjoint non-finite: local partial ${A.partial[k]}, adjoint ${A.adj[parent]}`, {
      op: "Tape.backward",
      producedBy: name,
      node,
      value: A.value[node],
      input: A.value[parent],
      partial: A.partial[k],
    });
  }

  private room(): void {
    const A = this.arena;
    this.nodeRoom = this.checkFinite || this.guards !== undefined || this.handleView.inStatement ? 0 : A.capacity;
    this.edgeRoom = A.edgeCapacity;
  }

  /** Drops the arena's memory and makes every variable stale (end of `Tape.with`). */
  private release(): void {
    this.reset();
    const arena = this.arena;
    this.arena = new Arena(0, 0, this.tangents);
    this.handleView.rebase(this.arena, this.gen);
    this.room();
    this.scratch = undefined;
    giveBackArena(arena);
  }
}

/**
 * A number tape cannot record another tape's partials, so an explicit tape used on an outer tape's
 * variables meets this error; the message names what nests instead.
 */
const FOREIGN = `the variable belongs to another tape. An explicit Tape does not record another tape's variables: ${NEST_INSTEAD}`;

/** `operand`'s code for a plain number. */
const NUMBER = -1;

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}
