/**
 * The error every backend's indexing kernels (gather, scatterAdd, oneHot) raise for an index outside
 * its axis: one message, whichever backend found it; the primitive renames the op to the one the user called.
 */
import { type AdError, invalidArgument } from "../errors.js";

export function outOfRange(op: string, value: number, position: number[], axis: number, size: number): AdError {
  return invalidArgument(op, `index ${value} at position [${position.join(", ")}] is out of range for axis ${axis} of size ${size}`, { index: value, position, axis, size });
}
