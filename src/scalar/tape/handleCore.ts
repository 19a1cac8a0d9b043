/**
 * The handles' state and the checks every op makes (the encoding is in `handles.ts`'s header): which
 * tape, generation and statement a handle belongs to, the room the inline fast paths may write, the
 * node writes of the ops without a fast path of their own (`push1`/`push2`), and the `AdError` for
 * anything that is not a handle of this tape and generation. `HandleOps`, `HandleStatements` and
 * `Handles` build on it, one concern a file.
 */
import { AdError, describe, invalidArgument } from "../../errors.js";
import { Arena, write1, write2 } from "./arena.js";
import { OP_NAMES } from "./codes.js";
import { enclosingValue, isEnclosingValue, NEST_INSTEAD } from "./enclosing.js";
import type { Tape } from "./tape.js";
import { Var } from "./variable.js";

declare const handleBrand: unique symbol;

/** A node of a tape as a small integer (see `handles.ts`); `B` is the tape's brand. */
export type Handle<B = unknown> = number & { readonly [handleBrand]: B };

export const INDEX_BITS = 26;
export const INDEX_MASK = 2 ** INDEX_BITS - 1;
/** Nodes a handle can address in one generation. */
export const MAX_HANDLE_NODES = 2 ** INDEX_BITS;

export const SIGN = 2 ** 31;

let tapesMade = 0;

export class HandleCore<in out B = unknown> {
  protected readonly serial = tapesMade++ % 3;
  protected arena: Arena;
  /** The handles' tag and generation bits: the tape's (`mainBase`), or the open statement's temporaries'. */
  protected base = 0;
  protected mainBase = 0;
  /** The open statement's first node and first edge (0 when none is open: no tape handle is below it). */
  protected statementStart = 0;
  protected statementEdges = 0;
  /** Statements ended, mod 7: the generation bits of the next statement's temporaries. */
  protected statements = 0;
  /**
   * The fast paths (the inline ops, push1/push2) write the current arena themselves while the node
   * index is below `nodeRoom` and the edges end within `edgeRoom`: its capacity and a handle's index
   * range (none with `checkFinite`). Set by `room()` whenever the arena changes or a slow path grows
   * it; growth by other paths (the Var style, `sum`) leaves them low, which only sends an op down the
   * slow path. Never above the capacity: a typed array drops a write past its end without a word.
   */
  protected nodeRoom = 0;
  protected edgeRoom = 0;

  /** @internal Made by the tape, which calls `rebase` on every reset. */
  constructor(
    protected readonly owner: Tape<B>,
    arena: Arena,
    generation: number,
    protected readonly checkFinite: boolean,
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

  /** The node index of a handle of this tape and generation; an AdError for anything else. */
  protected at(name: string, h: Handle<B>): number {
    // A typeof first: `&` on a Symbol or a BigInt would throw a TypeError, on an object run its valueOf.
    if (typeof h !== "number") throw this.bad(name, h);
    const i = h & INDEX_MASK;
    // Strict equality with an int32 also refuses fractions, strings and out-of-range numbers. Inside
    // a statement a tape handle (below the statement's first node) is read where it lies.
    if (h === (this.base | i) ? i < this.arena.size : h === (this.mainBase | i) && i < this.statementStart) return i;
    throw this.bad(name, h);
  }

  /** Refuses what a statement cannot hold (variables, sweeps, a nested statement). */
  protected closed(name: string): void {
    if (this.base !== this.mainBase) throw invalidArgument(`Handles.${name}`, "a statement is open; end it with h.end(out) first");
  }

  protected handle(i: number): Handle<B> {
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
  protected push1(code: number, y: number, ia: number, w: number): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (i >= this.nodeRoom || e >= this.edgeRoom) return this.push1Any(code, y, ia, w);
    write1(A, i, e, code, y, ia, w);
    return (this.base | i) as Handle<B>;
  }

  protected push2(code: number, y: number, ia: number, wa: number, ib: number, wb: number): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (i >= this.nodeRoom || e + 2 > this.edgeRoom) return this.push2Any(code, y, ia, wa, ib, wb);
    write2(A, i, e, code, y, ia, wa, ib, wb);
    return (this.base | i) as Handle<B>;
  }

  protected push1Any(code: number, y: number, ia: number, w: number): Handle<B> {
    if (this.checkFinite && y - y !== 0) throw this.nonFinite(code, y);
    const i = this.arena.push1(code, y, ia, w);
    this.room();
    return this.handle(i);
  }

  protected push2Any(code: number, y: number, ia: number, wa: number, ib: number, wb: number): Handle<B> {
    if (this.checkFinite && y - y !== 0) throw this.nonFinite(code, y);
    const i = this.arena.push2(code, y, ia, wa, ib, wb);
    this.room();
    return this.handle(i);
  }

  protected room(): void {
    const A = this.arena;
    this.nodeRoom = this.checkFinite ? 0 : Math.min(A.capacity, INDEX_MASK + 1);
    this.edgeRoom = A.edgeCapacity;
  }

  protected nonFinite(code: number, y: number): AdError {
    return new AdError("NonFinite", `${OP_NAMES[code]} produced ${y}`, { op: `Handles.${OP_NAMES[code]}`, value: y });
  }

  protected bad(name: string, h: unknown): AdError {
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
