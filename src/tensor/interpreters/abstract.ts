/**
 * Which tensors are abstract (values under `trace`, known by shape and dtype only). Reading one is an
 * `UnsupportedOp` naming the read: a trace records one program for every input of that shape, so it
 * cannot branch on values (and no kernel ever runs on one: primitives' abstract rules give types).
 */
import { AdError } from "../../errors.js";

const abstractValues = new WeakSet<object>();
/** The examples under vmap (abstract too: their values live in the batch), for a read's message. */
const examples = new WeakSet<object>();

export function markAbstract(t: object, example = false): void {
  abstractValues.add(t);
  if (example) examples.add(t);
}

export function isAbstract(t: object): boolean {
  return abstractValues.has(t);
}

/** Called by every synchronous read of a tensor's values (`data`, `item`, `at`, `toArray`). */
export function assertConcrete(t: object, op: string): void {
  if (examples.has(t)) {
    throw new AdError(
      "UnsupportedOp",
      `${op} reads the values of an example inside vmap: f sees one example as an abstract value (its values live in the batch), so it cannot read them or branch on them; use where() for elementwise choices`,
      { op },
    );
  }
  if (abstractValues.has(t)) {
    throw new AdError(
      "UnsupportedOp",
      `${op} reads the values of an abstract tensor: trace records one program for every input of a shape and dtype, so it cannot read values (or branch on them); branch or loop on it with cond, switchCase or whileLoop (adjoint/tensor), or under jit pass such a value as a static argument (jit(f, { static: [i] }))`,
      { op },
    );
  }
}
