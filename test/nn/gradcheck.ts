/**
 * Gradients through a module, checked with the shared checker: the module's loss ⟨c, f(x)⟩ for a fixed
 * random c, differentiated by `backward` (PyTorch style) and by `valueAndGrad` over
 * `parameterTree()` + `call` (JAX style), against central differences of the same loss with each
 * parameter (and the input) overwritten in place. Float64 throughout.
 */
import { expect } from "vitest";
import { valueAndGrad } from "../../src/tensor/autograd/transforms.js";
import { noGrad } from "../../src/tensor/autograd/mode.js";
import { randn, tensor } from "../../src/tensor/creation.js";
import { mul } from "../../src/tensor/primitives/arithmetic.js";
import { sum } from "../../src/tensor/primitives/reduce.js";
import { rng } from "../../src/tensor/rng.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { checkGradient } from "../../src/testing/checkGradient.js";
import type { Module, ParameterTree } from "../../src/nn/module.js";

const flat = (t: Tensor): number[] => Array.from(t.data());

export function checkModuleGradients(m: Module, x: Tensor, what: string, options: { inputGrad?: boolean; rtol?: number } = {}): void {
  const probeShape = noGrad(() => m.forward(x)).shape;
  const c = randn(probeShape, { rng: rng(7), dtype: "float64" });
  const loss = (input: Tensor) => sum(mul(m.forward(input), c));
  const rtol = options.rtol ?? 1e-6;

  // PyTorch style
  m.zeroGrad();
  const xIn = x.detach().requireGrad(options.inputGrad !== false);
  loss(xIn).backward();
  const named = [...m.namedParameters()];
  // JAX style on the same point
  const tree = named.length === 0 ? {} : (valueAndGrad((p: ParameterTree, input: Tensor) => sum(mul(m.call(p, input), c)))(m.parameterTree(), x)[1] as ParameterTree);

  for (const [name, p] of named) {
    expect(p.grad, `${what}: ${name}.grad`).not.toBeNull();
    const original = flat(p);
    const at = (vs: number[]) => {
      noGrad(() => p.assign(tensor(vs, { dtype: "float64", shape: [...p.shape] })));
      const v = noGrad(() => loss(x)).item();
      return v;
    };
    const report = checkGradient(at, original, { gradient: flat(p.grad!), rtol, atol: 1e-8 });
    noGrad(() => p.assign(tensor(original, { dtype: "float64", shape: [...p.shape] })));
    expect(report.ok, `${what}: ∂/∂${name}\n${report.summary}`).toBe(true);
    const jax = name.split(".").reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], tree) as Tensor;
    flat(jax).forEach((v, i) => expect(Math.abs(v - flat(p.grad!)[i]), `${what}: JAX-style ∂/∂${name}[${i}]`).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(v)));
  }
  if (options.inputGrad !== false) {
    const report = checkGradient((vs) => noGrad(() => loss(tensor(vs, { dtype: "float64", shape: [...x.shape] }))).item(), flat(x), {
      gradient: flat(xIn.grad!),
      rtol,
      atol: 1e-8,
    });
    expect(report.ok, `${what}: ∂/∂input\n${report.summary}`).toBe(true);
  }
  m.zeroGrad();
}
