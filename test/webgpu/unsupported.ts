import type { PrimitiveName } from "../../src/tensor/primitives/registry.js";

/**
 * The registry primitives whose case (test/support/primitiveCases.ts) does not run on WebGPU yet:
 * their kernels throw there (the engine's `UnsupportedOp`). `to` is here because its case copies
 * from the GPU to another device synchronously, which needs `await t.read()`. The linear algebra
 * routines (cholesky, lu, triangularSolve, qr, eigh, svd) have no GPU kernels yet, nor has the random bits' threefry2x32, nor searchsorted's binary search. The list only shrinks.
 */
export const UNSUPPORTED_ON_WEBGPU: readonly PrimitiveName[] = [
  "cholesky",
  "eigh",
  "gather",
  "lu",
  "luPermutation",
  "oneHot",
  "qr",
  "scatterAdd",
  "searchsorted",
  "svd",
  "threefry2x32",
  "to",
  "triangularSolve",
];
