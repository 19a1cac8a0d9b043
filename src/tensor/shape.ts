/** Shapes and broadcasting live below the tensor layer (src/backends/shape.ts), where kernels use them; re-exported for the tensor code. */
export * from "../backends/shape.js";
