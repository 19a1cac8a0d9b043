/** adjoint: automatic differentiation for TypeScript. Everything public, by layer. */
export * from "./errors.js";
export * from "./scalar/index.js";
export * from "./testing/index.js";
export * from "./tensor/index.js";
