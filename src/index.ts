/** adjoint: automatic differentiation for TypeScript. Everything public, by layer. */
export * from "./errors.js";
export * from "./scalar/index.js";
export * from "./testing/index.js";
export * from "./tensor/index.js";
export * from "./jit/index.js";
export * from "./transform/index.js";
export * from "./parallel/scalarGradient.js";
// A namespace: `trace` and `outer` already name the tensor layer's (tracing, the product).
export * as linalg from "./linalg/index.js";
import { describe, invalidArgument } from "./errors.js";
import { erf as scalarErf, hessian as scalarHessian, type MultivariateFn, type ReverseOptions } from "./scalar/index.js";
import { erf as tensorErf, hessian as tensorHessian, isTensor, type GradOptions } from "./tensor/index.js";

// Names both layers have mean one thing at the root: the function of what they are given. The subpaths
// keep one meaning each (`adjoint/scalar`'s `hessian(f, x)`, `adjoint/tensor`'s `hessian(f)(x)`), and
// `tensorHessian`/`tensorErf` stay as explicit names for the tensor ones.
export { tensorErf, tensorHessian };

const root = {
  hessian(f: unknown, second?: unknown, options?: unknown): unknown {
    if (Array.isArray(second) || (ArrayBuffer.isView(second) && !(second instanceof DataView))) {
      return scalarHessian(f as MultivariateFn, second as number[], options as ReverseOptions);
    }
    if (second === undefined || (typeof second === "object" && second !== null && !isTensor(second))) {
      return tensorHessian(f as (x: never) => never, second as GradOptions | undefined);
    }
    throw invalidArgument(
      "hessian",
      `the second argument is the point (an array of numbers: hessian(f, x) is the scalar Hessian) or options (hessian(f)(x) is the tensor transform), got ${describe(second)}`,
      { argument: "x", got: describe(second) },
    );
  },
  erf(x: unknown): unknown {
    // Anything but a tensor goes to the plain-number function, which refuses a Dual or Var by coercion.
    return isTensor(x) ? tensorErf(x) : scalarErf(x as number);
  },
};

/**
 * The Hessian, by what it is given: `hessian(f, x)` with x an array of numbers is the scalar one (a
 * matrix, forward over reverse on the tape); `hessian(f)` or `hessian(f, options)` the tensor
 * transform (a function of tensors, JAX's `hessian`).
 */
export const hessian = root.hessian as typeof scalarHessian & typeof tensorHessian;
/** The error function of a number (a number) or of a tensor (a tensor, differentiable). */
export const erf = root.erf as typeof scalarErf & typeof tensorErf;
