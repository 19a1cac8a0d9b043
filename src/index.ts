/** adjoint: automatic differentiation for TypeScript. Everything public, by layer. */
export * from "./errors.js";
export * from "./scalar/index.js";
export * from "./testing/index.js";
export * from "./tensor/index.js";
export * from "./transform/index.js";
// Names both layers have: the root keeps the scalar ones (`hessian(f, x)`, `erf(x: number)`); the tensor
// ones (`hessian(f)(x)`, `erf(t: Tensor)`) are `adjoint/tensor`'s, exported here with a `tensor` prefix.
export { erf, hessian } from "./scalar/index.js";
export { erf as tensorErf, hessian as tensorHessian } from "./tensor/index.js";
