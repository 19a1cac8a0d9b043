/**
 * Devices: where a tensor's storage lives. A device owns its buffers (`write` copies host data into
 * a new one, `adopt` takes a kernel's fresh output, `free` releases one at once) and answers reads
 * asynchronously (`read`); `readSync` exists only where it can answer at once. It carries its
 * `kernels` (a `Backend`): `bind` hands them to the primitive it evaluates on the device's buffers,
 * inside `run`. A device's buffers are host typed arrays or its own opaque handles (buffer.ts: a GPU
 * buffer); the host device "cpu" runs the `setBackend` kernels ("cpu" loops or "wasm"), read at each
 * op so `setBackend` keeps working.
 * A tensor compares devices by identity, so the check in `bind` costs one comparison.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { kernels, type Backend } from "./backend.js";
import { hostStorage, type DeviceBuffer } from "./buffer.js";
import type { Storage } from "./dtype.js";

export type { DeviceBuffer };

export interface Device {
  readonly name: string;
  /** "host" for main memory, "webgpu" for a GPU. */
  readonly kind: string;
  /** A new buffer of this device holding a copy of `data` (host memory). */
  write(data: Storage): DeviceBuffer;
  /** Takes ownership of `buffer`, a kernel's freshly allocated output (or host memory to move over), as one of this device's. */
  adopt(buffer: DeviceBuffer): DeviceBuffer;
  /**
   * One more tensor holds `buffer` (every tensor made over it calls this, so views sharing a buffer
   * are counted); absent where garbage collection is the only owner (the host).
   */
  readonly retain?: (buffer: DeviceBuffer) => void;
  /** A holder of `buffer` lets go: released now if no other holds it (the host leaves it to garbage collection). */
  free(buffer: DeviceBuffer): void;
  /** The buffer's elements in host memory. */
  read(buffer: DeviceBuffer): Promise<Storage>;
  /** The same, at once; absent where the device cannot answer synchronously. */
  readonly readSync?: (buffer: DeviceBuffer) => Storage;
  /** The kernels that run on this device's buffers (every primitive's forward calls them). */
  readonly kernels: Backend;
  /** Runs the kernel of primitive `op` on this device's buffers. */
  run<T>(op: string, kernel: () => T): T;
  /** The widest float dtype its buffers hold (absent: float64): where code that accumulates in float64 on the host must narrow. */
  readonly widestFloat?: "float32" | "float64";
}

/** The widest float dtype `device` holds: float64 unless it says otherwise (the GPU holds float32 at most). */
export function widestFloat(device: Device): "float32" | "float64" {
  return device.widestFloat ?? "float64";
}

/** Main memory: typed arrays, the kernels of `setBackend` ("cpu" or "wasm"), garbage collected. */
export const host: Device = {
  name: "cpu",
  kind: "host",
  write: (data) => data.slice(),
  adopt: (buffer) => buffer,
  free: () => {},
  read: (buffer) => Promise.resolve(hostStorage({ storage: buffer }, "read")),
  readSync: (buffer) => hostStorage({ storage: buffer }, "readSync"),
  get kernels() {
    return kernels();
  },
  run: (_op, kernel) => kernel(),
};

const registry = new Map<string, Device>([[host.name, host]]);
let current: Device = host;

/** The devices known to this engine: "cpu" first, then those registered. */
export function devices(): Device[] {
  return [...registry.values()];
}

/** Adds a device (a backend's, or a test's); its name must be new. */
export function registerDevice(device: Device): Device {
  const op = "registerDevice";
  const fields = ["write", "adopt", "free", "read", "run"] as const;
  if (typeof device !== "object" || device === null || typeof device.name !== "string" || typeof device.kind !== "string" || fields.some((f) => typeof device[f] !== "function")) {
    throw invalidArgument(op, `a device needs a string name and kind and the functions ${fields.join(", ")}, got ${describe(device)}`, { got: describe(device) });
  }
  if (typeof device.kernels !== "object" || device.kernels === null) {
    throw invalidArgument(op, `device ${describe(device.name)} has no kernels: a device needs a Backend as its \`kernels\``, { device: device.name, missing: "kernels" });
  }
  if (registry.has(device.name)) throw invalidArgument(op, `a device named ${describe(device.name)} exists`, { device: device.name });
  registry.set(device.name, device);
  return device;
}

/** The device of that name, or `InvalidArgument` naming the known devices. */
export function getDevice(name: string): Device {
  return named("getDevice", name);
}

function named(op: string, name: unknown): Device {
  const found = typeof name === "string" ? registry.get(name) : undefined;
  if (found === undefined)
    throw invalidArgument(op, `unknown device ${describe(name)}; the devices are ${[...registry.keys()].join(", ")}`, { device: describe(name), devices: [...registry.keys()] });
  return found;
}

/** A device given as itself or by name (an option value), checked. */
export function expectDevice(op: string, device: unknown): Device {
  if (typeof device === "string") return named(op, device);
  if (typeof device === "object" && device !== null && registry.get((device as Device).name) === device) return device as Device;
  throw invalidArgument(op, `device must be a device or the name of one, got ${describe(device)}`, { argument: "device", got: describe(device) });
}

/** Where creation functions put a tensor when no `{ device }` is given ("cpu" at start). */
export function defaultDevice(): Device {
  return current;
}

/** Sets the device of later creation functions without `{ device }`. */
export function setDefaultDevice(device: Device | string): void {
  current = expectDevice("setDefaultDevice", device);
}

/** `UnsupportedOp` for a synchronous read `op` of a device that reads only asynchronously. */
export function noSyncRead(op: string, device: Device, instead: string): AdError {
  return new AdError("UnsupportedOp", `${op} cannot read the ${device.name} device synchronously; use ${instead}`, { op, device: device.name, instead });
}
