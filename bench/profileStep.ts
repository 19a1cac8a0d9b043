/**
 * The jitted MLP value + gradients (784-256-10, batch 128, wasm backend, one thread) in a loop, for
 * `node --cpu-prof`; then `node dist/bench/profileShare.js <profile>` prints the share of the step's
 * samples under matmul and outside it.
 *
 *   npm run build && node --cpu-prof --cpu-prof-dir=out dist/bench/profileStep.js [steps] [mlp|cnn]
 */
import { setBackend, setThreads } from "../src/tensor/index.js";
import { RIVALS } from "./rivals/index.js";
import type { Prepared } from "./rivals/rival.js";
import { cnnData, MLP_SIZES, mlpData } from "./workloads/data.js";

const steps = Number(process.argv[2] ?? 1500);
const which = process.argv[3] ?? "mlp";
setBackend("wasm");
setThreads(1);
const rival = await RIVALS.find((r) => r.name === "adjoint (wasm), jit")?.load();
if (rival === undefined || typeof rival === "string") throw new Error(`adjoint jit: ${rival}`);
const prepared = (which === "cnn" ? rival.cnn?.(cnnData(5, { batch: 64, side: 28, filters: 32, kernel: 3, classes: 10 })) : rival.mlp?.(mlpData(2, MLP_SIZES))) as Prepared;
let sink = 0;
for (let i = 0; i < 20; i++) sink += prepared.step();
const t0 = performance.now();
for (let i = 0; i < steps; i++) sink += prepared.step();
const ms = (performance.now() - t0) / steps;
console.log(`${which}: ${ms.toFixed(3)} ms per step (${(1000 / ms).toFixed(0)} steps/s) over ${steps} steps; sink ${sink.toFixed(3)}`);
