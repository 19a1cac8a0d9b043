/** `adjoint/testing`: tools for checking derivatives, the same ones adjoint's own tests use. */
// Tensors reached through this entry alone have their methods too (tensor/methods.ts says why they are apart).
import "../tensor/methods.js";
export * from "./checkGradient.js";
