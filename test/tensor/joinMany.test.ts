/** stack and concat take any number of tensors (issue 18: they refused more than 64, checked as an axis list). */
import { describe, expect, it } from "vitest";
import { isAdError } from "../../src/errors.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { f64, flat } from "../support/tensors.js";

const many = (n: number): Tensor[] => Array.from({ length: n }, (_, i) => f64([i, -i], [2]));

describe("stack and concat of many tensors", () => {
  it("stack of 256 tensors, and its gradient", () => {
    const xs = many(256);
    const y = ops.stack(xs);
    expect(y.shape).toEqual([256, 2]);
    expect(flat(y).slice(-2)).toEqual([255, -255]);
    const grads = ops.grad((ts: Tensor[]) => ops.sum(ops.mul(ops.stack(ts), 2)))(xs) as unknown as Tensor[];
    expect(grads.length).toBe(256);
    expect(flat(grads[200])).toEqual([2, 2]);
  });
  it("concat of 1000 tensors along axis 0 and 1", () => {
    expect(ops.concat(many(1000)).shape).toEqual([2000]);
    expect(
      ops.concat(
        many(1000).map((t) => ops.reshape(t, [2, 1])),
        1,
      ).shape,
    ).toEqual([2, 1000]);
  });
  it("still refuses a non-array and an empty array", () => {
    expect(
      isAdError(
        captured(() => ops.stack("x" as never)),
        "InvalidArgument",
      ),
    ).toBe(true);
    expect(
      isAdError(
        captured(() => ops.concat([])),
        "InvalidArgument",
      ),
    ).toBe(true);
  });
});

function captured(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
