/**
 * `tape.handles`: the explicit style with handles that are small integers, so recording an op
 * allocates nothing at all — no `Var` object per op for the young-generation GC to sweep, and no boxed
 * number either (an int32 is a V8 small integer; a larger number would be boxed on every return). A
 * handle is a negative int32, `sign | tag << 26 | index`: the low 26 bits name the node (so a
 * generation holds at most 2²⁶ handle-addressed nodes), the tag the tape (a serial number mod 3) and
 * its generation (3 bits, bumped by `reset`); the sign bit keeps every non-negative number, and tag
 * 31 every small negative one, from passing for a handle. Checking one is a mask and a compare; a
 * handle of another tape is a `ForeignVariable`, one of an earlier generation a `StaleVariable`, and
 * anything else (a number, a fraction, a string, an index never recorded) an `InvalidArgument`. The
 * price of 32 bits: tags repeat, so a handle kept across exactly 8·k resets, or one of a tape made
 * 3·k tapes later, passes the check — keep handles within one generation (the `Var` styles check
 * exactly).
 *
 * `Handle<B>` is branded with the tape's type like `Var<B>`, so mixing tapes is a compile error in
 * `Tape.with`. Every operand is a handle (make constants with `h.constant(c)`), so no op has to tell
 * a number from a handle; each operand gets an edge, and the reverse sweep skips nodes whose adjoint
 * is 0, as on the `Var` side.
 *
 * Statement-level preaccumulation (Adept's expression templates, at run time): between `h.begin()`
 * and `h.end(out)` the ops record on the tape as usual, as temporaries above the statement's first
 * node; `end` sweeps them once for ∂out/∂(tape node read), drops them, and records ONE node in their
 * place with an edge per tape node the statement read. The tape then holds one node per statement
 * instead of one per op, and its reverse sweep visits that many fewer nodes. Recording in place, not
 * in a scratch arena of its own, keeps the ops' inline fast path for both kinds of operand: a tape
 * handle is read where it lies, with no import. A statement's temporaries carry tag 3 and the
 * statement's serial in the generation bits, so they are refused once `end` returns, and the `Var`
 * styles may not record on the tape while a statement is open (their nodes would land among the
 * temporaries).
 */
import { AdError, describe, invalidArgument } from "../../errors.js";
import { binaryRules, unaryRules, type BinaryRule, type UnaryRule } from "../elementary.js";
import { numberScalar } from "../number.js";
import type { BinaryOp, UnaryOp } from "../scalar.js";
import { Arena, write1, write2 } from "./arena.js";
import { BINARY_CODE, FIRST_BINARY, OP_NAMES, PASSIVE, STATEMENT, UNARY_CODE, VARIABLE } from "./codes.js";
import { enclosingValue, isEnclosingValue, NEST_INSTEAD } from "./enclosing.js";
import type { Tape } from "./tape.js";
import { compileStatement, traceStatement, type StatementFn, type StatementTrace } from "./statement.js";
import { Var } from "./variable.js";

declare const handleBrand: unique symbol;

/** A node of a tape as a small integer (see the header); `B` is the tape's brand. */
export type Handle<B = unknown> = number & { readonly [handleBrand]: B };

const INDEX_BITS = 26;
const INDEX_MASK = 2 ** INDEX_BITS - 1;
/** Nodes a handle can address in one generation. */
export const MAX_HANDLE_NODES = 2 ** INDEX_BITS;

const SIGN = 2 ** 31;

/** Inputs of a compiled statement (`h.statement`) at most. */
const MAX_STATEMENT_ARITY = 256;

let tapesMade = 0;

export class Handles<in out B = unknown> {
  private readonly serial = tapesMade++ % 3;
  private arena: Arena;
  /** The handles' tag and generation bits: the tape's (`mainBase`), or the open statement's temporaries'. */
  private base = 0;
  private mainBase = 0;
  /** The open statement's first node and first edge (0 when none is open: no tape handle is below it). */
  private statementStart = 0;
  private statementEdges = 0;
  /** Statements ended, mod 7: the generation bits of the next statement's temporaries. */
  private statements = 0;
  /** `end`'s edges to the tape's nodes, collected before they are written over the temporaries'. */
  private readParent = new Int32Array(16);
  private readPartial = new Float64Array(16);
  /**
   * The fast paths (the inline ops, push1/push2) write the current arena themselves while the node
   * index is below `nodeRoom` and the edges end within `edgeRoom`: its capacity and a handle's index
   * range (none with `checkFinite`). Set by `room()` whenever the arena changes or a slow path grows
   * it; growth by other paths (the Var style, `sum`) leaves them low, which only sends an op down the
   * slow path. Never above the capacity: a typed array drops a write past its end without a word.
   */
  private nodeRoom = 0;
  private edgeRoom = 0;
  /** Where the last `backward` swept from, and in which generation: `gradient` reads its adjoints. */
  private sweptOut = -1;
  private sweptBase = -1;

  /** @internal Made by the tape, which calls `rebase` on every reset. */
  constructor(
    private readonly owner: Tape<B>,
    arena: Arena,
    generation: number,
    private readonly checkFinite: boolean,
  ) {
    this.arena = arena;
    this.rebase(arena, generation);
  }

  /** @internal The tape was reset (or released): handles of before are stale from now on. */
  rebase(arena: Arena, generation: number): void {
    // A statement left open (an op threw inside it) ends here, unrecorded.
    this.arena = arena;
    this.base = this.mainBase = SIGN | (((this.serial << 3) | (generation & 7)) << INDEX_BITS) | 0;
    this.statementStart = 0;
    this.room();
  }

  /** True between `begin()` and `end(out)`: the tape refuses its `Var` styles' ops meanwhile. */
  get inStatement(): boolean {
    return this.base !== this.mainBase;
  }

  /**
   * Opens a statement: the ops until `end(out)` record on the tape as its temporaries, and `end`
   * replaces them with one node (see the header).
   */
  begin(): void {
    this.closed("begin");
    const A = this.arena;
    this.statementStart = A.size;
    this.statementEdges = A.edges;
    // Tag 3 with generation bits 0–6: tag 31 stays every small negative number's, never a handle.
    this.base = SIGN | (((3 << 3) | this.statements) << INDEX_BITS) | 0;
    this.owner.statementOpened();
  }

  /** Ends the statement opened by `begin`: `out` as one node of the tape, with an edge per tape node read. */
  end(out: Handle<B>): Handle<B> {
    const A = this.arena;
    const s0 = this.statementStart;
    const i = typeof out === "number" ? out & INDEX_MASK : 0;
    // The common case, `out` a temporary of the open statement, runs here; a tape node as the result,
    // no statement open and a bad handle are `endAny`'s.
    if (out !== (this.base | i) || this.base === this.mainBase || i >= A.size) return this.endAny(out);
    const e0 = this.statementEdges;
    const { adj, op, value, start, parent, partial } = A;
    let readParent = this.readParent;
    let readPartial = this.readPartial;
    let reads = 0;
    // One reverse sweep of the temporaries from `out`, their adjoints in the tape's adjoint slots from
    // s0 (stale there, so cleared first). An edge into a tape node below s0 is the statement's partial
    // with respect to it, summed per node (a short scan: a statement reads few nodes, some twice, as
    // xᵢ·xᵢ does), constants left out as the Var style leaves them out.
    for (let j = s0; j < i; j++) adj[j] = 0;
    adj[i] = 1;
    let stop = start[i + 1];
    for (let j = i; j >= s0; j--) {
      const first = start[j];
      const g = adj[j];
      if (g !== 0) {
        for (let k = stop - 1; k >= first; k--) {
          const p = parent[k];
          if (p >= s0) adj[p] += g * partial[k];
          else if (op[p] !== PASSIVE) {
            let m = reads - 1;
            while (m >= 0 && m >= reads - 16 && readParent[m] !== p) m--;
            if (m >= 0 && readParent[m] === p) readPartial[m] += g * partial[k];
            else {
              if (reads === readParent.length) {
                this.growReads();
                readParent = this.readParent;
                readPartial = this.readPartial;
              }
              readParent[reads] = p;
              readPartial[reads++] = g * partial[k];
            }
          }
        }
      }
      stop = first;
    }
    // The temporaries are dropped and the statement's node takes the first one's place: its edges fit
    // where theirs were (each edge read came from one of theirs), so nothing grows.
    for (let m = 0; m < reads; m++) {
      parent[e0 + m] = readParent[m];
      partial[e0 + m] = readPartial[m];
    }
    value[s0] = value[i];
    op[s0] = reads === 0 ? PASSIVE : STATEMENT;
    start[s0 + 1] = A.edges = e0 + reads;
    A.size = s0 + 1;
    this.close();
    return (this.base | s0) as Handle<B>;
  }

  /** `end` for a tape node as the statement's result (one edge to it), and the errors. */
  private endAny(out: Handle<B>): Handle<B> {
    if (this.base === this.mainBase) throw invalidArgument("Handles.end", "no statement is open; call h.begin() first");
    const i = this.at("end", out);
    const A = this.arena;
    const y = A.value[i];
    A.size = this.statementStart;
    A.edges = this.statementEdges;
    this.close();
    if (A.op[i] === PASSIVE) return this.handle(A.leaf(PASSIVE, y));
    A.reserve(1);
    A.parent[A.edges] = i;
    A.partial[A.edges] = 1;
    const node = A.open(STATEMENT, y, 1);
    this.room();
    return this.handle(node);
  }

  private close(): void {
    this.base = this.mainBase;
    this.statementStart = 0;
    this.statements = this.statements === 6 ? 0 : this.statements + 1;
  }

  private growReads(): void {
    const n = this.readParent.length;
    const parents = new Int32Array(2 * n);
    const partials = new Float64Array(2 * n);
    parents.set(this.readParent);
    partials.set(this.readPartial);
    this.readParent = parents;
    this.readPartial = partials;
  }

  /**
   * A statement compiled once (`statement.ts`): `fn` over `arity` inputs, traced now and turned into
   * code that computes the statement's value and its partials with respect to the inputs. Calling the
   * result with `arity` handles records ONE node with an edge per input, without recording its ops:
   * `const body = h.statement(3, ([acc, x, y], S) => S.add(acc, S.mul(S.sin(x), y)))`, then
   * `acc = body(acc, xs[i], xs[i + 1])`. `fn` must not read its values (`S.value` is refused: the
   * trace holds one control flow); with `checkFinite` each op is recorded and checked, as between
   * `begin` and `end`.
   */
  statement(arity: number, fn: StatementFn): (...xs: Handle<B>[]) => Handle<B> {
    const op = "Handles.statement";
    if (!Number.isInteger(arity) || arity < 0 || arity > MAX_STATEMENT_ARITY) {
      throw invalidArgument(op, `arity must be an integer in [0, ${MAX_STATEMENT_ARITY}], got ${describe(arity)}`, { arity: describe(arity) });
    }
    if (typeof fn !== "function") throw invalidArgument(op, `fn must be a function, got ${describe(fn)}`, { got: describe(fn) });
    const trace = traceStatement(arity, fn, (x) => this.isOwnHandle(x));
    const compiled = this.checkFinite ? undefined : compileStatement(trace, this);
    if (compiled !== undefined) return compiled as (...xs: Handle<B>[]) => Handle<B>;
    return (...xs: Handle<B>[]) => this.interpret(trace, xs);
  }

  /** Whether x reads as a handle of this tape (any generation) or of a statement: an int32 with its tag. */
  private isOwnHandle(x: number): boolean {
    const serial = (x >>> (INDEX_BITS + 3)) & 3;
    return (x | 0) === x && x < 0 && (serial === this.serial || (serial === 3 && ((x >>> INDEX_BITS) & 7) !== 7));
  }

  /** @internal For compiled statements: the node of an input handle (an AdError for anything else). */
  statementInput(h: unknown): number {
    const i = typeof h === "number" ? h & INDEX_MASK : 0;
    if ((h === (this.base | i) || h === (this.mainBase | i)) && i < this.arena.size) return i;
    return this.at("statement", h as Handle<B>);
  }

  /** @internal For compiled statements: the arena, read after every input is checked. */
  statementArena(): Arena {
    return this.arena;
  }

  /** @internal For compiled statements: whether node `node` and edges up to `edgesEnd` fit without growing (never with `checkFinite`). */
  statementFits(node: number, edgesEnd: number): boolean {
    return node < this.nodeRoom && edgesEnd <= this.edgeRoom;
  }

  /** @internal For compiled statements: the handle of the node just written. */
  statementHandle(node: number): Handle<B> {
    return (this.base | node) as Handle<B>;
  }

  /** @internal For compiled statements: records the statement's node, `count` edges (none: a constant). */
  statementNode(y: number, parents: Int32Array, partials: Float64Array, count: number): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (count === 0 || i >= this.nodeRoom || e + count > this.edgeRoom) return this.statementNodeAny(y, parents, partials, count);
    const parent = A.parent;
    const partial = A.partial;
    for (let m = 0; m < count; m++) {
      parent[e + m] = parents[m];
      partial[e + m] = partials[m];
    }
    A.value[i] = y;
    A.op[i] = STATEMENT;
    A.start[i + 1] = A.edges = e + count;
    A.size = i + 1;
    return (this.base | i) as Handle<B>;
  }

  private statementNodeAny(y: number, parents: Int32Array, partials: Float64Array, count: number): Handle<B> {
    const A = this.arena;
    if (count === 0) return this.handle(A.leaf(PASSIVE, y));
    A.reserve(count);
    for (let m = 0; m < count; m++) {
      A.parent[A.edges + m] = parents[m];
      A.partial[A.edges + m] = partials[m];
    }
    const i = A.open(STATEMENT, y, count);
    this.room();
    return this.handle(i);
  }

  /** A compiled statement without generated code: its ops between `begin` and `end` (the same node). */
  private interpret(trace: StatementTrace, xs: readonly Handle<B>[]): Handle<B> {
    const { arity, code, a, b, constants, out } = trace;
    if (xs.length !== arity) {
      throw invalidArgument("Handles.statement", `the statement takes ${arity} handles, got ${xs.length}`, { arity, got: xs.length });
    }
    // Checked before the statement opens, so a bad input leaves no statement open.
    for (const x of xs) this.at("statement", x);
    // Inside an open statement its ops are that statement's temporaries; else it is a statement of its own.
    const open = this.base !== this.mainBase;
    if (!open) this.begin();
    try {
      const nodes: Handle<B>[] = [...xs];
      const at = (node: number) => (node >= 0 ? nodes[node] : this.constant(constants[-1 - node]));
      for (let t = 0; t < code.length && arity + t <= out; t++) {
        const name = OP_NAMES[code[t]];
        nodes.push(code[t] < FIRST_BINARY ? this.unary(name as UnaryOp, at(a[t])) : this.binary(name as BinaryOp, at(a[t]), at(b[t])));
      }
      const y = at(out);
      return open ? y : this.end(y);
    } catch (e) {
      // A statement of its own that failed (checkFinite) is dropped, temporaries and all.
      if (!open && this.base !== this.mainBase) {
        this.arena.size = this.statementStart;
        this.arena.edges = this.statementEdges;
        this.close();
      }
      throw e;
    }
  }

  /** An input to differentiate with respect to. */
  variable(x: number): Handle<B> {
    // Written inline while there is room, as the ops are (a loop making n inputs calls it n times);
    // a non-number, an open statement and growing are `variableAny`'s.
    const A = this.arena;
    const i = A.size;
    if (typeof x === "number" && i < this.nodeRoom && this.base === this.mainBase) {
      A.value[i] = x;
      A.op[i] = VARIABLE;
      A.start[i + 1] = A.edges;
      A.size = i + 1;
      return (this.base | i) as Handle<B>;
    }
    return this.variableAny(x);
  }

  private variableAny(x: number): Handle<B> {
    if (typeof x !== "number") throw invalidArgument("Handles.variable", `x must be a number, got ${describe(x)}`, { got: describe(x) });
    this.closed("variable");
    const i = this.arena.leaf(VARIABLE, x);
    this.room();
    return this.handle(i);
  }

  /** A value that does not depend on the variables. */
  constant(x: number): Handle<B> {
    if (typeof x !== "number") throw invalidArgument("Handles.constant", `x must be a number, got ${describe(x)}`, { got: describe(x) });
    return this.handle(this.arena.leaf(PASSIVE, x));
  }

  /** The primal value of a handle. */
  value(h: Handle<B>): number {
    return this.arena.value[this.at("value", h)];
  }

  // add, sub, mul and sin, the ops of most loops, record in one function each: the checks `at` makes
  // (a handle of this tape and generation, a node recorded) and `push2`'s writes, inline, in few bytes,
  // so that V8 inlines the whole op into the caller's loop (a call per op, or per check, cost ~20% of
  // the handles benchmark). Anything else — an error, growing, `checkFinite` —
  // goes to the op's `…Any`, which records exactly the same node.
  add(a: Handle<B>, b: Handle<B>): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (typeof a === "number" && typeof b === "number" && i < this.nodeRoom && e + 2 <= this.edgeRoom) {
      const base = this.base;
      const mainBase = this.mainBase;
      const ia = a & INDEX_MASK;
      const ib = b & INDEX_MASK;
      if ((a === (base | ia) || a === (mainBase | ia)) && (b === (base | ib) || b === (mainBase | ib)) && ia < i && ib < i) {
        const v = A.value;
        const parent = A.parent;
        const partial = A.partial;
        parent[e] = ia;
        partial[e] = 1;
        parent[e + 1] = ib;
        partial[e + 1] = 1;
        v[i] = v[ia] + v[ib];
        A.op[i] = BINARY_CODE_ADD;
        A.start[i + 1] = A.edges = e + 2;
        A.size = i + 1;
        return (base | i) as Handle<B>;
      }
    }
    return this.addAny(a, b);
  }

  sub(a: Handle<B>, b: Handle<B>): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (typeof a === "number" && typeof b === "number" && i < this.nodeRoom && e + 2 <= this.edgeRoom) {
      const base = this.base;
      const mainBase = this.mainBase;
      const ia = a & INDEX_MASK;
      const ib = b & INDEX_MASK;
      if ((a === (base | ia) || a === (mainBase | ia)) && (b === (base | ib) || b === (mainBase | ib)) && ia < i && ib < i) {
        const v = A.value;
        const parent = A.parent;
        const partial = A.partial;
        parent[e] = ia;
        partial[e] = 1;
        parent[e + 1] = ib;
        partial[e + 1] = -1;
        v[i] = v[ia] - v[ib];
        A.op[i] = BINARY_CODE_SUB;
        A.start[i + 1] = A.edges = e + 2;
        A.size = i + 1;
        return (base | i) as Handle<B>;
      }
    }
    return this.subAny(a, b);
  }

  mul(a: Handle<B>, b: Handle<B>): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (typeof a === "number" && typeof b === "number" && i < this.nodeRoom && e + 2 <= this.edgeRoom) {
      const base = this.base;
      const mainBase = this.mainBase;
      const ia = a & INDEX_MASK;
      const ib = b & INDEX_MASK;
      if ((a === (base | ia) || a === (mainBase | ia)) && (b === (base | ib) || b === (mainBase | ib)) && ia < i && ib < i) {
        const v = A.value;
        const va = v[ia];
        const vb = v[ib];
        const parent = A.parent;
        const partial = A.partial;
        parent[e] = ia;
        partial[e] = vb;
        parent[e + 1] = ib;
        partial[e + 1] = va;
        v[i] = va * vb;
        A.op[i] = BINARY_CODE_MUL;
        A.start[i + 1] = A.edges = e + 2;
        A.size = i + 1;
        return (base | i) as Handle<B>;
      }
    }
    return this.mulAny(a, b);
  }

  sin(a: Handle<B>): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (typeof a === "number" && i < this.nodeRoom && e < this.edgeRoom) {
      const base = this.base;
      const mainBase = this.mainBase;
      const ia = a & INDEX_MASK;
      if ((a === (base | ia) || a === (mainBase | ia)) && ia < i) {
        const v = A.value;
        const x = v[ia];
        A.parent[e] = ia;
        A.partial[e] = Math.cos(x);
        v[i] = Math.sin(x);
        A.op[i] = UNARY_CODE_SIN;
        A.start[i + 1] = A.edges = e + 1;
        A.size = i + 1;
        return (base | i) as Handle<B>;
      }
    }
    return this.sinAny(a);
  }

  div(a: Handle<B>, b: Handle<B>): Handle<B> {
    const ia = this.at("div", a);
    const ib = this.at("div", b);
    const v = this.arena.value;
    const vb = v[ib];
    const y = v[ia] / vb;
    return this.push2(BINARY_CODE.div, y, ia, 1 / vb, ib, -y / vb);
  }

  neg(a: Handle<B>): Handle<B> {
    const ia = this.at("neg", a);
    return this.push1(UNARY_CODE.neg, -this.arena.value[ia], ia, -1);
  }

  cos(a: Handle<B>): Handle<B> {
    const ia = this.at("cos", a);
    const x = this.arena.value[ia];
    return this.push1(UNARY_CODE.cos, Math.cos(x), ia, -Math.sin(x));
  }

  exp(a: Handle<B>): Handle<B> {
    const ia = this.at("exp", a);
    const y = Math.exp(this.arena.value[ia]);
    return this.push1(UNARY_CODE.exp, y, ia, y);
  }

  log(a: Handle<B>): Handle<B> {
    const ia = this.at("log", a);
    const x = this.arena.value[ia];
    return this.push1(UNARY_CODE.log, Math.log(x), ia, 1 / x);
  }

  sqrt(a: Handle<B>): Handle<B> {
    const ia = this.at("sqrt", a);
    const y = Math.sqrt(this.arena.value[ia]);
    return this.push1(UNARY_CODE.sqrt, y, ia, 0.5 / y);
  }

  tanh(a: Handle<B>): Handle<B> {
    const ia = this.at("tanh", a);
    const y = Math.tanh(this.arena.value[ia]);
    return this.push1(UNARY_CODE.tanh, y, ia, 1 - y * y);
  }

  /** Any unary function of the table by name (`h.unary("erf", x)`), for the ones not written out. */
  unary(name: UnaryOp, a: Handle<B>): Handle<B> {
    const rule: UnaryRule | undefined = Object.hasOwn(unaryRules, name) ? unaryRules[name] : undefined;
    if (rule === undefined) throw invalidArgument("Handles.unary", `no unary function named ${describe(name)}`, { got: describe(name) });
    const ia = this.at(name, a);
    const x = this.arena.value[ia];
    const y = rule.primal(x);
    return this.push1(UNARY_CODE[name], y, ia, rule.df(numberScalar, x, y));
  }

  /** Any binary function of the table by name (`h.binary("pow", a, b)`). */
  binary(name: BinaryOp, a: Handle<B>, b: Handle<B>): Handle<B> {
    const rule: BinaryRule | undefined = Object.hasOwn(binaryRules, name) ? binaryRules[name] : undefined;
    if (rule === undefined) throw invalidArgument("Handles.binary", `no binary function named ${describe(name)}`, { got: describe(name) });
    const ia = this.at(name, a);
    const ib = this.at(name, b);
    const va = this.arena.value[ia];
    const vb = this.arena.value[ib];
    const y = rule.primal(va, vb);
    return this.push2(BINARY_CODE[name], y, ia, rule.da(numberScalar, va, vb, y), ib, rule.db(numberScalar, va, vb, y));
  }

  /** One reverse sweep from `out`; read the results with `gradient` (valid until the next sweep or reset). */
  backward(out: Handle<B>, seed = 1): void {
    if (typeof seed !== "number") throw invalidArgument("Handles.backward", `seed must be a number, got ${describe(seed)}`, { got: describe(seed) });
    this.closed("backward");
    const i = this.at("backward", out);
    if (this.checkFinite) {
      const k = this.arena.backwardChecked(i, seed);
      if (k >= 0) {
        const node = this.arena.ownerOfEdge(k);
        throw new AdError("NonFinite", `backward through ${OP_NAMES[this.arena.op[node]]} (node #${node}) made an adjoint non-finite`, {
          op: "Handles.backward",
          node,
          partial: this.arena.partial[k],
        });
      }
    } else this.arena.backward(i, seed);
    this.sweptOut = i;
    this.sweptBase = this.base;
  }

  /** ∂out/∂h from the last `backward` of this generation (0 for a node recorded after `out`). */
  gradient(h: Handle<B>): number {
    this.closed("gradient");
    const i = this.at("gradient", h);
    if (this.sweptBase !== this.base) {
      throw invalidArgument("Handles.gradient", "no backward since the tape's last reset; call h.backward(out) first");
    }
    return i <= this.sweptOut ? this.arena.adj[i] : 0;
  }

  private addAny(a: Handle<B>, b: Handle<B>): Handle<B> {
    const ia = this.at("add", a);
    const ib = this.at("add", b);
    const v = this.arena.value;
    return this.push2(BINARY_CODE.add, v[ia] + v[ib], ia, 1, ib, 1);
  }

  private subAny(a: Handle<B>, b: Handle<B>): Handle<B> {
    const ia = this.at("sub", a);
    const ib = this.at("sub", b);
    const v = this.arena.value;
    return this.push2(BINARY_CODE.sub, v[ia] - v[ib], ia, 1, ib, -1);
  }

  private mulAny(a: Handle<B>, b: Handle<B>): Handle<B> {
    const ia = this.at("mul", a);
    const ib = this.at("mul", b);
    const v = this.arena.value;
    const va = v[ia];
    const vb = v[ib];
    return this.push2(BINARY_CODE.mul, va * vb, ia, vb, ib, va);
  }

  private sinAny(a: Handle<B>): Handle<B> {
    const ia = this.at("sin", a);
    const x = this.arena.value[ia];
    return this.push1(UNARY_CODE.sin, Math.sin(x), ia, Math.cos(x));
  }

  /** The node index of a handle of this tape and generation; an AdError for anything else. */
  private at(name: string, h: Handle<B>): number {
    // A typeof first: `&` on a Symbol or a BigInt would throw a TypeError, on an object run its valueOf.
    if (typeof h !== "number") throw this.bad(name, h);
    const i = h & INDEX_MASK;
    // Strict equality with an int32 also refuses fractions, strings and out-of-range numbers. Inside
    // a statement a tape handle (below the statement's first node) is read where it lies.
    if (h === (this.base | i) ? i < this.arena.size : h === (this.mainBase | i) && i < this.statementStart) return i;
    throw this.bad(name, h);
  }

  /** Refuses what a statement cannot hold (variables, sweeps, a nested statement). */
  private closed(name: string): void {
    if (this.base !== this.mainBase) throw invalidArgument(`Handles.${name}`, "a statement is open; end it with h.end(out) first");
  }

  private handle(i: number): Handle<B> {
    if (i > INDEX_MASK) {
      throw invalidArgument("Tape.handles", `handles address the first ${MAX_HANDLE_NODES} nodes of a generation; reset the tape or use its Var style`, {
        index: i,
        max: MAX_HANDLE_NODES,
      });
    }
    return (this.base | i) as Handle<B>;
  }

  // push1/push2 write the arena themselves while there is room (`nodeRoom`, `edgeRoom`), a few bytes
  // for V8 to inline; growing, checking and the error go through `push1Any`/`push2Any`, which record
  // exactly the same node.
  private push1(code: number, y: number, ia: number, w: number): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (i >= this.nodeRoom || e >= this.edgeRoom) return this.push1Any(code, y, ia, w);
    write1(A, i, e, code, y, ia, w);
    return (this.base | i) as Handle<B>;
  }

  private push2(code: number, y: number, ia: number, wa: number, ib: number, wb: number): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (i >= this.nodeRoom || e + 2 > this.edgeRoom) return this.push2Any(code, y, ia, wa, ib, wb);
    write2(A, i, e, code, y, ia, wa, ib, wb);
    return (this.base | i) as Handle<B>;
  }

  private push1Any(code: number, y: number, ia: number, w: number): Handle<B> {
    if (this.checkFinite && y - y !== 0) throw this.nonFinite(code, y);
    const i = this.arena.push1(code, y, ia, w);
    this.room();
    return this.handle(i);
  }

  private push2Any(code: number, y: number, ia: number, wa: number, ib: number, wb: number): Handle<B> {
    if (this.checkFinite && y - y !== 0) throw this.nonFinite(code, y);
    const i = this.arena.push2(code, y, ia, wa, ib, wb);
    this.room();
    return this.handle(i);
  }

  private room(): void {
    const A = this.arena;
    this.nodeRoom = this.checkFinite ? 0 : Math.min(A.capacity, INDEX_MASK + 1);
    this.edgeRoom = A.edgeCapacity;
  }

  private nonFinite(code: number, y: number): AdError {
    return new AdError("NonFinite", `${OP_NAMES[code]} produced ${y}`, { op: `Handles.${OP_NAMES[code]}`, value: y });
  }

  private bad(name: string, h: unknown): AdError {
    const op = `Handles.${name}`;
    // Another tape's Var or an enclosing derivative's value: nesting, refused as such (enclosing.ts).
    if (h instanceof Var && h.tape !== this.owner) {
      return new AdError("ForeignVariable", `the Var belongs to another tape, whose values handles do not record: ${NEST_INSTEAD}`, { op, got: describe(h) });
    }
    if (isEnclosingValue(h)) return enclosingValue(op, h);
    const serial = typeof h === "number" ? (h >>> (INDEX_BITS + 3)) & 3 : 3;
    if (typeof h !== "number" || (h | 0) !== h || h >= 0 || (serial === 3 && ((h >>> INDEX_BITS) & 7) === 7)) {
      return invalidArgument(op, `expected a handle of this tape, got ${describe(h)}`, { got: describe(h) });
    }
    const index = h & INDEX_MASK;
    if (serial === 3) return new AdError("StaleVariable", "the handle is a temporary of a statement that has ended", { op, index });
    if (serial !== this.serial) return new AdError("ForeignVariable", "the handle belongs to another tape", { op, index });
    if ((h & ~INDEX_MASK) !== this.mainBase) {
      return new AdError("StaleVariable", "the handle was recorded before the tape's last reset", { op, index });
    }
    return invalidArgument(op, `the handle names node #${index}, which this tape never recorded`, { index });
  }
}

const BINARY_CODE_ADD = BINARY_CODE.add;
const BINARY_CODE_SUB = BINARY_CODE.sub;
const BINARY_CODE_MUL = BINARY_CODE.mul;
const UNARY_CODE_SIN = UNARY_CODE.sin;
