/**
 * JAX-style functional transforms over the same engine: `grad`, `valueAndGrad`, `vjp`. They never
 * touch `.grad`; they differentiate with respect to the arguments they are given. Nested use works
 * (grad of grad): when an argument is already part of an outer differentiation, the inner sweep is
 * recorded (`createGraph`) so the outer one can differentiate through it.
 */
import { AdError, describe, expectFunction, invalidArgument } from "../../errors.js";
import { allocate, isFloat } from "../dtype.js";
import { zerosLike } from "../primitives/lift.js";
import { reshape } from "../primitives/shape.js";
import { formatShape } from "../shape.js";
import { fromStorage, Tensor } from "../tensor.js";
import { Level, runWithLevel } from "./forward.js";
import { flatten, type Tree } from "./pytree.js";
import { cotangentsOf, seedFor } from "./backward.js";
import { enableGrad, isGradEnabled } from "./mode.js";

export interface GradOptions {
  /** Which positional arguments to differentiate with respect to (default 0). */
  readonly argnums?: number | readonly number[];
}

type Fn = (...args: never[]) => unknown;

/** How many transforms' functions are running (nesting depth); 0 outside any transform. */
let depth = 0;

function argnumsOf(op: string, options: unknown, count: number): { list: number[]; single: boolean } {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw invalidArgument(op, `options must be an object, got ${describe(options)}`, { got: describe(options) });
  }
  const argnums = (options as GradOptions | undefined)?.argnums ?? 0;
  const single = typeof argnums === "number";
  const list = single ? [argnums] : Array.isArray(argnums) ? [...argnums] : null;
  if (list === null || list.length > 64 || list.some((a) => typeof a !== "number" || !Number.isInteger(a) || a < 0 || a >= count)) {
    throw invalidArgument(op, `argnums must be argument positions in [0, ${count - 1}], got ${describe(argnums)}`, { argnums: describe(argnums), arguments: count });
  }
  return { list, single };
}

/**
 * Runs f with the chosen arguments as differentiation inputs. An argument that already requires a
 * gradient (an outer transform's input) is used as is, so the outer graph stays connected; any other
 * becomes a fresh leaf that shares its storage.
 */
interface Traced {
  readonly output: unknown;
  /** Every differentiated tensor, flat, in argument then tree order. */
  readonly inputs: Tensor[];
  /** Per differentiated argument: how many of `inputs` it holds and how to rebuild its structure. */
  readonly groups: readonly { readonly count: number; readonly rebuild: (leaves: readonly Tensor[]) => unknown }[];
  readonly nested: boolean;
}

/** Rebuilds one result per differentiated argument, in that argument's structure, from flat tensors. */
function regroup(traced: Traced, flat: readonly Tensor[]): unknown[] {
  let at = 0;
  return traced.groups.map(({ count, rebuild }) => {
    const part = flat.slice(at, at + count);
    at += count;
    return rebuild(part);
  });
}

function trace(op: string, f: Fn, args: unknown[], argnums: readonly number[]): Traced {
  const inputs: Tensor[] = [];
  const groups: { count: number; rebuild: (leaves: readonly Tensor[]) => unknown }[] = [];
  const callArgs = [...args];
  let nested = false;
  for (const k of argnums) {
    // An argument may be a tensor or a tree of them (arrays / plain objects): every leaf is an input.
    const { leaves, rebuild } = flatten(op, args[k]);
    if (leaves.length === 0) throw invalidArgument(op, `argument ${k} must be a Tensor or a tree of tensors, got ${describe(args[k])}`, { argument: k, got: describe(args[k]) });
    const aliases = leaves.map((x) => {
      if (!isFloat(x.dtype)) throw new AdError("DTypeMismatch", `argument ${k} has a ${x.dtype} tensor; only float tensors have gradients`, { op, argument: k, dtype: x.dtype });
      if (x.requiresGrad && isGradEnabled()) {
        nested = true;
        return x;
      }
      // A recorded identity, not a bare copy: inside `jvp` the new leaf must keep x's tangent.
      const input = reshape(x, x.shape);
      input.requiresGrad = true;
      return input;
    });
    inputs.push(...aliases);
    groups.push({ count: aliases.length, rebuild });
    callArgs[k] = rebuild(aliases);
  }
  // Inside another transform's function, this one's result must stay differentiable for the outer one
  // (its function may close over the outer inputs even when its own arguments do not require grad).
  nested ||= depth > 0;
  depth++;
  try {
    const output = enableGrad(() => f(...(callArgs as never[])));
    return { output, inputs, groups, nested };
  } finally {
    depth--;
  }
}

function scalarOutput(op: string, y: unknown): Tensor {
  if (!(y instanceof Tensor)) throw invalidArgument(op, `f must return a Tensor, got ${describe(y)}`, { returned: describe(y) });
  if (y.size !== 1 || !isFloat(y.dtype)) {
    throw new AdError("ShapeMismatch", `f must return a one-element float tensor to take its gradient, got ${y.dtype} ${formatShape(y.shape)}; use vjp for other outputs`, {
      op,
      shape: [...y.shape],
      dtype: y.dtype,
    });
  }
  return y;
}

/** f's value and its gradient with respect to the arguments at `argnums` (one tensor, or a list for a list). */
export function valueAndGrad<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => [Tensor, Tree] {
  const op = "valueAndGrad";
  expectFunction(op, "f", f);
  return (...args: Parameters<F>) => {
    const { list, single } = argnumsOf(op, options, args.length);
    const traced = trace(op, f, args, list);
    const y = scalarOutput(op, traced.output);
    const grads = regroup(traced, cotangentsOf(y, seedFor(op, y, undefined), traced.inputs, { createGraph: traced.nested }));
    return [y, (single ? grads[0] : grads) as Tree];
  };
}

/**
 * The gradient of a scalar-valued f with respect to the arguments at `argnums`, each in its own
 * structure (a tensor, or a tree of tensors such as `{ w, b }`); a list of them when `argnums` is a
 * list. Composable: grad(grad(f)).
 */
export function grad<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => Tree {
  expectFunction("grad", "f", f);
  const vg = valueAndGrad(f, options);
  return (...args: Parameters<F>) => vg(...args)[1];
}

/**
 * f's output at `primals` and its pullback: `pullback(ct)` is the cotangent of every primal for an
 * output cotangent `ct` of the output's shape. The pullback may be called several times.
 */
export function vjp(f: Fn, ...primals: Tensor[]): [Tensor, (cotangent: Tensor) => Tensor[]];
export function vjp(f: Fn, ...primals: Tree[]): [Tensor, (cotangent: Tensor) => Tree[]];
export function vjp(f: Fn, ...primals: Tree[]): [Tensor, (cotangent: Tensor) => Tree[]] {
  const op = "vjp";
  expectFunction(op, "f", f);
  const traced = trace(op, f, primals, primals.map((_, i) => i));
  const output = traced.output;
  if (!(output instanceof Tensor)) throw invalidArgument(op, `f must return a Tensor, got ${describe(output)}`, { returned: describe(output) });
  return [
    output,
    (cotangent: Tensor) => regroup(traced, cotangentsOf(output, seedFor(op, output, cotangent), traced.inputs, { createGraph: traced.nested, retainGraph: true })) as Tree[],
  ];
}

/**
 * Forward mode: f's output at `primals` and its directional derivative along `tangents` (one per
 * primal, same shapes), in one pass through the primitives' JVP rules.
 */
export function jvp(f: Fn, primals: readonly Tree[], tangents: readonly Tree[]): [Tensor, Tensor] {
  const op = "jvp";
  expectFunction(op, "f", f);
  if (!Array.isArray(primals) || !Array.isArray(tangents) || primals.length !== tangents.length || primals.length > 64) {
    throw invalidArgument(op, "primals and tangents must be arrays of the same length (of tensors or trees of tensors)", { primals: describe(primals), tangents: describe(tangents) });
  }
  // Each primal may be a tree; its tangent must be a tree of the same structure and shapes.
  const level = new Level();
  const callArgs = primals.map((primal: unknown, i) => {
    const p = flatten(op, primal);
    const t = flatten(op, tangents[i]);
    if (p.leaves.length === 0) throw invalidArgument(op, `primals[${i}] holds no tensor`, { index: i });
    if (t.leaves.length !== p.leaves.length) {
      throw new AdError("ShapeMismatch", `tangents[${i}] holds ${t.leaves.length} tensors, primals[${i}] ${p.leaves.length}`, { op, index: i });
    }
    const inputs = p.leaves.map((x, k) => {
      const tx = t.leaves[k];
      if (!isFloat(x.dtype)) throw new AdError("DTypeMismatch", `primals[${i}] has a ${x.dtype} tensor; only float tensors have tangents`, { op, index: i, dtype: x.dtype });
      if (x.dtype !== tx.dtype || x.shape.length !== tx.shape.length || x.shape.some((d: number, a: number) => d !== tx.shape[a])) {
        throw new AdError("ShapeMismatch", `a tangent in tangents[${i}] is ${tx.dtype} ${formatShape(tx.shape)}, its primal ${x.dtype} ${formatShape(x.shape)}`, { op, index: i });
      }
      // A fresh tensor (through a recorded identity, so an outer reverse pass stays connected) carries
      // this level's tangent; the primal itself may be shared with other levels.
      const input = reshape(x, x.shape);
      level.tangents.set(input, tx);
      return input;
    });
    return p.rebuild(inputs);
  });
  const output: unknown = runWithLevel(level, () => enableGrad(() => f(...(callArgs as never[]))));
  if (!(output instanceof Tensor)) throw invalidArgument(op, `f must return a Tensor, got ${describe(output)}`, { returned: describe(output) });
  return [output, level.tangents.get(output) ?? zerosLike(output)];
}

/** A one-hot tensor of `like`'s shape and dtype with 1 at flat position k. */
function basis(like: Tensor, k: number): Tensor {
  const e = zerosLike(like);
  e.storage[k] = 1;
  return e;
}

/** Stacks `parts` (each of shape `inner`) along new leading axes `outer` into one contiguous tensor. */
function assemble(parts: readonly Tensor[], outer: readonly number[], inner: readonly number[], dtype: Tensor["dtype"], transpose: boolean): Tensor {
  const m = parts.length;
  const n = inner.reduce((a, b) => a * b, 1);
  const out = allocate(dtype, m * n);
  parts.forEach((p, j) => {
    const data = p.data();
    for (let i = 0; i < n; i++) out[transpose ? i * m + j : j * n + i] = data[i];
  });
  return fromStorage(out, dtype, transpose ? [...inner, ...outer] : [...outer, ...inner]);
}

function unaryArg(op: string, args: unknown[]): Tensor {
  const x = args[0];
  if (!(x instanceof Tensor)) throw invalidArgument(op, `the argument must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  if (!isFloat(x.dtype)) throw new AdError("DTypeMismatch", `the argument has dtype ${x.dtype}; only float tensors are differentiated`, { op, dtype: x.dtype });
  return x;
}

/** The Jacobian by forward mode (one jvp per input element): shape [...output, ...input]. */
export function jacfwd(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  const op = "jacfwd";
  expectFunction(op, "f", f);
  return (...args: unknown[]) => {
    const x = unaryArg(op, args);
    const columns: Tensor[] = [];
    let outShape: readonly number[] = [];
    for (let k = 0; k < x.size; k++) {
      const [y, t] = jvp(f as Fn, [x], [basis(x.contiguous(), k)]);
      outShape = y.shape;
      columns.push(t);
    }
    if (x.size === 0) outShape = noGradShape(f, x);
    return assemble(columns, x.shape, outShape, x.dtype, true);
  };
}

/** The Jacobian by reverse mode (one pullback per output element): shape [...output, ...input]. */
export function jacrev(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  const op = "jacrev";
  expectFunction(op, "f", f);
  return (...args: unknown[]) => {
    const x = unaryArg(op, args);
    const [y, pullback] = vjp(f as Fn, x);
    const rows: Tensor[] = [];
    const yc = zerosLike(y);
    for (let k = 0; k < y.size; k++) rows.push(pullback(basis(yc, k))[0]);
    return assemble(rows, y.shape, x.shape, x.dtype, false);
  };
}

/** The Hessian of a scalar-valued f: forward over reverse, jacfwd(grad(f)); shape [...x, ...x]. */
export function hessian(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  expectFunction("hessian", "f", f);
  return jacfwd((x) => grad(f)(x) as Tensor);
}

function noGradShape(f: (x: Tensor) => Tensor, x: Tensor): readonly number[] {
  const y: unknown = f(x);
  if (!(y instanceof Tensor)) throw invalidArgument("jacfwd", `f must return a Tensor, got ${describe(y)}`, { returned: describe(y) });
  return y.shape;
}
