/**
 * The functional (optax-style) optimisers against the PyTorch-style classes, step for step: the same
 * parameters and gradient sequence through `new Adam(…).update(grads)` and through
 * `applyUpdates(params, adam(…).update(grads, state, params).updates)` give the same parameters
 * after every step (bit for bit where the arithmetic is the same ops, to float32 rounding otherwise).
 * Plus chain, clipByGlobalNorm against clipGrads, a schedule of the step count, and errors.
 */
import { describe, expect, it } from "vitest";
import {
  Adam,
  AdamW,
  RMSprop,
  SGD,
  adam,
  adamw,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  clipGrads,
  rmsprop,
  sgd,
  tabulated,
  warmupCosine,
  type GradientTransformation,
  type Optimizer,
} from "../../src/optim/index.js";
import { randn, tensor } from "../../src/tensor/creation.js";
import { rng } from "../../src/tensor/rng.js";
import { cast } from "../../src/tensor/primitives/cast.js";
import { mul } from "../../src/tensor/primitives/arithmetic.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { thrown } from "../support/errorCode.js";

// A type alias, not an interface: the classes' Params takes a tree with an index signature.
type Tree = { w: Tensor; b: Tensor[] };

function tree(seed: number): Tree {
  const r = rng(seed);
  return { w: randn([3, 4], { rng: r }), b: [randn([4], { rng: r }), randn([2], { rng: r })] };
}

/** An equal tree of new tensors (the class optimisers update theirs in place). */
function clone(t: Tree): Tree {
  return { w: mul(t.w, 1), b: t.b.map((x) => mul(x, 1)) };
}

const leaves = (t: Tree) => [t.w, ...t.b];

/** The parameters after each of `steps` steps of the class optimiser and of the functional one. */
function both(makeClass: (ps: Tree) => Optimizer, fn: GradientTransformation, steps: number): [number[][], number[][]] {
  const start = tree(1);
  const cls = clone(start);
  const opt = makeClass(cls);
  let params = clone(start);
  let state = fn.init(params);
  const a: number[][] = [];
  const b: number[][] = [];
  for (let s = 0; s < steps; s++) {
    const grads = tree(100 + s);
    opt.update(clone(grads));
    const r = fn.update(grads, state, params);
    params = applyUpdates(params, r.updates);
    state = r.state;
    a.push(leaves(cls).flatMap((x) => Array.from(x.data())));
    b.push(leaves(params).flatMap((x) => Array.from(x.data())));
  }
  return [a, b];
}

const cases: [string, (ps: Tree) => Optimizer, () => GradientTransformation, "exact" | "close"][] = [
  ["sgd", (ps) => new SGD(ps, { lr: 0.1 }), () => sgd({ lr: 0.1 }), "exact"],
  ["sgd momentum", (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }), () => sgd({ lr: 0.1, momentum: 0.9 }), "exact"],
  [
    "sgd nesterov + weight decay",
    (ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 }),
    () => sgd({ lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 }),
    "exact",
  ],
  ["adam", (ps) => new Adam(ps, { lr: 0.01 }), () => adam({ lr: 0.01 }), "exact"],
  [
    "adam amsgrad + weight decay",
    (ps) => new Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 0.1, betas: [0.8, 0.99] }),
    () => adam({ lr: 0.01, amsgrad: true, weightDecay: 0.1, betas: [0.8, 0.99] }),
    "exact",
  ],
  ["adamw", (ps) => new AdamW(ps, { lr: 0.01, weightDecay: 0.1 }), () => adamw({ lr: 0.01, weightDecay: 0.1 }), "close"],
  ["rmsprop", (ps) => new RMSprop(ps, { lr: 0.01 }), () => rmsprop({ lr: 0.01 }), "exact"],
  [
    "rmsprop centered + momentum + weight decay",
    (ps) => new RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 }),
    () => rmsprop({ lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 }),
    "exact",
  ],
];

describe("functional optimisers equal the classes step for step", () => {
  it.each(cases)("%s", (_, makeClass, makeFn, match) => {
    const [a, b] = both(makeClass, makeFn(), 5);
    for (let s = 0; s < a.length; s++) {
      if (match === "exact") expect(b[s], `step ${s + 1}`).toEqual(a[s]);
      else b[s].forEach((x, i) => expect(Math.abs(x - a[s][i]), `step ${s + 1}, element ${i}`).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(a[s][i]))));
    }
    // The parameters moved: a test of equal no-ops would pass too.
    expect(a[a.length - 1]).not.toEqual(leaves(tree(1)).flatMap((x) => Array.from(x.data())));
  });

  it("a schedule of the step count is the classes' schedule", () => {
    const decay = (step: number) => 0.1 * 0.5 ** step;
    const [a, b] = both((ps) => new SGD(ps, { lr: decay }), sgd({ lr: (count) => mul(0.1, cast(count, "float64").mul(-Math.LN2).exp()) }), 4);
    for (let s = 0; s < a.length; s++) b[s].forEach((x, i) => expect(Math.abs(x - a[s][i])).toBeLessThanOrEqual(1e-6));
  });
});

describe("tabulated", () => {
  it("a number schedule drives a functional optimiser as it drives the class, clamped past its end", () => {
    const schedule = warmupCosine(0.1, { warmupSteps: 2, totalSteps: 4 });
    const [a, b] = both((ps) => new SGD(ps, { lr: schedule }), sgd({ lr: tabulated(schedule, 4) }), 4);
    expect(b).toEqual(a);
    const lr = tabulated(schedule, 4) as (count: Tensor) => Tensor;
    expect(lr(tensor(9, { dtype: "int32" })).item()).toBe(schedule(3));
    expect(thrown(() => tabulated(schedule, 0))).toMatchObject({ code: "InvalidArgument", details: { op: "tabulated" } });
  });
});

describe("chain and clipByGlobalNorm", () => {
  it("clipByGlobalNorm scales as clipGrads does", () => {
    const g = tree(7);
    const clipped = clipByGlobalNorm(0.5).update(g, {}).updates;
    const ref = clipGrads(clone(g), 0.5).grads;
    leaves(clipped).forEach((x, i) => expect(Array.from(x.data())).toEqual(Array.from(leaves(ref)[i].data())));
    // Under the bound nothing changes.
    const kept = clipByGlobalNorm(1e6).update(g, {}).updates;
    expect(leaves(kept).map((x) => Array.from(x.data()))).toEqual(leaves(g).map((x) => Array.from(x.data())));
  });

  it("chain(clip, sgd) is sgd on the clipped gradients", () => {
    const p = tree(1);
    const g = tree(2);
    const chained = chain(clipByGlobalNorm(0.5), sgd({ lr: 0.1 }));
    const { updates } = chained.update(g, chained.init(p), p);
    const plain = sgd({ lr: 0.1 });
    const ref = plain.update(clipByGlobalNorm(0.5).update(g, {}).updates, plain.init(p), p).updates;
    expect(leaves(updates).map((x) => Array.from(x.data()))).toEqual(leaves(ref).map((x) => Array.from(x.data())));
  });

  it("state is a pytree of tensors and init/update change nothing in place", () => {
    const p = tree(1);
    const before = leaves(p).map((x) => Array.from(x.data()));
    const opt = adam({ lr: 0.1 });
    const state = opt.init(p);
    expect(state.count.dtype).toBe("int32");
    const r = opt.update(tree(2), state, p);
    expect(r.state.count.item()).toBe(1);
    expect(state.count.item()).toBe(0);
    expect(leaves(p).map((x) => Array.from(x.data()))).toEqual(before);
    expect(leaves(r.updates as Tree).map((x) => x.shape)).toEqual(leaves(p).map((x) => x.shape));
  });
});

describe("errors", () => {
  it("bad hyperparameters and missing params are InvalidArgument naming the function", () => {
    expect(thrown(() => sgd({ lr: -1 }))).toMatchObject({ code: "InvalidArgument", details: { op: "sgd" } });
    expect(thrown(() => sgd({ lr: 0.1, nesterov: true }))).toMatchObject({ code: "InvalidArgument", details: { op: "sgd" } });
    expect(thrown(() => adam({ lr: 0.1, betas: [1, 0.9] }))).toMatchObject({ code: "InvalidArgument", details: { op: "adam" } });
    expect(thrown(() => rmsprop({ lr: 0.1, alpha: 2 }))).toMatchObject({ code: "InvalidArgument", details: { op: "rmsprop" } });
    expect(thrown(() => clipByGlobalNorm(0))).toMatchObject({ code: "InvalidArgument", details: { op: "clipByGlobalNorm" } });
    const p = tree(1);
    const opt = adamw({ lr: 0.1 });
    expect(thrown(() => opt.update(tree(2), opt.init(p)))).toMatchObject({ code: "InvalidArgument", details: { op: "adamw.update" } });
    expect(thrown(() => chain(sgd({ lr: 1 }), 3 as never))).toMatchObject({ code: "InvalidArgument", details: { op: "chain" } });
  });

  it("mismatched trees are ShapeMismatch", () => {
    const p = tree(1);
    expect(thrown(() => applyUpdates(p, { w: tensor([1]), b: p.b }))).toMatchObject({ code: "ShapeMismatch", details: { op: "applyUpdates" } });
    const opt = sgd({ lr: 0.1, weightDecay: 0.1 });
    expect(thrown(() => opt.update({ w: p.w }, opt.init(p), p))).toMatchObject({ code: "ShapeMismatch", details: { op: "sgd.update" } });
    expect(thrown(() => sgd({ lr: 1 }).init({ i: tensor([1], { dtype: "int32" }) }))).toMatchObject({ code: "DTypeMismatch", details: { op: "sgd.init" } });
  });
});
