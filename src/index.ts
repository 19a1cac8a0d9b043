/** adjoint: automatic differentiation for TypeScript. Everything public, by layer. */
export * from "./errors.js";
export * from "./scalar/index.js";
export * from "./testing/index.js";
export * from "./tensor/index.js";
// Both layers have a `hessian`: the root keeps the scalar one (`hessian(f, x)`); the tensor transform
// (`hessian(f)(x)`) is `adjoint/tensor`'s, also exported here as `tensorHessian`.
export { hessian } from "./scalar/index.js";
export { hessian as tensorHessian } from "./tensor/index.js";
