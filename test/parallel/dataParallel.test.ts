/**
 * `dataParallel`: the gradient step on worker threads, one shard each, one fixed-order all-reduce.
 * It must give the single-thread step's values (to 1e-6 relative, float64) on the MLP, the CNN and
 * random programs; the same bits from run to run at a fixed worker count; train in place through
 * shared parameters; and fail, never hang, when a worker dies (or finish on the survivors).
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { dataParallel, share, type DataParallelStep } from "../../src/parallel/index.js";
import {
  argmax,
  cond,
  sum,
  gt,
  permute,
  scan,
  zeros,
  customVjp,
  mean,
  mul,
  noGrad,
  sigmoid,
  sin,
  square,
  sub,
  tanh,
  tensor,
  valueAndGrad,
  add,
  matmul,
  relu,
  randn,
  rng,
  exp,
  neg,
  type Tensor,
} from "../../src/tensor/index.js";
import { flatten } from "../../src/tensor/autograd/pytree.js";
import { jit } from "../../src/jit/index.js";
import { crossEntropy } from "../../src/nn/index.js";
import { workerUrl } from "../support/parallelWorker.js";
import { batchOf, cnnParams, cnnStep, mlpLoss, mlpParams, mlpStep, type Mlp } from "./models.js";

const open: DataParallelStep<never, never, unknown>[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function parallel<P, B, R>(step: (p: P, b: B) => R, workers: number, extra: object = {}): Promise<DataParallelStep<P, B, R>> {
  const s = dataParallel(step, { workers, workerUrl: await workerUrl(), ...extra });
  open.push(s as never);
  return s;
}

const leaves = (tree: unknown) => flatten("test", tree).leaves.map((t) => Array.from(t.data()));
const shareAll = <T extends Record<string, Tensor>>(p: T) =>
  Object.fromEntries(Object.entries(p).map(([k, t]) => [k, share(t)])) as { [K in keyof T]: T[K] & ReturnType<typeof share> };

/** Each leaf of `got` within `rel` × (the largest magnitude of the same leaf of `want`). */
function expectClose(got: unknown, want: unknown, rel = 1e-6): void {
  const [g, w] = [leaves(got), leaves(want)];
  expect(g.length).toBe(w.length);
  g.forEach((a, i) => {
    const scale = Math.max(1e-300, ...w[i].map(Math.abs));
    const worst = Math.max(0, ...a.map((x, k) => Math.abs(x - w[i][k])));
    expect(worst / scale, `leaf ${i}`).toBeLessThanOrEqual(rel);
  });
}

describe("dataParallel agrees with the single-thread step", () => {
  it("on the MLP (float64), for 1, 2 and 3 workers and uneven shards", async () => {
    const params = mlpParams(1);
    const batch = batchOf(2, 11, [12]);
    const want = mlpStep(params, batch);
    const shared = shareAll(params);
    for (const workers of [1, 2, 3]) expectClose(await (await parallel(mlpStep, workers))(shared, batch), want);
  }, 60_000);

  it("on the CNN (float64), 2 workers", async () => {
    const params = cnnParams(3);
    const batch = batchOf(4, 6, [1, 8, 8]);
    expectClose(await (await parallel(cnnStep, 2))(shareAll(params), batch), cnnStep(params, batch));
  }, 60_000);

  it("through control flow: a scan (an RNN over time) and a cond, whose sub-programs are posted too", async () => {
    type Rnn = { w: Tensor; u: Tensor };
    const loss = (p: Rnn, [x]: [Tensor]) => {
      const rows = x.shape[0];
      const [h] = scan(
        (h: Tensor, xt: Tensor) => {
          const next = tanh(add(matmul(xt, p.w), matmul(h, p.u)));
          return [next, next] as const;
        },
        zeros([rows, 3], { dtype: "float64" }),
        permute(x, [1, 0, 2]),
      );
      const scaled = cond(
        gt(sum(p.u), 0),
        (t: Tensor) => mul(t, 2),
        (t: Tensor) => neg(t),
        h,
      );
      return mean(square(scaled));
    };
    const r = rng(9);
    const params = { w: randn([4, 3], { rng: r, dtype: "float64" }), u: randn([3, 3], { rng: r, dtype: "float64" }) };
    const batch: [Tensor] = [randn([7, 5, 4], { rng: r, dtype: "float64" })];
    const step = valueAndGrad(loss);
    expectClose(await (await parallel(step, 2))(shareAll(params), batch), step(params, batch));
  }, 60_000);

  it("on random programs (fast-check: an elementwise chain after a linear layer, random rows and workers)", async () => {
    const ops = [tanh, sin, sigmoid, relu, square, (t: Tensor) => exp(neg(square(t)))];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: ops.length - 1 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer(),
        async (chain, rows, workers, seed) => {
          const loss = (p: { w: Tensor; b: Tensor }, [x]: [Tensor]) => {
            let h = add(matmul(x, p.w), p.b);
            for (const i of chain) h = ops[i](h);
            return mean(h);
          };
          const r = rng(seed);
          const params = { w: randn([4, 3], { rng: r, dtype: "float64" }), b: randn([3], { rng: r, dtype: "float64" }) };
          const batch: [Tensor] = [randn([rows, 4], { rng: r, dtype: "float64" })];
          const step = valueAndGrad(loss);
          expectClose(await (await parallel(step, workers))(shareAll(params), batch), step(params, batch));
        },
      ),
      { numRuns: 4 },
    );
  }, 120_000);
});

describe("dataParallel is deterministic and trains in place", () => {
  it("gives the same bits on two runs at a fixed worker count (float32, 3 uneven shards)", async () => {
    const params = shareAll(mlpParams(5, "float32"));
    const batch = batchOf(6, 10, [12], "float32");
    const first = leaves(await (await parallel(mlpStep, 3))(params, batch));
    const again = leaves(await (await parallel(mlpStep, 3))(params, batch));
    expect(again).toEqual(first);
    // Float32: the single-thread step sums in another order, so it agrees to rounding only.
    expectClose(await (await parallel(mlpStep, 3))(params, batch), mlpStep(params, batch), 1e-5);
  }, 60_000);

  it("reads parameters updated in place (assign) between steps: an SGD loop equals the single-thread one", async () => {
    const single = mlpParams(7);
    const shared = shareAll(mlpParams(7));
    const step = await parallel(mlpStep, 2);
    const sgd = (p: Mlp, g: Mlp) => noGrad(() => Object.keys(p).forEach((k) => p[k as keyof Mlp].assign(sub(p[k as keyof Mlp], mul(g[k as keyof Mlp], 0.5)))));
    for (let s = 0; s < 3; s++) {
      const batch = batchOf(20 + s, 8, [12]);
      const [ls, gs] = mlpStep(single, batch) as [Tensor, Mlp];
      const [lp, gp] = (await step(shared, batch)) as [Tensor, Mlp];
      expect(Math.abs(lp.item() - ls.item())).toBeLessThan(1e-12);
      sgd(single, gs);
      sgd(shared, gp);
    }
    expectClose(shared, single);
    // It learned: a loop that changed nothing would agree too.
    expect(leaves(shared)).not.toEqual(leaves(mlpParams(7)));
  }, 60_000);

  it("a worker allocates no storage per step once warm: its outputs take the storage of the last ones (donated back)", async () => {
    const params = shareAll(mlpParams(5, "float32"));
    const batch = batchOf(6, 10, [12], "float32");
    const step = await parallel(mlpStep, 2);
    const first = leaves(await step(params, batch));
    for (let i = 0; i < 2; i++) await step(params, batch);
    const before = await Promise.all([0, 1].map((w) => step.allocations(w)));
    for (let i = 0; i < 3; i++) expect(leaves(await step(params, batch))).toEqual(first);
    expect(await Promise.all([0, 1].map((w) => step.allocations(w)))).toEqual(before);
  }, 60_000);

  it("a warm step posts no message: the workers wait on shared memory and all wake at one notify, with the same bits", async () => {
    const params = shareAll(mlpParams(5, "float32"));
    const step = await parallel(mlpStep, 2);
    // New rows each step, through the same staging buffers: the workers read them in place.
    const first = leaves(await step(params, batchOf(6, 10, [12], "float32")));
    await step(params, batchOf(7, 10, [12], "float32"));
    const posted = step.group?.posted;
    const again = leaves(await step(params, batchOf(6, 10, [12], "float32")));
    expect(again).toEqual(first);
    await step(params, batchOf(8, 10, [12], "float32"));
    expect(step.group?.posted).toBe(posted);
    // A shard size not seen yet needs its program: a message again, then quiet.
    await step(params, batchOf(9, 7, [12], "float32"));
    const after = step.group?.posted;
    expect(after).toBeGreaterThan(posted as number);
    await step(params, batchOf(10, 7, [12], "float32"));
    expect(step.group?.posted).toBe(after);
  }, 60_000);

  it("without Atomics.waitAsync (some browsers) every step goes by message, with the same bits", async () => {
    const params = shareAll(mlpParams(5, "float32"));
    const batch = batchOf(6, 10, [12], "float32");
    const want = leaves(await (await parallel(mlpStep, 2))(params, batch));
    const atomics = Atomics as unknown as { waitAsync?: unknown };
    const waitAsync = atomics.waitAsync;
    delete atomics.waitAsync;
    try {
      const step = await parallel(mlpStep, 2);
      await step(params, batch);
      const posted = step.group?.posted as number;
      expect(leaves(await step(params, batch))).toEqual(want);
      expect(step.group?.posted).toBe(posted + 2);
    } finally {
      atomics.waitAsync = waitAsync;
    }
  }, 60_000);

  it("sums instead of averaging with reduce: 'sum'", async () => {
    const params = mlpParams(8);
    const batch = batchOf(9, 6, [12]);
    const [l2] = (await (await parallel(mlpStep, 2, { reduce: "sum" }))(shareAll(params), batch)) as [Tensor, unknown];
    const [l1] = mlpStep(params, batch) as [Tensor, unknown];
    expect(l2.item()).toBeCloseTo(2 * l1.item(), 10);
  }, 60_000);
});

describe("a worker that dies: an AdError, never a hang", () => {
  const params = () => shareAll(mlpParams(11));
  const batch = batchOf(12, 8, [12]);

  it("terminated while it waits for a warm step: UnsupportedOp naming the worker, and the survivors finish with 'continue'", async () => {
    const p = params();
    const step = await parallel(mlpStep, 2);
    await step(p, batch);
    await step(p, batch);
    step.group?.terminate(1);
    await expect(step(p, batch)).rejects.toMatchObject({ code: "UnsupportedOp", details: { op: "dataParallel", worker: 1 } });
    const going = await parallel(mlpStep, 3, { onWorkerDeath: "continue" });
    await going(p, batch);
    await going(p, batch);
    const running = going(p, batch);
    going.group?.terminate(0);
    expectClose(await running, mlpStep(p, batch), 1e-12);
    expectClose(await going(p, batch), mlpStep(p, batch), 1e-12);
    expect(going.workers).toBe(2);
  }, 60_000);

  it("terminated during the step: UnsupportedOp naming the worker", async () => {
    const step = await parallel(mlpStep, 2);
    await step(params(), batch);
    // Worker 1 holds its shard without answering, so it is surely inside the step when terminated.
    await step.inject(1, "hang");
    const running = step(params(), batch);
    await new Promise((resolve) => setTimeout(resolve, 50));
    step.group?.terminate(1);
    const e = await running.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(AdError);
    expect((e as AdError).code).toBe("UnsupportedOp");
    expect((e as AdError).details).toMatchObject({ op: "dataParallel", worker: 1 });
    // The next step fails too: the default is not to go on with fewer workers (the shards would change).
    await expect(step(params(), batch)).rejects.toMatchObject({ code: "UnsupportedOp", details: { worker: 1 } });
  }, 60_000);

  it("process.exit() inside the worker: UnsupportedOp", async () => {
    const step = await parallel(mlpStep, 2);
    await step.inject(0, "exit");
    await expect(step(params(), batch)).rejects.toMatchObject({ code: "UnsupportedOp", details: { op: "dataParallel", worker: 0 } });
  }, 60_000);

  it("a worker that never answers is given up on after timeoutMs", async () => {
    const step = await parallel(mlpStep, 2, { timeoutMs: 3000 });
    await step(params(), batch); // the programs are posted and warm: the next run is well within the limit
    await step.inject(1, "hang");
    await expect(step(params(), batch)).rejects.toMatchObject({ code: "UnsupportedOp", details: { op: "dataParallel", worker: 1 } });
    // Only the late worker is given up on: worker 0, waiting for it at the barrier, is cancelled and lives.
    expect(step.workers).toBe(1);
    expect(step.group?.alive(0)).toBe(true);
  }, 60_000);

  it("with onWorkerDeath: 'continue' the step completes with the same values, and later steps run on the survivors", async () => {
    const p = params();
    const want = leaves(mlpStep(p, batch));
    const step = await parallel(mlpStep, 3, { onWorkerDeath: "continue" });
    await step.inject(1, "exit");
    expectClose(await step(p, batch), mlpStep(p, batch), 1e-12);
    expect(step.workers).toBe(2);
    const running = step(p, batch);
    step.group?.terminate(2);
    expectClose(await running, mlpStep(p, batch), 1e-12);
    expect(step.workers).toBe(1);
    expect(leaves(await step(p, batch)).length).toBe(want.length);
  }, 60_000);
});

describe("errors of the step itself", () => {
  it("an AdError raised inside a worker (a label out of range, unseen while tracing) comes back as the one the jitted step raises", async () => {
    const loss = (p: { w: Tensor }, [x, labels]: [Tensor, Tensor]) => crossEntropy(matmul(x, p.w), labels);
    const step = await parallel(valueAndGrad(loss), 2, { onWorkerDeath: "continue" });
    const params = { w: share(randn([4, 3], { rng: rng(1) })) };
    const x = randn([6, 4], { rng: rng(2) });
    const local = (() => {
      try {
        // Traced labels skip crossEntropy's own check; the gather that reads them checks (docs/jit.md).
        jit(valueAndGrad(loss))(params, [x, tensor([0, 1, 2, 0, 1, 7], { dtype: "int32" })]);
      } catch (e) {
        return e as AdError;
      }
    })();
    expect(local).toBeInstanceOf(AdError);
    const e = await step(params, [x, tensor([0, 1, 2, 0, 1, 7], { dtype: "int32" })]).catch((r: unknown) => r);
    expect(e).toBeInstanceOf(AdError);
    expect(e).toMatchObject({ code: local?.code, details: { op: local?.details.op } });
    // The worker is alive and the next step runs.
    expect(step.workers).toBe(2);
    const [value] = (await step(params, [x, tensor([0, 1, 2, 0, 1, 2], { dtype: "int32" })])) as [Tensor, unknown];
    expect(Number.isFinite(value.item())).toBe(true);
    // The same error from a warm step (no message: the worker answers the step's request with it), and again the worker goes on.
    const posted = step.group?.posted;
    const warm = await step(params, [x, tensor([0, 1, 2, 0, 1, 7], { dtype: "int32" })]).catch((r: unknown) => r);
    expect(step.group?.posted).toBe(posted);
    expect(warm).toBeInstanceOf(AdError);
    expect(warm).toMatchObject({ code: local?.code, details: { op: local?.details.op } });
    const [again] = (await step(params, [x, tensor([0, 1, 2, 0, 1, 2], { dtype: "int32" })])) as [Tensor, unknown];
    expect(again.item()).toBe(value.item());
    expect(step.workers).toBe(2);
  }, 60_000);
});

describe("what dataParallel refuses", () => {
  it("parameters not in shared memory: InvalidArgument naming the rule", async () => {
    const step = await parallel(mlpStep, 1);
    const e = await (step as (p: unknown, b: unknown) => Promise<unknown>)(mlpParams(1), batchOf(1, 4, [12])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AdError);
    expect((e as AdError).code).toBe("InvalidArgument");
    expect((e as AdError).details).toMatchObject({ op: "dataParallel", argument: "params", index: 0 });
  });

  it("a customVjp inside the step (its rules are closures): InvalidArgument naming the primitive", async () => {
    const twice = customVjp(
      (x: Tensor) => mul(x, 2),
      (x: Tensor) => [mul(x, 2), []],
      (_: unknown, g: Tensor) => [mul(g, 2)],
    );
    const step = await parallel(
      valueAndGrad((p: Mlp, b: [Tensor, Tensor]) => twice(mlpLoss(p, b))),
      1,
    );
    const e = await step(shareAll(mlpParams(1)), batchOf(1, 4, [12])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AdError);
    expect((e as AdError).code).toBe("InvalidArgument");
    expect((e as AdError).details.op).toBe("dataParallel");
    expect(String((e as AdError).details.rule)).toMatch(/engine's own primitives/);
  });

  it("shapes other than the ones it was traced for: InvalidArgument (not a program run on the wrong shapes)", async () => {
    const step = await parallel(mlpStep, 1);
    const params = shareAll(mlpParams(1));
    await step(params, batchOf(1, 4, [12]));
    const e = await step(shareAll(mlpParams(1, "float64", [10, 16, 3])), batchOf(1, 4, [10])).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "InvalidArgument", details: { op: "dataParallel", argument: "params" } });
    // Another batch size is fine: only the rows differ.
    await step(params, batchOf(2, 7, [12]));
  }, 60_000);

  it("an output that cannot be averaged (int32): InvalidArgument naming it", async () => {
    const step = await parallel((p: Mlp, b: [Tensor, Tensor]) => [mlpLoss(p, b), argmax(p.b1)], 1);
    const e = await step(shareAll(mlpParams(1)), batchOf(1, 4, [12])).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "InvalidArgument", details: { op: "dataParallel", output: 1, dtype: "int32" } });
  });

  it("batch tensors of different lengths: ShapeMismatch", async () => {
    const step = await parallel(mlpStep, 1);
    const e = await step(shareAll(mlpParams(1)), [tensor([[1]]), tensor([[1], [2]])]).catch((x: unknown) => x);
    expect((e as AdError).code).toBe("ShapeMismatch");
  });
});
