/**
 * Every optimiser against (a) a few values worked out by hand, and (b) the PyTorch pseudo-code run on
 * plain numbers (reference.ts) for 3 steps, in float64, in both styles: `.grad` + `step()` and a
 * gradient tree + `update()`. Plus the in-place contract, skipping of missing gradients, and errors.
 */
import { describe, expect, it } from "vitest";
import { Adam, AdamW, RMSprop, SGD, type Optimizer } from "../../src/optim/index.js";
import { grad } from "../../src/tensor/autograd/transforms.js";
import { tensor } from "../../src/tensor/creation.js";
import { mul, sub } from "../../src/tensor/primitives/arithmetic.js";
import { sum } from "../../src/tensor/primitives/reduce.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { expectAllClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";
import { adamRef, rmspropRef, sgdRef, type Vec } from "./reference.js";

const f64 = { dtype: "float64" } as const;
const a = [1, 3, 0.5];
const c = [2, -1, 0.5];
const p0 = [0.5, 1, -2];
/** ½ Σ aᵢ (pᵢ − cᵢ)², and its gradient aᵢ (pᵢ − cᵢ) by hand. */
const loss = (p: Tensor) => {
  const d = sub(p, tensor(c, f64));
  return sum(mul(mul(d, d), tensor(a, f64).mul(0.5)));
};
const gradRef = (p: Vec) => p.map((pi, i) => a[i] * (pi - c[i]));

type Make = (params: Tensor[] | { w: Tensor }) => Optimizer;

function torchStyle(make: Make, steps: number): Vec[] {
  const p = tensor(p0, f64).requireGrad();
  const opt = make([p]);
  const out: Vec[] = [];
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    loss(p).backward();
    opt.step();
    out.push(Array.from(p.data()));
  }
  return out;
}

function jaxStyle(make: Make, steps: number): Vec[] {
  const tree = { w: tensor(p0, f64) };
  const opt = make(tree);
  const g = grad((t: { w: Tensor }) => loss(t.w));
  const out: Vec[] = [];
  for (let t = 0; t < steps; t++) {
    opt.update(g(tree));
    out.push(Array.from(tree.w.data()));
  }
  return out;
}

const configs: [string, Make, Vec[]][] = [
  ["SGD", (ps) => new SGD(ps, { lr: 0.1 }), sgdRef(p0, gradRef, 3, { lr: 0.1 })],
  ["SGD momentum", (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }), sgdRef(p0, gradRef, 3, { lr: 0.1, momentum: 0.9 })],
  [
    "SGD dampening + weight decay",
    (ps) => new SGD(ps, { lr: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.05 }),
    sgdRef(p0, gradRef, 3, { lr: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.05 }),
  ],
  ["SGD Nesterov", (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }), sgdRef(p0, gradRef, 3, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ["Adam", (ps) => new Adam(ps, { lr: 0.1 }), adamRef(p0, gradRef, 3, { lr: 0.1 })],
  [
    "Adam L2 + betas + eps",
    (ps) => new Adam(ps, { lr: 0.05, betas: [0.8, 0.9], eps: 0.1, weightDecay: 0.1 }),
    adamRef(p0, gradRef, 3, { lr: 0.05, betas: [0.8, 0.9], eps: 0.1, weightDecay: 0.1 }),
  ],
  ["Adam amsgrad", (ps) => new Adam(ps, { lr: 0.3, amsgrad: true, betas: [0.5, 0.6] }), adamRef(p0, gradRef, 3, { lr: 0.3, amsgrad: true, betas: [0.5, 0.6] })],
  ["AdamW", (ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.2 }), adamRef(p0, gradRef, 3, { lr: 0.1, weightDecay: 0.2, decoupled: true })],
  ["RMSprop", (ps) => new RMSprop(ps, { lr: 0.01 }), rmspropRef(p0, gradRef, 3, { lr: 0.01 })],
  [
    "RMSprop momentum + centered + decay",
    (ps) => new RMSprop(ps, { lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.1, eps: 1e-3 }),
    rmspropRef(p0, gradRef, 3, { lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.1, eps: 1e-3 }),
  ],
];

describe("optimisers follow PyTorch's algorithms", () => {
  it.each(configs)("%s: 3 steps in both styles", (what, make, expected) => {
    const torch = torchStyle(make, 3);
    const jax = jaxStyle(make, 3);
    torch.forEach((p, t) => expectAllClose(p, expected[t], 1e-12, 1e-14, `${what} step ${t + 1} (step)`));
    jax.forEach((p, t) => expectAllClose(p, expected[t], 1e-12, 1e-14, `${what} step ${t + 1} (update)`));
    // The reference really moves: a wrong sign or a missing term would not pass.
    expect(expected[2]).not.toEqual(p0);
  });

  it("values worked out by hand on f(p) = p², p₀ = 1", () => {
    const run = (make: (p: Tensor) => Optimizer, steps: number) => {
      const p = tensor([1], f64).requireGrad();
      const opt = make(p);
      const out: number[] = [];
      for (let t = 0; t < steps; t++) {
        opt.zeroGrad();
        mul(p, p).sum().backward();
        opt.step();
        out.push(p.item());
      }
      return out;
    };
    // momentum 0.9, lr 0.1: b = 2, p = 0.8; g = 1.6, b = 0.9·2 + 1.6 = 3.4, p = 0.8 − 0.34 = 0.46
    expectAllClose(
      run((p) => new SGD([p], { lr: 0.1, momentum: 0.9 }), 2),
      [0.8, 0.46],
      1e-15,
      0,
      "SGD momentum",
    );
    // Nesterov: g + μb = 2 + 1.8 = 3.8, p = 0.62; g = 1.24, b = 1.8 + 1.24 = 3.04, p = 0.62 − 0.1·(1.24 + 2.736) = 0.2224
    expectAllClose(
      run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), 2),
      [0.62, 0.2224],
      1e-14,
      0,
      "SGD Nesterov",
    );
    // Adam step 1: m̂ = g, v̂ = g², so p = 1 − lr·g/(|g| + ε) ≈ 1 − lr
    expectAllClose(
      run((p) => new Adam([p], { lr: 0.1 }), 1),
      [1 - (0.1 * 2) / (2 + 1e-8)],
      1e-15,
      0,
      "Adam",
    );
    // AdamW: p·(1 − 0.1·0.5) = 0.95 first, then the Adam step of the same gradient (taken at p = 1)
    expectAllClose(
      run((p) => new AdamW([p], { lr: 0.1, weightDecay: 0.5 }), 1),
      [0.95 - (0.1 * 2) / (2 + 1e-8)],
      1e-15,
      0,
      "AdamW",
    );
    // RMSprop step 1: v = 0.01·4 = 0.04, p = 1 − 0.01·2/(0.2 + ε) = 0.9
    expectAllClose(
      run((p) => new RMSprop([p], { lr: 0.01 }), 1),
      [1 - 0.02 / (0.2 + 1e-8)],
      1e-15,
      0,
      "RMSprop",
    );
  });
});

describe("the optimiser contract", () => {
  it("updates the same tensors in place; a parameter without .grad is skipped", () => {
    const p = tensor([1, 2], f64).requireGrad();
    const q = tensor([3], f64).requireGrad();
    const storage = p.storage;
    const opt = new Adam([p, q], { lr: 0.1 });
    mul(p, p).sum().backward();
    opt.step();
    expect(p.storage).toBe(storage);
    expect(p.toArray()).not.toEqual([1, 2]);
    expect(q.toArray()).toEqual([3]);
    expect(opt.stepCount).toBe(1);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });

  it("accepts arrays, iterables (model.parameters() generators) and trees", () => {
    const t = { a: tensor([1]), b: [tensor([2]), { c: tensor([3]) }] };
    expect(new SGD(t, { lr: 1 }).params.map((x) => x.item())).toEqual([1, 2, 3]);
    function* gen() {
      yield tensor([4]);
    }
    expect(new SGD(gen(), { lr: 1 }).params.length).toBe(1);
  });

  it("a schedule sets each step's lr from the step count", () => {
    const p = tensor([0], f64);
    const opt = new SGD([p], { lr: (t) => [1, 10, 100][t] });
    for (let i = 0; i < 3; i++) opt.update([tensor([1], f64)]);
    expect(p.item()).toBe(-111);
    expect(() => opt.lr).toThrow();
    opt.lr = 0.5;
    expect(opt.lr).toBe(0.5);
  });

  it("refuses bad hyperparameters, empty or non-float params, and mis-shaped gradients", () => {
    const p = tensor([1, 2]);
    expect(thrown(() => new SGD([p], { lr: -1 })).code).toBe("InvalidArgument");
    expect(thrown(() => new SGD([p], { lr: 0.1, nesterov: true })).code).toBe("InvalidArgument");
    expect(thrown(() => new Adam([p], { lr: 0.1, betas: [1, 0.9] })).code).toBe("InvalidArgument");
    expect(thrown(() => new RMSprop([p], { lr: 0.1, alpha: 2 })).code).toBe("InvalidArgument");
    expect(thrown(() => new SGD([], { lr: 0.1 })).code).toBe("InvalidArgument");
    expect(thrown(() => new SGD([tensor([1], { dtype: "int32" })], { lr: 0.1 })).code).toBe("DTypeMismatch");
    const opt = new SGD([p], { lr: 0.1 });
    expect(thrown(() => opt.update([tensor([1, 2, 3])])).code).toBe("ShapeMismatch");
    expect(thrown(() => opt.update([tensor([1]), tensor([2])])).code).toBe("ShapeMismatch");
    expect(thrown(() => opt.update([tensor([1, 2], f64)])).code).toBe("ShapeMismatch");
  });
});
