/**
 * The demo's `--device` flag: `cpu` (the host, on the backend `--backend` picks) or `webgpu`, the GPU
 * through `navigator.gpu` or the optional `webgpu` package (Dawn for Node). Where no adapter exists
 * the demo says why and trains on the cpu instead, so `npm start -- --device webgpu` always runs.
 */
import { AdError } from "../src/errors.js";
import { initWebGPU, webgpuDevice } from "../src/backends/webgpu/index.js";
import type { ParameterTree } from "../src/nn/index.js";
import * as T from "../src/tensor/index.js";
import type { Tensor } from "../src/tensor/index.js";

export const DEVICES = ["cpu", "webgpu"] as const;
export type DeviceName = (typeof DEVICES)[number];

/** Registers the GPU for `"webgpu"` and says which adapter it found; the device to train on. */
export async function selectDevice(name: DeviceName): Promise<{ device: DeviceName; note: string }> {
  if (name === "cpu") return { device: "cpu", note: `cpu (${T.getBackend()} backend)` };
  try {
    const handle = await initWebGPU();
    T.registerDevice(webgpuDevice(handle));
    const { vendor, architecture, description } = handle.adapter;
    const adapter = [vendor, architecture, description].filter((s) => s !== "").join(" ");
    const software = architecture === "swiftshader" ? "; a software adapter: expect it to be slow" : "";
    return { device: "webgpu", note: `webgpu (adapter ${adapter || "unnamed"} from the ${handle.source}${software})` };
  } catch (error) {
    if (!(error instanceof AdError)) throw error;
    console.log(`\n--device webgpu: ${error.message}.`);
    console.log(
      `  Training on the cpu instead. Without a GPU, Chromium's software adapter works: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json LD_LIBRARY_PATH=/usr/lib/chromium`,
    );
    return { device: "cpu", note: `cpu (${T.getBackend()} backend; no WebGPU adapter)` };
  }
}

/** A copy of every tensor of `tree` on `device`, each a leaf that requires a gradient: the parameters to train there. */
export function parametersOn(tree: ParameterTree, device: DeviceName): ParameterTree {
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v instanceof T.Tensor ? v.detach().to(device).requireGrad() : parametersOn(v, device)]));
}

/** The tree's tensors by dotted name, read back to the host (the GPU reads only asynchronously): a state dict. */
export async function hostStateDict(tree: ParameterTree, prefix = ""): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tree)) {
    if (v instanceof T.Tensor) out[prefix + k] = T.tensor(await v.read(), { dtype: v.dtype, shape: [...v.shape] });
    else Object.assign(out, await hostStateDict(v, `${prefix}${k}.`));
  }
  return out;
}

/** The tensors of `tree`, in order: what the optimiser updates. */
export function leaves(tree: ParameterTree): Tensor[] {
  return Object.values(tree).flatMap((v) => (v instanceof T.Tensor ? [v] : leaves(v)));
}
