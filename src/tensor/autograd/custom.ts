/**
 * User-supplied derivative rules and rematerialisation, each recorded as ONE graph node:
 * - `customVjp(f, fwd, bwd)`: reverse mode uses `bwd(residuals, cotangent)` instead of f's own ops
 *   (a numerically stable gradient, a straight-through estimator, a clipped gradient).
 * - `customJvp(f, jvp)`: forward mode uses `jvp(primals, tangents)`; reverse mode differentiates f.
 * - `checkpoint(f)`: stores only the inputs; the backward pass runs f again to get its gradient,
 *   trading compute for memory.
 * The rules are ordinary tensor code, so they are recorded and differentiable when the backward pass
 * itself is (grad of grad).
 */
import { AdError, describe, expectFunction, invalidArgument } from "../../errors.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { Tensor } from "../tensor.js";
import { cotangentsOf, seedFor } from "./backward.js";
import { zerosLike } from "../primitives/lift.js";
import { isGradEnabled, withGrad } from "./mode.js";
import { jvp } from "./transforms.js";
import { activeTrace } from "../interpreters/trace.js";
import { activeBatchLevels } from "../interpreters/batch.js";
import { abstractEval } from "../tracing.js";

/**
 * A custom function's abstract rule: f traced on abstract inputs, only while tracing or batching
 * (vmap's logical output takes this type). Eagerly the output comes from running f itself, which may
 * read values (`.item()`, a branch): tracing it there too would refuse such an f and do its work twice.
 */
function customType(op: string, f: (...xs: Tensor[]) => Tensor, inputs: readonly AbstractValue[]): AbstractValue {
  return activeTrace() === undefined && activeBatchLevels().length === 0 ? UNTRACED : abstractEval(inputs, (...xs) => tensorResult(op, "f", f(...xs)));
}
const UNTRACED: AbstractValue = { shape: [], dtype: "float32" };

function tensorArgs(op: string, args: readonly unknown[]): Tensor[] {
  if (args.length > 64) throw invalidArgument(op, `too many arguments (${args.length})`, { count: args.length });
  return args.map((a, i) => {
    if (!(a instanceof Tensor)) throw invalidArgument(op, `argument ${i} must be a Tensor, got ${describe(a)}`, { argument: i, got: describe(a) });
    return a;
  });
}

function tensorResult(op: string, what: string, y: unknown): Tensor {
  if (!(y instanceof Tensor)) throw invalidArgument(op, `${what} must return a Tensor, got ${describe(y)}`, { returned: describe(y) });
  return y;
}

function cotangentList(op: string, grads: unknown, inputs: readonly Tensor[]): (Tensor | null)[] {
  if (!Array.isArray(grads) || grads.length !== inputs.length) {
    throw invalidArgument(op, `bwd must return one cotangent (or null) per input (${inputs.length}), got ${describe(grads)}`, { returned: describe(grads) });
  }
  return grads.map((g: unknown, i) => {
    if (g === null) return null;
    const t = tensorResult(op, "bwd", g);
    if (t.shape.length !== inputs[i].shape.length || t.shape.some((d, k) => d !== inputs[i].shape[k])) {
      throw new AdError("ShapeMismatch", `bwd's cotangent ${i} has shape [${t.shape.join(", ")}], its input [${inputs[i].shape.join(", ")}]`, { op, index: i });
    }
    return t;
  });
}

/**
 * `fwd(...xs)` returns `[output, residuals]` (anything the backward rule needs); `bwd(residuals, g)`
 * returns one cotangent per input (null for none). The result is called like f.
 */
export function customVjp<R>(
  f: (...xs: Tensor[]) => Tensor,
  fwd: (...xs: Tensor[]) => readonly [Tensor, R],
  bwd: (residuals: R, cotangent: Tensor) => readonly (Tensor | null)[],
): (...xs: Tensor[]) => Tensor {
  const op = "customVjp";
  expectFunction(op, "f", f);
  expectFunction(op, "fwd", fwd);
  expectFunction(op, "bwd", bwd);
  const forward = (inputs: readonly Tensor[]): readonly [unknown, R] => {
    const result: unknown = fwd(...inputs);
    if (!Array.isArray(result) || result.length !== 2) throw invalidArgument(op, `fwd must return [output, residuals], got ${describe(result)}`, { returned: describe(result) });
    return result as [unknown, R];
  };
  const prim: Primitive<{ residuals: R; ran?: boolean }> = definePrimitive<{ residuals: R; ran?: boolean }>(`customVjp(${f.name || "f"})`, {
    abstract: (inputs) => customType(op, f, inputs),
    impl: (inputs, params) => {
      const [output, residuals] = forward(inputs);
      params.residuals = residuals;
      params.ran = true;
      return tensorResult(op, "fwd", output);
    },
    // Under trace no impl ran: fwd is traced here instead, so the backward program computes its residuals.
    vjp: ({ cotangent, params, inputs }) => cotangentList(op, bwd(params.ran === true ? params.residuals : forward(inputs)[1], cotangent), inputs),
    jvp: ({ inputs, tangents }) => forwardThrough(f, inputs, tangents),
  });
  return (...xs: Tensor[]) => {
    const inputs = tensorArgs(op, xs);
    // Outside any differentiation f itself is run (fwd may do extra work for its residuals).
    if (!isGradEnabled() || !inputs.some((x) => x.requiresGrad))
      return tensorResult(
        op,
        "f",
        withGrad(false, () => f(...inputs), op, "pass a synchronous f"),
      );
    return bind(prim, inputs, { residuals: undefined as R });
  };
}

/**
 * Forward mode through `rule(primals, tangents)` (tangents null where an input has none) instead of
 * f's own ops; reverse mode differentiates f as written.
 */
export function customJvp(f: (...xs: Tensor[]) => Tensor, rule: (primals: readonly Tensor[], tangents: readonly (Tensor | null)[]) => Tensor): (...xs: Tensor[]) => Tensor {
  const op = "customJvp";
  expectFunction(op, "f", f);
  expectFunction(op, "rule", rule);
  const prim = definePrimitive(`customJvp(${f.name || "f"})`, {
    abstract: (inputs) => customType(op, f, inputs),
    impl: (inputs) => tensorResult(op, "f", f(...inputs)),
    vjp: ({ inputs, output, cotangent }) => recomputeVjp(f, inputs, output, cotangent),
    jvp: ({ inputs, tangents }) => tensorResult(op, "rule", rule(inputs, tangents)),
  });
  return (...xs: Tensor[]) => bind(prim, tensorArgs(op, xs), undefined);
}

/** Runs f again on the inputs with recording on and pulls the cotangent back through it. */
function recomputeVjp(f: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], output: Tensor, cotangent: Tensor): Tensor[] {
  const nested = isGradEnabled();
  const y = withGrad(true, () => tensorResult("checkpoint", "f", f(...inputs)), "checkpoint", "pass a synchronous f");
  return cotangentsOf([y], [seedFor("checkpoint", output, cotangent)], inputs, { createGraph: nested });
}

/** f recorded as one node that keeps only its inputs; its gradient recomputes f. */
export function checkpoint(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => Tensor {
  const op = "checkpoint";
  expectFunction(op, "f", f);
  const prim = definePrimitive(`checkpoint(${f.name || "f"})`, {
    abstract: (inputs) => customType(op, f, inputs),
    impl: (inputs) => tensorResult(op, "f", f(...inputs)),
    vjp: ({ inputs, output, cotangent }) => recomputeVjp(f, inputs, output, cotangent),
    jvp: ({ inputs, tangents }) => forwardThrough(f, inputs, tangents),
  });
  return (...xs: Tensor[]) => bind(prim, tensorArgs(op, xs), undefined);
}

/** Forward mode through f's own ops (a fresh jvp level; missing tangents are zeros). */
function forwardThrough(f: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], tangents: readonly (Tensor | null)[]): Tensor {
  return jvp(
    f as (...args: never[]) => Tensor,
    inputs,
    inputs.map((x, i) => tangents[i] ?? zerosLike(x)),
  )[1];
}
