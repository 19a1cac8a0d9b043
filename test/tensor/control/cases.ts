/**
 * One case per control-flow primitive (keyed by name, so a primitive added to control/registry.ts
 * without a case is a compile error), each with the same computation unrolled in plain ops and JS
 * control flow: shared by the control-flow meta-test and the composition matrix.
 */
import * as ops from "../../../src/tensor/index.js";
import { cond, scan, whileLoop, type Tensor } from "../../../src/tensor/index.js";
import type { ControlPrimitiveName } from "../../../src/tensor/control/registry.js";
import { r } from "./modes.js";

export interface ControlCase {
  readonly inputs: readonly Tensor[];
  readonly f: (...xs: Tensor[]) => Tensor;
  /** The same computation in plain ops and JS control flow. */
  readonly unrolled: (...xs: Tensor[]) => Tensor;
  /** `details.op` where a device without synchronous reads refuses it; absent where it runs there. */
  readonly hostDriven?: string;
}

const sumPositive = (x: Tensor) => ops.gt(ops.sum(x), 0);
export const CONTROL_CASES: { readonly [K in ControlPrimitiveName]: ControlCase } = {
  scan: {
    inputs: [r([2]), r([3, 2])],
    f: (c, xs) => {
      const [last, ys] = scan((c: Tensor, x: Tensor) => [ops.add(ops.mul(ops.sin(c), x), 0.5), ops.mul(c, x)] as const, c, xs);
      return ops.concat([ops.reshape(last, [1, 2]), ys], 0);
    },
    unrolled: (c, xs) => {
      const ys: Tensor[] = [];
      for (let t = 0; t < 3; t++) {
        const x = ops.slice(xs, [t]);
        ys.push(ops.mul(c, x));
        c = ops.add(ops.mul(ops.sin(c), x), 0.5);
      }
      return ops.concat([ops.reshape(c, [1, 2]), ops.stack(ys)], 0);
    },
  },
  switch: {
    inputs: [r([3]), r([3])],
    f: (x, y) =>
      cond(
        sumPositive(x),
        (a: Tensor, b: Tensor) => ops.mul(ops.exp(a), b),
        (a: Tensor, b: Tensor) => ops.sub(a, ops.cos(b)),
        x,
        y,
      ),
    unrolled: (x, y) => (ops.sum(x).item() > 0 ? ops.mul(ops.exp(x), y) : ops.sub(x, ops.cos(y))),
    hostDriven: "cond",
  },
  while: {
    inputs: [r([2])],
    f: (x) =>
      whileLoop(
        (v: Tensor) => ops.lt(ops.sum(ops.abs(v)), 6),
        (v) => ops.add(ops.mul(v, 1.5), ops.mul(ops.sin(v), 0.25)),
        ops.add(x, 0.1),
      ),
    unrolled: (x) => {
      let v = ops.add(x, 0.1);
      while (ops.sum(ops.abs(v)).item() < 6) v = ops.add(ops.mul(v, 1.5), ops.mul(ops.sin(v), 0.25));
      return v;
    },
    hostDriven: "whileLoop",
  },
};
