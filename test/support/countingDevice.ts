/**
 * A second device for tests, and the smallest complete device: its buffers are host typed arrays and
 * its kernels are the reference backend's, wrapped to count calls per kernel. It is not the host — it
 * counts allocations, frees, primitive launches and kernel calls, remembers which buffers are freed
 * (once the last tensor holding one lets go),
 * and reads only asynchronously, as a GPU will.
 */
import { backendKernels, getDevice, registerDevice, type Backend, type Device, type DeviceBuffer } from "../../src/tensor/index.js";
import type { Storage } from "../../src/backends/dtype.js";

export interface CountingDevice extends Device {
  allocations: number;
  frees: number;
  /** Kernel launches by primitive name (one per `run`). */
  readonly launches: Map<string, number>;
  /** Calls by kernel name (`matmul`, `binary`, `copy`, …): what the primitives asked of the backend. */
  readonly kernelCalls: Map<string, number>;
  /** Whether `buffer` has been freed. */
  isFreed(buffer: DeviceBuffer): boolean;
  reset(): void;
}

/** The reference kernels, each call counted in `calls` under the kernel's name. */
function countedKernels(calls: Map<string, number>): Backend {
  const counted: Record<string, unknown> = {};
  for (const [name, kernel] of Object.entries(backendKernels("cpu"))) {
    counted[name] =
      typeof kernel !== "function"
        ? kernel
        : (...args: unknown[]) => {
            calls.set(name, (calls.get(name) ?? 0) + 1);
            return (kernel as (...a: unknown[]) => unknown)(...args);
          };
  }
  return counted as unknown as Backend;
}

function makeCountingDevice(): CountingDevice {
  const freed = new WeakSet<DeviceBuffer>();
  const holders = new WeakMap<DeviceBuffer, number>();
  const kernelCalls = new Map<string, number>();
  const device: CountingDevice = {
    name: "counting",
    kind: "test",
    allocations: 0,
    frees: 0,
    launches: new Map(),
    kernelCalls,
    kernels: countedKernels(kernelCalls),
    write(data) {
      device.allocations++;
      return data.slice();
    },
    adopt(buffer) {
      device.allocations++;
      return buffer;
    },
    // Views share a buffer: it counts as freed once every tensor made over it has let go.
    retain(buffer) {
      holders.set(buffer, (holders.get(buffer) ?? 0) + 1);
    },
    free(buffer) {
      device.frees++;
      const left = (holders.get(buffer) ?? 0) - 1;
      holders.set(buffer, left);
      if (left <= 0) freed.add(buffer);
    },
    read: async (buffer) => {
      await Promise.resolve();
      return (buffer as Storage).slice();
    },
    run(op, kernel) {
      device.launches.set(op, (device.launches.get(op) ?? 0) + 1);
      return kernel();
    },
    isFreed: (buffer) => freed.has(buffer),
    reset() {
      device.allocations = 0;
      device.frees = 0;
      device.launches.clear();
      kernelCalls.clear();
    },
  };
  return device;
}

/** The "counting" device, registered once per test file (each file runs in its own module graph). */
export function countingDevice(): CountingDevice {
  try {
    return getDevice("counting") as CountingDevice;
  } catch {
    return registerDevice(makeCountingDevice()) as CountingDevice;
  }
}
