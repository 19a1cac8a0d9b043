/**
 * Runs in the browser (bundled by test/browser/jit.test.ts): a jitted chain with its gradient and a
 * jitted MLP training step, each against the same computation run eagerly, on whatever this page's
 * Content-Security-Policy allows. It reports numbers and the program text, not verdicts; the Node side
 * asserts.
 */
import { AdError } from "../../src/errors.js";
import { jit } from "../../src/jit/index.js";
import * as T from "../../src/tensor/index.js";
import { valueAndGrad, type Tensor } from "../../src/tensor/index.js";

export interface JitPageReport {
  readonly defaultBackend: string;
  /** Largest |jit − eager| over every output of each workload (chain value and gradient, MLP step). */
  readonly chainErr: number;
  readonly stepErr: number;
  /** The lowered programs' text: `fused[…]` marks a generated loop, `code=wasm` a wasm one. */
  readonly chainText: string;
  readonly stepText: string;
  /** The error `setBackend("wasm")` gave (code: message), or "" where it switched. */
  readonly wasmRefusal: string;
  /** What `console.warn` was called with while the page ran. */
  readonly warnings: readonly string[];
}

const warnings: string[] = [];
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  warnings.push(args.map(String).join(" "));
  warn(...args);
};

const r = T.rng(2026);
// 1024 elements: above the size from which the wasm backend compiles a fused group.
const x = T.randn([1024], { rng: r });
const y = T.randn([1024], { rng: r });
const chain = (u: Tensor, v: Tensor) => T.sum(T.add(T.mul(T.sin(u), v), T.mul(u, u)));
const chainAndGrad = valueAndGrad(chain, { argnums: [0, 1] });

type Params = { w1: Tensor; b1: Tensor; w2: Tensor };
const batch = { x: T.randn([64, 32], { rng: r }), y: T.oneHot(T.randint(0, 10, [64], { rng: r }), 10) };
const params: Params = { w1: T.randn([32, 64], { rng: r }).mul(0.1), b1: T.randn([64], { rng: r }), w2: T.randn([64, 10], { rng: r }).mul(0.1) };
const loss = (p: Params, xb: Tensor, yb: Tensor) => {
  const logits = T.matmul(T.relu(T.add(T.matmul(xb, p.w1), p.b1)), p.w2);
  return T.neg(T.mean(T.sum(T.mul(T.logSoftmax(logits, -1), yb), -1)));
};
/** One SGD step: the new parameters and the loss before it. */
const step = (p: Params, xb: Tensor, yb: Tensor) => {
  const [l, g] = valueAndGrad(loss)(p, xb, yb) as [Tensor, Params];
  return { loss: l, w1: T.sub(p.w1, T.mul(g.w1, 0.1)), b1: T.sub(p.b1, T.mul(g.b1, 0.1)), w2: T.sub(p.w2, T.mul(g.w2, 0.1)) };
};

function maxErr(a: readonly Tensor[], b: readonly Tensor[]): number {
  let err = 0;
  a.forEach((t, i) => {
    const [p, q] = [t.data(), b[i].data()];
    if (p.length !== q.length) err = Infinity;
    for (let k = 0; k < p.length; k++) err = Math.max(err, Math.abs(p[k] - q[k]));
  });
  return err;
}

const flat = (v: [Tensor, Tensor[]]): Tensor[] => [v[0], ...v[1]];
const leaves = (s: ReturnType<typeof step>): Tensor[] => [s.loss, s.w1, s.b1, s.w2];

export function run(): JitPageReport {
  const jChain = jit(chainAndGrad);
  const jStep = jit(step);
  // Twice each: the second call runs the kept program.
  let chainErr = 0;
  let stepErr = 0;
  for (let i = 0; i < 2; i++) {
    chainErr = Math.max(chainErr, maxErr(flat(jChain(x, y) as [Tensor, Tensor[]]), flat(chainAndGrad(x, y) as [Tensor, Tensor[]])));
    stepErr = Math.max(stepErr, maxErr(leaves(jStep(params, batch.x, batch.y)), leaves(step(params, batch.x, batch.y))));
  }
  const defaultBackend = T.getBackend();
  let wasmRefusal = "";
  try {
    T.setBackend("wasm");
    T.setBackend(defaultBackend);
  } catch (e) {
    wasmRefusal = e instanceof AdError ? `${e.code}: ${e.message}` : String(e);
  }
  return {
    defaultBackend,
    wasmRefusal,
    chainErr,
    stepErr,
    chainText: String(jChain.lower(x, y)),
    stepText: String(jStep.lower(params, batch.x, batch.y)),
    warnings,
  };
}

// Run as the page loads, not inside the test's `page.evaluate`: code that the debugger evaluates may
// compile strings whatever the page's policy says.
const report = run();
(globalThis as { adjointRun?: () => JitPageReport }).adjointRun = () => report;
