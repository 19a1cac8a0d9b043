/**
 * The worker threads under `dataParallel` (startWorkers/serveRequests) and the run-time half of what
 * may cross a thread: a shared tensor is posted without copying (the worker's write is seen here),
 * replies and typed errors come back, a worker that exits or stalls fails its request (never a hang),
 * and everything the rules forbid is an `InvalidArgument` naming the object and the rule.
 */
import { afterEach, describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { Linear } from "../../src/nn/index.js";
import { expectPostable, share, startWorkers, type WorkerGroup } from "../../src/parallel/index.js";
import { Tape } from "../../src/scalar/index.js";
import { differentiate } from "../../src/transform/index.js";
import { jit } from "../../src/jit/index.js";
import { mul, rng, tensor, Tensor, type Device } from "../../src/tensor/index.js";
import { workerUrl } from "../support/parallelWorker.js";

const echo = () => workerUrl("test/parallel/echo.worker.ts");
const groups: WorkerGroup[] = [];
afterEach(() => groups.splice(0).forEach((g) => g.close()));

async function start(n: number, timeoutMs?: number): Promise<WorkerGroup> {
  const g = await startWorkers(await echo(), n, timeoutMs === undefined ? undefined : { timeoutMs });
  groups.push(g);
  return g;
}

describe("startWorkers", () => {
  it("answers requests, and a shared tensor crosses without a copy (the worker's write is seen here)", async () => {
    const g = await start(2);
    expect(await g.request(1, { a: [1, "x", null], b: new Float64Array([2.5]) })).toEqual({ a: [1, "x", null], b: new Float64Array([2.5]) });
    const t = share(tensor([1, 2, 3]));
    expect(await g.request(0, t)).toBe("doubled");
    expect(Array.from(t.data())).toEqual([2, 4, 6]);
  }, 30_000);

  it("a handler's AdError comes back with its code, message and details", async () => {
    const g = await start(1);
    const e = await g.request(0, "fail").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AdError);
    expect(e).toMatchObject({ code: "SingularMatrix", message: "echo: asked to fail", details: { op: "echo", value: 3 } });
    expect(g.alive(0)).toBe(true);
  }, 30_000);

  it("a worker that exits fails its request and the next one; the others go on", async () => {
    const g = await start(2);
    // The reason reads after "it", as parallelGradient's and dataParallel's messages put it.
    await expect(g.request(0, "exit")).rejects.toMatchObject({
      code: "UnsupportedOp",
      message: expect.stringMatching(/died \(it exited with code 3\)$/),
      details: { worker: 0, reason: "exited with code 3" },
    });
    expect(g.alive(0)).toBe(false);
    await expect(g.request(0, 1)).rejects.toMatchObject({ code: "UnsupportedOp" });
    expect(await g.request(1, 7)).toBe(7);
  }, 30_000);

  it("a worker that stalls is terminated after timeoutMs", async () => {
    const g = await start(1, 500);
    await expect(g.request(0, "hang")).rejects.toMatchObject({ code: "UnsupportedOp", details: { reason: expect.stringMatching(/timeoutMs/) } });
    expect(g.alive(0)).toBe(false);
  }, 30_000);

  it("a module that cannot load: UnsupportedOp, no hang", async () => {
    const e = await startWorkers(new URL("file:///nonexistent/adjoint-worker.mjs"), 1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AdError);
    expect((e as AdError).code).toBe("UnsupportedOp");
  }, 30_000);
});

describe("what may not cross a thread (run-time check)", () => {
  const gpu = { name: "webgpu:0", kind: "webgpu" } as unknown as Device;
  const tape = new Tape();
  const cases: [string, unknown, RegExp][] = [
    ["a tensor not in shared memory", tensor([1, 2]), /not shared memory: share\(\) it/],
    ["a tensor on a GPU", new Tensor(new Float32Array(2), "float32", [2], [1], 0, gpu), /on webgpu:0: a device buffer is bound/],
    ["a tape variable", tape.variable(2), /instance of Var/],
    ["a tape", tape, /instance of Tape/],
    ["a graph node", mul(tensor([1], { requiresGrad: true }), 2).node, /instance of Node/],
    ["a module", new Linear(2, 2, { rng: rng(0) }), /instance of Linear/],
    ["a jitted function", jit((x: Tensor) => x), /a function/],
    ["a differentiate()d function", differentiate((x: number) => x * x), /a function/],
  ];
  it.each(cases)("%s: InvalidArgument naming the object and the rule", (_, value, why) => {
    let e: unknown;
    try {
      expectPostable("post", "message", { payload: [value] });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(AdError);
    expect((e as AdError).code).toBe("InvalidArgument");
    expect((e as AdError).message).toMatch(why);
    expect((e as AdError).details).toMatchObject({ op: "post", path: "message.payload[0]", rule: expect.stringMatching(/share\(\)d host tensors/) });
  });

  it("WorkerGroup.request refuses them before posting", async () => {
    const g = await start(1);
    await expect(g.request(0, tensor([1]) as never)).rejects.toMatchObject({ code: "InvalidArgument", details: { op: "WorkerGroup.request" } });
  }, 30_000);

  it("share refuses a tensor on a GPU", () => {
    expect(() => share(new Tensor(new Float32Array(2), "float32", [2], [1], 0, gpu))).toThrow(/host tensors only|toAsync/);
  });
});
