/**
 * `trace(f)(...inputs)`: runs f once on abstract values of the inputs' shapes and dtypes and returns
 * the `Program` of primitives it applied (JAX's `make_jaxpr`). An input is a concrete tensor (only its
 * shape, dtype, device and `requiresGrad` are used), an `abstract(shape, dtype)` value or a plain
 * `{ shape, dtype }` spec, or a pytree of those; f may return a pytree of tensors.
 */
import { describe, expectFunction, invalidArgument } from "../errors.js";
import { noGrad } from "./autograd/mode.js";
import { flatten } from "./autograd/pytree.js";
import { allocate, expectDType, type DType } from "./dtype.js";
import { markAbstract } from "./interpreters/abstract.js";
import { runWithTrace, Trace } from "./interpreters/trace.js";
import { Program } from "./ir.js";
import type { AbstractValue } from "./primitive.js";
import { expectShape } from "./shape.js";
import { fromStorage, Tensor } from "./tensor.js";

export interface AbstractSpec {
  readonly shape: readonly number[];
  readonly dtype?: DType;
}

/**
 * A tensor known only by shape and dtype (float32 by default): an input for `trace`. Its values
 * cannot be read (`UnsupportedOp`).
 */
export function abstract(shape: readonly number[], dtype: DType = "float32"): Tensor {
  const op = "abstract";
  const s = expectShape(op, "shape", shape);
  const d = expectDType(op, dtype);
  // Empty storage: under trace only the primitives' abstract rules run, and they never read values.
  const t = fromStorage(allocate(d, 0, op), d, s);
  markAbstract(t);
  return t;
}

export function trace<A extends readonly unknown[]>(f: (...args: A) => unknown): (...inputs: { [K in keyof A]: unknown }) => Program {
  const op = "trace";
  const fn = expectFunction(op, "f", f) as (...args: unknown[]) => unknown;
  return (...inputs) => {
    const { leaves, rebuild } = flatten(
      op,
      inputs.map((x) => toAbstract(x, 0)),
    );
    const t = new Trace();
    const vars = leaves.map((x) => t.input(x));
    const result = runWithTrace(t, () => fn(...(rebuild(leaves) as unknown[])));
    const out = flatten(op, result);
    return new Program(
      vars,
      t.constants,
      t.equations,
      out.leaves.map((x) => t.variableOf(x)),
      out.rebuild,
    );
  };
}

/**
 * The result of f on abstract values of the inputs' shapes and dtypes, traced into a program that is
 * thrown away: the abstract rule of a primitive made of a user's function (customVjp, checkpoint).
 */
export function abstractEval<R>(inputs: readonly AbstractValue[], f: (...xs: Tensor[]) => R): R {
  const t = new Trace();
  const xs = inputs.map((x) => abstract(x.shape, x.dtype));
  for (const x of xs) t.input(x);
  return runWithTrace(t, () => noGrad(() => f(...xs)));
}

/** Replaces each spec and concrete tensor of an input tree by a fresh abstract placeholder. */
const MAX_DEPTH = 64;

function toAbstract(node: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw invalidArgument("trace", `an input tree may nest at most ${MAX_DEPTH} levels (or it contains a cycle)`, {});
  if (node instanceof Tensor) {
    // On the input's device, so the constants f makes beside it (a lifted number) are made there too.
    const t = abstract(node.shape, node.dtype);
    const a = new Tensor(t.storage, t.dtype, t.shape, t.strides, t.offset, node.device);
    markAbstract(a);
    a.requiresGrad = node.requiresGrad;
    return a;
  }
  if (isSpec(node)) return abstract(node.shape, node.dtype ?? "float32");
  if (Array.isArray(node)) return node.map((x: unknown) => toAbstract(x, depth + 1));
  if (node !== null && typeof node === "object" && Object.getPrototypeOf(node) === Object.prototype) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, toAbstract(v, depth + 1)]));
  }
  throw invalidArgument("trace", `an input must be a Tensor, an abstract spec { shape, dtype } or a tree of them, got ${describe(node)}`, { got: describe(node) });
}

function isSpec(x: unknown): x is AbstractSpec {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return false;
  const keys = Object.keys(x);
  return "shape" in x && Array.isArray((x as { shape: unknown }).shape) && keys.every((k) => k === "shape" || k === "dtype");
}
