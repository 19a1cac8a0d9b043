/**
 * TensorFlow.js 4.22 on its WebGPU backend (@tensorflow/tfjs-backend-webgpu) in Node, for bench/webgpu.ts.
 * The backend asks `navigator.gpu` for its adapter, so `installNavigatorGpu` gives it the `webgpu`
 * package's GPU, as jax-js has it; `tf.setBackend("webgpu")` then works in Node (probed 2026-12-07,
 * Node 20.20, SwiftShader). The workloads are tfjs.ts's, op for op (the CNN in NHWC).
 *
 * tfjs records its GPU commands and submits them when something is read or a batch fills up. A step
 * ends when the GPU has finished it: the loss is read, then everything the step recorded (gradients
 * included) is submitted and the queue drains (`onSubmittedWorkDone`); a product is submitted and
 * drained without reading it back. Every tensor a step makes is disposed (`result` checks that none is left).
 */
import type * as TF from "@tensorflow/tfjs"; // types only: the library is imported when the rival loads
import type { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import { installNavigatorGpu, type GpuPrepared, type GpuRival } from "./gpu.js";
import { chainModel, cnnModel, mlpModel, type TfModel } from "./tfjs.js";

type Tf = typeof TF;

/** The value and gradients of `model`, each gradient in adjoint's layout. */
function prepared(tf: Tf, settle: () => Promise<void>, { names, params, loss, back }: TfModel): GpuPrepared {
  const valueAndGrads = tf.valueAndGrads(loss);
  const run = () => {
    const { value, grads } = valueAndGrads([...params]);
    return { value, grads, dispose: () => tf.dispose([value, ...grads]) };
  };
  return {
    step: async () => {
      const { value, dispose } = run();
      const s = (await value.data())[0];
      await settle();
      dispose();
      return s;
    },
    result: async () => {
      const tensorsBefore = tf.memory().numTensors;
      const { value, grads, dispose } = run();
      const out: Record<string, Float32Array> = {};
      for (const [i, g] of grads.entries()) out[names[i]] = back(names[i], Float32Array.from(await g.data()));
      const s = (await value.data())[0];
      dispose();
      if (tf.memory().numTensors !== tensorsBefore) throw new Error(`tfjs: ${tf.memory().numTensors - tensorsBefore} tensors outlive a step`);
      return { value: s, grads: out };
    },
  };
}

/** The rival, or why it cannot run. */
export async function tfjsWebGPU(gpu: GPU, globals: Readonly<Record<string, unknown>>): Promise<GpuRival | string> {
  let tf: Tf;
  try {
    tf = await import("@tensorflow/tfjs");
    await import("@tensorflow/tfjs-backend-webgpu");
  } catch {
    return "@tensorflow/tfjs or @tensorflow/tfjs-backend-webgpu is not installed";
  }
  installNavigatorGpu(gpu, globals);
  try {
    if (!(await tf.setBackend("webgpu"))) return `tf.setBackend("webgpu") failed`;
    await tf.ready();
  } catch (error) {
    return `tf.setBackend("webgpu") threw: ${error instanceof Error ? error.message : String(error)}`;
  }
  const backend = tf.backend() as WebGPUBackend;
  // The backend's own flush (as in its getBufferData): close the open pass, submit the encoder, which
  // may be empty (submitQueue alone fails when a read has just submitted, or corrupts an open pass).
  const settle = async () => {
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
  };
  return {
    name: "tfjs webgpu",
    setup: `@tensorflow/tfjs-backend-webgpu ${tf.version.tfjs}, tf.setBackend("webgpu") through the webgpu package's navigator.gpu, eager`,
    matmul: (a, b, n) => {
      const [ta, tb] = [tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])];
      return {
        run: async () => {
          const c = tf.matMul(ta, tb);
          await settle();
          c.dispose();
          return n;
        },
        product: async () => {
          const c = tf.matMul(ta, tb);
          const out = Float32Array.from(await c.data());
          c.dispose();
          return out;
        },
      };
    },
    mlp: (data) => prepared(tf, settle, mlpModel(tf, data)),
    cnn: (data) => prepared(tf, settle, cnnModel(tf, data)),
    chain: (data) => prepared(tf, settle, chainModel(tf, data)),
  };
}
