/**
 * The window geometry of convolution and pooling, shared by the primitives (shape rules) and every
 * backend's kernels: what a kernel is told, not how it computes.
 */

/** A pair of per-axis values: [height, width]. */
export type Pair = readonly [number, number];

export interface WindowGeometry {
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
}

/** The number of output positions along one axis (may be ≤ 0: the caller rejects that). */
export function windowCount(size: number, kernel: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}
