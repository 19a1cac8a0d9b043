/**
 * Runs in the browser (bundled by test/browser/parallel.test.ts): `dataParallel` on two module
 * Workers against the single-thread step, twice (for the bits), then with a worker terminated
 * mid-step; on a page that is not cross-origin isolated, what `dataParallel` and `share` say. It
 * reports numbers and error codes, not verdicts; the Node side asserts.
 */
import { isAdError } from "../../src/errors.js";
import { dataParallel, share } from "../../src/parallel/index.js";
import { flatten } from "../../src/tensor/autograd/pytree.js";
import { batchOf, mlpParams, mlpStep } from "../parallel/models.js";

export interface ParallelPageReport {
  readonly crossOriginIsolated: boolean;
  /** Largest |parallel − single| over the outputs, over the largest |single| (float64). */
  readonly relativeError?: number;
  readonly bitwiseRepeatable?: boolean;
  /** The code and op of the error when a worker is terminated mid-step. */
  readonly death?: { readonly code: string; readonly op: unknown };
  /** Not isolated: the errors of `dataParallel` and `share`. */
  readonly refused?: { readonly code: string; readonly message: string }[];
}

const values = (tree: unknown) => flatten("page", tree).leaves.flatMap((t) => Array.from(t.data()));

function caught(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isAdError(e)) return { code: e.code, message: e.message };
    return { code: "not an AdError", message: String(e) };
  }
  return { code: "no error", message: "" };
}

async function run(): Promise<ParallelPageReport> {
  const crossOriginIsolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const params = mlpParams(1);
  if (!crossOriginIsolated) {
    return {
      crossOriginIsolated,
      refused: [caught(() => dataParallel(mlpStep, { workers: 2, workerUrl: "worker.js" })), caught(() => share(params.w1))],
    };
  }
  const shared = { w1: share(params.w1), b1: share(params.b1), w2: share(params.w2), b2: share(params.b2) };
  const batch = batchOf(2, 9, [12]);
  const step = dataParallel(mlpStep, { workers: 2, workerUrl: "worker.js" });
  const first = values(await step(shared, batch));
  const again = values(await step(shared, batch));
  const want = values(mlpStep(params, batch));
  const scale = Math.max(...want.map(Math.abs));
  const relativeError = Math.max(...first.map((x, i) => Math.abs(x - want[i]))) / scale;
  const running = step(shared, batch);
  step.group?.terminate(1);
  const death = await running.then(
    () => ({ code: "no error", op: undefined }),
    (e: unknown) => (isAdError(e) ? { code: e.code, op: e.details.op } : { code: String(e), op: undefined }),
  );
  step.close();
  return { crossOriginIsolated, relativeError, bitwiseRepeatable: first.every((x, i) => Object.is(x, again[i])), death };
}

(globalThis as { adjointRun?: typeof run }).adjointRun = run;
