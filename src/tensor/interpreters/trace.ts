/**
 * The trace interpreter: while a trace is active, every primitive `bind` applies appends one equation
 * (primitive, input variables, parameters, output variable with its shape and dtype) instead of only
 * producing a value. Tensors the trace has not seen (closure captures, creations inside the traced
 * function) become the program's constants. The output's shape and dtype come from the primitive's
 * abstract rule (no kernel runs; its storage is empty and never readable, see `abstract.ts`). Nested under
 * record (`grad`, `vjp`) and jvp, the rules those interpreters call are primitives too, so they are
 * recorded as well: the trace of `grad(f)` is the backward program.
 */
import type { Equation, Variable } from "../ir.js";
import type { Primitive } from "../primitive.js";
import type { Tensor } from "../tensor.js";
import { AdError } from "../../errors.js";
import { markAbstract } from "./abstract.js";

export class Trace {
  readonly equations: Equation[] = [];
  readonly constants: { variable: Variable; value: Tensor }[] = [];
  private readonly vars = new WeakMap<Tensor, Variable>();
  /** The (empty) storage of abstract values (not of constants, whose views are constants too). */
  private readonly abstractStorage = new WeakSet<object>();
  private nextId = 0;

  /** A fresh input variable for an (abstract) tensor. */
  input(t: Tensor): Variable {
    const v = this.fresh(t);
    markAbstract(t);
    this.abstractStorage.add(t.storage);
    return v;
  }

  /** The variable of `t`; a tensor never seen before is a constant of the program. */
  variableOf(t: Tensor): Variable {
    const known = this.vars.get(t);
    if (known !== undefined) return known;
    // A tensor over an abstract value's storage that no primitive made: it has no values of its
    // own, so it cannot be a constant.
    if (this.abstractStorage.has(t.storage)) {
      throw new AdError("UnsupportedOp", "a tensor was made from an abstract value outside the primitives (reading its storage directly), so trace cannot follow it", {
        op: "trace",
      });
    }
    const v = this.fresh(t);
    this.constants.push({ variable: v, value: t });
    return v;
  }

  record<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P, output: Tensor): void {
    const ins = inputs.map((t) => this.variableOf(t));
    const out = this.fresh(output);
    markAbstract(output);
    // A fresh buffer, or a view of an abstract one; a view of a constant stays readable as such.
    if (!inputs.some((t) => t.storage === output.storage) || this.abstractStorage.has(output.storage)) this.abstractStorage.add(output.storage);
    this.equations.push({ primitive: prim as Primitive<unknown>, inputs: ins, output: out, params });
  }

  private fresh(t: Tensor): Variable {
    const v: Variable = { id: this.nextId++, shape: [...t.shape], dtype: t.dtype };
    this.vars.set(t, v);
    return v;
  }
}

const traces: Trace[] = [];

/** The innermost active trace (the one `bind` records into), if any. */
export function activeTrace(): Trace | undefined {
  return traces[traces.length - 1];
}

export function runWithTrace<R>(trace: Trace, fn: () => R): R {
  traces.push(trace);
  try {
    return fn();
  } finally {
    traces.splice(traces.lastIndexOf(trace), 1);
  }
}
