import type { PrimitiveName } from "../../src/tensor/primitives/registry.js";

/**
 * The registry primitives whose case (test/support/primitiveCases.ts) does not run on WebGPU yet:
 * their kernels throw there (the engine's `UnsupportedOp`). `to` is here by design: its case copies
 * from the GPU to another device synchronously, which needs `await toAsync(x, device)` (checked in
 * transfer.checks.ts). The factorizations (cholesky, lu, qr, eigh, svd) have no GPU kernels, which
 * issue 17 allows: their error says to move the tensor to the cpu with toAsync. The list only shrinks.
 */
export const UNSUPPORTED_ON_WEBGPU: readonly PrimitiveName[] = ["cholesky", "eigh", "lu", "qr", "svd", "to"];
