/**
 * eigh of n ≥ 32 on the wasm backend (Householder tridiagonalisation + implicit QL,
 * src/backends/wasm/eigh.ts): against PyTorch (test/golden/eighTridiagonal.py writes the JSON once;
 * torch is not a test dependency) to 1e−10, and against the reference kernel (cyclic Jacobi) on
 * random batches in float64 and float32; repeated eigenvalues (any orthonormal basis of the
 * eigenspace: checked by A·V = V·diag(w) and VᵀV = I), matrices already tridiagonal or diagonal
 * (reflectors skipped), the sizes it leaves to the reference, and graded matrices against mpmath's
 * exact eigenvalues (test/golden/eighGraded.py, n = 40): graded down or up the diagonal, the
 * smallest eigenvalue to high relative accuracy; shuffled, only Jacobi (the reference).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as reference from "../../src/backends/cpu/kernels/decompositions.js";
import { eigh as tridiagonalQl } from "../../src/backends/wasm/eigh.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import { rotateRows } from "../../src/backends/wasm/rotations.js";
import * as linalg from "../../src/linalg/index.js";
import { add, cast, matmul, mul, randn, rng, transpose, type Tensor } from "../../src/tensor/index.js";
import { f64, flat } from "../support/tensors.js";

interface Case {
  readonly n: number;
  readonly eigenvalues: number[];
  readonly columns: number[];
  readonly vColumns: number[][];
  readonly vRowSums: number[];
}
const golden = JSON.parse(readFileSync(new URL("../golden/eighTridiagonal.json", import.meta.url), "utf8")) as { cases: Record<string, Case> };

/** The script's matrix: ((37 (i + j) + 11 i j) mod 1009) / 1009 − ½. */
const matrix = (n: number): number[] =>
  Array.from({ length: n * n }, (_, k) => {
    const [i, j] = [Math.floor(k / n), k % n];
    return ((37 * (i + j) + 11 * i * j) % 1009) / 1009 - 0.5;
  });

const worst = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
  expect(x.length).toBe(y.length);
  let w = 0;
  for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(x[i] - y[i]));
  return w;
};

/** The packed [n + 1, n] output of one matrix, split: eigenvalues, then V (row-major). */
const parts = (packed: ArrayLike<number>, n: number, p = 0): [number[], number[]] => {
  const at = p * (n + 1) * n;
  return [Array.from(packed).slice(at, at + n), Array.from(packed).slice(at + n, at + (n + 1) * n)];
};

function expectGolden(w: number[], v: number[], c: Case): void {
  expect(worst(w, c.eigenvalues)).toBeLessThan(1e-10);
  c.columns.forEach((col, k) =>
    expect(
      worst(
        Array.from({ length: c.n }, (_, i) => v[i * c.n + col]),
        c.vColumns[k],
      ),
    ).toBeLessThan(1e-10),
  );
  const sums = Array.from({ length: c.n }, (_, i) => v.slice(i * c.n, (i + 1) * c.n).reduce((s, x) => s + x, 0));
  expect(worst(sums, c.vRowSums)).toBeLessThan(1e-10);
}

/** ‖A·V − V·diag(w)‖ and ‖VᵀV − I‖ (max entries) for one matrix given row-major. */
function residuals(a: ArrayLike<number>, w: number[], v: number[], n: number): [number, number] {
  let av = 0;
  let orth = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let o = 0;
      for (let k = 0; k < n; k++) {
        s += a[i * n + k] * v[k * n + j];
        o += v[k * n + i] * v[k * n + j];
      }
      av = Math.max(av, Math.abs(s - v[i * n + j] * w[j]));
      orth = Math.max(orth, Math.abs(o - (i === j ? 1 : 0)));
    }
  }
  return [av, orth];
}

const g = rng(20261208);
const symmetric = (batch: number[], n: number): Tensor => {
  const x = randn([...batch, n, n], { rng: g, dtype: "float64" });
  return mul(add(x, transpose(x)), 0.5);
};

describe.runIf(simdAvailable)("eigh by tridiagonal QL (n ≥ 32) against PyTorch", () => {
  for (const [label, c] of Object.entries(golden.cases)) {
    it(`${label}: the wasm kernel and linalg.eigh`, () => {
      const packed = tridiagonalQl(f64(matrix(c.n), [c.n, c.n]));
      expect(packed).toBeDefined();
      expectGolden(...parts(packed!, c.n), c);
      const { eigenvalues, eigenvectors } = linalg.eigh(f64(matrix(c.n), [c.n, c.n]));
      expectGolden(flat(eigenvalues), flat(eigenvectors), c);
    });
  }
});

describe.runIf(simdAvailable)("eigh by tridiagonal QL against the reference (cyclic Jacobi)", () => {
  it("random batches across sizes: float64 to 1e-10, float32 to its rounding", () => {
    for (const [batch, n] of [
      [[2], 32],
      [[], 33],
      [[3], 47],
      [[], 100],
    ] as [number[], number][]) {
      const a = symmetric(batch, n);
      const fast = tridiagonalQl(a)!;
      const slow = reference.eigh(a);
      expect(fast).toBeInstanceOf(Float64Array);
      expect(worst(fast, slow)).toBeLessThan(1e-10);
      const a32 = cast(a, "float32");
      const fast32 = tridiagonalQl(a32)!;
      expect(fast32).toBeInstanceOf(Float32Array);
      expect(worst(fast32, reference.eigh(a32))).toBeLessThan(1e-4);
    }
  });

  it("reduces from either end (reversed when the bottom-right entry is the larger): J·A·J gives the same eigenvalues, J·V", () => {
    const n = 45;
    const values = Array.from(flat(symmetric([], n)));
    values[0] = 9; // |a₀₀| the larger: reduced in the given order; reversed below.
    const reversed = values.map((_, k) => values[(n - 1 - Math.floor(k / n)) * n + (n - 1 - (k % n))]);
    const [w, v] = parts(tridiagonalQl(f64(values, [n, n]))!, n);
    const [wr, vr] = parts(tridiagonalQl(f64(reversed, [n, n]))!, n);
    expect(worst(w, wr)).toBeLessThan(1e-13);
    for (let j = 0; j < n; j++) {
      // Each eigenvector is signed by its largest entry, which J moves but does not change.
      const flipped = Array.from({ length: n }, (_, i) => vr[(n - 1 - i) * n + j]);
      expect(
        worst(
          flipped,
          Array.from({ length: n }, (_, i) => v[i * n + j]),
        ),
      ).toBeLessThan(1e-12);
    }
    expect(worst(residuals(values, w, v, n), [0, 0])).toBeLessThan(1e-13);
    expect(worst(residuals(reversed, wr, vr, n), [0, 0])).toBeLessThan(1e-13);
  });

  it("reads only the lower triangle, as the reference", () => {
    const a = symmetric([], 40);
    const junkAbove = add(
      a,
      mul(
        f64(
          Array.from({ length: 1600 }, (_, k) => (k % 40 > Math.floor(k / 40) ? 1 : 0)),
          [40, 40],
        ),
        7,
      ),
    );
    expect(worst(tridiagonalQl(junkAbove)!, tridiagonalQl(a)!)).toBe(0);
  });

  it("repeated eigenvalues: an orthonormal basis of each eigenspace, A·V = V·diag(w)", () => {
    const n = 48;
    const q = linalg.qr(randn([n, n], { rng: g, dtype: "float64" })).Q;
    const spectrum = Array.from({ length: n }, (_, i) => (i < 10 ? 1 : i < 30 ? -2 : i));
    const a = matmul(mul(q, f64(spectrum, [1, n])), transpose(q));
    const [w, v] = parts(tridiagonalQl(a)!, n);
    expect(
      worst(
        w,
        [...spectrum].sort((x, y) => x - y),
      ),
    ).toBeLessThan(1e-12);
    const [av, orth] = residuals(flat(a), w, v, n);
    expect(av).toBeLessThan(1e-12);
    expect(orth).toBeLessThan(1e-13);
  });

  it("diagonal, tridiagonal and zero matrices (reflectors of zero columns skipped)", () => {
    const n = 36;
    const diagonal = Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? (k * 7) % 11 : 0));
    const banded = Array.from({ length: n * n }, (_, k) => {
      const [i, j] = [Math.floor(k / n), k % n];
      return i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0;
    });
    for (const values of [diagonal, banded, new Array<number>(n * n).fill(0)]) {
      const a = f64(values, [n, n]);
      const fast = tridiagonalQl(a)!;
      const [w, v] = parts(fast, n);
      expect(worst(w, parts(reference.eigh(a), n)[0])).toBeLessThan(1e-13);
      const [av, orth] = residuals(values, w, v, n);
      expect(av).toBeLessThan(1e-13);
      expect(orth).toBeLessThan(1e-13);
    }
  });

  it("leaves n < 32, and a NaN or ∞ entry, to the reference", () => {
    expect(tridiagonalQl(symmetric([], 31))).toBeUndefined();
    for (const bad of [Number.NaN, Infinity]) {
      const values = Array.from(flat(symmetric([], 300)));
      values[7 * 300 + 3] = bad;
      expect(tridiagonalQl(f64(values, [300, 300]))).toBeUndefined();
    }
    const eigenvalues = flat(linalg.eigvalsh(f64(new Array<number>(40 * 40).fill(Number.NaN), [40, 40])));
    expect(eigenvalues.every(Number.isNaN)).toBe(true);
  });
});

interface Graded {
  readonly a: number[][];
  readonly exact: number[];
}
const graded = JSON.parse(readFileSync(new URL("../golden/eighGraded.json", import.meta.url), "utf8")) as { n40: Record<string, Graded> };

describe.runIf(simdAvailable)("eigh by tridiagonal QL/QR on graded matrices (n = 40, exact eigenvalues from mpmath)", () => {
  const relative = (c: Graded, w: number[]) => Math.max(...w.map((x, i) => Math.abs(x - c.exact[i]) / Math.abs(c.exact[i])));

  it("graded down or up the diagonal: every eigenvalue to high relative accuracy (QL or QR chosen by the block's larger end, the order reversed for upward grading)", () => {
    for (const grading of ["decreasing", "increasing"]) {
      const c = graded.n40[grading];
      const [w] = parts(tridiagonalQl(f64(c.a.flat(), [40, 40]))!, 40);
      expect(relative(c, w)).toBeLessThan(1e-11);
    }
  });

  it("shuffled grading defeats tridiagonalisation (as LAPACK's syevd): the cpu backend's Jacobi keeps it", () => {
    const c = graded.n40.shuffled;
    const a = f64(c.a.flat(), [40, 40]);
    expect(relative(c, parts(tridiagonalQl(a)!, 40)[0])).toBeGreaterThan(1);
    expect(relative(c, parts(reference.eigh(a), 40)[0])).toBeLessThan(1e-9);
  });
});

describe.runIf(simdAvailable)("QL/QR's rotations of the eigenvectors in wasm SIMD", () => {
  it("equal the plain loop bit for bit, odd and even n, chunked and not", () => {
    for (const [n, chunk] of [
      [37, 64],
      [64, 16],
      [129, 64],
    ]) {
      const y = Float64Array.from(flat(randn([n, n], { rng: g, dtype: "float64" })));
      const count = 5 * n;
      const at = Int32Array.from({ length: count }, (_, r) => (r * 7) % (n - 1));
      const angle = Array.from({ length: count }, (_, r) => 0.1 + r * 0.37);
      const c = Float64Array.from(angle, Math.cos);
      const s = Float64Array.from(angle, Math.sin);
      const expected = Float64Array.from(y);
      for (let r = 0; r < count; r++) {
        for (let k = 0; k < n; k++) {
          const [a, b] = [expected[at[r] * n + k], expected[(at[r] + 1) * n + k]];
          expected[at[r] * n + k] = c[r] * a + s[r] * b;
          expected[(at[r] + 1) * n + k] = c[r] * b - s[r] * a;
        }
      }
      expect(rotateRows(y, n, n, at, c, s, count, chunk)).toBe(true);
      expect(Array.from(y)).toEqual(Array.from(expected));
    }
  });
});
