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
 * The class is built in layers, one concern a file: `handleCore.ts` (state, checks, errors),
 * `handleOps.ts` (the ops), `handleStatements.ts` (`begin`/`end` and compiled statements), and here
 * the inputs and the reverse sweep.
 */
import { AdError, describe, expectLength, invalidArgument } from "../../errors.js";
import { OP_NAMES, VARIABLE } from "./codes.js";
import type { Handle } from "./handleCore.js";
import { HandleStatements } from "./handleStatements.js";

export { MAX_HANDLE_NODES, type Handle } from "./handleCore.js";

/** Handles in an `Int32Array` (what `h.variables` fills): reading one gives a `Handle<B>`. */
export interface HandleArray<B = unknown> extends Int32Array {
  readonly [index: number]: Handle<B>;
}

export class Handles<in out B = unknown> extends HandleStatements<B> {
  /** Where the last `backward` swept from, and in which generation: `gradient` reads its adjoints. */
  private sweptOut = -1;
  private sweptBase = -1;

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

  /**
   * One input per element of `x`, their handles written into `into` (a new `Int32Array` when
   * omitted: handles are int32s) and returned. One bulk write of the arena instead of a call of
   * `variable` per element: with `into` reused, recording n inputs allocates nothing. Every element
   * is checked before any is recorded, so a bad one leaves the tape as it was.
   */
  variables(x: ArrayLike<number>, into?: Int32Array): HandleArray<B> {
    const op = "Handles.variables";
    if (!Array.isArray(x) && !(ArrayBuffer.isView(x) && !(x instanceof DataView))) {
      throw invalidArgument(op, `x must be an array of numbers, got ${describe(x)}`, { got: describe(x) });
    }
    const n = expectLength(op, "x", x);
    if (into !== undefined && (!(into instanceof Int32Array) || into.length !== n)) {
      throw invalidArgument(op, `into must be an Int32Array of x's length (${n}), got ${describe(into)}`, { length: n, got: describe(into) });
    }
    this.closed("variables");
    // A Float64Array holds numbers only: the check is for the other arrays.
    if (!(x instanceof Float64Array)) {
      for (let k = 0; k < n; k++) {
        const v: unknown = x[k];
        if (typeof v !== "number") throw invalidArgument(op, `x[${k}] must be a number, got ${describe(v)}`, { index: k, got: describe(v) });
      }
    }
    const handles = into ?? new Int32Array(n);
    const A = this.arena;
    const i = A.size;
    if (n === 0) return handles as HandleArray<B>;
    // The last input's handle is checked first (past the handles' index range it is refused).
    this.handle(i + n - 1);
    A.reserveNodes(n);
    this.room();
    if (x instanceof Float64Array) A.value.set(x, i);
    else for (let k = 0; k < n; k++) A.value[i + k] = x[k];
    A.op.fill(VARIABLE, i, i + n);
    A.start.fill(A.edges, i + 1, i + n + 1);
    A.size = i + n;
    const base = this.base;
    for (let k = 0; k < n; k++) handles[k] = base | (i + k);
    return handles as HandleArray<B>;
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
}
