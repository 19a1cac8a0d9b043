/**
 * Runs in the browser (bundled by test/browser/webgpu.test.ts): the GPU found through `navigator.gpu`,
 * then the registry walk of test/webgpu/registryWalk.ts (every primitive's case on the GPU
 * against the cpu, covering elementwise ops, reductions, matmul, conv and pooling), and a backward
 * pass of a small MLP and a conv layer on the GPU against the cpu. It reports numbers, not verdicts;
 * the Node side asserts.
 */
import { AdError } from "../../src/errors.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { initWebGPU, webgpuDevice } from "../../src/backends/webgpu/index.js";
import { mismatch, walkRegistry } from "../webgpu/registryWalk.js";

export interface WebGPUPageReport {
  /** What `requestAdapter` gave, or why there is none (then nothing else ran). */
  readonly adapter: { vendor: string; architecture: string; source: string } | { missing: string };
  readonly unsupported: [string, string][];
  readonly checked: number;
  readonly failures: string[];
  /** Validation errors the GPU device raised (uncaptured). */
  readonly errors: string[];
}

/** Gradients of an MLP's cross-entropy and of a conv layer's loss: the backward kernels chained on the GPU. */
function backwardCases(): Record<string, { inputs: Tensor[]; f: (...xs: Tensor[]) => Tensor[] }> {
  const g = ops.rng(15);
  const n = (shape: number[], scale = 1) => ops.mul(ops.randn(shape, { rng: g }), scale);
  const y = ops.cast(ops.oneHot(ops.tensor([3, 1, 4, 1, 5, 9, 2], { dtype: "int32" }), 10), "float32");
  return {
    "MLP cross-entropy gradient": {
      inputs: [n([7, 20]), n([20, 16], 0.3), n([16]), n([16, 10], 0.3), y],
      f: (x, w1, b1, w2, t) => {
        const loss = (u: Tensor, b: Tensor, v: Tensor) => ops.neg(ops.mean(ops.sum(ops.mul(ops.logSoftmax(ops.matmul(ops.relu(ops.add(ops.matmul(x, u), b)), v), -1), t), -1)));
        return ops.grad(loss, { argnums: [0, 1, 2] })(w1, b1, w2) as Tensor[];
      },
    },
    "conv, pool and tanh gradient": {
      inputs: [n([2, 3, 9, 9]), n([4, 3, 3, 3], 0.3)],
      f: (x, w) => {
        const loss = (u: Tensor, v: Tensor) => ops.sum(ops.tanh(ops.maxPool2d(ops.conv2d(u, v, { padding: 1 }), { kernel: 2, stride: 2 })));
        return ops.grad(loss, { argnums: [0, 1] })(x, w) as Tensor[];
      },
    },
  };
}

export async function run(): Promise<WebGPUPageReport> {
  let handle;
  try {
    handle = await initWebGPU();
  } catch (error) {
    const missing = error instanceof AdError ? error.message : String(error);
    return { adapter: { missing }, unsupported: [], checked: 0, failures: [], errors: [] };
  }
  const errors: string[] = [];
  handle.device.addEventListener("uncapturederror", (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  ops.registerDevice(webgpuDevice(handle));
  const { unsupported, checked: walked, failures } = await walkRegistry();
  let checked = walked;
  for (const [name, { inputs, f }] of Object.entries(backwardCases())) {
    const want = f(...inputs);
    const got = f(...inputs.map((x) => x.to("webgpu")));
    for (let i = 0; i < want.length; i++) {
      checked++;
      // float32 sums in another order: a few ulps of the largest partial sums.
      const wrong = await mismatch(`${name} [${i}]`, got[i], want[i], { rel: 1e-4, abs: 1e-5 });
      if (wrong !== undefined) failures.push(wrong);
    }
  }
  await handle.device.queue.onSubmittedWorkDone();
  return { adapter: { vendor: handle.adapter.vendor, architecture: handle.adapter.architecture, source: handle.source }, unsupported, checked, failures, errors };
}

(globalThis as { adjointRun?: () => Promise<WebGPUPageReport> }).adjointRun = run;
