/** Learning-rate schedules at chosen steps, worked out by hand; and gradient clipping by global norm. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chainSchedules, clipGradNorm, clipGrads, cosineDecay, linearWarmup, SGD, stepDecay, warmupCosine } from "../../src/optim/index.js";
import { tensor } from "../../src/tensor/creation.js";
import { mul } from "../../src/tensor/primitives/arithmetic.js";
import { sum } from "../../src/tensor/primitives/reduce.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { expectAllClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";

const at = (s: (t: number) => number, steps: number[]) => steps.map(s);

describe("schedules", () => {
  it("stepDecay: lr·γ^⌊t/size⌋", () => {
    expectAllClose(at(stepDecay(1, { stepSize: 2, gamma: 0.5 }), [0, 1, 2, 3, 4, 7]), [1, 1, 0.5, 0.5, 0.25, 0.125], 1e-15, 0, "step");
  });

  it("cosineDecay: lr at 0, the midpoint halfway, minLr from totalSteps on", () => {
    expectAllClose(at(cosineDecay(1, { totalSteps: 10, minLr: 0.1 }), [0, 5, 10, 20]), [1, 0.55, 0.1, 0.1], 1e-15, 1e-16, "cosine");
    expectAllClose(at(cosineDecay(2, { totalSteps: 4 }), [1, 3]), [1 + Math.SQRT1_2, 1 - Math.SQRT1_2], 1e-15, 1e-16, "cosine quarter");
  });

  it("linearWarmup ramps to the full rate at its last step, then hands over to the next schedule", () => {
    expectAllClose(at(linearWarmup(1, { warmupSteps: 4 }), [0, 1, 3, 4, 100]), [0.25, 0.5, 1, 1, 1], 1e-15, 0, "warmup");
    expectAllClose(at(linearWarmup(stepDecay(1, { stepSize: 1, gamma: 0.5 }), { warmupSteps: 2 }), [0, 1, 2, 3]), [0.5, 1, 1, 0.5], 1e-15, 0, "warmup then step");
  });

  it("warmupCosine is linearWarmup into cosineDecay; chainSchedules joins at milestones", () => {
    const s = warmupCosine(1, { warmupSteps: 2, totalSteps: 12, minLr: 0 });
    expectAllClose(at(s, [0, 1, 2, 7, 12]), [0.5, 1, 1, 0.5, 0], 1e-15, 1e-16, "warmupCosine");
    const chained = chainSchedules([0.1, stepDecay(1, { stepSize: 1, gamma: 0.1 }), 5], [3, 5]);
    expectAllClose(at(chained, [0, 2, 3, 4, 5, 9]), [0.1, 0.1, 1, 0.1, 5, 5], 1e-15, 0, "chain");
    expect(thrown(() => chainSchedules([1, 2], [])).code).toBe("InvalidArgument");
    expect(thrown(() => cosineDecay(1, { totalSteps: 0 })).code).toBe("InvalidArgument");
  });

  it("drive an optimiser: SGD on f = p with warmup takes steps of each lr", () => {
    const p = tensor([0], { dtype: "float64" });
    const opt = new SGD([p], { lr: linearWarmup(1, { warmupSteps: 2 }) });
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      seen.push(opt.lr);
      opt.update([tensor([1], { dtype: "float64" })]);
    }
    expect(seen).toEqual([0.5, 1, 1]);
    expect(p.item()).toBe(-2.5);
  });
});

describe("clipping by global norm", () => {
  const make = () => {
    const a = tensor([3, 0], { dtype: "float64" }).requireGrad();
    const b = tensor([4], { dtype: "float64" }).requireGrad();
    const unused = tensor([1], { dtype: "float64" }).requireGrad();
    // gradients [3, 0] and [4]: global norm 5
    sum(mul(a, a))
      .mul(0.5)
      .add(sum(mul(b, b)).mul(0.5))
      .backward();
    return [a, b, unused] as const;
  };

  it("clipGradNorm scales every .grad by maxNorm/norm and returns the norm before", () => {
    const [a, b, unused] = make();
    expect(clipGradNorm([a, b, unused], 1)).toBe(5);
    expectAllClose(
      [...Array.from(a.grad!.data()), ...Array.from(b.grad!.data())],
      [0.6, 0, 0.8].map((v) => v * (5 / (5 + 1e-6))),
      1e-15,
      0,
      "clipped",
    );
    expect(unused.grad).toBeNull();
    const [a2, b2] = make();
    expect(clipGradNorm([a2, b2], 10)).toBe(5);
    expect(Array.from(b2.grad!.data())).toEqual([4]);
    expect(thrown(() => clipGradNorm([a2], 0)).code).toBe("InvalidArgument");
  });

  it("clipGrads does the same on a gradient tree, without mutating it", () => {
    const g = { w: tensor([3, 0]), b: [tensor([4])] };
    const { grads, norm } = clipGrads(g, 2.5);
    expect(norm).toBe(5);
    expectAllClose(Array.from((grads.b[0] as Tensor).data()), [2], 1e-6, 0, "b");
    expect(Array.from(g.b[0].data())).toEqual([4]);
  });
});

describe("a schedule's step is a non-negative integer", () => {
  const SCHEDULES: [string, () => (step: number) => number][] = [
    ["stepDecay", () => stepDecay(1, { stepSize: 2, gamma: 0.5 })],
    ["cosineDecay", () => cosineDecay(1, { totalSteps: 10 })],
    ["linearWarmup", () => linearWarmup(1, { warmupSteps: 3 })],
    ["warmupCosine", () => warmupCosine(1, { warmupSteps: 2, totalSteps: 10 })],
    ["chainSchedules", () => chainSchedules([0.1, 1], [3])],
  ];
  const badStep = fc.oneof(
    fc.constantFrom(NaN, Infinity, -Infinity, -1, -0.5, 0.5, 2 ** 53),
    fc.double().filter((x) => !(Number.isInteger(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER)),
    fc.integer({ max: -1 }),
  );

  it.each(SCHEDULES)("%s refuses NaN, fractions and negative steps, naming itself", (op, make) => {
    const s = make();
    fc.assert(
      fc.property(badStep, (step) => {
        const e = thrown(() => s(step));
        expect([e.code, e.details.op, e.details.argument]).toEqual(["InvalidArgument", op, "step"]);
      }),
    );
  });

  it("stepDecay with γ ≤ 1 never exceeds its base rate, and every schedule gives a finite rate ≥ 0", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 50 }), fc.nat(10_000), (gamma, stepSize, step) => {
        expect(stepDecay(0.1, { stepSize, gamma })(step)).toBeLessThanOrEqual(0.1);
        for (const [, make] of SCHEDULES) {
          const lr = make()(step);
          expect(Number.isFinite(lr) && lr >= 0).toBe(true);
        }
      }),
    );
  });

  it("chainSchedules refuses holes instead of calling them; warmupCosine names itself for minLr", () => {
    const e = thrown(() => chainSchedules([1, , 2] as never, [1, 2]));
    expect([e.code, e.details.op]).toEqual(["InvalidArgument", "chainSchedules"]);
    const m = thrown(() => warmupCosine(1, { warmupSteps: 1, totalSteps: 4, minLr: -1 }));
    expect([m.code, m.details.op]).toEqual(["InvalidArgument", "warmupCosine"]);
  });
});
