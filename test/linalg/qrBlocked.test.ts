/**
 * QR of matrices of two panels and more (min(m, n) ≥ 128, which the wasm backend factors by
 * compact-WY blocks, src/backends/wasm/qr.ts) against PyTorch: R's diagonal, Q's columns at the panel
 * edges and Q's row sums, generated once by test/golden/qrBlocked.py (torch is not a test dependency;
 * the JSON is committed). The blocked kernel itself and the public linalg.qr agree to 1e−10.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import * as blocked from "../../src/backends/wasm/qr.js";
import * as linalg from "../../src/linalg/index.js";
import { f64, flat } from "../support/tensors.js";

interface Case {
  readonly m: number;
  readonly n: number;
  readonly mode: "reduced" | "complete";
  readonly rDiagonal: number[];
  readonly columns: number[];
  readonly qColumns: number[][];
  readonly qRowSums: number[];
}
const golden = JSON.parse(readFileSync(new URL("../golden/qrBlocked.json", import.meta.url), "utf8")) as { cases: Record<string, Case> };

/** The script's matrix: ((37 i + 91 j + 11 i j) mod 1009) / 1009 − ½, plus 4 on the diagonal. */
function matrix(m: number, n: number): number[] {
  return Array.from({ length: m * n }, (_, k) => {
    const [i, j] = [Math.floor(k / n), k % n];
    return ((37 * i + 91 * j + 11 * i * j) % 1009) / 1009 - 0.5 + (i === j ? 4 : 0);
  });
}

const within = (actual: number[], expected: number[]): void => {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i])));
  expect(worst).toBeLessThan(1e-10);
};

/** Checks Q ([m, cols] row-major) against the case's columns and row sums. */
function expectQ(q: ArrayLike<number>, c: Case): void {
  const cols = q.length / c.m;
  c.columns.forEach((col, k) =>
    within(
      Array.from({ length: c.m }, (_, i) => q[i * cols + col]),
      c.qColumns[k],
    ),
  );
  within(
    Array.from({ length: c.m }, (_, i) => Array.from({ length: cols }, (_, j) => q[i * cols + j]).reduce((s, v) => s + v, 0)),
    c.qRowSums,
  );
}

describe("QR in blocks against PyTorch (n ≥ 128)", () => {
  for (const [label, c] of Object.entries(golden.cases)) {
    it.runIf(simdAvailable)(`${label}: the wasm blocked kernel`, () => {
      const q = blocked.qr(f64(matrix(c.m, c.n), [c.m, c.n]), c.mode === "complete");
      expect(q).toBeDefined();
      expectQ(q!, c);
    });

    it(`${label}: linalg.qr`, () => {
      const { Q, R } = linalg.qr(f64(matrix(c.m, c.n), [c.m, c.n]), { mode: c.mode });
      expectQ(flat(Q), c);
      within(flat(linalg.diagonal(R)), c.rDiagonal);
    });
  }
});
