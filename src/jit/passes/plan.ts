/**
 * The memory plan of a fused program: each fused equation whose result lives only inside the program
 * (not returned, read only by consumers that make fresh outputs and keep no reference to their
 * inputs) writes into a buffer the program owns instead of a fresh one. Buffers are assigned by
 * liveness: a buffer whose value has had its last reader is given to the next fused result of the
 * same dtype and size, and every buffer is kept from one call to the next, so after the first call
 * the fused intermediates allocate nothing. The program text shows the assignment (`buffer=N`).
 *
 * A program with a user's primitive (customVjp, checkpoint) is left as it is: its code could call
 * this program again while a buffer is in use.
 */
import { allocate, withArena } from "../../backends/dtype.js";
import { BINARY_EXPRESSIONS, UNARY_EXPRESSIONS } from "../../backends/expressions.js";
import { availableBackends, backendKernels } from "../../backends/backend.js";
import { getBackend, Program, type BackendName, type Equation, type Storage, type Variable } from "../../tensor/index.js";
import { residentOf, type Resident } from "../recycle.js";
import { definePrimitive, type Primitive } from "../../tensor/primitive.js";
import { primitives } from "../../tensor/primitives/registry.js";
import { fromStorage } from "../../tensor/tensor.js";
import { isEffect } from "../debug.js";
import { fusedRun, type FusedRun } from "./fuse.js";

const REGISTRY = new Set<Primitive<unknown>>(Object.values(primitives) as Primitive<unknown>[]);

/** Registry primitives whose output is always a fresh buffer and that keep nothing of their inputs. */
export const FRESH = new Set<Primitive<unknown>>(
  Object.entries(primitives)
    .filter(([name]) => (name in UNARY_EXPRESSIONS || name in BINARY_EXPRESSIONS || ["where", "sum", "max", "min", "prod", "matmul"].includes(name)) && name !== "cast")
    .map(([, p]) => p as Primitive<unknown>),
);

interface Buffer {
  readonly id: number;
  storage?: Storage;
  /** Whether `storage` was made in the backend's memory (`Resident`). */
  resident?: boolean;
}

/** The primitives of planned equations: fused runs like any other, into the program's own buffer. */
const PLANNED = new WeakSet<Primitive<unknown>>();

/** Whether `eq` runs a fused kernel into a buffer of the program's own (it keeps no reference to its inputs). */
export function isPlanned(eq: Equation): boolean {
  return PLANNED.has(eq.primitive);
}

/** `eq` running its kernel into `buffer` (allocated on the first call, then reused). */
function planned(eq: Equation, run: FusedRun, buffer: Buffer, resident: Resident | undefined): Equation {
  const { shape, dtype } = eq.output;
  const size = shape.reduce((a, b) => a * b, 1);
  const prim = definePrimitive("fused", {
    abstract: () => ({ shape, dtype }),
    impl: (xs) => {
      // The program's own buffer, outside any run's recycling (recycle.ts): it is kept for every run.
      // In the backend's own memory where it keeps one (wasm), so its kernels use it in place; made
      // there again where that memory was replaced since (trimMemory), not copied in by every call.
      if (buffer.storage === undefined || (buffer.resident === true && resident?.holds(buffer.storage) === false)) {
        const made = resident?.allocate(dtype, size);
        buffer.resident = made !== undefined;
        buffer.storage = made ?? withArena(undefined, () => allocate(dtype, size, "fused"));
      }
      run(xs, buffer.storage);
      return fromStorage(buffer.storage, dtype, [...shape]);
    },
  });
  PLANNED.add(prim as Primitive<unknown>);
  return { ...eq, primitive: prim as Primitive<unknown>, params: { ...(eq.params as object), buffer: buffer.id } };
}

/**
 * Whether every equation of `p` is the engine's own (a registry primitive, `debug.print`, which only
 * reads, or a fused loop): no user
 * code runs inside, so nothing can call the program again or keep a buffer it was handed.
 */
export function runsOnlyEngineCode(p: Program): boolean {
  return p.equations.every((eq) => REGISTRY.has(eq.primitive) || isEffect(eq.primitive) || fusedRun(eq) !== undefined);
}

export function planMemory(p: Program, backend: BackendName = getBackend()): Program {
  const resident = availableBackends().includes(backend) ? residentOf(backendKernels(backend)) : undefined;
  if (!runsOnlyEngineCode(p)) return p;
  const lastUse = new Map<Variable, number>();
  const shared = new Set<Variable>(p.outputs);
  p.equations.forEach((eq, i) => {
    for (const v of eq.inputs) {
      lastUse.set(v, i);
      if (!FRESH.has(eq.primitive) && fusedRun(eq) === undefined) shared.add(v);
    }
  });
  const free = new Map<string, Buffer[]>();
  const live: { readonly variable: Variable; readonly key: string; readonly buffer: Buffer }[] = [];
  let buffers = 0;
  const equations = p.equations.map((eq, i) => {
    for (let k = live.length - 1; k >= 0; k--) {
      const { variable, key, buffer } = live[k];
      if ((lastUse.get(variable) as number) >= i) continue;
      live.splice(k, 1);
      let list = free.get(key);
      if (list === undefined) free.set(key, (list = []));
      list.push(buffer);
    }
    const run = fusedRun(eq);
    if (run === undefined || shared.has(eq.output) || !lastUse.has(eq.output)) return eq;
    const key = `${eq.output.dtype}:${eq.output.shape.reduce((a, b) => a * b, 1)}`;
    const buffer = free.get(key)?.pop() ?? { id: buffers++ };
    live.push({ variable: eq.output, key, buffer });
    return planned(eq, run, buffer, resident);
  });
  return new Program(p.inputs, p.constants, equations, p.outputs, p.rebuild);
}
