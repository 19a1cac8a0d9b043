/**
 * `npm run bench:webgpu:soak`: GPU memory over a long training run on the "webgpu" device. 10,000
 * steps of a 16-32-4 MLP (batch 8, softmax cross-entropy, SGD), forward, backward and update on the
 * GPU, the loss read each step (bench/webgpuMlp.ts, which test/webgpu/memory.checks.ts trains too).
 * After each step the garbage is collected (dropped intermediates go back to the pool, as the program's own collector
 * would return them later), so the claim is exact: the GPU bytes (pool included) and the count of
 * buffers created stay where step 2 left them. Every 1,000 steps: those, submits and maps per step.
 *
 * With no GPU adapter it starts itself again under Chromium's SwiftShader Vulkan driver (the loader
 * reads LD_LIBRARY_PATH only at process start) and says so. Writes the
 * "WebGPU soak" section of bench/RESULTS.md (`--steps N` runs N steps instead, and says so). Needs
 * `node --expose-gc` (the npm script passes it).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { initWebGPU, webgpuDevice, type WebGPUHandle } from "../src/backends/webgpu/index.js";
import * as ops from "../src/tensor/index.js";
import { webgpuMlp } from "./webgpuMlp.js";
import { machineDescription, table, writeResultsSection } from "./harness.js";

const CHROMIUM = "/usr/lib/chromium";

/** The GPU, or (no adapter, Chromium installed) this benchmark again under the software adapter. */
async function gpuOrSoftware(): Promise<WebGPUHandle> {
  try {
    return await initWebGPU();
  } catch (error) {
    if (process.env.VK_ICD_FILENAMES !== undefined || !existsSync(CHROMIUM)) throw error;
    console.log(`no GPU adapter (${error instanceof Error ? error.message : String(error)}); running on SwiftShader`);
    const env = {
      VK_ICD_FILENAMES: `${CHROMIUM}/vk_swiftshader_icd.json`,
      LD_LIBRARY_PATH: [CHROMIUM, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp",
    };
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env: { ...process.env, ...env }, stdio: "inherit" });
    process.exit(child.status ?? 1);
  }
}

const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error("bench/webgpuSoak needs node --expose-gc (npm run bench:webgpu:soak passes it)");
const stepsArg = process.argv.indexOf("--steps");
const STEPS = stepsArg > 0 ? Number(process.argv[stepsArg + 1]) : 10_000;
const EVERY = Math.max(1, Math.min(1000, Math.floor(STEPS / 10)));

const handle = await gpuOrSoftware();
const gpu = ops.registerDevice(webgpuDevice(handle)) as ReturnType<typeof webgpuDevice>;
const { step } = webgpuMlp();

/**
 * Collects, then waits until the releases have come (the registry's callbacks run in later tasks,
 * later still on a loaded machine): down to `live` once known, else until they stop for a few tasks.
 * False if they have not within 5 s (the next step may then find the pool short).
 */
async function settle(live?: number): Promise<boolean> {
  collect!();
  const start = Date.now();
  for (let still = 0, last = -1; live === undefined ? still < 4 : gpu.counters.inUseBytes > live;) {
    if (Date.now() - start > 5000) return false;
    still = gpu.counters.inUseBytes === last ? still + 1 : 0;
    last = gpu.counters.inUseBytes;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

interface Sample {
  step: number;
  loss: number;
  allocatedBytes: number;
  allocations: number;
  submitsPerStep: number;
  mapsPerStep: number;
  msPerStep: number;
}
const samples: Sample[] = [];
let live: number | undefined;
let late = 0;
let [since, t0, last] = [0, performance.now(), gpu.counters];
const started = performance.now();
for (let i = 1; i <= STEPS; i++) {
  const loss = await step();
  if (!(await settle(live))) late++;
  // What the model holds between steps (parameters, data, gradients), once the first steps' garbage is surely back.
  if (i === 10) live = gpu.counters.inUseBytes;
  since++;
  if (i === 1 || i === 2 || i === 10 || i % EVERY === 0) {
    const now = gpu.counters;
    samples.push({
      step: i,
      loss,
      allocatedBytes: now.allocatedBytes,
      allocations: now.allocations,
      submitsPerStep: (now.submits - last.submits) / since,
      mapsPerStep: (now.maps - last.maps) / since,
      msPerStep: (performance.now() - t0) / since,
    });
    [since, t0, last] = [0, performance.now(), now];
    const s = samples.at(-1)!;
    console.log(`step ${s.step}: loss ${s.loss.toFixed(4)}, ${s.allocatedBytes} GPU bytes in ${s.allocations} buffers, ${s.msPerStep.toFixed(1)} ms/step`);
  }
}
const seconds = (performance.now() - started) / 1000;

const steady = samples.filter((s) => s.step >= 2);
const flat = steady.every((s) => s.allocatedBytes === steady[0].allocatedBytes && s.allocations === steady[0].allocations);
const { vendor, architecture, description } = handle.adapter;
const report = [
  `Machine: ${machineDescription()}. Adapter: ${[vendor, architecture, description].filter(Boolean).join(", ")} (${handle.source}). Date: ${new Date().toISOString().slice(0, 10)}.`,
  "",
  `${STEPS} steps${STEPS === 10_000 ? "" : " (not the default 10,000)"} of a 16-32-4 MLP (batch 8, cross-entropy, SGD) on the GPU in ${seconds.toFixed(0)} s, the loss read each step and garbage collected after it.`,
  "",
  table(
    ["step", "loss", "GPU bytes (pool included)", "buffers created", "submits/step", "maps/step", "ms/step"],
    samples.map((s) => [
      String(s.step),
      s.loss.toFixed(4),
      String(s.allocatedBytes),
      String(s.allocations),
      s.submitsPerStep.toFixed(2),
      s.mapsPerStep.toFixed(2),
      s.msPerStep.toFixed(1),
    ]),
  ),
  "",
  flat
    ? `Flat: from step 2 to step ${STEPS} the GPU holds ${steady[0].allocatedBytes} bytes in ${steady[0].allocations} buffers and creates none.`
    : `NOT flat: the GPU bytes went from ${steady[0].allocatedBytes} at step 2 to ${steady.at(-1)!.allocatedBytes} at step ${STEPS}.`,
  `Collections still releasing after 5 s (the step after one may find the pool short): ${late}.`,
].join("\n");
console.log(report);
writeResultsSection("webgpu-soak", "WebGPU soak (npm run bench:webgpu:soak)", report);
process.exit(flat ? 0 : 1);
