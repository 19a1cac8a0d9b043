/**
 * Writes the "Linear algebra" section of bench/RESULTS.md: cholesky, lu, qr, eigh and svd at n = 64
 * and 256 (and 1024 for cholesky, lu, qr, eigh and svd; `--quick`: 64 only, and `--sizes=64,256` to pick),
 * in float64, min/median/max per case, interleaved:
 * - `adjoint (wasm)`: the public `adjoint/linalg` function on the wasm backend (blocked Cholesky, LU
 *   and QR on the SIMD matmul, eigh by tridiagonal QL/QR for n ≥ 32, svd by SIMD Jacobi for n ≥ 32
 *   and by bidiagonal QR for n ≥ 128);
 * - `hand-written JS`: the reference kernels (src/backends/cpu/kernels: plain loops in float64)
 *   called directly on the operand, no tensor, no autograd (not for eigh or svd at 1024, nor
 *   jax-js there: Jacobi takes minutes);
 * - `jax-js`: `numpy.linalg.cholesky`, `lax.linalg.lu`, `numpy.linalg.eigh`, `numpy.linalg.svd` on
 *   its wasm device (float32: its wasm backend has no float64 linear algebra; no qr in jax-js).
 * The ratio to peak divides the op's nominal flop count (cholesky n³/3, lu 2n³/3, qr 4n³/3 for R plus
 * 4n³/3 to form Q, eigh 9n³ and svd 12n³ as LAPACK's tridiagonal and bidiagonal methods count
 * them) by the time and by this machine's float64 SIMD peak, estimated as the throughput the wasm
 * float64 matmul reaches at n = 1024 on all threads (measured here, the same run).
 */
import * as jaxTypes from "@jax-js/jax";
import * as cpuDecompositions from "../src/backends/cpu/kernels/decompositions.js";
import * as cpuLinalg from "../src/backends/cpu/kernels/linalg.js";
import { setBackend } from "../src/backends/backend.js";
import * as linalg from "../src/linalg/index.js";
import { add, matmul, mul, eye, randn, rng, transpose, type Tensor } from "../src/tensor/index.js";
import { consumeSink, fmtMs, machineDescription, table, timeInterleaved, writeResultsSection, type Case } from "./harness.js";

type Op = "cholesky" | "lu" | "qr" | "eigh" | "svd";
const quick = process.argv.includes("--quick");
const picked = process.argv.find((a) => a.startsWith("--sizes="));
const SIZES: Record<Op, number[]> = quick
  ? { cholesky: [64], lu: [64], qr: [64], eigh: [64], svd: [64] }
  : { cholesky: [64, 256, 1024], lu: [64, 256, 1024], qr: [64, 256, 1024], eigh: [64, 256, 1024], svd: [64, 256, 1024] };
const only = picked === undefined ? undefined : picked.slice("--sizes=".length).split(",").map(Number);
const FLOPS: Record<Op, (n: number) => number> = {
  cholesky: (n) => n ** 3 / 3,
  lu: (n) => (2 * n ** 3) / 3,
  qr: (n) => (8 * n ** 3) / 3,
  eigh: (n) => 9 * n ** 3,
  svd: (n) => 12 * n ** 3,
};

const r = rng(17);
const first = (t: Tensor): number => t.data()[0];

/** A well-conditioned operand: symmetric positive definite for cholesky and eigh, A + n·I otherwise. */
function operand(op: Op, n: number): Tensor {
  const a = randn([n, n], { rng: r, dtype: "float64" });
  const shifted = add(a, mul(eye(n, n, { dtype: "float64" }), n));
  return op === "cholesky" || op === "eigh" ? add(matmul(a, transpose(a)), mul(eye(n, n, { dtype: "float64" }), n)) : shifted;
}

const adjointOps: Record<Op, (a: Tensor) => number> = {
  cholesky: (a) => first(linalg.cholesky(a)),
  lu: (a) => first(linalg.luFactor(a).LU),
  qr: (a) => first(linalg.qr(a).Q),
  eigh: (a) => first(linalg.eigh(a).eigenvalues),
  svd: (a) => first(linalg.svd(a).S),
};

const referenceOps: Record<Op, (a: Tensor) => number> = {
  cholesky: (a) => cpuLinalg.cholesky(a).factor[0],
  lu: (a) => cpuLinalg.lu(a).factor[0],
  qr: (a) => cpuDecompositions.qr(a, false)[0],
  eigh: (a) => cpuDecompositions.eigh(a)[0],
  svd: (a) => cpuDecompositions.svd(a)[0],
};

async function jaxOps(): Promise<Partial<Record<Op, (a: Tensor) => number>> | string> {
  try {
    const jax: typeof jaxTypes = await import("@jax-js/jax");
    const devices = await jax.init("wasm");
    if (!devices.includes("wasm")) return `init("wasm") gave ${devices.join(", ")}`;
    const { numpy: np, lax } = jax;
    const array = (a: Tensor) => np.array(Float32Array.from(a.data() as Float64Array), { shape: [...a.shape] });
    const read = (x: jaxTypes.Array): number => (x.dataSync() as Float32Array)[0];
    const readAll = (xs: jaxTypes.Array[]): number => xs.reduce((s, x) => s + read(x), 0);
    return {
      cholesky: (a) => read(np.linalg.cholesky(array(a))),
      lu: (a) => readAll(lax.linalg.lu(array(a))),
      eigh: (a) => readAll(np.linalg.eigh(array(a))),
      svd: (a) => readAll(np.linalg.svd(array(a))),
    };
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split("\n")[0];
  }
}

/** GFLOP/s of the wasm float64 matmul at n = 1024: the peak the ratios divide by. */
function matmulPeak(): number {
  setBackend("wasm");
  const n = quick ? 256 : 1024;
  const a = randn([n, n], { rng: r, dtype: "float64" });
  const b = randn([n, n], { rng: r, dtype: "float64" });
  const [t] = timeInterleaved([{ name: "matmul", run: () => matmul(a, b).data()[0] }], { rounds: 5, warmup: 1 });
  return (2 * n ** 3) / (t.min * 1e6);
}

async function main(): Promise<void> {
  const peak = matmulPeak();
  const jax = await jaxOps();
  const rows: string[][] = [];
  const ratios: string[][] = [];
  for (const op of Object.keys(SIZES) as Op[]) {
    for (const n of SIZES[op].filter((s) => only === undefined || only.includes(s))) {
      const a = operand(op, n);
      const rounds = n >= 1024 ? 3 : n >= 256 ? 5 : 15;
      const cases: Case[] = [{ name: "adjoint (wasm)", run: () => adjointOps[op](a) }];
      // Jacobi (the reference's eigh and svd, and jax-js's as slow at 256) would take minutes a round at 1024.
      const jacobiTooSlow = (op === "eigh" || op === "svd") && n >= 1024;
      if (!jacobiTooSlow) cases.push({ name: "hand-written JS", run: () => referenceOps[op](a) });
      if (typeof jax !== "string" && jax[op] !== undefined && !jacobiTooSlow) cases.push({ name: "jax-js (wasm, float32)", run: () => jax[op]!(a) });
      setBackend("wasm");
      const timings = timeInterleaved(cases, { rounds, warmup: 1 });
      for (const t of timings) {
        rows.push([op, String(n), t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max)]);
        const gflops = FLOPS[op](n) / (t.median * 1e6);
        ratios.push([op, String(n), t.name, gflops.toFixed(2), `${((100 * gflops) / peak).toFixed(1)}%`]);
      }
      process.stdout.write(`${op} ${n} done\n`);
    }
  }
  const body = [
    `Machine: ${machineDescription()}. Date: ${new Date().toISOString().slice(0, 10)}.${quick ? " (quick run)" : ""}`,
    "",
    "Times in ms, float64 unless marked, interleaved round by round (bench/linalg.ts says what each case runs).",
    typeof jax === "string" ? `jax-js did not run: ${jax}.` : "jax-js has no qr.",
    "",
    table(["op", "n", "case", "min", "median", "max"], rows),
    "",
    `Peak: the wasm float64 matmul reached ${peak.toFixed(2)} GFLOP/s (n = ${quick ? 256 : 1024}, best of 5, all threads) in this run; the ratio is each case's nominal GFLOP/s at its median over that.`,
    "",
    table(["op", "n", "case", "GFLOP/s", "÷ peak"], ratios),
  ].join("\n");
  writeResultsSection("linalg", "Linear algebra", body);
  process.stdout.write(`${body}\nsink ${consumeSink()}\n`);
}

await main();
