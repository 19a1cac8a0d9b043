/**
 * The WebGPU benchmark's libraries (bench/webgpu.ts): the same workloads as bench/rivals/rival.ts,
 * timed asynchronously, since nothing on a GPU finishes when the call returns. Each step ends when
 * the GPU has finished it: adjoint reads the loss and waits for the queue to drain; jax-js reads the
 * loss and waits on every gradient (`blockUntilReady`). A product is timed the same way, without
 * reading it back, so the figure is the kernel's, not the copy's.
 */
import type * as Jax from "@jax-js/jax"; // types only: the library is imported when its rival loads
import { initWebGPU, webgpuDevice, type WebGPUHandle } from "../../src/backends/webgpu/index.js";
import { matmul, registerDevice, setBackend, tensor, valueAndGrad, type Tensor } from "../../src/tensor/index.js";
import { chainValue, cnnLoss, mlpLoss } from "./adjoint.js";
import { CNN_PARAMS, MLP_PARAMS, cnnGeometry, type CnnData, type GradResult, type MlpData, type ChainData, type Workload } from "./rival.js";

/** A workload prepared for one library: `step` runs it once to completion; `result` returns what it computed. */
export interface GpuPrepared {
  readonly step: () => Promise<number>;
  readonly result: () => Promise<GradResult>;
}

export interface GpuRival {
  readonly name: string;
  readonly setup: string;
  readonly matmul?: (a: Float32Array, b: Float32Array, n: number) => { run: () => Promise<number>; product: () => Promise<Float32Array> };
  readonly mlp?: (data: MlpData) => GpuPrepared;
  readonly cnn?: (data: CnnData) => GpuPrepared;
  readonly chain?: (data: ChainData) => GpuPrepared;
  readonly missing?: Partial<Record<Workload, string>>;
}

type Tree = Readonly<Record<string, Tensor>>;

/** adjoint's value-and-gradient of `loss` on `device`; `settle` waits until the device has done the work. */
function adjointPrepared(names: readonly string[], params: Tree, loss: (p: Tree) => Tensor, settle: () => Promise<void>): GpuPrepared {
  const run = valueAndGrad(loss);
  return {
    step: async () => {
      const [value] = run(params) as [Tensor, Tree];
      const s = (await value.read())[0];
      await settle();
      return s;
    },
    result: async () => {
      const [value, grads] = run(params) as [Tensor, Tree];
      const out: Record<string, Float32Array> = {};
      for (const k of names) out[k] = Float32Array.from(await grads[k].read());
      return { value: (await value.read())[0], grads: out };
    },
  };
}

/** adjoint on `device` ("webgpu", or the host's wasm backend). */
function adjointOn(name: string, setup: string, device: string, settle: () => Promise<void>): GpuRival {
  const t = (d: Float32Array, shape: number[]) => tensor(d, { shape }).to(device);
  return {
    name,
    setup,
    matmul: (a, b, n) => {
      const [ta, tb] = [t(a, [n, n]), t(b, [n, n])];
      return {
        run: async () => {
          const c = matmul(ta, tb);
          await settle();
          c.dispose();
          return n;
        },
        product: async () => Float32Array.from(await matmul(ta, tb).read()),
      };
    },
    mlp: (data) => {
      const { inputs, hidden, classes, batch } = data.sizes;
      const p = data.params;
      const params = { w1: t(p.w1, [inputs, hidden]), b1: t(p.b1, [hidden]), w2: t(p.w2, [hidden, classes]), b2: t(p.b2, [classes]) };
      const [x, labels] = [t(data.x, [batch, inputs]), t(data.labels, [batch, classes])];
      return adjointPrepared(MLP_PARAMS, params, (q) => mlpLoss(x, labels, q as never), settle);
    },
    cnn: (data) => {
      const { batch, side, filters, kernel, classes } = data.sizes;
      const p = data.params;
      const params = { wc: t(p.wc, [filters, 1, kernel, kernel]), bc: t(p.bc, [filters]), wd: t(p.wd, [cnnGeometry(data.sizes).features, classes]), bd: t(p.bd, [classes]) };
      const [x, labels] = [t(data.x, [batch, 1, side, side]), t(data.labels, [batch, classes])];
      return adjointPrepared(CNN_PARAMS, params, (q) => cnnLoss(x, labels, q as never), settle);
    },
    chain: (data) => adjointPrepared(["x"], { x: t(data.x, [data.x.length]) }, (q) => chainValue(q.x), settle),
  };
}

/** adjoint's "webgpu" device on `gpu`. */
export async function adjointWebGPU(gpu: GPU): Promise<{ rival: GpuRival; handle: WebGPUHandle }> {
  const handle = await initWebGPU({ gpu });
  const device = webgpuDevice(handle);
  registerDevice(device);
  // synchronize, not onSubmittedWorkDone: the device batches its work until a read or a flush, so
  // the queue alone would settle before the matmul was even submitted.
  const settle = () => device.synchronize();
  return { rival: adjointOn("adjoint webgpu", "adjoint's WGSL kernels (register-blocked 4 × 4 matmul, direct conv2d), eager", "webgpu", settle), handle };
}

/** adjoint's wasm backend on the host, one thread: the CPU row the GPU rows are read against. */
export function adjointWasm(): GpuRival {
  setBackend("wasm");
  return adjointOn("adjoint wasm", "adjoint's wasm SIMD kernels on the host, one thread, eager", "cpu", async () => undefined);
}

/**
 * Makes Node look like a browser with WebGPU to libraries that look only there (jax-js, TensorFlow.js):
 * `navigator.gpu` is the `webgpu` package's GPU, and the package's `globals` (GPUBufferUsage and the rest) are installed.
 */
export function installNavigatorGpu(gpu: GPU, globals: Readonly<Record<string, unknown>>): void {
  const g = globalThis as { navigator?: unknown };
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
  if (g.navigator === undefined) Object.defineProperty(globalThis, "navigator", { value: { gpu, userAgent: "node" }, configurable: true });
}

type JaxModule = typeof Jax;
type Arr = Jax.Array;
type JTree = Record<string, Arr>;

/** jax-js on its WebGPU device in Node, through `installNavigatorGpu` (jax-js looks for nothing but `navigator.gpu`). */
export async function jaxWebGPU(gpu: GPU, globals: Readonly<Record<string, unknown>>): Promise<GpuRival | string> {
  let jax: JaxModule;
  try {
    jax = await import("@jax-js/jax");
  } catch {
    return "@jax-js/jax is not installed";
  }
  installNavigatorGpu(gpu, globals);
  let devices: string[];
  try {
    devices = await jax.init("webgpu");
  } catch (error) {
    return `jax-js init("webgpu") threw: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (!devices.includes("webgpu")) return `jax-js init("webgpu") gave devices [${devices.join(", ")}]`;
  jax.defaultDevice("webgpu");
  const { numpy: np, nn, lax } = jax;
  const array = (d: Float32Array, shape: number[]) => np.array(d, { shape });
  const refs = (tree: JTree): JTree => Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v.ref]));
  const crossEntropy = (logits: Arr, labels: Arr) => np.sum(labels.mul(nn.logSoftmax(logits, -1))).mul(-1 / logits.shape[0]);
  const prepared = (names: readonly string[], params: JTree, data: readonly Arr[], loss: (p: JTree, ...d: Arr[]) => Arr): GpuPrepared => {
    const run = jax.valueAndGrad(loss) as (p: JTree, ...d: Arr[]) => [Arr, JTree];
    const call = () => run(refs(params), ...data.map((d) => d.ref));
    return {
      step: async () => {
        const [value, grads] = call();
        const s = (await value.data())[0];
        for (const k of names) {
          await grads[k].blockUntilReady();
          grads[k].dispose();
        }
        return s;
      },
      result: async () => {
        const [value, grads] = call();
        const out: Record<string, Float32Array> = {};
        for (const k of names) out[k] = Float32Array.from(await grads[k].data());
        return { value: (await value.data())[0], grads: out };
      },
    };
  };
  return {
    name: "jax-js webgpu",
    setup: `@jax-js/jax, device "webgpu" through the webgpu package's navigator.gpu, eager`,
    matmul: (a, b, n) => {
      const [ta, tb] = [array(a, [n, n]), array(b, [n, n])];
      return {
        run: async () => {
          const c = np.matmul(ta.ref, tb.ref);
          await c.blockUntilReady();
          c.dispose();
          return n;
        },
        product: async () => Float32Array.from(await np.matmul(ta.ref, tb.ref).data()),
      };
    },
    mlp: (data) => {
      const { inputs, hidden, classes, batch } = data.sizes;
      const p = data.params;
      const params = { w1: array(p.w1, [inputs, hidden]), b1: array(p.b1, [hidden]), w2: array(p.w2, [hidden, classes]), b2: array(p.b2, [classes]) };
      const loss = (q: JTree, x: Arr, labels: Arr) => crossEntropy(np.matmul(nn.relu(np.matmul(x, q.w1).add(q.b1)), q.w2).add(q.b2), labels);
      return prepared(MLP_PARAMS, params, [array(data.x, [batch, inputs]), array(data.labels, [batch, classes])], loss);
    },
    cnn: (data) => {
      const { batch, side, filters, kernel, classes } = data.sizes;
      const { pooled, features } = cnnGeometry(data.sizes);
      const p = data.params;
      const params = { wc: array(p.wc, [filters, 1, kernel, kernel]), bc: array(p.bc, [filters]), wd: array(p.wd, [features, classes]), bd: array(p.bd, [classes]) };
      const loss = (q: JTree, x: Arr, labels: Arr) => {
        const activations = nn.relu(lax.conv(x, q.wc, [1, 1], "VALID").add(q.bc.reshape([1, filters, 1, 1])));
        // 2×2 max pool, stride 2, as a reshape and a max over the two window axes (the conv side is even).
        const flat = activations.reshape([batch, filters, pooled, 2, pooled, 2]).max([3, 5]).reshape([batch, features]);
        return crossEntropy(np.matmul(flat, q.wd).add(q.bd), labels);
      };
      return prepared(CNN_PARAMS, params, [array(data.x, [batch, 1, side, side]), array(data.labels, [batch, classes])], loss);
    },
    chain: (data) => {
      const n = data.x.length;
      const loss = (q: JTree) => {
        const a = q.x.ref.slice([0, n - 1]);
        const b = q.x.slice([1, n]);
        return np.sum(np.sin(a.ref).mul(b).add(a.ref.mul(a)));
      };
      return prepared(["x"], { x: array(data.x, [n]) }, [], loss);
    },
  };
}
