/**
 * Statements of the handles: one node per statement instead of one per op.
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
 *
 * `h.statement(arity, fn)` compiles a statement once instead (`statement.ts`): each call records the
 * same one node without recording its ops.
 */
import { describe, invalidArgument } from "../../errors.js";
import type { BinaryOp, UnaryOp } from "../scalar.js";
import { FIRST_BINARY, OP_NAMES, PASSIVE, STATEMENT } from "./codes.js";
import { INDEX_BITS, INDEX_MASK, SIGN, type Handle } from "./handleCore.js";
import { HandleOps } from "./handleOps.js";
import { compileStatement, traceStatement, type StatementFn, type StatementHost, type StatementTrace } from "./statement.js";

/** Inputs of a compiled statement (`h.statement`) at most. */
const MAX_STATEMENT_ARITY = 256;

export class HandleStatements<in out B = unknown> extends HandleOps<B> {
  /** `end`'s edges to the tape's nodes, collected before they are written over the temporaries'. */
  private readParent = new Int32Array(16);
  private readPartial = new Float64Array(16);

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
    // The generated code reads the fields the inline ops read (`StatementHost` names them), as they do.
    const compiled = this.checkFinite ? undefined : compileStatement(trace, this as unknown as StatementHost);
    if (compiled !== undefined) return compiled as (...xs: Handle<B>[]) => Handle<B>;
    return (...xs: Handle<B>[]) => this.interpret(trace, xs);
  }

  /** Whether x reads as a handle of this tape (any generation) or of a statement: an int32 with its tag. */
  private isOwnHandle(x: number): boolean {
    const serial = (x >>> (INDEX_BITS + 3)) & 3;
    return (x | 0) === x && x < 0 && (serial === this.serial || (serial === 3 && ((x >>> INDEX_BITS) & 7) !== 7));
  }

  /**
   * @internal The generated code's way out (`statement.ts`): an input that is not a handle of this
   * tape's generation, a tape node read inside an open statement, or no room for the node. A bad
   * input is an AdError; inside a statement the ops are recorded as its temporaries (the same node
   * once `end` sweeps them); else the arena grows for one node of `arity` edges and `compiled` runs
   * again, on its fast path now.
   */
  statementAny(trace: StatementTrace, compiled: (...xs: Handle<B>[]) => Handle<B>, xs: readonly Handle<B>[]): Handle<B> {
    for (const x of xs) this.at("statement", x);
    if (this.base !== this.mainBase) return this.interpret(trace, xs);
    const A = this.arena;
    // A node past the handles' index range is refused as every other node is.
    this.handle(A.size);
    A.reserve(trace.arity);
    this.room();
    return compiled(...xs);
  }

  /** @internal For compiled statements whose result is a constant (no input reached): a passive node. */
  statementConstant(y: number): Handle<B> {
    const i = this.arena.leaf(PASSIVE, y);
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
}
