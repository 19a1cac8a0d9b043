/** What `random` takes for a key, and the check every op that takes one makes (random.ts, nn's dropout). */
import { describe, invalidArgument } from "../errors.js";
import { formatShape } from "./shape.js";
import { Tensor } from "./tensor.js";

/** A key: an int32 tensor of shape [2] (two uint32 words). */
export type Key = Tensor;

/** The op's check of a key: an int32 tensor of shape [2] (under vmap, each example's key). */
export function expectKey(op: string, key: unknown): asserts key is Key {
  if (!(key instanceof Tensor)) throw invalidArgument(op, `key must be a tensor from random.key, got ${describe(key)}`, { argument: "key", got: describe(key) });
  if (key.dtype !== "int32" || key.shape.length !== 1 || key.shape[0] !== 2) {
    throw invalidArgument(op, `key must be an int32 tensor of shape [2] (random.key, or one row of random.split), got ${key.dtype} ${formatShape(key.shape)}`, {
      argument: "key",
      dtype: key.dtype,
      shape: [...key.shape],
    });
  }
}
