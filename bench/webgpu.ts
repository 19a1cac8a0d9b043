/**
 * `npm run bench:webgpu`: adjoint's "webgpu" device beside jax-js's and TensorFlow.js's WebGPU backends
 * (in Node, through the `webgpu` package's GPU as `navigator.gpu`) and adjoint's wasm backend on the host, on the
 * workloads of bench/tensor.ts (the same seeded float32 inputs, bench/workloads/data.ts):
 *
 * 1. matmul, n×n float32: ms, GFLOPS = 2n³/t, and the share of the card's fp32 peak where it is known.
 *    n = 1024, 2048, 4096, 8192 on a hardware adapter; 128 and 256 on a software one.
 * 2. The MLP and CNN training steps (the loss and every gradient): steps/s.
 * 3. The elementwise chain at n = 1e5, its value and gradient: ms.
 *
 * A library that cannot load or start is reported, with why, instead of timed. Every library's loss and gradients
 * (and products) are checked against adjoint wasm's before timing; cases interleave round by round.
 *
 * The adapter: Dawn's default. Where there is none and Chromium's SwiftShader is installed, the run
 * restarts itself on that software adapter (the Vulkan loader reads its environment only at process
 * start), with small sizes and few rounds: figures for correctness, not speed. Writes the "WebGPU"
 * section of bench/RESULTS.md; `--quick` writes nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fmtMs, summarize, table, writeResultsSection, type Timing } from "./harness.js";
import { adjointWasm, adjointWebGPU, jaxWebGPU, type GpuPrepared, type GpuRival } from "./rivals/gpu.js";
import type { GradResult, Workload } from "./rivals/rival.js";
import { tfjsWebGPU } from "./rivals/tfjsWebGPU.js";
import { chainData, cnnData, matmulData, MLP_SIZES, mlpData } from "./workloads/data.js";
import { machine } from "./workloads/machine.js";

const quick = process.argv.includes("--quick");
const SWIFTSHADER = {
  VK_ICD_FILENAMES: "/usr/lib/chromium/vk_swiftshader_icd.json",
  LD_LIBRARY_PATH: ["/usr/lib/chromium", process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp",
};
const RESTARTED = "ADJOINT_BENCH_SWIFTSHADER";

// ── The adapter ──────────────────────────────────────────────────────────────────────────────────────

let dawn: { create(flags: string[]): GPU; globals: Readonly<Record<string, unknown>> };
try {
  dawn = (await import("webgpu")) as typeof dawn;
} catch (error) {
  console.log(`bench:webgpu: the optional webgpu package (Dawn for Node) did not load (${String(error).split("\n")[0]}); nothing to measure.`);
  process.exit(0);
}
const gpu = dawn.create([]);
const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
if (adapter === null) {
  if (process.env[RESTARTED] === undefined && existsSync(SWIFTSHADER.VK_ICD_FILENAMES)) {
    console.log("bench:webgpu: Dawn found no GPU adapter; running again on Chromium's SwiftShader (a software Vulkan driver).");
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: { ...process.env, ...SWIFTSHADER, [RESTARTED]: "1" } });
    process.exit(child.status ?? 1);
  }
  console.log("bench:webgpu: no WebGPU adapter (Dawn found none, and Chromium's SwiftShader is not installed); nothing to measure.");
  process.exit(0);
}
const info = adapter.info;
const software =
  info.architecture === "swiftshader" ||
  /swiftshader|llvmpipe|lavapipe/i.test(`${info.description} ${info.device}`) ||
  (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
const adapterName = [info.vendor, info.architecture, info.device, info.description].filter((s) => s !== "").join(" / ") || "unnamed adapter";

/** fp32 (non-tensor-core) peaks in GFLOPS of the cards we expect to meet; GPU_PEAK_GFLOPS overrides. */
const PEAKS: readonly [RegExp, number][] = [
  [/H100.*PCIe/i, 51_200],
  [/H100|H200/i, 66_900],
  [/A100/i, 19_500],
];
const peak = Number(process.env.GPU_PEAK_GFLOPS) || (PEAKS.find(([re]) => re.test(adapterName))?.[1] ?? null);

// ── Sizes and schedules ─────────────────────────────────────────────────────────────────────────────

// SwiftShader runs adjoint's matmul at some 0.15 GFLOPS on a shared CPU: n = 1024 would take some 15 s a product.
const MATMUL_SIZES = quick ? [128] : software ? [128, 256] : [1024, 2048, 4096, 8192];
const CNN = { batch: quick || software ? 16 : 64, side: 28, filters: 32, kernel: 3, classes: 10 };
const CHAIN_N = quick ? 1e4 : 1e5;
const ROUNDS = quick ? { rounds: 2, warmup: 1 } : software ? { rounds: 3, warmup: 1 } : { rounds: 15, warmup: 3 };
const TOLERANCE = 1e-3; // float32 sums in other orders; far below any real error

// ── The libraries ───────────────────────────────────────────────────────────────────────────────────

const began = performance.now();
const { rival: adjointGpu } = await adjointWebGPU(gpu);
const rivals: GpuRival[] = [adjointGpu];
const unavailable: string[] = [];
const jax = await jaxWebGPU(gpu, dawn.globals);
if (typeof jax === "string") unavailable.push(`jax-js webgpu (${jax})`);
else rivals.push(jax);
const tf = await tfjsWebGPU(gpu, dawn.globals);
if (typeof tf === "string") unavailable.push(`tfjs webgpu (${tf})`);
else rivals.push(tf);
const wasmRow = adjointWasm();
rivals.push(wasmRow);

// ── Timing ──────────────────────────────────────────────────────────────────────────────────────────

interface Row {
  readonly name: string;
  readonly timing?: Timing;
  readonly error?: string;
}

/** Times each case `rounds` times after `warmup` untimed runs, interleaved round by round; a case that throws is reported, not timed. */
async function timeAll(cases: readonly { name: string; run: () => Promise<unknown> }[]): Promise<Row[]> {
  const errors = new Map<string, string>();
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < ROUNDS.warmup + ROUNDS.rounds; r++) {
    for (const c of cases) {
      if (errors.has(c.name)) continue;
      try {
        const t0 = performance.now();
        await c.run();
        if (r >= ROUNDS.warmup) samples.get(c.name)?.push(performance.now() - t0);
      } catch (error) {
        errors.set(c.name, error instanceof Error ? error.message.split("\n")[0] : String(error));
      }
    }
  }
  return cases.map((c) => (errors.has(c.name) ? { name: c.name, error: errors.get(c.name) } : { name: c.name, timing: summarize(c.name, samples.get(c.name) ?? []) }));
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

function resultDiff(got: GradResult, want: GradResult): number {
  let d = Math.abs(got.value - want.value) / Math.max(Math.abs(want.value), 1e-30);
  for (const k of Object.keys(want.grads)) d = Math.max(d, maxRelDiff(got.grads[k], want.grads[k]));
  return d;
}

interface Section {
  readonly title: string;
  readonly rows: Row[];
  /** The largest relative difference from adjoint wasm's result, per library. */
  readonly checked: string[];
  readonly missing: string[];
}

async function matmulSection(n: number): Promise<Section> {
  const { a, b } = matmulData(1, n);
  const prepared = rivals.flatMap((r) => (r.matmul === undefined ? [] : [{ name: r.name, ...r.matmul(a, b, n) }]));
  const want = await prepared[prepared.length - 1].product(); // adjoint wasm's
  const checked: string[] = [];
  for (const p of prepared.slice(0, -1)) {
    const d = maxRelDiff(await p.product(), want);
    if (!(d <= TOLERANCE)) throw new Error(`matmul ${n}: ${p.name} differs from adjoint wasm by ${d} (relative to the largest element)`);
    checked.push(`${p.name} ${d.toExponential(1)}`);
  }
  return { title: `matmul ${n}`, rows: await timeAll(prepared), checked, missing: [] };
}

async function gradientSection(workload: Exclude<Workload, "matmul">, title: string, prepare: (r: GpuRival) => GpuPrepared | undefined): Promise<Section> {
  const prepared: { name: string; p: GpuPrepared }[] = [];
  const missing: string[] = [];
  for (const r of rivals) {
    try {
      const p = prepare(r);
      if (p === undefined) missing.push(`${r.name}: ${r.missing?.[workload] ?? "not implemented"}`);
      else prepared.push({ name: r.name, p });
    } catch (error) {
      missing.push(`${r.name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
  const want = await prepared[prepared.length - 1].p.result();
  const checked: string[] = [];
  const timed: typeof prepared = [];
  for (const { name, p } of prepared.slice(0, -1)) {
    try {
      const d = resultDiff(await p.result(), want);
      if (!(d <= TOLERANCE)) throw new Error(`differs from adjoint wasm by ${d}`);
      checked.push(`${name} ${d.toExponential(1)}`);
      timed.push({ name, p });
    } catch (error) {
      missing.push(`${name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
  timed.push(prepared[prepared.length - 1]);
  return { title, rows: await timeAll(timed.map(({ name, p }) => ({ name, run: p.step }))), checked, missing };
}

const sections: Section[] = [];
for (const n of MATMUL_SIZES) {
  sections.push(await matmulSection(n));
  console.log(`matmul ${n} done`);
}
const inputs = { mlp: mlpData(2, MLP_SIZES), cnn: cnnData(5, CNN), chain: chainData(CHAIN_N) };
sections.push(
  await gradientSection("mlp", `MLP ${MLP_SIZES.inputs}-${MLP_SIZES.hidden}-${MLP_SIZES.classes}, batch ${MLP_SIZES.batch}, training step`, (r) => r.mlp?.(inputs.mlp)),
);
sections.push(await gradientSection("cnn", `CNN (conv 3×3 ×${CNN.filters}, relu, 2×2 max pool, dense), batch ${CNN.batch}, training step`, (r) => r.cnn?.(inputs.cnn)));
sections.push(await gradientSection("chain", `elementwise chain, n = ${CHAIN_N}, value and gradient`, (r) => r.chain?.(inputs.chain)));
const seconds = (performance.now() - began) / 1000;

// ── Report ──────────────────────────────────────────────────────────────────────────────────────────

function rowsOf(s: Section): string[][] {
  const n = Number(/^matmul (\d+)$/.exec(s.title)?.[1] ?? NaN);
  const base = s.rows.find((r) => r.name === adjointGpu.name)?.timing?.median;
  return s.rows.map((r) => {
    if (r.timing === undefined) return [r.name, "–", "–", "–", "–", `threw: ${r.error ?? ""}`, "–"];
    const t = r.timing;
    const gflops = (2 * n ** 3) / (t.median * 1e6);
    const rate = Number.isNaN(n)
      ? `${(1000 / t.median).toPrecision(3)} steps/s`
      : `${gflops < 10 ? gflops.toPrecision(2) : gflops.toFixed(0)} GFLOPS${peak === null || r.name !== adjointGpu.name ? "" : `, ${((100 * gflops) / peak).toFixed(1)}% of peak`}`;
    return [r.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max), String(t.samples), rate, base === undefined ? "–" : (base / t.median).toFixed(2)];
  });
}

const body = [
  `Adapter: **${adapterName}**${software ? " — a software adapter (SwiftShader, on the CPU): these figures check that everything runs and agrees, they say nothing about GPU speed" : ""}${peak === null ? "" : `; fp32 peak taken as ${peak.toLocaleString("en")} GFLOPS`}.`,
  "",
  `Host: ${machine().line}`,
  "",
  `Date: ${new Date().toISOString().slice(0, 10)}.${quick ? " (quick run)" : ""} Whole run: ${seconds.toFixed(0)} s; ${ROUNDS.rounds} timed rounds after ${ROUNDS.warmup} warm-up, interleaved. Times in ms; "÷" is adjoint webgpu's median ÷ the row's (above 1: the row is faster).`,
  "",
  ...rivals.map((r) => `- **${r.name}**: ${r.setup}.`),
  ...unavailable.map((u) => `- not run: ${u}.`),
  ...sections.flatMap((s) => [
    "",
    `### ${s.title}`,
    "",
    table(["case", "min", "median", "max", "samples", "rate", "÷"], rowsOf(s)),
    "",
    `Checked against adjoint wasm before timing (largest relative difference): ${s.checked.join(", ") || "–"}.${s.missing.length > 0 ? ` Not timed: ${s.missing.join("; ")}.` : ""}`,
  ]),
  "",
  "On a real GPU: `npm run bench:webgpu` on a machine whose Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver Dawn finds; the run then measures n up to 8192 with 15 rounds. Set `GPU_PEAK_GFLOPS` to the card's fp32 peak where the table in bench/webgpu.ts does not know it.",
].join("\n");

console.log(`\n${body}\n`);
if (!quick) writeResultsSection("webgpu", "WebGPU (npm run bench:webgpu)", body);
process.exit(0);
