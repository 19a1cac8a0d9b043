/**
 * adjoint itself, on one of its backends ("wasm", the default, or "cpu", the reference), JAX style
 * (`valueAndGrad` over a tree of parameters) or PyTorch style (`requireGrad` leaves, `loss.backward()`,
 * `.grad`). The backend is one global setting, so every call selects its own first: the rows can then
 * be interleaved with each other.
 */
import {
  add,
  availableBackends,
  conv2d,
  logSoftmax,
  matmul,
  maxPool2d,
  mul,
  relu,
  reshape,
  setBackend,
  setThreads,
  sin,
  slice,
  sum,
  tensor,
  valueAndGrad,
  type BackendName,
  type Tensor,
} from "../../src/tensor/index.js";
import { jit } from "../../src/jit/index.js";
import { adam, applyUpdates, type AdamState } from "../../src/optim/index.js";
import {
  CNN_PARAMS,
  MLP_PARAMS,
  cnnGeometry,
  type CnnData,
  type CnnParam,
  type GradResult,
  type MlpData,
  type MlpParam,
  type Prepared,
  type Rival,
  timingFirstCall,
} from "./rival.js";

type Tree<K extends string> = Readonly<Record<K, Tensor>>;

/** Mean cross-entropy of log-softmax(logits) against one-hot labels. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return mul(sum(mul(labels, logSoftmax(logits))), -1 / logits.shape[0]);
}

/** The MLP's loss: relu(x·w1 + b1)·w2 + b2, then cross-entropy. */
export function mlpLoss(x: Tensor, labels: Tensor, p: Tree<MlpParam>): Tensor {
  return crossEntropy(add(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), p.b2), labels);
}

/** The CNN's loss (bench/rivals/rival.ts, `CnnSizes`). */
export function cnnLoss(x: Tensor, labels: Tensor, p: Tree<CnnParam>): Tensor {
  const batch = x.shape[0];
  const filters = p.wc.shape[0];
  const features = relu(add(conv2d(x, p.wc, { stride: 1, padding: 0 }), reshape(p.bc, [1, filters, 1, 1])));
  const pooled = maxPool2d(features, { kernel: 2 });
  return crossEntropy(add(matmul(reshape(pooled, [batch, pooled.size / batch]), p.wd), p.bd), labels);
}

/** f(x) = sum(sin(a)·b + a·a), a = x[0 .. n−2], b = x[1 .. n−1] (bench/rivals/rival.ts, `ChainData`). */
export function chainValue(x: Tensor): Tensor {
  const n = x.shape[0];
  const a = slice(x, [[0, n - 1]]);
  const b = slice(x, [[1, n]]);
  return sum(add(mul(sin(a), b), mul(a, a)));
}

export function mlpParams(data: MlpData): Tree<MlpParam> {
  const { inputs, hidden, classes } = data.sizes;
  const { w1, b1, w2, b2 } = data.params;
  return { w1: tensor(w1, { shape: [inputs, hidden] }), b1: tensor(b1), w2: tensor(w2, { shape: [hidden, classes] }), b2: tensor(b2) };
}

function cnnParams(data: CnnData): Tree<CnnParam> {
  const { filters, kernel, classes } = data.sizes;
  const { wc, bc, wd, bd } = data.params;
  return {
    wc: tensor(wc, { shape: [filters, 1, kernel, kernel] }),
    bc: tensor(bc),
    wd: tensor(wd, { shape: [cnnGeometry(data.sizes).features, classes] }),
    bd: tensor(bd),
  };
}

function arraysOf<K extends string>(names: readonly K[], ts: Readonly<Record<K, Tensor | null>>): Record<K, Float32Array> {
  const out = {} as Record<K, Float32Array>;
  for (const k of names) {
    const t = ts[k];
    if (t === null) throw new Error(`adjoint: no gradient for ${k}`);
    out[k] = Float32Array.from(t.data());
  }
  return out;
}

/** JAX style: `valueAndGrad` of `loss` over the tree `params`; the step reads the loss and one element of each gradient. */
function jaxStyle<K extends string>(on: <R>(fn: () => R) => R, names: readonly K[], params: Tree<K>, loss: (p: Tree<K>) => Tensor, compiled = false): Prepared {
  // jit: the value-and-gradient program traced once, optimised and fused, then evaluated each step.
  // Its first call (made by `result`, before timing) is the compile time.
  const { call: valueAndGrads, firstCallMs } = timingFirstCall(compiled ? jit(valueAndGrad(loss)) : valueAndGrad(loss));
  const run = () => on(() => valueAndGrads(params) as [Tensor, Tree<K>]);
  return {
    ...(compiled ? { firstCallMs } : {}),
    step: () => {
      const [value, grads] = run();
      let s = value.item();
      for (const k of names) s += grads[k].data()[0];
      return s;
    },
    result: () => {
      const [value, grads] = run();
      return { value: value.item(), grads: arraysOf(names, grads) };
    },
  };
}

/** PyTorch style on the MLP: gradients accumulate into `.grad` of `requireGrad` leaves. */
function torchStyleMlp(on: <R>(fn: () => R) => R, data: MlpData): Prepared {
  const x = tensor(data.x, { shape: [data.sizes.batch, data.sizes.inputs] });
  const labels = tensor(data.labels, { shape: [data.sizes.batch, data.sizes.classes] });
  const params = mlpParams(data);
  for (const k of MLP_PARAMS) params[k].requireGrad();
  const run = () =>
    on(() => {
      for (const k of MLP_PARAMS) params[k].zeroGrad();
      const loss = mlpLoss(x, labels, params);
      loss.backward();
      return loss.item();
    });
  const grad = (k: MlpParam) => params[k].grad as Tensor;
  return {
    step: () => MLP_PARAMS.reduce((s, k) => s + grad(k).data()[0], run()),
    result: (): GradResult => {
      const value = run();
      return { value, grads: arraysOf(MLP_PARAMS, { w1: grad("w1"), b1: grad("b1"), w2: grad("w2"), b2: grad("b2") }) };
    },
  };
}

/**
 * The whole training step under jit: value, gradients and the functional Adam update, the parameters
 * and optimiser state donated and replaced by the returned ones each step. The timed step returns
 * [loss, params, state]; the checked result is the same step also returning the gradients.
 */
function jittedStep(on: <R>(fn: () => R) => R, data: MlpData, loss: (p: Tree<MlpParam>) => Tensor): Prepared {
  const opt = adam({ lr: 1e-4 });
  const step = (p: Tree<MlpParam>, state: AdamState) => {
    const [value, grads] = valueAndGrad(loss)(p) as [Tensor, Tree<MlpParam>];
    const { updates, state: next } = opt.update(grads, state, p);
    return { value, grads, params: applyUpdates(p, updates), state: next };
  };
  // Its first call (the first warm-up step) is the compile time.
  const { call: timed, firstCallMs } = timingFirstCall(
    jit(
      (p: Tree<MlpParam>, state: AdamState) => {
        const { value, params, state: next } = step(p, state);
        return [value, params, next] as const;
      },
      { donate: [0, 1] },
    ),
  );
  const checked = jit(step);
  let params = mlpParams(data);
  let state = opt.init(params);
  return {
    firstCallMs,
    step: () =>
      on(() => {
        const [value, next, nextState] = timed(params, state);
        [params, state] = [next, nextState];
        return value.item() + params.w1.at(0, 0);
      }),
    result: () =>
      on(() => {
        const start = mlpParams(data);
        const { value, grads } = checked(start, opt.init(start));
        return { value: value.item(), grads: arraysOf(MLP_PARAMS, grads) };
      }),
  };
}

export function adjoint(backend: BackendName, style: "valueAndGrad" | "backward" | "jit" | "jitStep", threads = 1): () => Promise<Rival | string> {
  return async () => {
    if (!availableBackends().includes(backend)) return `this engine has no ${backend} backend`;
    // Backend and thread count are global settings: every call selects its own, so rows interleave.
    // (Workers, once started, sleep while a one-thread row runs.)
    const on = <R>(fn: () => R): R => {
      setBackend(backend);
      setThreads(threads);
      return fn();
    };
    const kernels =
      backend === "wasm"
        ? "generated WebAssembly SIMD kernels: matmul (relaxed-SIMD FMA where the engine has it), conv2d as im2col + that matmul, the common elementwise ops and reductions on contiguous float data; the rest on the JS reference loops"
        : "typed-array JS loops (the reference)";
    const threadNote = threads === 1 ? "one thread" : `${threads} threads (products and packing split among worker_threads)`;
    const info = { threads, setup: `backend "${backend}": ${kernels}; ${threadNote}` };
    if (style === "backward") {
      // The same primitives as the valueAndGrad row, called PyTorch style: timed on the MLP only.
      return {
        threads,
        setup: `the same backend, PyTorch call style (requireGrad, loss.backward(), .grad); ${threadNote}; MLP only`,
        variant: true,
        mlp: (data) => torchStyleMlp(on, data),
      };
    }
    if (style === "jitStep") {
      return {
        threads,
        setup: `the same backend, the whole training step under jit: valueAndGrad + functional Adam update, params and state donated (zero bytes allocated per step but the loss); ${threadNote}; MLP only`,
        variant: true,
        mlp: (data) => {
          const x = tensor(data.x, { shape: [data.sizes.batch, data.sizes.inputs] });
          const labels = tensor(data.labels, { shape: [data.sizes.batch, data.sizes.classes] });
          return jittedStep(on, data, (p) => mlpLoss(x, labels, p));
        },
      };
    }
    if (style === "jit") {
      // The JAX-style row under jit: the MLP step and the chain (value and gradient), on the same backend.
      const compiled = {
        threads,
        setup: `the same backend under jit(valueAndGrad(loss)): DCE, CSE, elementwise chains fused into generated wasm SIMD functions (JS loops for groups with an op that has no wasm form); ${threadNote}`,
        variant: true,
      };
      return {
        ...compiled,
        mlp: (data) => {
          const x = tensor(data.x, { shape: [data.sizes.batch, data.sizes.inputs] });
          const labels = tensor(data.labels, { shape: [data.sizes.batch, data.sizes.classes] });
          return jaxStyle(on, MLP_PARAMS, mlpParams(data), (p) => mlpLoss(x, labels, p), true);
        },
        cnn: (data) => {
          const { batch, side, classes } = data.sizes;
          const x = tensor(data.x, { shape: [batch, 1, side, side] });
          const labels = tensor(data.labels, { shape: [batch, classes] });
          return jaxStyle(on, CNN_PARAMS, cnnParams(data), (p) => cnnLoss(x, labels, p), true);
        },
        chain: (data) => jaxStyle(on, ["x"], { x: tensor(data.x) }, (p) => chainValue(p.x), true),
      };
    }
    return {
      ...info,
      matmul: (a, b, n) => {
        const ta = tensor(a, { shape: [n, n] });
        const tb = tensor(b, { shape: [n, n] });
        return () => on(() => matmul(ta, tb).at(0, 0));
      },
      mlp: (data) => {
        const x = tensor(data.x, { shape: [data.sizes.batch, data.sizes.inputs] });
        const labels = tensor(data.labels, { shape: [data.sizes.batch, data.sizes.classes] });
        return jaxStyle(on, MLP_PARAMS, mlpParams(data), (p) => mlpLoss(x, labels, p));
      },
      cnn: (data) => {
        const { batch, side, classes } = data.sizes;
        const x = tensor(data.x, { shape: [batch, 1, side, side] });
        const labels = tensor(data.labels, { shape: [batch, classes] });
        return jaxStyle(on, CNN_PARAMS, cnnParams(data), (p) => cnnLoss(x, labels, p));
      },
      chain: (data) => jaxStyle(on, ["x"], { x: tensor(data.x) }, (p) => chainValue(p.x)),
    };
  };
}
