/**
 * Runs in the browser (bundled by test/browser/kernels.test.ts): every family of wasm kernels
 * against the cpu reference, then the same products on two threads against one. It reports
 * numbers, not verdicts; the Node side asserts.
 */
import { readyWorkers, runningWorkers } from "../../src/backends/wasm/pool.js";
import * as T from "../../src/tensor/index.js";
import { grad, type Tensor } from "../../src/tensor/index.js";

export interface CaseReport {
  readonly name: string;
  /** Largest |wasm − cpu| over every output, and the largest |cpu| (for a relative bound). */
  readonly err: number;
  readonly scale: number;
  readonly dtype: string;
}

export interface PageReport {
  readonly backends: readonly string[];
  readonly defaultBackend: string;
  readonly crossOriginIsolated: boolean;
  readonly cases: readonly CaseReport[];
  /** Workers that came up after setThreads(2), and whether 2 threads gave 1 thread's exact bits. */
  readonly workers: number;
  /** Workers the pool tried to start (a policy may refuse them after they are created). */
  readonly started: number;
  readonly threadsIdentical: boolean;
  /** Whether this page may compile code from strings (the reference kernels' fast path). */
  readonly evalAllowed: boolean;
}

const r = T.rng(2026);
const randn = (shape: number[], dtype: "float32" | "float64" = "float32") => T.randn(shape, { rng: r, dtype });

/** Each case computes some outputs; it runs once per backend. */
const cases: Record<string, () => Tensor[]> = (() => {
  const a = randn([67, 129]);
  const b = randn([129, 45]);
  const at = randn([129, 67]);
  const a64 = randn([33, 70], "float64");
  const b64 = randn([70, 41], "float64");
  const x = randn([256, 128]);
  const row = randn([128]);
  const img = randn([2, 3, 17, 19]);
  const filt = randn([8, 3, 3, 3]).mul(0.3);
  const mlp = { x: randn([128, 96]), w1: randn([96, 64]).mul(0.1), b1: randn([64]), w2: randn([64, 10]).mul(0.1), y: T.oneHot(T.randint(0, 10, [128], { rng: r }), 10) };
  return {
    "matmul f32": () => [T.matmul(a, b)],
    "matmul f32, transposed operand (a view)": () => [T.matmul(T.transpose(at), T.transpose(T.transpose(T.slice(b, [null, [0, 40]]))))],
    "matmul f64": () => [T.matmul(a64, b64)],
    "conv2d and both adjoints": () => {
      const loss = (u: Tensor, w: Tensor) => T.sum(T.sin(T.conv2d(u, w, { padding: 1 })));
      return [T.conv2d(img, filt, { padding: 1, stride: 2 }), ...(grad(loss, { argnums: [0, 1] })(img, filt) as Tensor[])];
    },
    "unary transcendental": () => [T.exp(x.mul(0.5)), T.tanh(x), T.sigmoid(x), T.gelu(x), T.log(T.abs(x)), T.sin(x), T.cos(x), T.erf(x), T.softplus(x)],
    "unary and binary arithmetic, broadcast": () => [T.relu(x), T.sqrt(T.abs(x)), T.add(x, row), T.mul(x, row), T.div(x, T.add(T.abs(row), 1)), T.maximum(x, row), T.sub(x, 2)],
    "reductions": () => [T.sum(x), T.sum(x, -1), T.max(x, 0), T.mean(x, -1), T.min(x, 0)],
    "softmax and logSoftmax": () => [T.softmax(x, -1), T.logSoftmax(x, -1)],
    "MLP value and gradient": () => {
      const loss = (w1: Tensor, b1: Tensor, w2: Tensor) => {
        const logits = T.matmul(T.relu(T.add(T.matmul(mlp.x, w1), b1)), w2);
        return T.neg(T.mean(T.sum(T.mul(T.logSoftmax(logits, -1), mlp.y), -1)));
      };
      return [loss(mlp.w1, mlp.b1, mlp.w2), ...(grad(loss, { argnums: [0, 1, 2] })(mlp.w1, mlp.b1, mlp.w2) as Tensor[])];
    },
  };
})();

function on<R>(backend: T.BackendName, fn: () => R): R {
  const before = T.getBackend();
  T.setBackend(backend);
  try {
    return fn();
  } finally {
    T.setBackend(before);
  }
}

function compare(name: string, cpu: Tensor[], wasm: Tensor[]): CaseReport {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < cpu.length; i++) {
    const [p, q] = [cpu[i].data(), wasm[i].data()];
    if (p.length !== q.length) return { name, err: Infinity, scale: 0, dtype: cpu[i].dtype };
    for (let k = 0; k < p.length; k++) {
      err = Math.max(err, Math.abs(p[k] - q[k]));
      scale = Math.max(scale, Math.abs(p[k]));
    }
  }
  return { name, err, scale, dtype: cpu[0].dtype };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Work big enough to split: a product of 2^24 multiply-adds and a transcendental op of 2^19 elements. */
function threadedWork(): Float32Array[] {
  const p = T.randn([256, 256], { rng: T.rng(1) });
  const q = T.randn([256, 256], { rng: T.rng(2) });
  const v = T.randn([1 << 19], { rng: T.rng(3) });
  return [T.matmul(p, q), T.exp(v), T.tanh(v)].map((t) => t.data() as Float32Array);
}

function evalAllowed(): boolean {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
}

export async function run(): Promise<PageReport> {
  const defaultBackend = T.getBackend();
  const backends = T.availableBackends();
  const report: CaseReport[] = [];
  if (backends.includes("wasm")) {
    for (const [name, fn] of Object.entries(cases)) report.push(compare(name, on("cpu", fn), on("wasm", fn)));
  }
  T.setThreads(1);
  const one = threadedWork();
  T.setThreads(2);
  // Workers come up while this code yields: keep calling (each call asks the pool for them) and
  // waiting, as long as one was started (none is where there is no shared memory or no Worker).
  let started = 0;
  for (let i = 0; i < 20 && readyWorkers() === 0; i++) {
    threadedWork();
    started = Math.max(started, runningWorkers());
    if (started === 0) break;
    await sleep(50);
  }
  const two = threadedWork();
  const threadsIdentical = one.every((o, i) => o.length === two[i].length && o.every((v, k) => Object.is(v, two[i][k])));
  return {
    backends,
    defaultBackend,
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    cases: report,
    workers: readyWorkers(),
    started,
    threadsIdentical,
    evalAllowed: evalAllowed(),
  };
}

(globalThis as { adjointRun?: typeof run }).adjointRun = run;
