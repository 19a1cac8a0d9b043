/**
 * Saving and loading safetensors files in Node. `node:fs` is imported dynamically, when one of these
 * is called, so the rest of `adjoint/nn` bundles for a browser without a Node shim.
 */
import { type AdError, describe, expectInteger, expectOptions, invalidArgument } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { decodeAll, saveSafetensors, type LoadedSafetensors } from "./safetensors.js";
import { headerLength, parseHeader } from "./safetensorsHeader.js";

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

export interface LoadFileOptions {
  /**
   * The largest file `loadFile` accepts, in bytes, checked against the file's size before anything
   * is read: 2 GiB unless given (`Infinity` for no limit).
   */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 2 ** 31;
/** Bytes per read: the data arrives in pieces of this size, each into its place in one buffer. */
const CHUNK = 2 ** 24;

/**
 * Reads a safetensors file: its tensors and metadata. Only a regular file (a symlink is followed)
 * no larger than `maxBytes` is read; its length prefix and header are read and checked first, then
 * exactly the data the header describes.
 */
export async function loadFile(path: string, options?: LoadFileOptions): Promise<LoadedSafetensors> {
  const op = "loadFile";
  const file = expectPath(op, path);
  const maxBytes = maxBytesOf(op, options);
  const fsp = await fs(op);
  const handle = await openRegularFile(op, fsp, file);
  try {
    // fstat of the opened file: what is read is what was checked, even if the path changes meanwhile.
    const { size } = await io(op, file, () => handle.stat());
    if (size > maxBytes) throw invalidArgument(op, `${file} is ${size} bytes, more than maxBytes (${maxBytes})`, { path: file, size, maxBytes });
    const n = headerLength(op, await readAt(op, file, handle, 0, Math.min(8, size)), size);
    const header = parseHeader(op, await readAt(op, file, handle, 8, n), size - 8 - n);
    return decodeAll(op, header, await readAt(op, file, handle, 8 + n, size - 8 - n));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function maxBytesOf(op: string, options: unknown): number {
  const { maxBytes } = expectOptions<LoadFileOptions>(op, options, ["maxBytes"]);
  if (maxBytes === undefined) return DEFAULT_MAX_BYTES;
  return maxBytes === Infinity ? Infinity : expectInteger(op, "maxBytes", maxBytes, 0);
}

type FileHandle = Awaited<ReturnType<typeof import("node:fs/promises").open>>;

/**
 * Opens `path` for reading and checks, on the open handle, that it is a regular file. Non-blocking,
 * so that opening a FIFO with no writer returns (to be refused) instead of waiting for one.
 */
async function openRegularFile(op: string, fsp: typeof import("node:fs/promises"), path: string): Promise<FileHandle> {
  const { constants } = fsp;
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
  let handle: FileHandle;
  try {
    handle = await fsp.open(path, flags);
  } catch (e) {
    // A socket cannot be opened at all (ENXIO): say what it is rather than only that it failed.
    const stats = await fsp.stat(path).catch(() => undefined);
    if (stats !== undefined && !stats.isFile()) throw notRegular(op, path, stats);
    return io(op, path, () => Promise.reject(e));
  }
  try {
    const stats = await io(op, path, () => handle.stat());
    if (!stats.isFile()) throw notRegular(op, path, stats);
    return handle;
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
}

function notRegular(op: string, path: string, stats: import("node:fs").Stats): AdError {
  const kind = stats.isDirectory()
    ? "a directory"
    : stats.isFIFO()
      ? "a FIFO (named pipe)"
      : stats.isCharacterDevice()
        ? "a character device"
        : stats.isBlockDevice()
          ? "a block device"
          : stats.isSocket()
            ? "a socket"
            : "not a regular file";
  return invalidArgument(op, `${path} is ${kind}, not a regular file: only regular files are read`, { path, kind });
}

/** Exactly `length` bytes at `position`, read in pieces into one buffer of that size. */
async function readAt(op: string, path: string, handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = new Uint8Array(length);
  } catch {
    throw invalidArgument(op, `cannot allocate ${length} bytes to read ${path}`, { path, length });
  }
  for (let done = 0; done < length;) {
    const { bytesRead } = await io(op, path, () => handle.read(out, done, Math.min(CHUNK, length - done), position + done));
    if (bytesRead === 0)
      throw invalidArgument(op, `${path} ended at byte ${position + done}, before the ${position + length} it had when opened (was it truncated meanwhile?)`, { path });
    done += bytesRead;
  }
  return out;
}
