/**
 * One call checks a control-flow function in every mode against oracles that are not its rules:
 * its value against the same computation unrolled in plain eager ops; its gradient (grad) against
 * central differences in float64 (the shared checker); forward mode against reverse mode by
 * ⟨c, J·t⟩ = ⟨Jᵀ·c, t⟩; and jit, jit∘grad, grad∘jit, jvp∘jit and vmap against the eager results.
 */
import { expect } from "vitest";
import { jit } from "../../../src/jit/index.js";
import * as ops from "../../../src/tensor/index.js";
import type { Tensor } from "../../../src/tensor/index.js";
import { checkGradient } from "../../../src/testing/checkGradient.js";
import { expectAllClose } from "../../support/allclose.js";

export const values = (t: Tensor): number[] => Array.from(t.data());
const g = ops.rng(11);
export const r = (shape: number[]): Tensor => ops.randn(shape, { rng: g, dtype: "float64" });

/** ⟨c, f(args)⟩ for a fixed random c: a scalar loss of f's (one tensor) output. */
function scalarOf(f: (...xs: Tensor[]) => Tensor, args: readonly Tensor[]): { loss: (...xs: Tensor[]) => Tensor; c: Tensor } {
  const c = r([...f(...args).shape]);
  return { loss: (...xs) => ops.sum(ops.mul(f(...xs), c)), c };
}

const close = (a: Tensor, b: Tensor, what: string, rtol = 1e-9): void => {
  expect([...a.shape], `${what}: shape`).toEqual([...b.shape]);
  expectAllClose(values(a), values(b), rtol, 1e-10, what);
};

export interface ModeOptions {
  /** Check vmap over the first argument's leading axis (default true). */
  readonly vmap?: boolean;
  /** Also check jit ∘ grad (default true). */
  readonly jitGrad?: boolean;
}

/** f (float64 tensors in, one tensor out) against `unrolled` (the same computation in plain ops), in every mode. */
export function checkModes(what: string, f: (...xs: Tensor[]) => Tensor, unrolled: (...xs: Tensor[]) => Tensor, args: readonly Tensor[], options: ModeOptions = {}): void {
  close(f(...args), unrolled(...args), `${what}: eager value vs unrolled`);
  const { loss } = scalarOf(f, args);
  const grads = ops.grad(loss, { argnums: args.map((_, i) => i) })(...args) as Tensor[];
  args.forEach((x, i) => {
    const at = (vs: number[]) => ops.noGrad(() => loss(...args.map((a, k) => (k === i ? ops.tensor(vs, { dtype: "float64", shape: [...x.shape] }) : a)))).item();
    const report = checkGradient(at, values(x), { gradient: values(grads[i]), rtol: 1e-5, atol: 1e-7 });
    expect(report.ok, `${what}: ∂/∂arg${i} vs finite differences\n${report.summary}`).toBe(true);
  });
  // forward vs reverse
  const ts = args.map((x) => r([...x.shape]));
  const [, lt] = ops.jvp(loss as (...a: never[]) => Tensor, args, ts);
  const dot = grads.reduce((s, gi, i) => s + values(ops.sum(ops.mul(gi, ts[i]))).reduce((a, b) => a + b, 0), 0);
  expectAllClose(values(lt), [dot], 1e-8, 1e-10, `${what}: jvp vs vjp`);
  // jit, both ways round with grad and jvp
  close(jit(f)(...args), f(...args), `${what}: jit`);
  const gj = ops.grad(jit(loss), { argnums: args.map((_, i) => i) })(...args) as Tensor[];
  gj.forEach((gi, i) => close(gi, grads[i], `${what}: grad(jit) arg${i}`));
  if (options.jitGrad !== false) {
    const jg = jit(ops.grad(loss, { argnums: args.map((_, i) => i) }))(...args) as Tensor[];
    jg.forEach((gi, i) => close(gi, grads[i], `${what}: jit(grad) arg${i}`));
  }
  const [, ljt] = ops.jvp(jit(loss) as (...a: never[]) => Tensor, args, ts);
  close(ljt, lt, `${what}: jvp(jit)`);
  if (options.vmap !== false) {
    const batch = ops.stack([args[0], ops.mul(args[0], 0.5), ops.neg(args[0])], 0);
    const rest = args.slice(1);
    const batched = ops.vmap((x: Tensor) => f(x, ...rest))(batch);
    const looped = ops.stack([0, 1, 2].map((b) => f(ops.slice(batch, [b]), ...rest)));
    close(batched, looped, `${what}: vmap`);
    const pg = ops.vmap(ops.grad((x: Tensor) => ops.sum(f(x, ...rest))))(batch) as Tensor;
    const lg = ops.stack([0, 1, 2].map((b) => ops.grad((x: Tensor) => ops.sum(f(x, ...rest)))(ops.slice(batch, [b])) as Tensor));
    close(pg, lg, `${what}: vmap(grad)`);
  }
}
