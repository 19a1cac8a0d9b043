/**
 * A second device for tests: its buffers are host typed arrays (so the reference kernels run on
 * them), but it is not the host — it counts allocations, frees and kernel launches, remembers which
 * buffers are freed, and reads only asynchronously, as a GPU will.
 */
import { getDevice, registerDevice, type Device, type DeviceBuffer } from "../../src/tensor/index.js";

export interface CountingDevice extends Device {
  allocations: number;
  frees: number;
  /** Kernel launches by op name. */
  readonly launches: Map<string, number>;
  /** Whether `buffer` has been freed. */
  isFreed(buffer: DeviceBuffer): boolean;
  reset(): void;
}

function makeCountingDevice(): CountingDevice {
  const freed = new WeakSet<DeviceBuffer>();
  const device: CountingDevice = {
    name: "counting",
    kind: "test",
    allocations: 0,
    frees: 0,
    launches: new Map(),
    write(data) {
      device.allocations++;
      return data.slice();
    },
    adopt(buffer) {
      device.allocations++;
      return buffer;
    },
    free(buffer) {
      device.frees++;
      freed.add(buffer);
    },
    read: async (buffer) => {
      await Promise.resolve();
      return buffer.slice();
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
