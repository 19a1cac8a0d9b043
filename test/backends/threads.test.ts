/**
 * The worker pool: a product split among threads gives exactly the single-threaded bits (each C
 * element belongs to one thread and is summed in the same order), on random shapes, dtypes, views and
 * thread counts; setThreads validates and stops workers; a process that used the pool exits by itself.
 */
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import { matmul as wasmMatmul } from "../../src/backends/wasm/matmul.js";
import { getThreads, runningWorkers, setThreads, stopThreads } from "../../src/backends/wasm/pool.js";
import { cos, exp, randn, rng, sin, transpose, type Tensor } from "../../src/tensor/index.js";
import { errorCode } from "../support/errorCode.js";

const initial = getThreads();
afterAll(() => setThreads(initial));

const bits = (t: Tensor): number[] => Array.from(t.data());

describe.runIf(simdAvailable)("threads", () => {
  it.each([2, 3, 4])("a product split %i ways equals the single-threaded one, bit for bit (property)", (threads) => {
    setThreads(threads);
    const dim = fc.oneof(fc.constantFrom(1, 3, 4, 5, 8, 9), fc.integer({ min: 10, max: 90 }));
    fc.assert(
      fc.property(
        fc.record({ m: dim, k: dim, n: dim, batch: fc.constantFrom(1, 2), ta: fc.boolean(), dtype: fc.constantFrom("float32" as const, "float64" as const), seed: fc.integer() }),
        ({ m, k, n, batch, ta, dtype, seed }) => {
          const r = rng(seed);
          const a = ta ? transpose(randn([batch, k, m], { rng: r, dtype })) : randn([batch, m, k], { rng: r, dtype });
          const b = randn([k, n], { rng: r, dtype });
          const one = wasmMatmul(a, b, [batch], 0, Infinity); // never split
          const many = wasmMatmul(a, b, [batch], 0, 0); // always split
          expect(bits(many)).toEqual(bits(one));
        },
      ),
      { numRuns: 40 },
    );
    // Large enough that the packing of both operands is split too.
    for (const dtype of ["float32", "float64"] as const) {
      const r = rng(threads);
      const a = randn([300, 257], { rng: r, dtype });
      const b = transpose(randn([301, 257], { rng: r, dtype }));
      const split = bits(wasmMatmul(a, b, [], 0, 0));
      setThreads(1);
      expect(split).toEqual(bits(wasmMatmul(a, b, [], 0, 0)));
      setThreads(threads);
    }
    wasmMatmul(randn([64, 64]), randn([64, 64]), [], 0, 0);
    expect(runningWorkers()).toBe(threads - 1);
  });

  it("a large transcendental op split among threads equals the single-threaded one, flags from the workers' parts included", () => {
    const n = 300_007;
    const x = randn([n], { rng: rng(5) });
    // Huge arguments (past the kernels' exact range reduction) only near the end, in a worker's part:
    // the worker's flag must bring them back to the reference's Math.sin.
    for (let i = n - 100; i < n; i += 7) x.storage[i] = 1e30 * (1 + i / n);
    setThreads(1);
    const one = [sin(x), cos(x), exp(x)].map(bits);
    setThreads(3);
    expect([sin(x), cos(x), exp(x)].map(bits)).toEqual(one);
    expect(bits(sin(x)).slice(n - 100)).toEqual(Array.from(x.storage.slice(n - 100), (v) => Math.fround(Math.sin(v))));
  });

  it("setThreads validates its argument; workers start on demand, sleep when unused, stop on stopThreads", () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity, "2", 257, undefined]) expect(errorCode(() => setThreads(bad as never))).toBe("InvalidArgument");
    stopThreads();
    expect(runningWorkers()).toBe(0);
    setThreads(3);
    expect(getThreads()).toBe(3);
    expect(runningWorkers()).toBe(0); // nothing started before a call needs it
    const [a, b] = [randn([64, 64]), randn([64, 64])];
    const c = bits(wasmMatmul(a, b, [], 0, 0));
    expect(runningWorkers()).toBe(2);
    setThreads(2); // fewer: the extra worker sleeps
    expect(bits(wasmMatmul(a, b, [], 0, 0))).toEqual(c);
    expect(runningWorkers()).toBe(2);
    stopThreads();
    expect(runningWorkers()).toBe(0);
    expect(bits(wasmMatmul(a, b, [], 0, 0))).toEqual(c); // started again
    expect(runningWorkers()).toBe(1);
  });

  it("a script that ran threaded products exits on its own, with the right result", () => {
    const script = `
      import { matmul, randn, rng, setThreads, sum } from "adjoint/tensor";
      setThreads(2);
      const r = rng(3);
      const a = randn([300, 300], { rng: r }), b = randn([300, 300], { rng: r });
      const c = matmul(a, b);
      setThreads(1);
      const d = matmul(a, b);
      const [x, y] = [c.data(), d.data()];
      console.log(JSON.stringify({ same: x.every((v, i) => Object.is(v, y[i])) }));
    `;
    const root = new URL("../..", import.meta.url);
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8", timeout: 30000 });
    expect(JSON.parse(out.trim())).toEqual({ same: true });
    const keepsWorkers = script.replace("setThreads(1);\n      const d = matmul(a, b);", "const d = c;");
    expect(JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", keepsWorkers], { cwd: root, encoding: "utf8", timeout: 30000 }).trim())).toEqual({ same: true });
  });
});
