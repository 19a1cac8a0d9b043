/**
 * Run in a child process by gpt.test.ts: one training step of a tiny GPT (the demo's model, demo/gptModel.ts:
 * embeddings, a causal pre-norm transformer block, cross-entropy on int32 labels, AdamW) on the GPU
 * equals the same step on the cpu: the loss, every parameter's gradient and every updated parameter.
 * Labels on the GPU cannot be read synchronously, so a bad one is reported by gather's deferred check
 * at the next read, not by crossEntropy's host check. Prints one JSON line: { checked, failures, errors }.
 */
import { Gpt } from "../../demo/gptModel.js";
import { crossEntropy, type ParameterTree } from "../../src/nn/index.js";
import { adamw, applyUpdates } from "../../src/optim/index.js";
import { AdError } from "../../src/errors.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { finish, startGPU, toleranceDifference } from "./setup.js";

const { handle, errors } = await startGPU();
const failures: string[] = [];
let checked = 0;

const [vocab, batch, context] = [11, 2, 6];
const model = new Gpt({ vocab, layers: 1, heads: 2, width: 8, context }, ops.rng(3));
const g = ops.rng(5);
const x = ops.randint(0, vocab, [batch, context], { rng: g });
const y = ops.randint(0, vocab, [batch, context], { rng: g });
// eps well above rounding: the key bias's gradient is 0 up to rounding (softmax ignores a shift of
// the scores), and Adam's first step, g / (|g| + eps), would otherwise give that noise's sign the full lr.
const opt = adamw({ lr: 0.01, eps: 1e-3 });

function mapTree(tree: ParameterTree, f: (t: Tensor) => Tensor): ParameterTree {
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v instanceof ops.Tensor ? f(v) : mapTree(v, f)]));
}
function leavesOf(tree: ParameterTree, prefix = ""): [string, Tensor][] {
  return Object.entries(tree).flatMap(([k, v]) => (v instanceof ops.Tensor ? [[prefix + k, v] as [string, Tensor]] : leavesOf(v, `${prefix}${k}.`)));
}

/** The demo's step (demo/gpt.ts) on `device`: the loss, the gradients and the updated parameters. */
function step(device: string, labels: Tensor): { loss: Tensor; grads: ParameterTree; params: ParameterTree } {
  const params = ops.noGrad(() => mapTree(model.parameterTree(), (t) => ops.mul(t, 1).to(device)));
  const [xs, ys] = [x.to(device), labels.to(device)];
  const lossOf = (p: ParameterTree) => crossEntropy(ops.reshape(model.call(p, xs), [batch * context, vocab]), ops.reshape(ys, [batch * context]));
  const [loss, grads] = ops.valueAndGrad(lossOf)(params) as [Tensor, ParameterTree];
  const { updates } = opt.update(grads, opt.init(params), params);
  return { loss, grads, params: applyUpdates(params, updates) };
}

async function close(what: string, got: Tensor, want: Tensor, tol: number): Promise<void> {
  checked++;
  if (got.device.name !== "webgpu") return void failures.push(`${what}: on ${got.device.name}, want webgpu`);
  const problem = toleranceDifference(await got.read(), await want.read(), tol);
  if (problem !== undefined) failures.push(`${what}: ${problem}`);
}

try {
  const cpu = step("cpu", y);
  const gpu = step("webgpu", y);
  await close("loss", gpu.loss, cpu.loss, 1e-5);
  const wantGrads = new Map(leavesOf(cpu.grads));
  for (const [name, grad] of leavesOf(gpu.grads)) await close(`gradient of ${name}`, grad, wantGrads.get(name)!, 1e-4);
  const wantParams = new Map(leavesOf(cpu.params));
  for (const [name, p] of leavesOf(gpu.params)) await close(`updated ${name}`, p, wantParams.get(name)!, 1e-5);
} catch (error) {
  failures.push(`the step threw ${String(error)}`);
}

// A label out of range: no host check on the GPU; gather's check raises it at the next read.
checked++;
try {
  const bad = ops.tensor(
    Int32Array.from({ length: batch * context }, (_, i) => (i === 3 ? vocab : 0)),
    { dtype: "int32", shape: [batch, context] },
  );
  await step("webgpu", bad).loss.read();
  failures.push("a label equal to the vocabulary size was not reported");
} catch (error) {
  if (!(error instanceof AdError) || error.code !== "InvalidArgument") failures.push(`a bad label threw ${String(error)}, want InvalidArgument`);
}

await finish(handle, { checked, failures, errors });
