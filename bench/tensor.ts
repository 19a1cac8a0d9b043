/**
 * `npm run bench:tensor`: adjoint's tensor engine beside the other JavaScript libraries that compute
 * gradients — TensorFlow.js on its wasm and pure-JS cpu backends, jax-js eager and under `jit` — and
 * plain JavaScript, in one process, on the same seeded float32 inputs (bench/workloads/data.ts). Each
 * library is one file of bench/rivals/ and implements the workloads it can:
 *
 * 1. matmul, n×n float32, n = 128, 512, 1024: ms, GFLOPS = 2n³/t, share of the SIMD128 peak.
 * 2. MLP 784-256-10, relu, log-softmax cross-entropy against one-hot labels, batch 128: the loss and its
 *    gradient with respect to w1, b1, w2, b2. Steps/s.
 * 3. CNN, batch 64: [64, 1, 28, 28] → conv 3×3, 32 filters, stride 1, no padding, + bias, relu → 2×2
 *    max pool → flatten → dense to 10 + bias → log-softmax cross-entropy; the loss and its gradient with
 *    respect to all four weights. NCHW for adjoint and jax-js, NHWC for tfjs (converted once at set-up).
 * 4. The elementwise chain f(x) = Σ_{i=0}^{n−2} sin(xᵢ)·xᵢ₊₁ + xᵢ² at n = 1e5 (defined once, in
 *    bench/rivals/rival.ts), its value and gradient. ms.
 * 5. Memory: a 10,000-step training loop on adjoint (bench/workloads/memory.ts).
 *
 * Before anything is timed, every library's result is checked against the first row's and the run
 * throws if they differ. Cases are interleaved round by round after warm-up; times are min/median/max;
 * slow cases get fewer rounds (named under each table). A library that throws on a workload is
 * reported, with its error, and the run goes on.
 *
 * Writes the "Tensor" section of bench/RESULTS.md; `--quick` is a short smoke run on smaller sizes
 * that writes nothing. Needs `node --expose-gc` (the npm script passes it).
 */
import { consumeSink, fmtMs, table, writeResultsSection } from "./harness.js";
import { ADJOINT, RIVALS } from "./rivals/index.js";
import { cnnGeometry, type CnnSizes, type MlpSizes } from "./rivals/rival.js";
import { matmulIkj } from "./rivals/plain.js";
import { chainData, cnnData, matmulData, MLP_SIZES, mlpData } from "./workloads/data.js";
import { peakRss } from "./workloads/rss.js";
import { machine } from "./workloads/machine.js";
import { memoryBench, memorySection } from "./workloads/memory.js";
import { firstCallOf, medianOf, notes, ratioCell, RATIO_HEADER, timingTable } from "./workloads/report.js";
import { runGradients, runMatmul, type Loaded, type Outcome, type Schedule } from "./workloads/run.js";

const quick = process.argv.includes("--quick");
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error("bench/tensor needs node --expose-gc (npm run bench:tensor passes it)");
const gc = (): void => {
  collect();
  collect();
};

// ── Sizes and schedules (the quick run: small sizes, two rounds) ─────────────────────────────────────

const MATMUL_SIZES = quick ? [128] : [128, 512, 1024];
const MLP: MlpSizes = MLP_SIZES;
const CNN: CnnSizes = { batch: quick ? 8 : 64, side: 28, filters: 32, kernel: 3, classes: 10 };
const CHAIN_N = quick ? 1e4 : 1e5;

const QUICK: Schedule = { rounds: 2, warmup: 1, budgetMs: Infinity, minRounds: 2 };
// A case whose first run is slower than budgetMs / rounds gets fewer rounds (bench/workloads/run.ts):
// at n = 1024 the scalar-JavaScript products take several seconds each and get 3.
const MATMUL_SCHEDULES: Readonly<Record<number, Schedule>> = {
  128: { rounds: 15, warmup: 3, budgetMs: 4000, minRounds: 3, minMs: 20 }, // sub-millisecond products: repeated within a sample
  512: { rounds: 9, warmup: 2, budgetMs: 8000, minRounds: 3 },
  1024: { rounds: 7, warmup: 2, budgetMs: 12_000, minRounds: 3 },
};
const schedules = {
  matmul: (n: number): Schedule => (quick ? QUICK : MATMUL_SCHEDULES[n]),
  mlp: quick ? QUICK : { rounds: 15, warmup: 3, budgetMs: 6000, minRounds: 3 },
  cnn: quick ? QUICK : { rounds: 9, warmup: 2, budgetMs: 12_000, minRounds: 3 },
  chain: quick ? QUICK : { rounds: 15, warmup: 3, budgetMs: 4000, minRounds: 3, minMs: 20 },
};

/**
 * The native reference: PyTorch's figures on this machine as issue 16 gives them (Debian's
 * python3-torch with OpenBLAS, one thread; matmul with AVX-512). Hard-coded, not measured by this
 * run: PyTorch is not a JavaScript library and is not loaded here.
 */
const PYTORCH = { mlpStepsPerSecond: 850, chainMs: 0.7, matmul1024Gflops: 139 } as const;
const JIT = "adjoint (wasm), jit";
const JIT_STEP = "adjoint (wasm), jit whole step";

// Float32 results from different kernels differ by rounding only; these bounds are far above that
// (what was measured is printed under each table) and far below any real error.
const TOLERANCE = { value: 1e-4, grad: 1e-4 };

// ── Load the libraries ───────────────────────────────────────────────────────────────────────────────

const began = performance.now();
const loaded: Loaded[] = [];
const unavailable: string[] = [];
for (const entry of RIVALS) {
  const rival = await entry.load();
  if (typeof rival === "string") unavailable.push(`${entry.name} (${rival})`);
  else loaded.push({ name: entry.name, rival });
}
const box = machine();

// ── Run ──────────────────────────────────────────────────────────────────────────────────────────────

const matmuls = MATMUL_SIZES.map((n) => {
  const { a, b } = matmulData(1, n);
  return { n, outcome: runMatmul(loaded, a, b, n, matmulIkj(a, b, n)[0], schedules.matmul(n)) };
});
const inputs = { mlp: mlpData(2, MLP), cnn: cnnData(5, CNN), chain: chainData(CHAIN_N) }; // shared, never written to
const mlp = runGradients(loaded, "mlp", "MLP", (r) => r.mlp?.(inputs.mlp), TOLERANCE, schedules.mlp);
const cnn = runGradients(loaded, "cnn", "CNN", (r) => r.cnn?.(inputs.cnn), TOLERANCE, schedules.cnn);
const chain = runGradients(loaded, "chain", "chain", (r) => r.chain?.(inputs.chain), TOLERANCE, schedules.chain);
const mem = memoryBench(quick ? 1000 : 10_000, quick ? 100 : 500, quick ? 200 : 1000, gc);
const RSS_STEPS = quick ? 5 : 100;
const rss = peakRss([ADJOINT, "adjoint (wasm), 2 threads", "tfjs-wasm", "tfjs-cpu", "jax-js", "jax-js jit"], RSS_STEPS);
const rssOf = (name: string) => rss.find((r) => r.name === name)?.peak;
const seconds = (performance.now() - began) / 1000;

// ── Report ───────────────────────────────────────────────────────────────────────────────────────────

const gflops = (n: number, ms: number) => (2 * n ** 3) / (ms * 1e6);

function matmulSection(): string[] {
  const rows = matmuls.flatMap(({ n, outcome }) =>
    outcome.rows.map((r) => {
      const g = gflops(n, r.timing.median);
      const share = box.peakGflops === null ? "–" : `${((100 * g) / (box.peakGflops * r.threads)).toFixed(0)}%`;
      return [String(n), r.name, String(r.threads), fmtMs(r.timing.min), fmtMs(r.timing.median), fmtMs(r.timing.max), String(r.timing.samples), g.toFixed(2), share, ratioCell(r, outcome.rows)];
    }),
  );
  return [
    `Times in ms per product; GFLOPS = 2n³ / median; "of peak" = GFLOPS ÷ (the SIMD128 peak per thread × the row's threads). C[0,0] of every product is checked against the plain loop's before timing.`,
    "",
    table(["n", "case", "threads", "min", "median", "max", "samples", "GFLOPS", "of peak", RATIO_HEADER], rows),
    ...matmuls.flatMap(({ n, outcome }) => notes(outcome).map((line) => (line === "" ? line : `n = ${n}: ${line}`))),
  ];
}

function gradientSection(o: Outcome, unit: "steps/s" | "ms"): string[] {
  const value = o.reference === null ? "" : ` The value at these inputs is ${o.reference.value.toPrecision(6)}.`;
  const timings = unit === "steps/s" ? timingTable(o, ["steps/s", (ms) => (1000 / ms).toFixed(1)]) : timingTable(o);
  const firstCall = o.rows.some((r) => r.firstCallMs !== undefined)
    ? " A jitted row's first call is the call of a fresh jit (trace, optimise, code generation and one run), once per process."
    : "";
  return [`Times in ms per evaluation of the value and every gradient.${value}${firstCall}`, "", timings, ...notes(o)];
}

const setups = loaded.map(({ name, rival }) => `- **${name}**: ${rival.setup}.`);
const geometry = cnnGeometry(CNN);

const report = [
  `Machine: ${box.line}`,
  "",
  `Date: ${new Date().toISOString().slice(0, 10)}.${quick ? " (quick run)" : ""} Whole run: ${seconds.toFixed(0)} s. Ratios are adjoint (wasm)'s median time ÷ the row's median time (below 1: adjoint is faster), given only at equal thread counts.`,
  "",
  "How each library ran:",
  "",
  ...setups,
  ...(unavailable.length > 0 ? ["", `Not available, skipped: ${unavailable.join("; ")}.`] : []),
  "",
  `### matmul, n×n float32, n = ${MATMUL_SIZES.join(", ")}`,
  "",
  ...matmulSection(),
  "",
  `### MLP ${MLP.inputs}-${MLP.hidden}-${MLP.classes}, batch ${MLP.batch}: loss and gradient of all weights and biases`,
  "",
  ...gradientSection(mlp, "steps/s"),
  "",
  `### CNN, batch ${CNN.batch}: conv 3×3 ×${CNN.filters} + relu, 2×2 max pool, dense ${geometry.features}→${CNN.classes}, loss and gradient of all weights`,
  "",
  ...gradientSection(cnn, "steps/s"),
  "",
  `### Elementwise chain, n = ${CHAIN_N.toExponential(0).replace("+", "")}: f(x) = Σ_{i=0}^{n−2} sin(xᵢ)·xᵢ₊₁ + xᵢ², value and gradient`,
  "",
  "The plain JS row is the hand-written loop: float64 arithmetic on the float32 inputs, the gradient stored as float32.",
  "",
  ...gradientSection(chain, "ms"),
  "",
  "### Memory: a long training loop",
  "",
  ...memorySection(mem),
  "",
  "### Peak RSS on the MLP workload",
  "",
  `Each library alone in a fresh process (bench/workloads/rss.ts), ${RSS_STEPS} MLP steps; the peak resident set of the whole process (its wasm memory, typed arrays, workers and JS heap).`,
  "",
  table(
    ["case", "peak RSS", "÷ tfjs-wasm"],
    rss.map((r) => [r.name, typeof r.peak === "number" ? `${(r.peak / 2 ** 20).toFixed(0)} MB` : r.peak, typeof r.peak === "number" && typeof rssOf("tfjs-wasm") === "number" ? (r.peak / (rssOf("tfjs-wasm") as number)).toFixed(2) : "–"]),
  ),
  "",
  "### Reading",
  "",
  reading(),
].join("\n");

/** What the numbers of this run say, in words: measured ratios only, no causes. */
function reading(): string {
  const x = (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(1));
  const { n, outcome: big } = matmuls[matmuls.length - 1];
  const rate = (name: string) => {
    const ms = medianOf(big, name);
    if (!Number.isFinite(ms)) return `${name} –`;
    const share = box.peakGflops === null ? "" : ` (${((100 * gflops(n, ms)) / box.peakGflops).toFixed(0)}% of peak)`;
    return `${name} ${gflops(n, ms).toFixed(1)}${share}`;
  };
  const libraries = (o: Outcome) => o.rows.filter((r) => !r.name.startsWith("adjoint") && r.name !== "plain JS");
  const versus = (o: Outcome, what: string) => {
    const ours = medianOf(o, ADJOINT);
    const best = libraries(o).sort((a, b) => a.timing.median - b.timing.median)[0];
    if (best === undefined || !Number.isFinite(ours)) return `**${what}.** No other library ran it.`;
    const ratio = ours / best.timing.median;
    const word = ratio < 1 ? `${x(1 / ratio)}× faster than` : `${x(ratio)}× slower than`;
    return `**${what}.** ${ADJOINT}: ${fmtMs(ours)} ms, ${word} the fastest other library, ${best.name} (${fmtMs(best.timing.median)} ms).`;
  };
  const jitRows = [JIT, JIT_STEP, "jax-js jit"];
  const compileTimes = (o: Outcome, what: string) => {
    const cells = jitRows.flatMap((name) => {
      const ms = firstCallOf(o, name);
      return ms === undefined ? [] : [`${name} ${fmtMs(ms)} ms`];
    });
    return cells.length === 0 ? [] : [`${what}: ${cells.join(", ")}`];
  };
  // Below 1: adjoint is slower than PyTorch (a rate ÷ PyTorch's rate, or PyTorch's time ÷ adjoint's time).
  const vsTorch = (name: string, ours: number, torch: number, unit: string, higherIsBetter: boolean) => {
    if (!Number.isFinite(ours)) return `${name} –`;
    const share = higherIsBetter ? ours / torch : torch / ours;
    return `${name} ${ours >= 100 ? ours.toFixed(0) : ours.toPrecision(3)} ${unit} (${share.toFixed(2)}× PyTorch's ${higherIsBetter ? "rate" : "speed"})`;
  };
  const stepsPerSecond = (name: string) => 1000 / medianOf(mlp, name);
  return [
    `**matmul, n = ${n}** (GFLOPS): ${[ADJOINT, "tfjs-wasm", "jax-js", "jax-js jit", "adjoint (cpu)", "tfjs-cpu", "plain JS"].map(rate).join(", ")}. ` +
      (loaded.every(({ rival }) => rival.threads === 1)
        ? "Every library ran on one thread (in Node neither tfjs-wasm's threaded binary nor jax-js's worker pool starts), so every ratio is at equal thread counts."
        : "Thread counts differ between libraries (see each row); ratios are given only at equal counts."),
    "",
    versus(mlp, "MLP step"),
    "",
    `${versus(cnn, "CNN step")} On the wasm backend adjoint's conv2d and both of its gradients are im2col (JS) + the SIMD matmul; on cpu, direct JS loops.`,
    "",
    `${versus(chain, "Elementwise chain")} The hand-written loop: ${fmtMs(medianOf(chain, "plain JS"))} ms.`,
    "",
    `**Compile time** (the first call of a fresh jit: trace, optimise, code generation and one run). ${[
      ...compileTimes(mlp, "MLP"),
      ...compileTimes(cnn, "CNN"),
      ...compileTimes(chain, "chain"),
    ].join("; ")}.`,
    "",
    quick
      ? "**Against PyTorch**: not compared in a quick run (its sizes are not the reference's)."
      : `**Against PyTorch** (the native reference: issue 16's figures on this machine, Debian's python3-torch with OpenBLAS, one thread — MLP ${PYTORCH.mlpStepsPerSecond} steps/s, chain ${PYTORCH.chainMs} ms, matmul 1024 ${PYTORCH.matmul1024Gflops} GFLOPS with AVX-512; constants in bench/tensor.ts, not measured by this run), by median, one thread: ` +
        [
          ...[ADJOINT, JIT, JIT_STEP].map((name) => vsTorch(`MLP ${name}`, stepsPerSecond(name), PYTORCH.mlpStepsPerSecond, "steps/s", true)),
          ...[ADJOINT, JIT].map((name) => vsTorch(`chain ${name}`, medianOf(chain, name), PYTORCH.chainMs, "ms", false)),
          ...(n === 1024 ? [vsTorch(`matmul 1024 ${ADJOINT}`, gflops(n, medianOf(big, ADJOINT)), PYTORCH.matmul1024Gflops, "GFLOPS", true)] : []),
        ].join("; ") +
        ".",
  ].join("\n");
}

console.log(report);
if (consumeSink() === 42.4242) console.log(""); // keep the sink alive

if (!quick) {
  writeResultsSection("tensor", "Tensor (npm run bench:tensor)", report);
  console.log("\nwritten to bench/RESULTS.md");
}
