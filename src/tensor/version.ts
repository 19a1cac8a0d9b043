/**
 * Version counters for in-place writes. Every view of some data shares its storage, so the counter
 * belongs to the storage: `assign` bumps it, and a graph node remembers the versions of the tensors
 * its backward rule reads. A backward pass that finds one changed refuses (PyTorch's rule), instead
 * of differentiating with values that are no longer the ones the forward pass used.
 */
import type { DeviceBuffer } from "../backends/buffer.js";

const versions = new WeakMap<DeviceBuffer, number>();

/** How many in-place writes `storage` has had. */
export function versionOf(storage: DeviceBuffer): number {
  return versions.get(storage) ?? 0;
}

/** Records one more in-place write to `storage`. */
export function bumpVersion(storage: DeviceBuffer): void {
  versions.set(storage, versionOf(storage) + 1);
}
