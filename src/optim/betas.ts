/** The `betas` option of the Adam family and Lion: a pair [β₁, β₂], each in [0, 1). */
import { describe, expectLength, invalidArgument } from "../errors.js";
import { expectIn } from "./optimizer.js";

export function expectBetas(op: string, value: unknown, fallback: readonly [number, number]): [number, number] {
  // Indexed, not destructured: destructuring a number or a detached typed array throws a TypeError.
  const betas: unknown = value ?? fallback;
  if (!Array.isArray(betas) || expectLength(op, "betas", betas) !== 2) {
    throw invalidArgument(op, `betas must be a pair [β1, β2], got ${describe(betas)}`, { argument: "betas", got: describe(betas) });
  }
  const [b1, b2]: unknown[] = [betas[0], betas[1]];
  return [expectIn(op, "betas[0]", b1, 0, 1, true), expectIn(op, "betas[1]", b2, 0, 1, true)];
}
