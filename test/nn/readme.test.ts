/**
 * README § "Training: nn and optim", run as written (imports from the package's subpaths, resolved
 * here from src), with the values its comments claim. If the example changes, change it here too.
 */
import { describe, expect, it } from "vitest";
import { BatchNorm1d, crossEntropy, DataLoader, Linear, loadSafetensors, ReLU, saveSafetensors, Sequential, type ParameterTree } from "../../src/nn/index.js";
import { Adam, clipGradNorm, SGD, warmupCosine } from "../../src/optim/index.js";
import { noGrad, randn, rng, tensor, valueAndGrad } from "../../src/tensor/index.js";

describe("README: training", () => {
  it("PyTorch style, JAX style, batches, safetensors", () => {
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = [0, 1, 1, 0];
    const makeModel = (seed: number) => new Sequential(new Linear(2, 16, { rng: rng(seed) }), new ReLU(), new Linear(16, 2, { rng: rng(seed + 1) }));
    const model = makeModel(1);

    const opt = new Adam(model.parameters(), { lr: warmupCosine(0.05, { warmupSteps: 10, totalSteps: 200 }) });
    const losses: number[] = [];
    for (let step = 0; step < 200; step++) {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      clipGradNorm(model.parameters(), 1);
      opt.step();
      losses.push(loss.item());
    }
    expect(model.eval().forward(x).argmax(-1).toArray()).toEqual([0, 1, 1, 0]);
    expect(losses[0]).toBeCloseTo(0.74, 2);
    expect(losses[199]).toBeLessThan(0.002);

    const params = model.parameterTree();
    expect(Object.keys(params)).toEqual(["0", "2"]);
    const sgd = new SGD(params, { lr: 0.1, momentum: 0.9 });
    const step = valueAndGrad((p: ParameterTree) => crossEntropy(model.call(p, x), y));
    let last = Infinity;
    for (let i = 0; i < 50; i++) {
      const [loss, g] = step(params);
      sgd.update(g);
      last = loss.item();
    }
    expect(last).toBeLessThan(losses[199]);

    const xs = randn([100, 2], { rng: rng(3) });
    const ys = tensor(Array.from({ length: 100 }, (_, i) => i % 2), { dtype: "int32" });
    let batchCount = 0;
    for (const [xb, yb] of new DataLoader([xs, ys], { batchSize: 32, shuffle: true, seed: 0 })) {
      expect(xb.shape[0]).toBe(yb.shape[0]);
      batchCount++;
    }
    expect(batchCount).toBe(4);

    const bytes = saveSafetensors(model.stateDict(), { epoch: "1" });
    const copy = makeModel(7);
    copy.loadStateDict(loadSafetensors(bytes));
    expect(noGrad(() => copy.forward(x)).toArray()).toEqual(noGrad(() => model.forward(x)).toArray());

    const net = new Sequential(new Linear(4, 8, { rng: rng(0) }), new BatchNorm1d(8));
    expect(Object.keys(net.stateDict())).toEqual(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"]);
  });
});
