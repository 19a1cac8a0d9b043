/**
 * What every GPU checks script (test/webgpu/*.checks.ts) shares: the adapter with the "webgpu" device
 * registered and uncaptured GPU errors collected, the element comparisons and the `UnsupportedOp`
 * check that each turn a mismatch into one line of the report, and the report printed at the end.
 */
import { AdError } from "../../src/errors.js";
import * as ops from "../../src/tensor/index.js";
import { initWebGPU, webgpuDevice, type WebGPUHandle } from "../../src/backends/webgpu/index.js";

/** The adapter, the registered "webgpu" device and the list its uncaptured errors land in. */
export async function startGPU(): Promise<{ handle: WebGPUHandle; gpu: ReturnType<typeof webgpuDevice>; errors: string[] }> {
  const handle = await initWebGPU();
  const errors: string[] = [];
  handle.device.addEventListener("uncapturederror", (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  const gpu = ops.registerDevice(webgpuDevice(handle)) as ReturnType<typeof webgpuDevice>;
  return { handle, gpu, errors };
}

/** A number as a failure line shows it: -0 apart from 0. */
export const show = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));

/** The first element where got and want differ bit for bit (NaN equal to NaN, -0 not to 0), or undefined. */
export function bitDifference(got: ArrayLike<number>, want: ArrayLike<number>): string | undefined {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) return `element ${i} is ${show(got[i])}, want ${show(want[i])}`;
  return undefined;
}

/** The first element of got off want by more than tol·(1 + |want|) (NaN never within), or undefined. */
export function toleranceDifference(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): string | undefined {
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) return `element ${i} is ${got[i]}, want ${want[i]}`;
  }
  return undefined;
}

/** What is wrong with f's refusal: it must throw `UnsupportedOp` with these details and a message naming `naming`. */
export function refusalProblems(f: () => unknown, details: Record<string, unknown>, naming?: string): string[] {
  try {
    f();
    return ["did not throw"];
  } catch (error) {
    if (!(error instanceof AdError) || error.code !== "UnsupportedOp") return [`threw ${String(error)}, want UnsupportedOp`];
    const problems = Object.entries(details)
      .filter(([k, v]) => error.details[k] !== v)
      .map(([k, v]) => `details.${k} is ${String(error.details[k])}, want ${String(v)}`);
    if (naming !== undefined && !error.message.includes(naming)) problems.push(`"${error.message}" does not name ${naming}`);
    return problems;
  }
}

/** Waits for the GPU's queue, prints the report as the one JSON line runChecks reads, and exits. */
export async function finish(handle: WebGPUHandle, report: object): Promise<never> {
  await handle.device.queue.onSubmittedWorkDone();
  console.log(JSON.stringify(report));
  process.exit(0);
}
