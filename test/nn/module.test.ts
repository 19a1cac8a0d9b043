/** Module: the parameter tree, modes, zeroGrad, the functional call and state dicts. */
import { describe, expect, it } from "vitest";
import { BatchNorm1d, Dropout, Linear, Module, ReLU, Sequential } from "../../src/nn/index.js";
import { grad } from "../../src/tensor/autograd/transforms.js";
import { randn, tensor, zeros } from "../../src/tensor/creation.js";
import { mul } from "../../src/tensor/primitives/arithmetic.js";
import { sum } from "../../src/tensor/primitives/reduce.js";
import { relu, tanh } from "../../src/tensor/primitives/unary.js";
import { rng } from "../../src/tensor/rng.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { thrown } from "../support/errorCode.js";

class Block extends Module {
  readonly fc: Linear;
  readonly scale: Tensor;
  constructor(seed: number) {
    super();
    this.fc = this.child("fc", new Linear(3, 2, { rng: rng(seed), dtype: "float64" }));
    this.scale = this.parameter("scale", tensor([2], { dtype: "float64" }));
  }
  forward(x: Tensor): Tensor {
    return mul(relu(this.fc.forward(x)), this.scale);
  }
}

class Net extends Module {
  readonly a = this.child("a", new Block(1));
  readonly b = this.child("layers", new Sequential(new Linear(2, 4, { rng: rng(2), dtype: "float64" }), new ReLU(), new Linear(4, 1, { rng: rng(3), dtype: "float64" })));
  readonly count = this.buffer("count", zeros([1], { dtype: "float64" }));
  forward(x: Tensor): Tensor {
    return this.b.forward(this.a.forward(x));
  }
}

describe("Module", () => {
  it("names parameters by path, own ones first, in registration order", () => {
    const net = new Net();
    expect([...net.namedParameters()].map(([n, t]) => [n, t.shape])).toEqual([
      ["a.scale", [1]],
      ["a.fc.weight", [2, 3]],
      ["a.fc.bias", [2]],
      ["layers.0.weight", [4, 2]],
      ["layers.0.bias", [4]],
      ["layers.2.weight", [1, 4]],
      ["layers.2.bias", [1]],
    ]);
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect([...net.children()]).toEqual([net.a, net.b]);
    expect([...net.namedBuffers()].map(([n]) => n)).toEqual(["count"]);
    expect(Object.keys(net.stateDict())).toEqual([...[...net.namedParameters()].map(([n]) => n), "count"]);
  });

  it("train()/eval() reach every descendant", () => {
    const net = new Net();
    net.eval();
    expect([...net.namedModules()].every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect([...net.namedModules()].every(([, m]) => m.training)).toBe(true);
  });

  it("PyTorch style and JAX style give the same gradients", () => {
    const net = new Net();
    const x = randn([5, 3], { rng: rng(4), dtype: "float64" });
    sum(net.forward(x)).backward();
    const torchGrads = net.parameters().map((p) => Array.from(p.grad!.data()));
    const g = grad((p: ReturnType<Net["parameterTree"]>) => sum(net.call(p, x)))(net.parameterTree()) as Record<string, unknown>;
    const leaves = [...net.namedParameters()].map(([name]) => name.split(".").reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], g) as Tensor);
    leaves.forEach((t, i) => expect(Array.from(t.data())).toEqual(torchGrads[i]));
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it("call() substitutes parameters for the call only, and restores them after a throw", () => {
    const lin = new Linear(2, 1, { rng: rng(0), dtype: "float64" });
    const x = tensor([[1, 2]], { dtype: "float64" });
    const p = { weight: tensor([[10, 100]], { dtype: "float64" }), bias: tensor([1], { dtype: "float64" }) };
    expect(lin.call(p, x).toArray()).toEqual([[211]]);
    const own = lin.forward(x).item();
    expect(own).not.toBe(211);
    expect(thrown(() => lin.call(p, tensor([[1, 2, 3]], { dtype: "float64" }))).code).toBe("ShapeMismatch");
    expect(lin.forward(x).item()).toBe(own);
    expect(thrown(() => lin.call({ weight: p.weight }, x)).code).toBe("InvalidArgument");
    expect(thrown(() => lin.call({ ...p, extra: p.bias }, x)).code).toBe("InvalidArgument");
    expect(thrown(() => lin.call({ weight: tensor([[1]], { dtype: "float64" }), bias: p.bias }, x)).code).toBe("ShapeMismatch");
  });

  it("call() in training mode still updates BatchNorm's running stats (buffers are not substituted)", () => {
    const bn = new BatchNorm1d(2);
    const x = tensor([
      [1, 2],
      [3, 6],
    ]);
    const g = grad((p: ReturnType<BatchNorm1d["parameterTree"]>) =>
      sum(
        mul(
          bn.call(p, x),
          tensor([
            [1, 2],
            [3, 4],
          ]),
        ),
      ),
    )(bn.parameterTree()) as Record<string, Tensor>;
    expect(Object.keys(g)).toEqual(["weight", "bias"]);
    expect(Array.from(bn.running_mean.data())).toEqual([0.2, 0.4].map(Math.fround));
  });

  it("second derivatives through a module: grad of grad over call()", () => {
    const lin = new Linear(2, 1, { rng: rng(0), dtype: "float64" });
    const x = tensor([[0.5, -1]], { dtype: "float64" });
    // f(W) = tanh(W·x + b); ∂²f/∂W_j² summed over j is tanh''(z)·Σ xⱼ², with tanh'' = −2 tanh (1 − tanh²)
    const f = (w: Tensor) => sum(tanh(lin.call({ weight: w, bias: lin.bias!.detach() }, x)));
    const second = grad((w: Tensor) => sum(mul(grad(f)(w) as Tensor, tensor([[1, 1]], { dtype: "float64" }))))(lin.weight.detach()) as Tensor;
    const z = Math.tanh(0.5 * lin.weight.at(0, 0) - lin.weight.at(0, 1) + lin.bias!.at(0));
    const tpp = -2 * z * (1 - z * z);
    // Row of the Hessian applied to [1, 1]: tanh''·xᵢ·(x₀ + x₁)
    const expected = [0.5, -1].map((xi) => tpp * xi * (0.5 - 1));
    Array.from(second.data()).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-12));
  });

  it("parameterTree() shares storage: an in-place update of the tree updates the module", () => {
    const lin = new Linear(2, 1, { rng: rng(0) });
    const tree = lin.parameterTree() as { weight: Tensor };
    expect(tree.weight.requiresGrad).toBe(false);
    tree.weight.assign(tensor([[3, 4]]));
    expect(lin.weight.toArray()).toEqual([[3, 4]]);
  });

  it("loadStateDict copies in place and names missing, unexpected and mis-shaped keys", () => {
    const a = new Net();
    const b = new Net();
    const w = b.a.fc.weight;
    b.loadStateDict(a.stateDict());
    expect(b.a.fc.weight).toBe(w);
    expect(b.a.fc.weight.toArray()).toEqual(a.a.fc.weight.toArray());
    const dict = a.stateDict();
    const { "a.scale": _, ...missing } = dict;
    const e1 = thrown(() => b.loadStateDict(missing));
    expect(e1.details).toMatchObject({ op: "Module.loadStateDict", missing: ["a.scale"], unexpected: [] });
    const e2 = thrown(() => b.loadStateDict({ ...dict, "a.extra": dict["a.scale"] }));
    expect(e2.details).toMatchObject({ missing: [], unexpected: ["a.extra"] });
    const e3 = thrown(() => b.loadStateDict({ ...dict, "a.scale": zeros([2], { dtype: "float64" }) }));
    expect(e3.code).toBe("ShapeMismatch");
    expect(e3.details).toMatchObject({ name: "a.scale", shapes: [[2], [1]] });
    expect(thrown(() => b.loadStateDict({ ...dict, "a.scale": zeros([1]) })).code).toBe("DTypeMismatch");
  });

  it("rejects duplicate and malformed names", () => {
    class Bad extends Module {
      constructor(name: string) {
        super();
        this.parameter("w", zeros([1]));
        this.parameter(name, zeros([1]));
      }
      forward(x: Tensor) {
        return x;
      }
    }
    expect(thrown(() => new Bad("w")).code).toBe("InvalidArgument");
    expect(thrown(() => new Bad("a.b")).code).toBe("InvalidArgument");
  });

  it("BatchNorm's running stats and Dropout's masks follow the mode inside a Sequential", () => {
    const net = new Sequential(new BatchNorm1d(2), new Dropout(0.5, { rng: rng(0) }));
    const x = tensor([
      [1, 2],
      [3, 6],
    ]);
    net.forward(x);
    const bn = net.layers[0] as BatchNorm1d;
    expect(Array.from(bn.running_mean.data())).toEqual([0.2, 0.4].map(Math.fround));
    net.eval();
    const y = net.forward(x);
    expect(Array.from(bn.running_mean.data())).toEqual([0.2, 0.4].map(Math.fround));
    expect(y.toArray()).toEqual(noDropRef(x, bn));
  });
});

function noDropRef(x: Tensor, bn: BatchNorm1d): number[][] {
  const rm = Array.from(bn.running_mean.data());
  const rv = Array.from(bn.running_var.data());
  return (x.toArray() as number[][]).map((row) => row.map((v, j) => Math.fround(Math.fround(v - rm[j]) * Math.fround(1 / Math.sqrt(rv[j] + 1e-5)))));
}
