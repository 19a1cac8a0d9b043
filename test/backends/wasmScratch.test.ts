/**
 * Every wasm kernel that stages data in the wasm memory works above `arena.scratchBase`: below it
 * lie the jit's resident buffers (src/backends/wasm/resident.ts), which a kernel must never touch.
 * Held here for the kernels that lay out their own scratch (eigh's tridiagonalisation and the
 * rotations of its QL sweep, svd's Jacobi and bidiagonal paths, the concurrent products): a resident
 * buffer filled with a pattern keeps every value across a call of each.
 */
import { afterAll, describe, expect, it } from "vitest";
import { backendKernels } from "../../src/backends/backend.js";
import { residentStorage } from "../../src/backends/wasm/runtime.js";
import { getThreads, setThreads } from "../../src/backends/wasm/pool.js";
import { getBackend, randn, rng, setBackend } from "../../src/tensor/index.js";
import { eigh, svd } from "../../src/linalg/index.js";
import type { View } from "../../src/backends/view.js";

const before = getBackend();
const threads = getThreads();
afterAll(() => {
  setBackend(before);
  setThreads(threads);
});

const matrix = (m: number, n: number): View => ({
  storage: Float32Array.from({ length: m * n }, (_, i) => Math.sin(i * 0.37)),
  dtype: "float32",
  shape: [m, n],
  strides: [n, 1],
  offset: 0,
});

// One guard from the start of the memory (the first resident region sits at address 0), large
// enough to cover every kernel's scratch in these cases; refilled before each call.
let guard: Float64Array | undefined;

function guarded(run: () => void): void {
  guard ??= residentStorage("float64", 1 << 17) as Float64Array | undefined;
  expect(guard).toBeDefined();
  const g = guard as Float64Array;
  for (let i = 0; i < g.length; i++) g[i] = i + 0.5;
  run();
  const wrong = g.findIndex((v, i) => v !== i + 0.5);
  expect(wrong).toBe(-1);
}

describe("wasm kernels keep off the resident buffers", () => {
  setBackend("wasm");
  const r = rng(3);
  const sym = (n: number) => {
    const a = randn([n, n], { rng: r, dtype: "float64" });
    return a.add(a.transpose());
  };
  it("eigh (tridiagonalisation and QL rotations)", () => guarded(() => void eigh(sym(64))));
  it("svd (one-sided Jacobi)", () => guarded(() => void svd(randn([40, 40], { rng: r, dtype: "float64" }))));
  it("svd (bidiagonal)", () => guarded(() => void svd(randn([130, 130], { rng: r, dtype: "float64" }))));
  it("concurrent products", () => {
    setThreads(2);
    const kernels = backendKernels("wasm");
    const pairs = [0, 1].map(() => [matrix(48, 40), matrix(40, 56)] as const);
    guarded(() => void kernels.matmulConcurrent?.(pairs));
  });
});
