/**
 * Updates in place over donated inputs (XLA's input-output aliasing): a fused elementwise group that
 * is the last reader of a donated input of the same shape and dtype writes its result over that
 * input's storage instead of a fresh one. An optimiser's update is the case it is for: `m' = β·m +
 * (1 − β)·g` overwrites m, `p' = p − …` overwrites p, so a donated training step keeps one copy of its
 * parameters and state instead of alternating between two, and each update's write lands on the
 * cache lines it has just read. The loop reads element i of every input before it writes element i
 * of its result, and the input is read through the result's own layout, so nothing is read after it
 * is overwritten. The program text shows it as `inPlace=j` (the group's input j).
 *
 * Whether a call may overwrite a given storage is decided per call (`mayOverwrite`, jit.ts): the
 * donated tensor must be contiguous, not share its storage with another argument or a constant, and
 * (on the wasm backend) live in the wasm memory; otherwise the group writes a fresh buffer as before.
 * A donated value read by anything other than fused groups and the registry's fresh-output kernels
 * (a view of it, say, which shares its storage) is never overwritten.
 */
import { allocate } from "../../backends/dtype.js";
import { Program, type Equation, type Storage, type Variable } from "../../tensor/index.js";
import { definePrimitive, type Primitive } from "../../tensor/primitive.js";
import { fromStorage } from "../../tensor/tensor.js";
import { FRESH, isPlanned } from "./plan.js";
import { fusedGroup, fusedRun, type FusedRun } from "./fuse.js";

/**
 * Ops whose wasm polynomial may decline a call after the loop has written its result (its range
 * check, src/backends/wasm/elementwiseKernels.ts): the JS loop then runs the group again from its
 * inputs, which an in-place write would have clobbered.
 */
const DECLINED_AFTER_WRITING = new Set(["sin", "cos"]);

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** `eq` writing over its input `j`'s storage where `mayOverwrite` allows it, into a fresh buffer otherwise. */
function inPlace(eq: Equation, j: number, run: FusedRun, mayOverwrite: (storage: Storage) => boolean): Equation {
  const { shape, dtype } = eq.output;
  const size = shape.reduce((a, b) => a * b, 1);
  const prim = definePrimitive("fused", {
    abstract: () => ({ shape, dtype }),
    impl: (xs) => {
      const storage = xs[j].storage as Storage;
      const out = mayOverwrite(storage) ? storage : allocate(dtype, size, "fused", true);
      run(xs, out);
      return fromStorage(out, dtype, [...shape]);
    },
  });
  return { ...eq, primitive: prim as Primitive<unknown>, params: { ...(eq.params as object), inPlace: j } };
}

/** `p` (in its final order) with each fused group that last reads a donated input (`donated`: positions of `p.inputs`) writing over it. */
export function updateInPlace(p: Program, donated: ReadonlySet<number>, mayOverwrite: (storage: Storage) => boolean): Program {
  const candidates = new Set<Variable>(p.inputs.filter((_, i) => donated.has(i)));
  for (const v of p.outputs) candidates.delete(v);
  if (candidates.size === 0) return p;
  const lastUse = new Map<Variable, number>();
  p.equations.forEach((eq, i) => {
    for (const v of eq.inputs) {
      lastUse.set(v, i);
      if (!FRESH.has(eq.primitive) && fusedRun(eq) === undefined && !isPlanned(eq)) candidates.delete(v);
    }
  });
  const equations = p.equations.map((eq, i) => {
    const group = fusedGroup(eq);
    const run = fusedRun(eq);
    if (group === undefined || run === undefined || group.ops.some((op) => DECLINED_AFTER_WRITING.has(op.name))) return eq;
    const j = eq.inputs.findIndex(
      (v, k) => candidates.has(v) && lastUse.get(v) === i && group.windows[k] === undefined && v.dtype === eq.output.dtype && sameShape(v.shape, eq.output.shape),
    );
    return j < 0 ? eq : inPlace(eq, j, run, mayOverwrite);
  });
  return new Program(p.inputs, p.constants, equations, p.outputs, p.rebuild);
}
