import type { Handle } from "../../src/scalar/tape/handleCore.js";
import type { Handles } from "../../src/scalar/tape/handles.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import { expectAllClose } from "./allclose.js";

/**
 * The benchmark chain f(x) = Σ sin(xᵢ)·xᵢ₊₁ + xᵢ² recorded in the method style: [value, ...gradient].
 * The reference the handle and statement tests compare their own recordings with.
 */
export function chainByMethods(x: readonly number[]): number[] {
  return Tape.with((t) => {
    const xs = t.variables(x);
    let a = t.constant(0);
    for (let i = 0; i < x.length - 1; i++)
      a = a.add(
        xs[i]
          .sin()
          .mul(xs[i + 1])
          .add(xs[i].mul(xs[i])),
      );
    return [a.value, ...t.backward(a).wrt(xs)];
  });
}

/** Sweeps `h` back from `result` and checks the gradient of each of `hs` (the inputs x) against the method style's. */
export function expectChainGradients<B>(h: Handles<B>, result: Handle<B>, hs: readonly Handle<B>[], x: readonly number[]): void {
  h.backward(result);
  expectAllClose(
    hs.map((xi) => h.gradient(xi)),
    chainByMethods(x).slice(1),
    1e-15,
    1e-15,
    "gradient",
  );
}
