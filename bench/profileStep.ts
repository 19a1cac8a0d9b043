/**
 * A jitted step in a loop (wasm backend, one thread or `THREADS`), for `node --cpu-prof`: the MLP's value +
 * gradients (784-256-10, batch 128), the CNN's, or the MLP's whole Adam step; then
 * `node dist/bench/profileShare.js <profile>` prints the share of the jitted call's samples under
 * matmul and outside it.
 *
 *   npm run build && [THREADS=2] node --cpu-prof --cpu-prof-dir=out dist/bench/profileStep.js [steps] [mlp|cnn|adam] [before]
 */
import { backendKernels } from "../src/backends/backend.js";
import { setBackend, setThreads } from "../src/tensor/index.js";
import { RIVALS } from "./rivals/index.js";
import type { Prepared } from "./rivals/rival.js";
import { cnnData, MLP_SIZES, mlpData } from "./workloads/data.js";

const steps = Number(process.argv[2] ?? 1500);
const which = process.argv[3] ?? "mlp";
// "before": compiled with the wasm backend's epilogues and resident storage withheld (the code before them).
if (process.argv[4] === "before") Object.assign(backendKernels("wasm"), { compileEpilogue: undefined, allocateResident: undefined });
setBackend("wasm");
setThreads(Number(process.env.THREADS ?? 1));
// mlp, cnn: jit(valueAndGrad(loss)); adam: the whole jitted Adam step, parameters and state donated.
const name = which === "adam" ? "adjoint (wasm), jit whole step" : "adjoint (wasm), jit";
const rival = await RIVALS.find((r) => r.name === name)?.load();
if (rival === undefined || typeof rival === "string") throw new Error(`${name}: ${rival}`);
const prepared = (which === "cnn" ? rival.cnn?.(cnnData(5, { batch: 64, side: 28, filters: 32, kernel: 3, classes: 10 })) : rival.mlp?.(mlpData(2, MLP_SIZES))) as Prepared;
let sink = 0;
for (let i = 0; i < 20; i++) sink += prepared.step();
const t0 = performance.now();
for (let i = 0; i < steps; i++) sink += prepared.step();
const ms = (performance.now() - t0) / steps;
console.log(`${which}: ${ms.toFixed(3)} ms per step (${(1000 / ms).toFixed(0)} steps/s) over ${steps} steps; sink ${sink.toFixed(3)}`);
