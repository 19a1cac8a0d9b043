/**
 * An explicit tape nests only as `tape.nest((inner) => …)` (`nested.ts`), which knows its level. A
 * tape made on its own does not: a value of an enclosing derivative — another tape's variable, a dual
 * of `derivative`/`gradientForward` (tagged or nested), a variable of a nested `gradient` — reaching
 * a tape's op is refused as `ForeignVariable` with the advice of what nests instead, never as junk
 * (`InvalidArgument`) and never recorded as a constant (that would drop its derivative silently).
 */
import { AdError, describe } from "../../errors.js";
import { Dual } from "../dual.js";
import { NestedDual } from "../nestedDual.js";
import { RevVar } from "../reverseOver.js";
import { MixedDual } from "../taggedDual.js";

/** What nests where an explicit tape does not: the end of every such refusal. */
export const NEST_INSTEAD =
  "nest the functionals instead (gradient, valueAndGradient, jacobian, hessian, hessianVectorProduct inside gradient record on the enclosing tape; " +
  "derivative, gradientForward are tagged), or nest the explicit tape: outer.nest((inner) => …)";

/** A dual or a nested gradient's variable (another tape's `Var` is told apart by its tape). */
export function isEnclosingValue(a: unknown): boolean {
  return a instanceof Dual || a instanceof MixedDual || a instanceof NestedDual || a instanceof RevVar;
}

export function enclosingValue(op: string, a: unknown): AdError {
  return new AdError(
    "ForeignVariable",
    `${describe(a)} belongs to another derivative (a dual number, or a nested gradient's variable), not to this tape. An explicit Tape does not record it: ${NEST_INSTEAD}`,
    {
      op,
      got: describe(a),
    },
  );
}
