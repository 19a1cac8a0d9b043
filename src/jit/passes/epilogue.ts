/**
 * Matmul epilogues: a 2-D `matmul` whose product is read only by one fused elementwise group (a
 * bias add, an activation, relu's gradient in the backward, or a chain of them) becomes one equation
 * that runs the group as the product's epilogue, where the backend compiles one
 * (`Backend.compileEpilogue`, the wasm backend: the gemm's rows go through the group while they are
 * in cache, src/backends/wasm/epilogue.ts). The product is never stored. A call the backend
 * declines (a small product, an input it cannot read in place) runs the product and the group apart,
 * as the reference backend always would. The program text shows it as `fused[ops=(matmul, …)]`.
 */
import { availableBackends, backendKernels } from "../../backends/backend.js";
import { getBackend, matmul, Program, type BackendName, type Equation, type Tensor, type Variable } from "../../tensor/index.js";
import { primitives } from "../../tensor/primitives/registry.js";
import { fusedGroup, fusedRun, groupViews, runEquation, type FusedRun } from "./fuse.js";

/** `p` with each product read by one fused group (and returned by none) run as that group's epilogue. */
export function fuseEpilogues(p: Program, backend: BackendName = getBackend()): Program {
  const compile = availableBackends().includes(backend) ? backendKernels(backend).compileEpilogue : undefined;
  if (compile === undefined) return p;
  const producer = new Map<Variable, Equation>();
  const consumers = new Map<Variable, Equation[]>();
  for (const eq of p.equations) {
    producer.set(eq.output, eq);
    for (const v of new Set(eq.inputs)) consumers.set(v, [...(consumers.get(v) ?? []), eq]);
  }
  const returned = new Set(p.outputs);
  const replaced = new Map<Equation, Equation | null>();
  for (const group of p.equations) {
    const program = fusedGroup(group);
    const run = fusedRun(group);
    if (program === undefined || run === undefined) continue;
    const j = group.inputs.findIndex((v) => {
      const eq = producer.get(v);
      return eq?.primitive === primitives.matmul && !replaced.has(eq) && eq.inputs.every((x) => x.shape.length === 2) && consumers.get(v)?.length === 1 && !returned.has(v);
    });
    if (j < 0 || group.inputs.indexOf(group.inputs[j], j + 1) >= 0) continue;
    const product = producer.get(group.inputs[j]) as Equation;
    const kernel = compile(program, j);
    if (kernel === undefined) continue;
    const shape = group.output.shape;
    const others = group.inputs.filter((_, i) => i !== j);
    const epilogueRun: FusedRun = (xs, out) => {
      const [a, b, ...rest] = xs;
      const inputs = [...rest.slice(0, j), a, ...rest.slice(j)];
      if (kernel(groupViews([a], a.shape)[0], groupViews([b], b.shape)[0], groupViews(inputs, shape), out)) return;
      // Declined: the product, then the group over it.
      inputs[j] = matmul(a, b) as Tensor;
      run(inputs, out);
    };
    const ops = (group.params as { readonly ops: readonly string[] }).ops;
    replaced.set(product, null);
    replaced.set(group, runEquation([product.inputs[0], product.inputs[1], ...others], group.output, { ops: ["matmul", ...ops], code: "wasm" }, epilogueRun, true));
  }
  const equations = p.equations.flatMap((eq) => {
    const r = replaced.get(eq);
    return r === undefined ? [eq] : r === null ? [] : [r];
  });
  return new Program(p.inputs, p.constants, equations, p.outputs, p.rebuild);
}
