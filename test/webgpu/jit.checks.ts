/**
 * Run in a child process by jit.test.ts: `jit` on the "webgpu" device fuses elementwise groups into
 * generated WGSL (`code=wgsl` in `lower()`'s text) and equals eager on the GPU: chains of unary and
 * binary ops with broadcasting and a comparison feeding `where`, a whole-array sum with its chain, a
 * sum over one axis (the chain fused, the reduction kernel after it), a slice's gradient read through
 * a window, the elementwise chain f and its gradient, and an MLP's value and gradients. A jitted
 * training step keeps one submit and one map (the loss read) per step. Generated chains (fast-check,
 * FC_SEED honoured) of unary and binary ops over broadcast inputs, ending in a comparison's `where`
 * or a sum over all or some axes, give eager's bits. Prints one JSON line:
 * { texts, bitEqual, steps, eagerDispatches, generated, failures, errors }.
 */
import fc from "fast-check";
import { jit } from "../../src/jit/index.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { finish, startGPU, toleranceDifference } from "./setup.js";

const { handle, gpu, errors } = await startGPU();
const failures: string[] = [];
const texts: Record<string, string> = {};
/** Per case, whether jit gave eager's bits on the GPU (reported, not required: see fusedShader.ts). */
const bitEqual: Record<string, boolean> = {};
const device = "webgpu";
const g = ops.rng(16);

const leaves = (out: unknown): Tensor[] =>
  ops.isTensor(out) ? [out] : Array.isArray(out) ? out.flatMap(leaves) : typeof out === "object" && out !== null ? Object.values(out).flatMap(leaves) : [];

/**
 * Runs f eagerly and jitted on the GPU inputs; compares them, and the jitted result with the cpu's
 * eager one (within the GPU's sin/cos error, 2⁻¹¹: tolerance.ts).
 */
async function check(name: string, f: (...xs: Tensor[]) => unknown, inputs: Tensor[], tol = 1e-5, cpuTol = 2e-3): Promise<void> {
  const onGPU = inputs.map((x) => x.to(device));
  const jitted = jit(f);
  texts[name] = String(jitted.lower(...onGPU));
  const got = leaves(jitted(...onGPU));
  const eager = leaves(f(...onGPU));
  const cpu = leaves(f(...inputs));
  bitEqual[name] = true;
  for (let k = 0; k < cpu.length; k++) {
    if (got[k].device.name !== device) failures.push(`${name}[${k}]: ran on ${got[k].device.name}`);
    const [a, b, c] = [await got[k].read(), await eager[k].read(), await cpu[k].read()];
    if (!a.every((v, i) => Object.is(v, b[i]))) bitEqual[name] = false;
    const vsEager = toleranceDifference(a, b, tol);
    const vsCpu = toleranceDifference(a, c, cpuTol);
    if (vsEager !== undefined) failures.push(`${name}[${k}] jit vs eager on the GPU: ${vsEager}`);
    if (vsCpu !== undefined) failures.push(`${name}[${k}] jit on the GPU vs the cpu: ${vsCpu}`);
  }
}

const x = ops.randn([5, 7], { rng: g });
const row = ops.randn([7], { rng: g });
const column = ops.randn([5, 1], { rng: g });

// Unary and binary ops, broadcasting a row and a column, a comparison's bool feeding where.
await check("chain", (a, r, c) => ops.tanh(ops.add(ops.mul(ops.sin(a), r), ops.exp(ops.neg(ops.abs(c))))), [x, row, column]);
await check("where", (a, r) => ops.where(ops.gt(a, r), ops.sqrt(ops.abs(a)), ops.mul(a, 0.1)), [x, row]);
await check("sum", (a, r) => ops.sum(ops.mul(ops.sigmoid(a), ops.add(r, 1))), [x, row]);
await check("rowSums", (a, r) => ops.sum(ops.mul(ops.cos(a), r), -1), [x, row]);
// A bias gradient's sum over the batch, keeping the axis; a sum over the two outer axes of a 3-D loop.
await check("columnSums", (a, c) => ops.sum(ops.mul(ops.relu(a), c), 0, true), [x, column]);
const cube = ops.randn([3, 4, 5], { rng: g });
await check("outerSums", (a) => ops.sum(ops.mul(ops.sin(a), a), [0, 1]), [cube]);

// int32 and bool inside a group: a float truncated to int32, a comparison's bool added to it, back to float32.
const toInts = (a: Tensor) => ops.mul(ops.cast(ops.add(ops.cast(ops.mul(a, 10), "int32"), ops.cast(ops.gt(a, 0), "int32")), "float32"), 0.5);
await check("ints", toInts, [x]);
// No elements: the group stores nothing, its sum is 0.
const empty = ops.randn([0, 3], { rng: g });
await check("empty", (a) => ops.tanh(ops.add(ops.exp(a), 1)), [empty]);
await check("emptySum", (a) => ops.sum(ops.mul(ops.exp(a), 2)), [empty]);

// float16 ops are not fused (their kernels widen and narrow): the program runs them one by one.
await check("halves", (a) => ops.add(ops.mul(a, a), 1), [ops.cast(x, "float16")], 0, 2e-3);

// The gradient of a slice is an unslice, read by the add after it through a window.
const sliced = (a: Tensor) =>
  ops.sum(
    ops.mul(
      ops.sin(
        ops.slice(a, [
          [1, 4],
          [0, 5],
        ]),
      ),
      ops.slice(a, [
        [0, 3],
        [2, 7],
      ]),
    ),
  );
await check("sliceGrad", ops.grad(sliced) as (a: Tensor) => Tensor, [x]);

// The elementwise chain of the benchmarks and its gradient.
const chainF = (a: Tensor) => ops.sum(ops.add(ops.mul(ops.sin(a), ops.cos(a)), ops.mul(ops.tanh(a), a)));
const v = ops.randn([300], { rng: g });
await check("chainF", chainF, [v]);
await check("chainGrad", ops.valueAndGrad(chainF) as (a: Tensor) => unknown, [v]);

// An MLP's value and gradients.
const w1 = ops.mul(ops.randn([6, 8], { rng: g }), 0.4);
const b1 = ops.mul(ops.randn([8], { rng: g }), 0.1);
const w2 = ops.mul(ops.randn([8, 3], { rng: g }), 0.4);
const b2 = ops.zeros([3]);
const data = ops.randn([4, 6], { rng: g });
const labels = ops.tensor(
  Float32Array.from({ length: 12 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)),
  { shape: [4, 3] },
);
const mlpLoss = (p: Tensor[], xs: Tensor, ys: Tensor) => {
  const hidden = ops.relu(ops.add(ops.matmul(xs, p[0]), p[1]));
  const logits = ops.add(ops.matmul(hidden, p[2]), p[3]);
  return ops.neg(ops.mean(ops.sum(ops.mul(ops.logSoftmax(logits, -1), ys), -1)));
};
await check("mlp", (...a: Tensor[]) => ops.valueAndGrad(mlpLoss)(a.slice(0, 4), a[4], a[5]), [w1, b1, w2, b2, data, labels]);

// A jitted SGD step on the GPU: each step is one submit and one map, the loss read; it dispatches
// fewer kernels than the eager step.
const sgd = (p: Tensor[], xs: Tensor, ys: Tensor) => {
  const [loss, grads] = ops.valueAndGrad(mlpLoss)(p, xs, ys) as [Tensor, Tensor[]];
  return [loss, p.map((w, i) => ops.sub(w, ops.mul(grads[i], 0.1)))] as const;
};
const step = jit(sgd);
let params: Tensor[] = [w1, b1, w2, b2].map((t) => t.to(device));
const [xs, ys] = [data.to(device), labels.to(device)];
texts.step = String(step.lower(params, xs, ys));
const steps: { submits: number; maps: number; dispatches: number; loss: number }[] = [];
for (let i = 0; i < 4; i++) {
  const before = gpu.counters;
  const [loss, next] = step(params, xs, ys);
  params = [...next];
  const value = (await loss.read())[0];
  const after = gpu.counters;
  steps.push({ submits: after.submits - before.submits, maps: after.maps - before.maps, dispatches: after.dispatches - before.dispatches, loss: value });
}
const before = gpu.counters;
await sgd(params, xs, ys)[0].read();
const eagerDispatches = gpu.counters.dispatches - before.dispatches;

// Generated chains: each step applies a unary op, or a binary op with one of the inputs (either
// side), to the chain's value; the chain ends as it is, in a comparison's where, or in a sum (of
// everything, of each row, of each column).
const UNARY: Record<string, (x: Tensor) => Tensor> = {
  neg: ops.neg,
  abs: ops.abs,
  sin: ops.sin,
  cos: ops.cos,
  exp: ops.exp,
  tanh: ops.tanh,
  sigmoid: ops.sigmoid,
  sqrt: ops.sqrt,
  log: ops.log,
  relu: ops.relu,
  floor: ops.floor,
  round: ops.round,
  erf: ops.erf,
  softplus: ops.softplus,
  expm1: ops.expm1,
};
const BINARY: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  add: ops.add,
  sub: ops.sub,
  mul: ops.mul,
  div: ops.div,
  maximum: ops.maximum,
  minimum: ops.minimum,
  pow: ops.pow,
  atan2: ops.atan2,
  hypot: ops.hypot,
};
const unaryNames = Object.keys(UNARY);
const binaryNames = Object.keys(BINARY);
const stepArb = fc.record({ unary: fc.boolean(), op: fc.nat(), other: fc.nat(3), swap: fc.boolean() });
const generatedInputs = [ops.randn([3, 4], { rng: g }), ops.randn([4], { rng: g }), ops.randn([3, 1], { rng: g }), ops.tensor(0.75)];
const onGPU = generatedInputs.map((t) => t.to(device));
const seed = process.env.FC_SEED;
let generated = 0;
await fc
  .assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 2, maxLength: 6 }), fc.constantFrom("plain", "where", "sum", "rowSums", "columnSums"), async (steps, end) => {
      const f = (...xs: Tensor[]) => {
        let v = xs[0];
        for (const s of steps) {
          if (s.unary) v = UNARY[unaryNames[s.op % unaryNames.length]](v);
          else v = BINARY[binaryNames[s.op % binaryNames.length]](s.swap ? xs[s.other] : v, s.swap ? v : xs[s.other]);
        }
        if (end === "where") return ops.where(ops.gt(v, xs[1]), v, xs[2]);
        return end === "sum" ? ops.sum(v) : end === "rowSums" ? ops.sum(v, -1) : end === "columnSums" ? ops.sum(v, 0, true) : v;
      };
      const chain = `${steps.map((s) => (s.unary ? unaryNames[s.op % unaryNames.length] : `${binaryNames[s.op % binaryNames.length]}(${s.swap ? `x${s.other}, v` : `v, x${s.other}`})`)).join(" → ")} → ${end}`;
      const jitted = jit(f);
      const text = String(jitted.lower(...onGPU));
      const [a, b] = [await jitted(...onGPU).read(), await f(...onGPU).read()];
      generated++;
      if (!text.includes("code=wgsl")) failures.push(`generated ${chain}: not fused into WGSL`);
      const difference = a.findIndex((value, i) => !Object.is(value, b[i]));
      if (difference >= 0) failures.push(`generated ${chain}: element ${difference} is ${a[difference]}, eager ${b[difference]}`);
      return difference < 0;
    }),
    { numRuns: 24, ...(seed !== undefined && seed !== "" ? { seed: Number(seed) } : {}) },
  )
  .catch((error: unknown) => failures.push(`generated chains: ${String(error).split("\n")[0]}`));

await finish(handle, { texts, bitEqual, steps, eagerDispatches, generated, failures, errors });
