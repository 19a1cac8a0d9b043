/**
 * eigh's small eigenvalues to high relative accuracy (docs/linalg.md): graded symmetric matrices
 * A = D·H·D (H well conditioned, D spanning 1 to 1e−12, eigenvalues over 24 decades) against
 * mpmath's exact eigenvalues, generated once by test/golden/eighGraded.py. Every eigenvalue, the
 * smallest included, is held to a relative error; LAPACK's syevd (tridiagonalisation, recorded in the
 * JSON) is off by 2·10⁸ times the smallest on the increasing grading, which is why eigh keeps Jacobi.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as linalg from "../../src/linalg/index.js";
import { f64, flat } from "../support/tensors.js";

interface Case {
  readonly a: number[][];
  readonly exact: number[];
  readonly syevdWorstRelative: number;
}
const golden = JSON.parse(readFileSync(new URL("../golden/eighGraded.json", import.meta.url), "utf8")) as { cases: Record<string, Case> };

describe("eigh on graded matrices: every eigenvalue to high relative accuracy", () => {
  for (const [grading, c] of Object.entries(golden.cases)) {
    it(`${grading} grading`, () => {
      const n = c.a.length;
      const w = flat(linalg.eigvalsh(f64(c.a.flat(), [n, n])));
      const worst = Math.max(...w.map((x, i) => Math.abs(x - c.exact[i]) / Math.abs(c.exact[i])));
      expect(worst).toBeLessThan(1e-9);
    });
  }

  it("the grading that defeats tridiagonalisation is in the set", () => {
    expect(golden.cases.increasing.syevdWorstRelative).toBeGreaterThan(1);
  });
});
