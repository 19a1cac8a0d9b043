/**
 * Issue 18's optimisers and schedules against PyTorch (golden data from test/golden/nn18.py): the
 * parameters after each of 8 steps on a small problem (float64, 1e-10), the rate of each step of
 * every schedule, ReduceLROnPlateau's rates along a fixed metric sequence; and their argument errors.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as optim from "../../src/optim/index.js";
import { tensor } from "../../src/tensor/creation.js";
import { add, mul, sub } from "../../src/tensor/primitives/arithmetic.js";
import { matmul } from "../../src/tensor/primitives/matmul.js";
import { sum } from "../../src/tensor/primitives/reduce.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { thrown } from "../support/errorCode.js";

interface Golden {
  readonly optimizer: { x: number[][]; y: number[][]; w: number[][]; b: number[] };
  readonly optimizers: Record<string, { class: string; options: Record<string, unknown>; trail: { w: number[]; b: number[] }[] }>;
  readonly schedules: Record<string, { fn: string; args: [number, Record<string, number>]; lrs: number[] }>;
  readonly plateau: { metrics: number[]; cases: Record<string, { options: optim.PlateauOptions; lrs: number[] }> };
}

const golden = JSON.parse(readFileSync(new URL("../golden/nn18.json", import.meta.url), "utf8")) as Golden;
/** The schedules the first script left out (warmupCosine itself), from test/golden/vocabulary18.py. */
const vocabulary = JSON.parse(readFileSync(new URL("../golden/vocabulary18.json", import.meta.url), "utf8")) as Pick<Golden, "schedules">;
const f64 = (v: number[] | number[][]) => tensor(v, { dtype: "float64" });

type Make = new (params: Tensor[], options: never) => optim.Optimizer;
const OPTIMIZERS: Record<string, Make> = { Adagrad: optim.Adagrad, Adadelta: optim.Adadelta, Adamax: optim.Adamax, NAdam: optim.NAdam, RAdam: optim.RAdam, Lion: optim.Lion };

/** The objective of the golden run: Σ (x·w + b − y)² + 0.1·Σ w⁴. */
function objective(w: Tensor, b: Tensor): Tensor {
  const r = sub(add(matmul(f64(golden.optimizer.x), w), b), f64(golden.optimizer.y));
  const w2 = mul(w, w);
  return add(sum(mul(r, r)), mul(sum(mul(w2, w2)), 0.1));
}

function close(actual: number[], expected: number[], rtol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  expected.forEach((e, i) => expect(Math.abs(actual[i] - e), `${what} ${i}: ${actual[i]} vs ${e}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(e))));
}

describe("optimisers against PyTorch", () => {
  for (const [name, c] of Object.entries(golden.optimizers)) {
    it(`${name}: parameters after each step`, () => {
      const w = tensor(golden.optimizer.w, { dtype: "float64", requiresGrad: true });
      const b = tensor(golden.optimizer.b, { dtype: "float64", requiresGrad: true });
      const opt = new OPTIMIZERS[c.class]([w, b], c.options as never);
      c.trail.forEach((expected, step) => {
        opt.zeroGrad();
        objective(w, b).backward();
        opt.step();
        close(Array.from(w.data()), expected.w, 1e-10, `${name} step ${step + 1} w`);
        close(Array.from(b.data()), expected.b, 1e-10, `${name} step ${step + 1} b`);
      });
    });
  }

  it("covers every optimiser of the issue", () => {
    expect(new Set(Object.values(golden.optimizers).map((c) => c.class))).toEqual(new Set(Object.keys(OPTIMIZERS)));
  });

  it("refuse bad hyperparameters, naming the optimiser and the option", () => {
    const p = () => [tensor([1, 2], { requiresGrad: true })];
    for (const [op, argument, make] of [
      ["Adagrad", "lrDecay", () => new optim.Adagrad(p(), { lr: 0.1, lrDecay: -1 })],
      ["Adadelta", "rho", () => new optim.Adadelta(p(), { lr: 1, rho: 1.5 })],
      ["Adamax", "betas[1]", () => new optim.Adamax(p(), { lr: 0.1, betas: [0.9, 1] })],
      ["NAdam", "momentumDecay", () => new optim.NAdam(p(), { lr: 0.1, momentumDecay: NaN })],
      ["RAdam", "eps", () => new optim.RAdam(p(), { lr: 0.1, eps: -1 })],
      ["Lion", "weightDecay", () => new optim.Lion(p(), { lr: 0.1, weightDecay: -0.1 })],
    ] as const) {
      const e = thrown(make);
      expect(e.code, op).toBe("InvalidArgument");
      expect(e.details, op).toMatchObject({ op, argument });
    }
  });
});

/** Each schedule maker of the golden cases; warm-up then cosine is a composition, as torch's SequentialLR. */
const SCHEDULES: Record<string, (lr: number, o: Record<string, number>) => optim.Schedule> = {
  exponentialLR: (lr, o) => optim.exponentialLR(lr, o as never),
  linearLR: (lr, o) => optim.linearLR(lr, o),
  oneCycleLR: (lr, o) => optim.oneCycleLR(lr, o as never),
  cyclicLR: (lr, o) => optim.cyclicLR(lr, o as never),
  warmupThenCosine: (lr, { startFactor, warmupSteps, totalSteps, minLr }) =>
    optim.chainSchedules([optim.linearLR(lr, { startFactor, totalIters: warmupSteps }), optim.cosineDecay(lr, { totalSteps: totalSteps - warmupSteps, minLr })], [warmupSteps]),
  warmupCosine: (lr, o) => optim.warmupCosine(lr, o as never),
};

describe("schedules against PyTorch", () => {
  for (const [name, c] of Object.entries({ ...golden.schedules, ...vocabulary.schedules })) {
    it(name, () => {
      const s = SCHEDULES[c.fn](...c.args);
      close(
        c.lrs.map((_, step) => s(step)),
        c.lrs,
        1e-10,
        name,
      );
    });
  }

  for (const [name, c] of Object.entries(golden.plateau.cases)) {
    it(`ReduceLROnPlateau ${name}`, () => {
      const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 0.1 });
      const plateau = new optim.ReduceLROnPlateau(opt, c.options);
      close(
        golden.plateau.metrics.map((m) => (plateau.step(m), opt.lr)),
        c.lrs,
        1e-12,
        name,
      );
    });
  }

  it("refuse bad options and steps, naming the schedule", () => {
    expect(thrown(() => optim.oneCycleLR(0.1, { totalSteps: 10 })(11)).details).toMatchObject({ op: "oneCycleLR", argument: "step" });
    expect(thrown(() => optim.cyclicLR(0.1, { maxLr: 1, mode: "exp" as never })).details).toMatchObject({ op: "cyclicLR", argument: "mode" });
    expect(thrown(() => optim.linearLR(0.1, { startFactor: 0 })).details).toMatchObject({ op: "linearLR", argument: "startFactor" });
    expect(thrown(() => optim.exponentialLR(0.1, { gamma: 0.5 })(-1)).details).toMatchObject({ op: "exponentialLR", argument: "step" });
    const opt = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 0.1 });
    expect(thrown(() => new optim.ReduceLROnPlateau(opt, { factor: 1 })).details).toMatchObject({ op: "ReduceLROnPlateau", argument: "factor" });
    expect(thrown(() => new optim.ReduceLROnPlateau(opt).step(NaN)).details).toMatchObject({ op: "ReduceLROnPlateau.step", argument: "metric" });
  });
});
