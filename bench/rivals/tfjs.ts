/**
 * TensorFlow.js 4.22 on one backend: "cpu" (tfjs-backend-cpu, pure JavaScript, bundled with
 * @tensorflow/tfjs) or "wasm" (@tensorflow/tfjs-backend-wasm, XNNPACK compiled to WebAssembly).
 * Gradients need the full @tensorflow/tfjs package (tfjs-core alone registers none). Every step runs in
 * `tf.tidy` and reads its outputs with `dataSync()`, so the work is really done and memory stays flat.
 *
 * The wasm backend in Node (probed 2026-12-01, Node 20.20): it loads its .wasm from the directory
 * given to `setWasmPaths` with fs (a plain directory path ending in "/" works; no network). tfjs picks
 * the binary from two flags: WASM_HAS_SIMD_SUPPORT (true in Node 20) and WASM_HAS_MULTITHREAD_SUPPORT,
 * which tfjs hard-codes to false under Node (tfjs issue 3830). So the SIMD binary runs, one thread.
 * Forcing the threads flag on does not help: Emscripten then starts its pthread workers from a blob:
 * URL, which Node's worker_threads rejects (ERR_WORKER_PATH), and the backend fails to initialise.
 *
 * tfjs's active backend is global; every call first switches to its own (synchronous once the backend
 * is initialised), so the tfjs rows can be interleaved. Each rival's tensors are used on one backend only.
 */
import { dirname } from "node:path";
import { createRequire } from "node:module";
import type * as TF from "@tensorflow/tfjs"; // types only: the library is imported when its rival loads
import { inverse, permuted } from "./layout.js";
import { CNN_PARAMS, MLP_PARAMS, cnnGeometry, type ChainData, type CnnData, type GradResult, type MlpData, type Prepared, type Rival, type RunInfo } from "./rival.js";

type Tf = typeof TF;

interface TfBackend {
  readonly name: "cpu" | "wasm";
  /** Imports and configures the backend's package before `tf.setBackend`; null when it is not installed. */
  readonly register: (tf: Tf) => Promise<null | (() => Promise<RunInfo>)>;
}

const cpuBackend: TfBackend = {
  name: "cpu",
  register: async () => async () => ({ threads: 1, setup: "tfjs-backend-cpu: plain JavaScript kernels, one thread" }),
};

const wasmBackend: TfBackend = {
  name: "wasm",
  register: async (tf) => {
    let wasm: typeof import("@tensorflow/tfjs-backend-wasm");
    try {
      wasm = await import("@tensorflow/tfjs-backend-wasm");
    } catch {
      return null;
    }
    // The package's own directory: the three .wasm binaries sit beside its Node entry point.
    const entry = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
    wasm.setWasmPaths(`${dirname(entry)}/`);
    return async () => {
      const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true;
      const threads = (await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) === true;
      // tfjs's own rule for which binary it instantiates (tf-backend-wasm getPathToWasmBinary).
      const binary = simd ? (threads ? "tfjs-backend-wasm-threaded-simd.wasm" : "tfjs-backend-wasm-simd.wasm") : "tfjs-backend-wasm.wasm";
      const count = wasm.getThreadsCount();
      const why = threads ? "" : " (tfjs turns threads off under Node; the threaded-SIMD binary's workers cannot start in Node)";
      return { threads: count, setup: `tfjs-backend-wasm, ${binary}: SIMD ${simd ? "yes" : "no"}, ${count} thread${count === 1 ? "" : "s"} (getThreadsCount)${why}` };
    };
  },
};

/**
 * A workload in tfjs's terms, shared by every tfjs backend (bench/rivals/tfjsWebGPU.ts too): its parameters
 * in `names` order, the loss over them, and `back`, which converts a gradient to adjoint's layout.
 */
export interface TfModel {
  readonly names: readonly string[];
  readonly params: readonly TF.Tensor[];
  readonly loss: (...p: TF.Tensor[]) => TF.Scalar;
  readonly back: (name: string, g: Float32Array) => Float32Array;
}

const same = (_: string, g: Float32Array) => g;

/** A value-and-gradients computation over the model's parameters, with each gradient converted back to adjoint's layout. */
function prepared(tf: Tf, use: () => void, { names, params, loss, back }: TfModel): Prepared {
  const valueAndGrads = tf.valueAndGrads(loss);
  return {
    step: () => {
      use();
      return tf.tidy(() => {
        const { value, grads } = valueAndGrads([...params]);
        let s = value.dataSync()[0];
        for (const g of grads) s += g.dataSync()[0];
        return s;
      });
    },
    result: () => {
      use();
      const tensorsBefore = tf.memory().numTensors;
      let result: GradResult | null = null;
      tf.tidy(() => {
        const { value, grads } = valueAndGrads([...params]);
        const arrays: Record<string, Float32Array> = {};
        grads.forEach((g, i) => (arrays[names[i]] = back(names[i], Float32Array.from(g.dataSync()))));
        result = { value: value.dataSync()[0], grads: arrays };
      });
      if (result === null) throw new Error("tfjs: no result");
      if (tf.memory().numTensors !== tensorsBefore) throw new Error(`tfjs: ${tf.memory().numTensors - tensorsBefore} tensors outlive tf.tidy`);
      return result;
    },
  };
}

function crossEntropy(tf: Tf, logits: TF.Tensor, labels: TF.Tensor): TF.Scalar {
  return tf.mul(tf.sum(tf.mul(labels, tf.logSoftmax(logits))), -1 / logits.shape[0]) as TF.Scalar;
}

/** The MLP: the same formula as adjoint's mlpLoss, op for op. */
export function mlpModel(tf: Tf, data: MlpData): TfModel {
  const { inputs, hidden, classes, batch } = data.sizes;
  const x = tf.tensor2d(data.x, [batch, inputs]);
  const labels = tf.tensor2d(data.labels, [batch, classes]);
  const { w1, b1, w2, b2 } = data.params;
  const params = [tf.tensor2d(w1, [inputs, hidden]), tf.tensor1d(b1), tf.tensor2d(w2, [hidden, classes]), tf.tensor1d(b2)];
  const loss = (pw1: TF.Tensor, pb1: TF.Tensor, pw2: TF.Tensor, pb2: TF.Tensor) => {
    const hiddenLayer = tf.relu(tf.add(tf.matMul(x, pw1 as TF.Tensor2D), pb1)) as TF.Tensor2D;
    return crossEntropy(tf, tf.add(tf.matMul(hiddenLayer, pw2 as TF.Tensor2D), pb2), labels);
  };
  return { names: MLP_PARAMS, params, loss: loss as TfModel["loss"], back: same };
}

/** The elementwise chain: sum(sin(x[:-1]) · x[1:] + x[:-1]²). */
export function chainModel(tf: Tf, data: ChainData): TfModel {
  const n = data.x.length;
  const f = (v: TF.Tensor) => {
    const a = tf.slice(v, [0], [n - 1]);
    const b = tf.slice(v, [1], [n - 1]);
    return tf.sum(tf.add(tf.mul(tf.sin(a), b), tf.mul(a, a))) as TF.Scalar;
  };
  return { names: ["x"], params: [tf.tensor1d(data.x)], loss: f as TfModel["loss"], back: same };
}

/** The CNN in NHWC: inputs and filters permuted once, the dense weights' rows reordered to match the NHWC flatten. */
export function cnnModel(tf: Tf, data: CnnData): TfModel {
  const { batch, side, filters, kernel, classes } = data.sizes;
  const { pooled, features } = cnnGeometry(data.sizes);
  // [F, C, KH, KW] → [KH, KW, C, F]; dense rows (c, h, w) → (h, w, c).
  const layouts: Record<string, { shape: number[]; axes: number[] }> = {
    wc: { shape: [filters, 1, kernel, kernel], axes: [2, 3, 1, 0] },
    wd: { shape: [filters, pooled, pooled, classes], axes: [1, 2, 0, 3] },
  };
  const toTf = (name: string, d: Float32Array) => (name in layouts ? permuted(d, layouts[name].shape, layouts[name].axes) : d);
  const back = (name: string, g: Float32Array) => {
    const l = layouts[name];
    return l === undefined
      ? g
      : permuted(
          g,
          l.axes.map((a) => l.shape[a]),
          inverse(l.axes),
        );
  };
  const x = tf.tensor4d(permuted(data.x, [batch, 1, side, side], [0, 2, 3, 1]), [batch, side, side, 1]);
  const labels = tf.tensor2d(data.labels, [batch, classes]);
  const shapes: Record<string, number[]> = { wc: [kernel, kernel, 1, filters], bc: [filters], wd: [features, classes], bd: [classes] };
  const params = CNN_PARAMS.map((k) => tf.tensor(toTf(k, data.params[k]), shapes[k]));
  const loss = (wc: TF.Tensor, bc: TF.Tensor, wd: TF.Tensor, bd: TF.Tensor) => {
    const activations = tf.relu(tf.add(tf.conv2d(x, wc as TF.Tensor4D, 1, "valid"), bc)) as TF.Tensor4D;
    const flat = tf.reshape(tf.maxPool(activations, 2, 2, "valid"), [batch, features]) as TF.Tensor2D;
    return crossEntropy(tf, tf.add(tf.matMul(flat, wd as TF.Tensor2D), bd), labels);
  };
  return { names: CNN_PARAMS, params, loss: loss as TfModel["loss"], back };
}

export function tfjs(backend: "cpu" | "wasm"): () => Promise<Rival | string> {
  const spec = backend === "cpu" ? cpuBackend : wasmBackend;
  return async () => {
    let tf: Tf;
    try {
      tf = await import("@tensorflow/tfjs");
    } catch {
      return "@tensorflow/tfjs is not installed";
    }
    const describe = await spec.register(tf);
    if (describe === null) return `the tfjs ${backend} backend's package is not installed`;
    if (!(await tf.setBackend(backend))) return `tf.setBackend("${backend}") failed`;
    await tf.ready();
    const use = () => {
      if (tf.getBackend() !== backend) void tf.setBackend(backend);
      if (tf.getBackend() !== backend) throw new Error(`tfjs: could not switch to the ${backend} backend`);
    };
    const info = await describe();
    return {
      ...info,
      matmul: (a, b, n) => {
        use();
        const ta = tf.tensor2d(a, [n, n]);
        const tb = tf.tensor2d(b, [n, n]);
        return () => {
          use();
          const c = tf.matMul(ta, tb);
          const first = c.dataSync()[0];
          c.dispose();
          return first;
        };
      },
      mlp: (data) => {
        use();
        return prepared(tf, use, mlpModel(tf, data));
      },
      cnn: (data) => {
        use();
        return prepared(tf, use, cnnModel(tf, data));
      },
      chain: (data) => {
        use();
        return prepared(tf, use, chainModel(tf, data));
      },
    };
  };
}
