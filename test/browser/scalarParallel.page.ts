/**
 * Runs in the browser (bundled by test/browser/scalarParallel.test.ts): parallelGradient on module
 * Workers started from the served worker script, against `gradient` on the page's own thread, in
 * each of the ways a function reaches a worker, and the failures a browser can produce. It reports
 * bits and error codes, not verdicts; the Node side asserts.
 */
import { AdError, gradient, parallelGradient, type MultivariateFn } from "../../src/index.js";
import { twoBody } from "../parallel/fixtures/twoBody.mjs";

export interface ScalarPageReport {
  /** Per worker count (1, 2, 3): whether every member's gradient has the bits of the page's own `gradient`. */
  readonly sourceForm: readonly boolean[];
  readonly moduleForm: boolean;
  /** "code: message" of each failure, or "resolved" when the call did not fail. */
  readonly freeVariable: string;
  readonly closedWorker: string;
  readonly timedOut: string;
  readonly missingScript: string;
  /** The source form again after the failures (fresh workers). */
  readonly after: boolean;
}

const orbit = twoBody as MultivariateFn;
const ensemble = Array.from({ length: 9 }, (_, i) => [1 + i / 9, 1, 0.1 * i, 0, 1 - i / 50]);
const WORKER = "scalarWorker.js";

const bits = (xs: ArrayLike<number>) => Array.from(new BigUint64Array(Float64Array.from(xs).buffer), String).join(",");
const sameAsHere = (got: Float64Array[]) => got.length === ensemble.length && got.every((g, i) => bits(g) === bits(gradient(orbit, ensemble[i])));

async function failure(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "resolved";
  } catch (e) {
    return e instanceof AdError ? `${e.code}: ${e.message}` : `not an AdError: ${String(e)}`;
  }
}

(globalThis as unknown as { adjointRun: () => Promise<ScalarPageReport> }).adjointRun = async () => {
  const sourceForm: boolean[] = [];
  for (const workers of [1, 2, 3]) sourceForm.push(sameAsHere(await parallelGradient(orbit, ensemble, { workers, worker: WORKER })));
  const moduleForm = sameAsHere(await parallelGradient({ module: "/twoBody.mjs", export: "twoBody" }, ensemble, { workers: 2, worker: WORKER }));
  const scale = 3;
  const freeVariable = await failure(parallelGradient((xs, S) => S.mul(xs[0], scale), [[1]], { worker: WORKER }));
  const closes: MultivariateFn = (xs) => {
    (globalThis as unknown as { close(): void }).close();
    return xs[0];
  };
  const closedWorker = await failure(parallelGradient(closes, [[1]], { workers: 1, worker: WORKER }));
  const spins: MultivariateFn = (xs) => {
    for (;;);
    return xs[0];
  };
  const timedOut = await failure(parallelGradient(spins, [[1]], { workers: 1, worker: WORKER, timeout: 500 }));
  const after = sameAsHere(await parallelGradient(orbit, ensemble, { workers: 2, worker: WORKER }));
  const missingScript = await failure(parallelGradient(orbit, [[1, 1, 0, 0, 1]], { workers: 1, worker: "missing.js" }));
  return { sourceForm, moduleForm, freeVariable, closedWorker, timedOut, missingScript, after };
};
