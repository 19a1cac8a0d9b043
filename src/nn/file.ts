/**
 * Saving and loading safetensors files in Node. `node:fs` is imported dynamically, when one of these
 * is called, so the rest of `adjoint/nn` bundles for a browser without a Node shim.
 */
import { describe, invalidArgument } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { readSafetensors, saveSafetensors, type LoadedSafetensors } from "./safetensors.js";

async function fs(op: string): Promise<typeof import("node:fs/promises")> {
  try {
    return await import("node:fs/promises");
  } catch {
    throw invalidArgument(op, "node:fs is not available here (a browser?): use saveSafetensors/loadSafetensors on bytes instead");
  }
}

function expectPath(op: string, path: unknown): string {
  if (typeof path !== "string" || path === "") throw invalidArgument(op, `path must be a non-empty string, got ${describe(path)}`);
  return path;
}

/** Writes `tensors` (e.g. `model.stateDict()`) to `path` as a safetensors file. */
export async function saveFile(path: string, tensors: Readonly<Record<string, Tensor>>, metadata?: Readonly<Record<string, string>>): Promise<void> {
  const op = "saveFile";
  const bytes = saveSafetensors(tensors, metadata);
  const file = expectPath(op, path);
  const { writeFile } = await fs(op);
  await io(op, file, () => writeFile(file, bytes));
}

/** A file system error (no such file, no permission) as an AdError naming the path. */
async function io<T>(op: string, path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    throw invalidArgument(op, `cannot access ${path}: ${e instanceof Error ? e.message : describe(e)}`, { path, cause: typeof code === "string" ? code : undefined });
  }
}

/** Reads a safetensors file: its tensors and metadata. */
export async function loadFile(path: string): Promise<LoadedSafetensors> {
  const op = "loadFile";
  const file = expectPath(op, path);
  const { readFile } = await fs(op);
  const buffer = await io(op, file, () => readFile(file));
  return readSafetensors(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
}
