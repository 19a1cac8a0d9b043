/**
 * Compile-time tape safety, checked by `npm test` (tsc over test/): every `@ts-expect-error` below
 * must be an error, or tsc reports the directive as unused and the type check fails. Nothing here runs.
 */
import { derivative, Dual, Gradient, Tape, Var, type Scalar } from "../../src/index.js";

export function variablesOfOneTapeDoNotFitAnother(): void {
  Tape.with((outer) => {
    const x = outer.variable(1);
    Tape.with((inner) => {
      const y = inner.variable(2);
      // @ts-expect-error a variable of the outer tape in the inner tape's explicit context
      inner.mul(x, y);
      // @ts-expect-error nor as an operand of the inner tape's methods
      y.add(x);
      // @ts-expect-error nor as the output of the inner tape's backward
      inner.backward(x);
      // @ts-expect-error nor as the variable asked of the inner tape's gradient
      inner.backward(y).wrt(x);
      // @ts-expect-error nor in a list
      inner.sum([x, y]);
      // @ts-expect-error the inner tape's Scalar is a different domain from the outer one's
      const s: Scalar<Var<typeof x extends Var<infer B> ? B : never>> = inner.scalar;
      void s;
      return 0;
    });
    return 0;
  });
}

export function sameTapeMixesBothStyles(): number {
  return Tape.with((tape) => {
    const [a, b] = tape.variables([1, 2]);
    // The explicit context and the methods record into the same arena and mix freely.
    const y = tape.add(a.mul(b), tape.sin(a)).div(2);
    const grad: Gradient<typeof tape extends Tape<infer B> ? B : never> = tape.backward(y);
    const g: number = grad.wrt(a);
    const gs: number[] = tape.backward(y).wrt([a, b]);
    return g + gs.length;
  });
}

export function tapesMadeWithNewAreNotBranded(): void {
  Tape.with((tape) => {
    const v = tape.variable(1);
    // @ts-expect-error a branded Var<B> is not a Var<unknown> of a tape made with `new Tape()`
    new Tape().add(v, 1);
    return 0;
  });
}

export function numbersAreAcceptedAsConstants(): void {
  Tape.with((tape) => {
    const x = tape.variable(3);
    tape.mul(2, x);
    x.pow(2).atan2(1);
    // @ts-expect-error a string is neither a variable nor a number
    tape.add(x, "1");
    // @ts-expect-error unary methods take no operand
    x.sin(1);
    return 0;
  });
}

export function dualsAreNotTapeVariables(dual: import("../../src/index.js").Dual): void {
  Tape.with((tape) => {
    // @ts-expect-error a Dual is not a variable of this tape
    tape.sin(dual);
    return 0;
  });
}

export function handlesOfOneTapeDoNotFitAnother(): number {
  return Tape.with((outer) => {
    const x = outer.handles.variable(1);
    return Tape.with((inner) => {
      const h = inner.handles;
      const y = h.variable(2);
      // @ts-expect-error a handle of the outer tape in the inner tape's handle ops
      h.mul(x, y);
      // @ts-expect-error a plain number is not a handle: constants are h.constant(c)
      h.add(y, 2);
      // @ts-expect-error nor a Var
      h.sin(inner.variable(3));
      h.backward(h.mul(y, y));
      const g: number = h.gradient(y);
      return g;
    });
  });
}

export function nestedForwardModeTypesWithDuals(): number {
  // Written for duals, the inner function can close over the outer variable.
  return derivative((x: Dual) => x.mul(derivative((y: Dual) => x.mul(y), 1).derivative), 2).derivative;
}
