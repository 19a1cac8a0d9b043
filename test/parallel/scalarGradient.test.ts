/**
 * parallelGradient: an ensemble's gradients on worker threads equal the single-threaded tape's bit
 * for bit, for every member and every worker count; the three ways a function reaches a worker
 * (its source, a module's export, differentiate's generated code); and the failures: a free
 * variable, a worker that dies, one that never finishes, f's own errors.
 *
 * The worker script is src/parallel/scalarWorker.ts bundled (test/support/scalarWorker.ts); the
 * package's own script, found without the `worker` option, is tested from dist/ below.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { AdError, differentiate, gradient, parallelGradient, parallelValueAndGradient, stopScalarWorkers, valueAndGradient, type MultivariateFn } from "../../src/index.js";
import { generate } from "../../src/transform/generate.js";
import { precompiled } from "../../src/transform/precompiled.js";
import { scalarWorkerScript } from "../support/scalarWorker.js";
import { twoBody } from "./fixtures/twoBody.mjs";

const worker = await scalarWorkerScript();
const fixture = new URL("./fixtures/twoBody.mjs", import.meta.url);

afterAll(() => stopScalarWorkers());

const orbit = twoBody as MultivariateFn;

/** A member of the ensemble: μ, position and velocity near a circular orbit. */
const member = fc.tuple(
  fc.double({ min: 0.5, max: 2, noNaN: true }),
  fc.double({ min: 0.8, max: 1.2, noNaN: true }),
  fc.double({ min: -0.2, max: 0.2, noNaN: true }),
  fc.double({ min: -0.3, max: 0.3, noNaN: true }),
  fc.double({ min: 0.7, max: 1.3, noNaN: true }),
);

/** The bits of each number, so −0 and 0 (and any last-place difference) count as different. */
const bits = (xs: ArrayLike<number>) => Array.from(new BigUint64Array(Float64Array.from(xs).buffer), String);

async function expectRejects(promise: Promise<unknown>, code: string, match: RegExp): Promise<AdError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AdError);
  expect((e as AdError).code).toBe(code);
  expect((e as AdError).message).toMatch(match);
  return e as AdError;
}

describe("parallelGradient: the ensemble's gradients, bit for bit", () => {
  it("equal the single-threaded tape's for every member, across worker counts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(member, { minLength: 1, maxLength: 13 }), fc.integer({ min: 1, max: 3 }), async (inputs, workers) => {
        const got = await parallelGradient(orbit, inputs, { workers, worker });
        expect(got).toHaveLength(inputs.length);
        inputs.forEach((x, i) => expect(bits(got[i])).toEqual(bits(gradient(orbit, x))));
      }),
      { numRuns: 12 },
    );
  });

  it("values too, and the gradients are views of one array in input order", async () => {
    const inputs = [
      [1, 1, 0, 0, 1],
      [1.5, 0.9, 0.1, 0, 1.1],
      [0.7, 1.1, -0.1, 0.2, 0.8],
    ];
    const { values, gradients } = await parallelValueAndGradient(orbit, inputs, { workers: 2, worker, checkFinite: true });
    inputs.forEach((x, i) => {
      const one = valueAndGradient(orbit, x);
      expect(bits([values[i]])).toEqual(bits([one.value]));
      expect(bits(gradients[i])).toEqual(bits(one.gradient));
      expect(gradients[i].buffer).toBe(gradients[0].buffer);
      expect(gradients[i].byteOffset).toBe(i * 5 * 8);
    });
  });

  it("members of different lengths, and none", async () => {
    const sumSquares: MultivariateFn = (xs, S) => xs.reduce((s, x) => S.add(s, S.mul(x, x)), S.from(0));
    const got = await parallelGradient(sumSquares, [[1], [2, 3], [], Float64Array.of(4, 5, 6)], { workers: 2, worker });
    expect(got.map((g) => Array.from(g))).toEqual([[2], [4, 6], [], [8, 10, 12]]);
    expect(await parallelGradient(sumSquares, [], { worker })).toEqual([]);
  });
});

describe("how f reaches a worker", () => {
  it("a module URL and an export's name", async () => {
    const inputs = [
      [1, 1, 0, 0, 1],
      [1.2, 1, 0.1, 0.1, 0.9],
    ];
    const got = await parallelGradient({ module: fixture, export: "twoBody" }, inputs, { workers: 2, worker });
    inputs.forEach((x, i) => expect(bits(got[i])).toEqual(bits(gradient(orbit, x))));
    await expectRejects(parallelGradient({ module: fixture, export: "notAFunction" }, inputs, { worker }), "InvalidArgument", /no function export "notAFunction"/);
    await expectRejects(parallelGradient({ module: new URL("./fixtures/missing.mjs", import.meta.url) }, inputs, { worker }), "InvalidArgument", /did not load in a worker/);
  });

  it("a differentiate'd function, from its generated code", async () => {
    const spring = differentiate((p: Float64Array) => {
      let x = p[0];
      let v = p[1];
      for (let i = 0; i < 50; i++) {
        v = v - 0.1 * p[2] * Math.sin(x);
        x = x + 0.1 * v;
      }
      return x * x + v * v;
    });
    const inputs = [
      [0.1, 0, 1],
      [0.5, 0.2, 2],
      [1, -0.3, 0.5],
    ];
    const got = await parallelGradient(spring, inputs, { workers: 2, worker });
    inputs.forEach((x, i) => expect(bits(got[i])).toEqual(bits(spring(Float64Array.from(x)).gradient[0] as Float64Array)));

    const product = differentiate((a: number, b: number) => a * Math.exp(b));
    const pair = await parallelValueAndGradient(product, [[2, 0.5]], { worker });
    const one = product(2, 0.5);
    expect(bits([pair.values[0], ...pair.gradients[0]])).toEqual(bits([one.value, ...(one.gradient as number[])]));
    await expectRejects(parallelGradient(product, [[1, 2, 3]], { worker }), "InvalidArgument", /takes 2 arguments/);
  });

  it("a free variable is an InvalidArgument naming it", async () => {
    const scale = 3;
    const f: MultivariateFn = (xs, S) => S.mul(xs[0], scale);
    const e = await expectRejects(
      parallelGradient(f, [[1], [2]], { workers: 2, worker }),
      "InvalidArgument",
      /f reads scale, which is not defined in a worker.*self-contained.*module/,
    );
    expect(e.details).toMatchObject({ op: "parallelGradient", name: "scale", argument: "f" });
  });

  it("built-in functions and transform results other than reverse mode are refused before any worker starts", async () => {
    await expectRejects(parallelGradient(Math.sin as never, [[1]], { worker }), "InvalidArgument", /built-in or bound/);
    const forward = differentiate((a: number) => a * a, { mode: "forward" });
    await expectRejects(parallelGradient(forward as never, [[1]], { worker }), "InvalidArgument", /it is a forward derivative, not a reverse-mode one/);
    // A build-time derivative (adjoint/plugin) keeps no kernel text to compile again.
    const g = generate("(a) => a * a");
    const built = precompiled(
      { mode: "reverse", kinds: g.kinds, source: g.source, kernel: new Function(`return ${g.kernelFactoryCode}`)(), entry: new Function(`return ${g.entryCode}`)() },
      (a: number) => a * a,
    );
    await expectRejects(parallelGradient(built, [[1]], { worker }), "InvalidArgument", /generated at build time/);
  });
});

describe("failures end the call with an AdError, never a hang", () => {
  it("a worker that dies mid-call; the next call starts fresh workers", async () => {
    const dies: MultivariateFn = (xs, S) => {
      if (S.value(xs[0]) === 3) (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(7);
      return S.mul(xs[0], xs[0]);
    };
    const e = await expectRejects(parallelGradient(dies, [[1], [2], [3], [4]], { workers: 2, worker }), "UnsupportedOp", /worker \d died \(it exited with code 7\)/);
    expect(e.details.op).toBe("parallelGradient");
    const after = await parallelGradient(dies, [[1], [2]], { workers: 2, worker });
    expect(after.map((g) => g[0])).toEqual([2, 4]);
  });

  it("a worker that never finishes is stopped at the timeout", async () => {
    const spins: MultivariateFn = (xs) => {
      for (;;);
      return xs[0];
    };
    await expectRejects(parallelGradient(spins, [[1]], { workers: 1, worker, timeout: 300 }), "UnsupportedOp", /did not finish within the timeout of 300 ms/);
  });

  it("stopScalarWorkers during a call fails the call", async () => {
    const spins: MultivariateFn = (xs) => {
      for (;;);
      return xs[0];
    };
    const call = parallelGradient(spins, [[1], [2]], { workers: 2, worker });
    await new Promise((resolve) => setTimeout(resolve, 200));
    stopScalarWorkers();
    await expectRejects(call, "UnsupportedOp", /stopScalarWorkers\(\) was called while the workers ran this call/);
  });

  it("a timeout beyond what timers hold (2^31 − 1 ms) is no limit, not an immediate one", async () => {
    const got = await parallelGradient(orbit, [[1, 1, 0, 0, 1]], { workers: 1, worker, timeout: 1e10 });
    expect(bits(got[0])).toEqual(bits(gradient(orbit, [1, 1, 0, 0, 1])));
  });

  it("a worker script that does not load", async () => {
    await expectRejects(parallelGradient(orbit, [[1, 1, 0, 0, 1]], { worker: join(dirname(worker), "missing.mjs") }), "UnsupportedOp", /worker 0 died/);
  });

  it("f's AdErrors come back with their code and the member's index; other throws as InvalidArgument", async () => {
    const junk = (() => "nope") as unknown as MultivariateFn;
    const e = await expectRejects(parallelGradient(junk, [[1]], { worker }), "InvalidArgument", /^parallelGradient: inputs\[0\]: f must return the value it computed/);
    expect(e.details).toMatchObject({ op: "parallelGradient", argument: "f", returned: '"nope"', index: 0 });
    const throws: MultivariateFn = (xs, S) => {
      if (S.value(xs[0]) > 1) throw new RangeError("too far");
      return xs[0];
    };
    await expectRejects(parallelGradient(throws, [[1], [2]], { worker }), "InvalidArgument", /f threw at inputs\[1\]: RangeError: too far/);
    const nonFinite: MultivariateFn = (xs, S) => S.log(xs[0]);
    const nan = await expectRejects(
      parallelValueAndGradient(nonFinite, [[2], [-1]], { worker, checkFinite: true }),
      "NonFinite",
      /^parallelValueAndGradient: inputs\[1\]: .*\(in Tape\.log\)$/,
    );
    expect(nan.details).toMatchObject({ op: "parallelValueAndGradient", inner: "Tape.log", index: 1 });
  });

  it("bad inputs and options", async () => {
    await expectRejects(parallelGradient(orbit, [[1, NaN]], { worker }), "InvalidArgument", /inputs\[0\]\[1\] must be a finite number/);
    await expectRejects(parallelGradient(orbit, [1] as never, { worker }), "InvalidArgument", /inputs\[0\] must be an array/);
    await expectRejects(parallelGradient(orbit, [[1]], { workers: 0, worker }), "InvalidArgument", /workers must be an integer/);
    await expectRejects(parallelGradient(orbit, [[1]], { timeout: -1, worker }), "InvalidArgument", /timeout must be a positive/);
    await expectRejects(parallelGradient({ module: "not a url" }, [[1]], { worker }), "InvalidArgument", /f.module must be an absolute URL/);
    await expectRejects(parallelGradient({ module: fixture, exports: "x" } as never, [[1]], { worker }), "InvalidArgument", /unknown option "exports"/);
  });
});

describe.runIf(existsSync("dist/src/index.js"))("from the built package", () => {
  it("finds its own worker script (no worker option)", () => {
    const code = `
      import { parallelGradient, gradient } from "adjoint";
      const f = (xs, S) => S.mul(S.sin(xs[0]), xs[1]);
      const got = await parallelGradient(f, [[1, 2], [3, 4]], { workers: 2 });
      console.log(JSON.stringify(got.map((g, i) => Array.from(g).every((v, j) => Object.is(v, gradient(f, [[1, 2], [3, 4]][i])[j])))));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual([true, true]);
  });

  it("adjoint/parallel/scalarWorker (for bundlers) does nothing when imported outside a worker", () => {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", `console.log(Object.keys(await import("adjoint/parallel/scalarWorker")).length)`], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(out.trim()).toBe("0");
  });
});
