/**
 * A traced `Program` as data, so it can be posted to a worker (which cannot receive the step's
 * closure) and rebuilt there over the same primitives: each equation names its primitive (looked up
 * in the registries on the other side), its inputs and output by number, and its parameters as plain
 * data — a tensor parameter or constant as its elements, a sub-program (scan's body, a branch) as a
 * posted program. A primitive made at run time from a user's functions (`customVjp`, `customJvp`,
 * `checkpoint`) or a parameter that is code cannot cross: `InvalidArgument` naming the primitive.
 */
import { describe, invalidArgument } from "../errors.js";
import { host } from "../backends/device.js";
import { CONSTRUCTORS, type DType, type Storage } from "../backends/dtype.js";
import { Program, Tensor, type Variable } from "../tensor/index.js";
import { controlPrimitives } from "../tensor/control/registry.js";
import type { Primitive } from "../tensor/primitive.js";
import { primitives } from "../tensor/primitives/registry.js";
import { fromStorage } from "../tensor/tensor.js";

interface PostedVariable {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

interface PostedTensor {
  readonly $tensor: { readonly dtype: DType; readonly shape: readonly number[]; readonly data: Storage };
}

interface PostedProgramMark {
  readonly $program: PostedProgram;
}

export interface PostedProgram {
  /** Every variable, numbered by position; the rest refer to them by that number. */
  readonly variables: readonly PostedVariable[];
  readonly inputs: readonly number[];
  readonly constants: readonly { readonly variable: number; readonly value: PostedTensor }[];
  readonly equations: readonly { readonly primitive: string; readonly inputs: readonly number[]; readonly output: number; readonly params: unknown }[];
  readonly outputs: readonly number[];
}

const byName = new Map<string, Primitive<unknown>>([...Object.values(primitives), ...Object.values(controlPrimitives)].map((p) => [p.name, p as Primitive<unknown>]));

const MAX_DEPTH = 64;

/** `program` as postable data (`op` names the public call that posts it, for its errors). */
export function postProgram(op: string, program: Program): PostedProgram {
  const numbers = new Map<Variable, number>();
  const variables: PostedVariable[] = [];
  const number = (v: Variable): number => {
    let n = numbers.get(v);
    if (n === undefined) {
      numbers.set(v, (n = variables.length));
      variables.push({ shape: [...v.shape], dtype: v.dtype });
    }
    return n;
  };
  const inputs = program.inputs.map(number);
  const constants = program.constants.map((c) => ({ variable: number(c.variable), value: postTensor(op, c.value, "a captured tensor") }));
  const equations = program.equations.map((eq) => {
    const name = eq.primitive.name;
    if (byName.get(name) !== eq.primitive) {
      throw invalidArgument(
        op,
        `the step uses primitive ${name}, made at run time from your functions (customVjp, customJvp, checkpoint): functions cannot cross a thread, so a worker cannot run it`,
        { primitive: name, rule: "a worker runs only the engine's own primitives" },
      );
    }
    return { primitive: name, inputs: eq.inputs.map(number), output: number(eq.output), params: postParam(op, name, eq.params, 0) };
  });
  return { variables, inputs, constants, equations, outputs: program.outputs.map(number) };
}

function postTensor(op: string, t: Tensor, what: string): PostedTensor {
  if (t.device !== host) throw invalidArgument(op, `${what} is on ${t.device.name}: a device buffer cannot cross a thread`, { device: t.device.name });
  return { $tensor: { dtype: t.dtype, shape: [...t.shape], data: t.data() } };
}

function postParam(op: string, primitive: string, value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw invalidArgument(op, `the parameters of ${primitive} nest too deeply to post`, { primitive });
  if (value instanceof Tensor) return postTensor(op, value, `a tensor parameter of ${primitive}`);
  if (value instanceof Program) return { $program: postProgram(op, value) } satisfies PostedProgramMark;
  if (typeof value === "function" || typeof value === "symbol") {
    throw invalidArgument(op, `primitive ${primitive} has a parameter that is code (${describe(value)}): functions cannot cross a thread`, { primitive });
  }
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((x) => postParam(op, primitive, x, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    throw invalidArgument(op, `primitive ${primitive} has a parameter that is an object of a class (${describe(value)}): it cannot cross a thread`, { primitive });
  }
  return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, postParam(op, primitive, x, depth + 1)]));
}

/** The program back, over this thread's primitives (its outputs come back as a flat list). */
export function readProgram(posted: PostedProgram): Program {
  const variables: Variable[] = posted.variables.map((v, id) => ({ id, shape: v.shape, dtype: v.dtype }));
  const at = (n: number) => variables[n];
  return new Program(
    posted.inputs.map(at),
    posted.constants.map((c) => ({ variable: at(c.variable), value: readTensor(c.value) })),
    posted.equations.map((eq) => ({
      primitive: byName.get(eq.primitive) as Primitive<unknown>,
      inputs: eq.inputs.map(at),
      output: at(eq.output),
      params: readParam(eq.params),
    })),
    posted.outputs.map(at),
    (leaves) => leaves,
  );
}

function readTensor({ $tensor: t }: PostedTensor): Tensor {
  // The structured clone made a plain typed array (a uint8 storage's own class is lost): view it as the dtype's.
  return fromStorage(new CONSTRUCTORS[t.dtype](t.data.buffer as ArrayBuffer, t.data.byteOffset, t.data.length), t.dtype, [...t.shape]);
}

function readParam(value: unknown): unknown {
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map(readParam);
  if ("$tensor" in value) return readTensor(value as PostedTensor);
  if ("$program" in value) return readProgram((value as PostedProgramMark).$program);
  return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, readParam(x)]));
}
