/** `adjoint/testing`: tools for checking derivatives, the same ones adjoint's own tests use. */
export * from "./checkGradient.js";
