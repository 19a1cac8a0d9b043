/**
 * The composition matrix: jit × grad × jvp × vmap, in both orders and nested, over every control-flow
 * primitive (cases.ts). Each composition of the primitive's function must equal the same composition
 * of the unrolled computation, with jit dropped (it must not change a value) and vmap replaced by a
 * loop over the examples (the unrolled code reads values, which vmap's examples cannot give).
 */
import { describe, expect, it } from "vitest";
import { jit } from "../../../src/jit/index.js";
import * as ops from "../../../src/tensor/index.js";
import type { Tensor } from "../../../src/tensor/index.js";
import { expectAllClose } from "../../support/allclose.js";
import { CONTROL_CASES } from "./cases.js";
import { r, values } from "./modes.js";

type F = (x: Tensor) => Tensor;
const total =
  (f: F): F =>
  (x) =>
    ops.sum(f(x));
const gradOf = (f: F): F => ops.grad(total(f)) as F;
const tangent =
  (t: Tensor) =>
  (f: F): F =>
  (x) =>
    ops.jvp(f, [x], [t])[1];

/** A composition of f, and its reference: the same with jit dropped and vmap as a loop over examples. */
interface Composition {
  readonly name: string;
  readonly of: (f: F, t: Tensor) => F;
  /** Whether the outermost transform batches (then the argument is a batch of examples). */
  readonly batched?: boolean;
  readonly reference?: (u: F, t: Tensor) => F;
}

const perExample =
  (g: F): F =>
  (batch) =>
    ops.stack(Array.from({ length: batch.shape[0] }, (_, b) => g(ops.slice(batch, [b]))));

const MATRIX: readonly Composition[] = [
  { name: "grad", of: (f) => gradOf(f) },
  { name: "jit(grad)", of: (f) => jit(gradOf(f)), reference: (u) => gradOf(u) },
  { name: "grad(jit)", of: (f) => gradOf(jit(f)), reference: (u) => gradOf(u) },
  { name: "jvp", of: (f, t) => tangent(t)(f) },
  { name: "jit(jvp)", of: (f, t) => jit(tangent(t)(f)), reference: (u, t) => tangent(t)(u) },
  { name: "jvp(jit)", of: (f, t) => tangent(t)(jit(f)), reference: (u, t) => tangent(t)(u) },
  { name: "jvp(grad)", of: (f, t) => tangent(t)(gradOf(f)) },
  { name: "vmap", of: (f) => ops.vmap(f), batched: true, reference: (u) => perExample(u) },
  { name: "jit(vmap)", of: (f) => jit(ops.vmap(f)), batched: true, reference: (u) => perExample(u) },
  { name: "vmap(jit)", of: (f) => ops.vmap(jit(f)), batched: true, reference: (u) => perExample(u) },
  { name: "vmap(grad)", of: (f) => ops.vmap(gradOf(f)), batched: true, reference: (u) => perExample(gradOf(u)) },
  // The examples are independent, so the gradient of the batch's total is the per-example gradients.
  { name: "grad(vmap)", of: (f) => ops.grad((xs: Tensor) => ops.sum(ops.vmap(f)(xs))) as F, batched: true, reference: (u) => perExample(gradOf(u)) },
  { name: "vmap(jvp)", of: (f, t) => ops.vmap(tangent(t)(f)), batched: true, reference: (u, t) => perExample(tangent(t)(u)) },
  { name: "jit(vmap(grad))", of: (f) => jit(ops.vmap(gradOf(f))), batched: true, reference: (u) => perExample(gradOf(u)) },
];

describe("control flow: the composition matrix", () => {
  for (const [name, c] of Object.entries(CONTROL_CASES)) {
    const [x, ...rest] = c.inputs;
    const f: F = (v) => c.f(v, ...rest);
    const u: F = (v) => c.unrolled(v, ...rest);
    const t = r([...x.shape]);
    const batch = ops.stack([x, ops.mul(x, -0.5), ops.mul(x, 1.25)]);
    for (const m of MATRIX) {
      it(`${name}: ${m.name}`, () => {
        const arg = m.batched === true ? batch : x;
        const got = m.of(f, t)(arg);
        const want = (m.reference ?? ((g: F, tt: Tensor) => m.of(g, tt)))(u, t)(arg);
        expect([...got.shape]).toEqual([...want.shape]);
        expectAllClose(values(got), values(want), 1e-9, 1e-10, `${name}: ${m.name}`);
      });
    }
  }
});
