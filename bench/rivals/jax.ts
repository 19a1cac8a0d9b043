/**
 * jax-js (@jax-js/jax, JAX's API in TypeScript) on its "wasm" device: it generates WebAssembly SIMD
 * kernels (with relaxed-SIMD FMA when the engine validates it; in this process adjoint has already
 * turned V8's flag on, so jax-js's probe finds it too). Eager: every op dispatches its own kernel;
 * `jit`: the whole value-and-gradient function is traced once and its ops fused.
 *
 * In Node 20: `init("wasm")` must name the device (a bare `init()` also probes WebGPU and throws,
 * `navigator` being undefined). jax-js starts worker threads only where both SharedArrayBuffer and a
 * global `Worker` exist; Node has no global `Worker`, so it runs on one thread.
 *
 * jax-js arrays are reference-counted and every op consumes its arguments: kept inputs are passed as
 * `.ref`, and `dataSync()` consumes what it reads, so a step leaves nothing behind (checked in `result`).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as Jax from "@jax-js/jax"; // types only: the library is imported when its rival loads
import { CNN_PARAMS, MLP_PARAMS, cnnGeometry, type GradResult, type Prepared, type Rival } from "./rival.js";

type JaxModule = typeof Jax;
type Arr = Jax.Array;
type Tree = Record<string, Arr>;
/** A loss over a tree of parameters (differentiated) and constant data arrays. */
type Loss = (p: Tree, ...data: Arr[]) => Arr;

function version(): string {
  try {
    const entry = createRequire(import.meta.url).resolve("@jax-js/jax");
    return (JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown version";
  }
}

/** jax-js's rule (its wasm backend, `hasSharedArrayBuffer`): a worker pool only with SharedArrayBuffer and a global Worker. */
function threadCount(): number {
  const g = globalThis as { Worker?: unknown; navigator?: { hardwareConcurrency?: number } };
  if (typeof SharedArrayBuffer === "undefined" || g.Worker === undefined) return 1;
  return Math.max(1, g.navigator?.hardwareConcurrency ?? 4);
}

function refs(tree: Tree): Tree {
  const out: Tree = {};
  for (const k of Object.keys(tree)) out[k] = tree[k].ref;
  return out;
}

function unsupported(why: string): never {
  throw new Error(`jax-js: ${why}`);
}

function crossEntropy(jax: JaxModule, logits: Arr, labels: Arr): Arr {
  const batch = logits.shape[0];
  return jax.numpy.sum(labels.mul(jax.nn.logSoftmax(logits, -1))).mul(-1 / batch);
}

/** Value and gradients of `loss` w.r.t. its first argument, eager or under `jit`; the data are passed as arguments, not captured. */
function prepared(jax: JaxModule, compiled: boolean, names: readonly string[], params: Tree, data: readonly Arr[], loss: Loss): Prepared {
  const transformed = jax.valueAndGrad(loss);
  const run = (compiled ? jax.jit(transformed) : transformed) as (p: Tree, ...d: Arr[]) => [Arr, Tree];
  // Under jit, the first call (made by `result`, before timing) is the compile time. jax-js compiles
  // and runs lazily, so that call's time includes reading the value (a `ref`: the array stays usable).
  let firstMs: number | undefined;
  const call = () => {
    const args = [refs(params), ...data.map((d) => d.ref)] as const;
    if (!compiled || firstMs !== undefined) return run(...args);
    const t0 = performance.now();
    const out = run(...args);
    out[0].ref.dataSync();
    firstMs = performance.now() - t0;
    return out;
  };
  const kept = [...Object.values(params), ...data];
  return {
    ...(compiled ? { firstCallMs: () => firstMs } : {}),
    step: () => {
      const [value, grads] = call();
      let s = value.dataSync()[0];
      for (const k of names) s += grads[k].dataSync()[0];
      return s;
    },
    result: (): GradResult => {
      const [value, grads] = call();
      const arrays: Record<string, Float32Array> = {};
      for (const k of names) arrays[k] = Float32Array.from(grads[k].dataSync());
      const result = { value: value.dataSync()[0], grads: arrays };
      const leaked = kept.filter((a) => a.refCount !== 1).length;
      if (leaked > 0) throw new Error(`jax-js: ${leaked} kept inputs changed reference count during a step`);
      return result;
    },
  };
}

export function jaxJs(compiled: boolean): () => Promise<Rival | string> {
  return async () => {
    let jax: JaxModule;
    try {
      jax = await import("@jax-js/jax");
    } catch {
      return "@jax-js/jax is not installed";
    }
    const devices = await jax.init("wasm");
    if (!devices.includes("wasm")) return `jax-js init("wasm") gave devices ${devices.join(", ")}`;
    jax.defaultDevice("wasm");
    const { numpy: np, nn, lax } = jax;
    const array = (d: Float32Array, shape: number[]) => np.array(d, { shape });
    const threads = threadCount();
    return {
      threads,
      setup: `@jax-js/jax ${version()}, device "wasm" (generated SIMD kernels), ${compiled ? "jit" : "eager"}, ${threads} thread${threads === 1 ? "" : "s"} (no global Worker in Node)`,
      matmul: (a, b, n) => {
        const ta = array(a, [n, n]);
        const tb = array(b, [n, n]);
        const product = compiled ? jax.jit((x: Arr, y: Arr) => np.matmul(x, y)) : (x: Arr, y: Arr) => np.matmul(x, y);
        return () => product(ta.ref, tb.ref).dataSync()[0];
      },
      mlp: (data) => {
        const { inputs, hidden, classes, batch } = data.sizes;
        const p = data.params;
        const params = { w1: array(p.w1, [inputs, hidden]), b1: array(p.b1, [hidden]), w2: array(p.w2, [hidden, classes]), b2: array(p.b2, [classes]) };
        const loss: Loss = (q, x, labels) => crossEntropy(jax, np.matmul(nn.relu(np.matmul(x, q.w1).add(q.b1)), q.w2).add(q.b2), labels);
        return prepared(jax, compiled, MLP_PARAMS, params, [array(data.x, [batch, inputs]), array(data.labels, [batch, classes])], loss);
      },
      cnn: (data) => {
        const { batch, side, filters, kernel, classes } = data.sizes;
        const { conv, pooled, features } = cnnGeometry(data.sizes);
        if (conv !== 2 * pooled) return unsupported("the pooling reshape needs an even conv side");
        const p = data.params;
        const params = { wc: array(p.wc, [filters, 1, kernel, kernel]), bc: array(p.bc, [filters]), wd: array(p.wd, [features, classes]), bd: array(p.bd, [classes]) };
        const loss: Loss = (q, x, labels) => {
          const activations = nn.relu(lax.conv(x, q.wc, [1, 1], "VALID").add(q.bc.reshape([1, filters, 1, 1])));
          // 2×2 max pool, stride 2, as a reshape and a max over the two window axes (the conv side is even).
          const flat = activations.reshape([batch, filters, pooled, 2, pooled, 2]).max([3, 5]).reshape([batch, features]);
          return crossEntropy(jax, np.matmul(flat, q.wd).add(q.bd), labels);
        };
        return prepared(jax, compiled, CNN_PARAMS, params, [array(data.x, [batch, 1, side, side]), array(data.labels, [batch, classes])], loss);
      },
      chain: (data) => {
        const n = data.x.length;
        const loss: Loss = (q) => {
          const a = q.x.ref.slice([0, n - 1]);
          const b = q.x.slice([1, n]);
          return np.sum(np.sin(a.ref).mul(b).add(a.ref.mul(a)));
        };
        return prepared(jax, compiled, ["x"], { x: array(data.x, [n]) }, [], loss);
      },
    };
  };
}
