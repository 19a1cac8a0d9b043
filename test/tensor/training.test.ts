/**
 * A small training loop in the PyTorch style: the graph of each step is released by backward, the
 * parameters' gradients accumulate and are cleared, the update runs under noGrad, and the loss falls.
 */
import { describe, expect, it } from "vitest";
import type { Node } from "../../src/tensor/autograd/node.js";
import { add, logSoftmax, matmul, mul, noGrad, randn, relu, rng, sub, sum, tensor, type Tensor } from "../../src/tensor/index.js";

function reachableNodes(root: Tensor): Node[] {
  const out: Node[] = [];
  const seen = new Set<Node>();
  const stack = root.node === null ? [] : [root.node];
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    if (seen.has(n)) continue;
    seen.add(n);
    out.push(n);
    for (const x of n.inputs) if (x.node !== null) stack.push(x.node);
  }
  return out;
}

describe("a training loop", () => {
  it("loss falls, each step's graph is released by backward, nothing is recorded under noGrad", () => {
    const g = rng(5);
    // Two Gaussian blobs, labels one-hot.
    const n = 32;
    const xs: number[][] = [];
    const ys: number[][] = [];
    for (let i = 0; i < n; i++) {
      const c = i % 2;
      xs.push([g.normal() + (c ? 2 : -2), g.normal() + (c ? -1 : 1)]);
      ys.push([c ? 0 : 1, c ? 1 : 0]);
    }
    const x = tensor(xs);
    const y = tensor(ys);
    const w1 = mul(randn([2, 8], { rng: g }), 0.5)
      .detach()
      .requireGrad();
    const b1 = tensor(new Float32Array(8)).requireGrad();
    const w2 = mul(randn([8, 2], { rng: g }), 0.5)
      .detach()
      .requireGrad();
    const params = [w1, b1, w2];
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      const logits = matmul(relu(add(matmul(x, w1), b1)), w2);
      const loss = mul(sum(mul(y, logSoftmax(logits))), -1 / n);
      const nodes = reachableNodes(loss);
      expect(nodes.length).toBeGreaterThan(5);
      loss.backward();
      // Released: no node keeps its inputs, so the step's intermediate tensors can be collected.
      expect(nodes.every((node) => !node.live && node.inputs.length === 0)).toBe(true);
      losses.push(loss.item());
      noGrad(() => {
        for (const p of params) {
          const updated = sub(p, mul(p.grad as Tensor, 0.5));
          expect(updated.node).toBeNull();
          p.assign(updated);
          p.zeroGrad();
        }
      });
    }
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.3);
  });
});
