/**
 * The playground's device switch: `wasm` and `cpu` are the host's two backends (tensors stay on the
 * "cpu" device, `setBackend` picks the kernels), `webgpu` is the GPU through `navigator.gpu`, offered
 * only where the browser gives an adapter. The GPU device is made once and kept for the page's life.
 */
import { initWebGPU, webgpuDevice } from "../../src/backends/webgpu/index.js";
import { availableBackends, registerDevice, setBackend } from "../../src/tensor/index.js";

export type Choice = "wasm" | "cpu" | "webgpu";

/** The choices this page can make, best first. */
export async function availableChoices(): Promise<Choice[]> {
  const choices: Choice[] = availableBackends().filter((b): b is "wasm" | "cpu" => b === "wasm" || b === "cpu");
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu !== undefined && (await gpu.requestAdapter()) !== null) choices.push("webgpu");
  return choices;
}

let gpuDevice: Promise<string> | undefined;

/** Makes `choice` current; the device name tensors must be on (`"cpu"` or `"webgpu"`), and a label saying what it runs on. */
export async function useChoice(choice: Choice): Promise<{ device: string; label: string }> {
  if (choice !== "webgpu") {
    setBackend(choice);
    return { device: "cpu", label: choice };
  }
  gpuDevice ??= initWebGPU().then((handle) => {
    registerDevice(webgpuDevice(handle));
    const { vendor, architecture } = handle.adapter;
    return `webgpu (${[vendor, architecture].filter((s) => s !== "").join(" ") || "adapter"})`;
  });
  return { device: "webgpu", label: await gpuDevice };
}
