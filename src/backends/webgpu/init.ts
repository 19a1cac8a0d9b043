/// <reference types="@webgpu/types" />
/**
 * Acquiring a GPU: `initWebGPU(options?)` finds a `GPU` (the one the caller passes, else the
 * browser's `navigator.gpu`, else the optional `webgpu` package — Dawn for Node — loaded on demand),
 * picks an adapter and requests a device with the features the kernels use (`shader-f16` where the
 * adapter has it). The handle says which adapter it got. Nothing here is global: the handle is the
 * device's owner, and every later use goes through `checkAlive`, so a lost device is an `AdError` on
 * the next use instead of work that never completes.
 */
import { AdError, describe, expectOptions, invalidArgument } from "../../errors.js";

const OP = "initWebGPU";

export interface WebGPUOptions {
  /** The adapter to prefer where there are several (a laptop's integrated and discrete GPUs). */
  readonly powerPreference?: GPUPowerPreference;
  /** A `GPU` object to use instead of finding one (Deno's, a test double, `create([...])` of `webgpu` with flags). */
  readonly gpu?: GPU;
}

/** Which adapter the handle runs on, as the adapter reports it (fields may be empty strings). */
export interface AdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

/** Why the device was lost, once it has been. */
export interface LostInfo {
  readonly reason: string;
  readonly message: string;
}

export interface WebGPUHandle {
  /**
   * The GPU the device came from. Held for the device's lifetime: Dawn for Node frees its instance
   * when this object is garbage collected, and a device outliving it crashes the process.
   */
  readonly gpu: GPU;
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  /** Where the `GPU` came from: "option", "navigator.gpu" or "webgpu package". */
  readonly source: string;
  /** Whether the device was created with `shader-f16` (float16 kernels become possible). */
  readonly shaderF16: boolean;
  /** Set when the device is lost; every later use is an `AdError`. */
  lost: LostInfo | undefined;
}

const POWER_PREFERENCES: readonly string[] = ["low-power", "high-performance"];

/** The error for a use of a lost device: `UnsupportedOp` naming `op` and why the device went. */
export function lostError(op: string, lost: LostInfo): AdError {
  return new AdError("UnsupportedOp", `the WebGPU device was lost (${lost.reason}: ${lost.message}); create a new one with initWebGPU`, {
    op,
    device: "webgpu",
    reason: lost.reason,
  });
}

/** Throws `UnsupportedOp` naming `op` if the handle's device has been lost (or destroyed). */
export function checkAlive(handle: WebGPUHandle, op: string): void {
  if (handle.lost !== undefined) throw lostError(op, handle.lost);
}

/** A GPU from the options, the browser, or the `webgpu` package; the list of what was tried otherwise. */
async function findGPU(given: GPU | undefined, tried: string[]): Promise<{ gpu: GPU; source: string } | undefined> {
  if (given !== undefined) return { gpu: given, source: "option" };
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return { gpu: nav.gpu, source: "navigator.gpu" };
  tried.push("navigator.gpu (absent)");
  // A variable specifier, so that bundlers for the browser do not try to resolve the Node package.
  const specifier = "webgpu";
  try {
    const dawn = (await import(/* @vite-ignore */ specifier)) as { create(flags: string[]): GPU };
    return { gpu: dawn.create([]), source: "webgpu package" };
  } catch (error) {
    tried.push(`the webgpu package (${error instanceof Error ? error.message.split("\n")[0] : describe(error)})`);
    return undefined;
  }
}

/**
 * A WebGPU device and the adapter it runs on. No GPU, no adapter or a refused device is an
 * `UnsupportedOp` naming what was tried; an unknown option is an `InvalidArgument`.
 */
export async function initWebGPU(options?: WebGPUOptions): Promise<WebGPUHandle> {
  const { powerPreference, gpu } = expectOptions<WebGPUOptions>(OP, options, ["powerPreference", "gpu"]);
  if (powerPreference !== undefined && !POWER_PREFERENCES.includes(powerPreference)) {
    throw invalidArgument(OP, `powerPreference must be "low-power" or "high-performance", got ${describe(powerPreference)}`, {
      argument: "powerPreference",
      got: describe(powerPreference),
    });
  }
  if (gpu !== undefined && typeof (gpu as { requestAdapter?: unknown }).requestAdapter !== "function") {
    throw invalidArgument(OP, `gpu must be a GPU object (with requestAdapter), got ${describe(gpu)}`, { argument: "gpu", got: describe(gpu) });
  }
  const tried: string[] = [];
  const found = await findGPU(gpu, tried);
  const unsupported = (why: string) => new AdError("UnsupportedOp", `${why}; tried ${tried.join(", ")}`, { op: OP, device: "webgpu", tried: [...tried] });
  if (found === undefined) throw unsupported("no WebGPU implementation found");
  const adapter = await found.gpu.requestAdapter(powerPreference === undefined ? undefined : { powerPreference });
  tried.push(`${found.source}.requestAdapter(${powerPreference ?? ""})`);
  if (adapter === null) throw unsupported("no WebGPU adapter");
  const shaderF16 = adapter.features.has("shader-f16");
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures: shaderF16 ? ["shader-f16"] : [] });
  } catch (error) {
    throw unsupported(`the adapter refused a device (${error instanceof Error ? error.message : describe(error)})`);
  }
  const info = adapter.info;
  const handle: WebGPUHandle = {
    gpu: found.gpu,
    device,
    adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
    source: found.source,
    shaderF16,
    lost: undefined,
  };
  void device.lost.then((lost) => {
    handle.lost = { reason: lost.reason, message: lost.message };
  });
  return handle;
}
