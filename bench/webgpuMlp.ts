/**
 * The small model bench/webgpuSoak.ts and test/webgpu/memory.checks.ts both train on the "webgpu"
 * device: a 16-32-4 MLP on a batch of 8, softmax cross-entropy against one-hot labels, SGD; forward,
 * backward and update on the GPU, the loss read each step.
 */
import { SGD } from "../src/optim/index.js";
import * as ops from "../src/tensor/index.js";
import type { Tensor } from "../src/tensor/index.js";

/** The model's parameters and `step`: one training step, returning the loss the user reads. */
export function webgpuMlp(): { params: Tensor[]; step: () => Promise<number> } {
  const device = "webgpu";
  const g = ops.rng(15);
  const params: Tensor[] = [
    ops.randn([16, 32], { device, rng: g, requiresGrad: true }),
    ops.zeros([32], { device, requiresGrad: true }),
    ops.randn([32, 4], { device, rng: g, requiresGrad: true }),
    ops.zeros([4], { device, requiresGrad: true }),
  ];
  const [w1, b1, w2, b2] = params;
  const x = ops.randn([8, 16], { device, rng: g });
  const labels = ops.tensor(
    Float32Array.from({ length: 32 }, (_, i) => (i % 4 === Math.floor(i / 4) % 4 ? 1 : 0)),
    { shape: [8, 4], device },
  );
  const opt = new SGD(params, { lr: 0.05 });
  async function step(): Promise<number> {
    const hidden = ops.relu(ops.add(ops.matmul(x, w1), b1));
    const logits = ops.add(ops.matmul(hidden, w2), b2);
    const loss = ops.neg(ops.mean(ops.sum(ops.mul(ops.logSoftmax(logits, -1), labels), -1)));
    opt.zeroGrad();
    loss.backward();
    opt.step();
    return (await loss.read())[0];
  }
  return { params, step };
}
