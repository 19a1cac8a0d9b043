/**
 * JAX-style functional transforms over the same engine: `grad`, `valueAndGrad`, `vjp`. They never
 * touch `.grad`; they differentiate with respect to the arguments they are given. Nested use works
 * (grad of grad): when an argument is already part of an outer differentiation, the inner sweep is
 * recorded (`createGraph`) so the outer one can differentiate through it.
 */
import { AdError, describe, expectFunction, expectOptions, invalidArgument } from "../../errors.js";
import { allocate, isFloat } from "../dtype.js";
import { full } from "../creation.js";
import { zerosLike } from "../primitives/lift.js";
import { expand } from "../primitives/reduce.js";
import { reshape } from "../primitives/shape.js";
import { pad, stack } from "../primitives/join.js";
import { formatShape, sameShape } from "../shape.js";
import { fromStorage, Tensor } from "../tensor.js";
import { Level, runWithLevel } from "./forward.js";
import { flatten, type Tree } from "./pytree.js";
import { cotangentsOf, seedFor } from "./backward.js";
import { isGradEnabled, withGrad } from "./mode.js";
import { expectSynchronous } from "./scoped.js";

export interface GradOptions {
  /** Which positional arguments to differentiate with respect to (default 0). */
  readonly argnums?: number | readonly number[];
  /** `grad`/`valueAndGrad` only: f returns `[value, aux]`; aux is returned beside the result, undifferentiated. */
  readonly hasAux?: boolean;
}

type Fn = (...args: never[]) => unknown;

/** How many transforms' functions are running (nesting depth); 0 outside any transform. */
let depth = 0;

/**
 * The checked options, when the transform is made (not first when it is called). `hasAux` only where
 * the op can return the aux value: elsewhere `hasAux: true` is refused, not ignored.
 */
function gradOptions(op: string, options: unknown, withAux: boolean): GradOptions {
  const o = expectOptions<GradOptions>(op, options, ["argnums", "hasAux"]);
  if (!withAux && o.hasAux !== undefined && o.hasAux !== false) {
    throw invalidArgument(op, `hasAux is not supported by ${op} (only by grad and valueAndGrad), got ${describe(o.hasAux)}`, {
      argument: "hasAux",
      key: "hasAux",
      got: describe(o.hasAux),
    });
  }
  return o;
}

function argnumsOf(op: string, options: GradOptions, count: number): { list: number[]; single: boolean } {
  const argnums = options.argnums ?? 0;
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

/** What to do instead of differentiating an async f (refused: the recording would stop at its first await). */
const SYNC_F = "await the inputs first and differentiate a synchronous f of them";
const RECORDING_STOPS = "stop recording the graph";

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
    expectSynchronous(op, f, RECORDING_STOPS, SYNC_F);
    const output = withGrad(true, () => f(...(callArgs as never[])), op, SYNC_F);
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

/** With `hasAux`, f returns `[value, aux]`: the value is differentiated, aux is passed through. */
function splitAux(op: string, output: unknown, hasAux: boolean): [unknown, unknown] {
  if (!hasAux) return [output, undefined];
  if (!Array.isArray(output) || output.length !== 2) {
    throw invalidArgument(op, `with { hasAux: true } f must return [value, aux], got ${describe(output)}`, { returned: describe(output) });
  }
  return [output[0], output[1]];
}

function hasAuxOf(op: string, options: GradOptions): boolean {
  const hasAux: unknown = options.hasAux ?? false;
  if (typeof hasAux !== "boolean") throw invalidArgument(op, `hasAux must be a boolean, got ${describe(hasAux)}`, { got: describe(hasAux) });
  return hasAux;
}

type WithAux = GradOptions & { readonly hasAux: true };

/**
 * f's value and its gradient with respect to the arguments at `argnums` (one tensor or tree, or a list
 * of them for a list). With `{ hasAux: true }` f returns `[value, aux]` and the result is
 * `[[value, aux], gradient]`.
 */
export function valueAndGrad<F extends Fn>(f: F, options: WithAux): (...args: Parameters<F>) => [[Tensor, unknown], Tree];
export function valueAndGrad<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => [Tensor, Tree];
export function valueAndGrad<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => [Tensor | [Tensor, unknown], Tree] {
  const op = "valueAndGrad";
  expectFunction(op, "f", f);
  const checked = gradOptions(op, options, true);
  return (...args: Parameters<F>) => {
    const { list, single } = argnumsOf(op, checked, args.length);
    const hasAux = hasAuxOf(op, checked);
    const traced = trace(op, f, args, list);
    const [value, aux] = splitAux(op, traced.output, hasAux);
    const y = scalarOutput(op, value);
    const grads = regroup(traced, cotangentsOf([y], [seedFor(op, y, undefined)], traced.inputs, { createGraph: traced.nested }));
    return [hasAux ? [y, aux] : y, (single ? grads[0] : grads) as Tree];
  };
}

/**
 * The gradient of a scalar-valued f with respect to the arguments at `argnums`, each in its own
 * structure (a tensor, or a tree of tensors such as `{ w, b }`); a list of them when `argnums` is a
 * list. Composable: grad(grad(f)). With `{ hasAux: true }` f returns `[value, aux]` and the result is
 * `[gradient, aux]`.
 */
export function grad<F extends Fn>(f: F, options: WithAux): (...args: Parameters<F>) => [Tree, unknown];
export function grad<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => Tree;
export function grad<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => Tree | [Tree, unknown] {
  expectFunction("grad", "f", f);
  const vg = valueAndGrad(f, gradOptions("grad", options, true));
  return (...args: Parameters<F>) => {
    const [value, g] = vg(...args);
    return Array.isArray(value) ? [g, value[1]] : g;
  };
}

/** The float tensors of an output tree (at least one), with its rebuild. */
function outputLeaves(op: string, output: unknown): { leaves: Tensor[]; rebuild: (leaves: readonly Tensor[]) => unknown } {
  const tree = flatten(op, output);
  if (tree.leaves.length === 0) throw invalidArgument(op, `f must return a Tensor or a tree of tensors, got ${describe(output)}`, { returned: describe(output) });
  return tree;
}

/** The cotangent tree for `outputs`: the same number of tensors, each of its output's shape. */
function cotangentLeaves(op: string, outputs: readonly Tensor[], cotangent: unknown): Tensor[] {
  const { leaves } = flatten(op, cotangent);
  if (leaves.length !== outputs.length) {
    throw new AdError("ShapeMismatch", `the cotangent holds ${leaves.length} tensors, the output ${outputs.length}: pass one per output tensor, in the output's structure`, {
      op,
      cotangents: leaves.length,
      outputs: outputs.length,
    });
  }
  return outputs.map((y, i) => seedFor(op, y, leaves[i]));
}

/**
 * f's output at `primals` and its pullback: `pullback(ct)` is the cotangent of every primal (each in
 * its primal's structure) for an output cotangent `ct` in the output's structure (a tensor for a
 * tensor output, a tree for a tree). The pullback may be called several times.
 */
export function vjp<O = Tensor>(f: (...args: never[]) => O, ...primals: Tensor[]): [O, (cotangent: O) => Tensor[]];
export function vjp<O = Tensor>(f: (...args: never[]) => O, ...primals: Tree[]): [O, (cotangent: O) => Tree[]];
export function vjp(f: Fn, ...primals: Tree[]): [unknown, (cotangent: unknown) => Tree[]] {
  const op = "vjp";
  expectFunction(op, "f", f);
  const traced = trace(
    op,
    f,
    primals,
    primals.map((_, i) => i),
  );
  const outputs = outputLeaves(op, traced.output).leaves;
  return [
    traced.output,
    (cotangent: unknown) =>
      regroup(traced, cotangentsOf(outputs, cotangentLeaves(op, outputs, cotangent), traced.inputs, { createGraph: traced.nested, retainGraph: true })) as Tree[],
  ];
}

/**
 * Runs f on `args` with a fresh forward level where the tensors of the arguments at `argnums` carry the
 * tangents `tangentOf(argument, leaf)` gives (null: zero, no work), and returns the output tree with
 * the tangent of each of its tensors.
 */
function forwardPass(op: string, f: Fn, args: readonly unknown[], argnums: readonly number[], tangentOf: (k: number, leaf: number, x: Tensor) => Tensor | null) {
  const level = new Level(expand);
  const callArgs = [...args];
  argnums.forEach((k, position) => {
    const { leaves, rebuild } = flatten(op, args[k]);
    const inputs = leaves.map((x, leaf) => {
      const tx = tangentOf(position, leaf, x);
      if (tx === null) return x;
      // A fresh tensor (through a recorded identity, so an outer reverse pass stays connected) carries
      // this level's tangent; the primal itself may be shared with other levels.
      const input = reshape(x, x.shape);
      level.tangents.set(input, tx);
      return input;
    });
    callArgs[k] = rebuild(inputs);
  });
  expectSynchronous(op, f, RECORDING_STOPS, SYNC_F);
  const output: unknown = runWithLevel(level, () => withGrad(true, () => f(...(callArgs as never[])), op, SYNC_F));
  const { leaves, rebuild } = outputLeaves(op, output);
  return { output, leaves, rebuild, tangents: leaves.map((y) => level.tangents.get(y) ?? zerosLike(y)) };
}

/**
 * Forward mode: f's output at `primals` and its directional derivative along `tangents` (one per
 * primal, in the primal's structure and shapes), in one pass through the primitives' JVP rules. The
 * output may be a tree; its tangent comes back in the same structure.
 */
export function jvp<O = Tensor>(f: (...args: never[]) => O, primals: readonly Tree[], tangents: readonly Tree[]): [O, O] {
  const op = "jvp";
  expectFunction(op, "f", f);
  if (!Array.isArray(primals) || !Array.isArray(tangents) || primals.length !== tangents.length || primals.length > 64) {
    throw invalidArgument(op, "primals and tangents must be arrays of the same length (of tensors or trees of tensors)", {
      primals: describe(primals),
      tangents: describe(tangents),
    });
  }
  // Each primal may be a tree; its tangent must be a tree of the same structure and shapes.
  const tangentLeaves = primals.map((primal: unknown, i) => {
    const p = flatten(op, primal).leaves;
    const t = flatten(op, tangents[i]).leaves;
    if (p.length === 0) throw invalidArgument(op, `primals[${i}] holds no tensor`, { index: i });
    if (t.length !== p.length) throw new AdError("ShapeMismatch", `tangents[${i}] holds ${t.length} tensors, primals[${i}] ${p.length}`, { op, index: i });
    p.forEach((x, k) => {
      const tx = t[k];
      if (!isFloat(x.dtype)) throw new AdError("DTypeMismatch", `primals[${i}] has a ${x.dtype} tensor; only float tensors have tangents`, { op, index: i, dtype: x.dtype });
      if (x.dtype !== tx.dtype || !sameShape(x.shape, tx.shape)) {
        throw new AdError("ShapeMismatch", `a tangent in tangents[${i}] is ${tx.dtype} ${formatShape(tx.shape)}, its primal ${x.dtype} ${formatShape(x.shape)}`, { op, index: i });
      }
    });
    return t;
  });
  const pass = forwardPass(
    op,
    f,
    primals,
    primals.map((_, i) => i),
    (i, leaf) => tangentLeaves[i][leaf],
  );
  return [pass.output as O, pass.rebuild(pass.tangents) as O];
}

/** A one-hot tensor of `like`'s shape, dtype and device with 1 at flat position k (a padded 1, made on the device). */
function basis(like: Tensor, k: number): Tensor {
  return reshape(pad(full([1], 1, { dtype: like.dtype, device: like.device }), [[k, like.size - 1 - k]]), like.shape);
}

/**
 * One Jacobian block of shape [...outer, ...inner] from `parts`, the slices along the flattened
 * `along` dims ("outer": parts are rows of shape `inner`; "inner": parts are columns of shape `outer`).
 * Built with `stack`, so a Jacobian computed inside another transform stays differentiable.
 */
function block(parts: readonly Tensor[], outer: readonly number[], inner: readonly number[], along: "outer" | "inner", dtype: Tensor["dtype"]): Tensor {
  const shape = [...outer, ...inner];
  if (parts.length === 0 || shape.includes(0)) return fromStorage(allocate(dtype, 0), dtype, shape);
  return reshape(stack(parts, along === "outer" ? 0 : outer.length), shape);
}

/** The differentiated arguments' float tensors, per argument, checked. */
function inputLeaves(op: string, args: readonly unknown[], argnums: readonly number[]): { leaves: Tensor[]; rebuild: (leaves: readonly Tensor[]) => unknown }[] {
  return argnums.map((k) => {
    const tree = flatten(op, args[k]);
    if (tree.leaves.length === 0)
      throw invalidArgument(op, `argument ${k} must be a Tensor or a tree of tensors, got ${describe(args[k])}`, { argument: k, got: describe(args[k]) });
    for (const x of tree.leaves) {
      if (!isFloat(x.dtype))
        throw new AdError("DTypeMismatch", `argument ${k} has a ${x.dtype} tensor; only float tensors are differentiated`, { op, argument: k, dtype: x.dtype });
    }
    return tree;
  });
}

/**
 * Arranges Jacobian blocks like JAX: the output's structure outside, the differentiated arguments'
 * structure inside (one argument's tree, or a list of them when `argnums` is a list).
 * `blockOf(j, i, leaf)` is the block of output tensor j and leaf `leaf` of differentiated argument i.
 */
function jacobianTree(
  outputs: { leaves: readonly Tensor[]; rebuild: (leaves: readonly Tensor[]) => unknown },
  inputs: readonly { leaves: readonly Tensor[]; rebuild: (leaves: readonly Tensor[]) => unknown }[],
  single: boolean,
  blockOf: (j: number, i: number, leaf: number) => Tensor,
): unknown {
  const perOutput = outputs.leaves.map((_, j) => {
    const perArg = inputs.map((arg, i) => arg.rebuild(arg.leaves.map((_, leaf) => blockOf(j, i, leaf))));
    return single ? perArg[0] : perArg;
  });
  // `rebuild` places whatever it is given at the tensor positions of the output tree.
  return outputs.rebuild(perOutput as unknown as Tensor[]);
}

/**
 * The Jacobian by forward mode, one JVP per input element: for a tensor → tensor f, a tensor of shape
 * [...output, ...input]; for trees, the output's structure holding, per output tensor, the
 * differentiated arguments' structure of such blocks. Differentiable (jacfwd of jacrev is a Hessian).
 */
export function jacfwd(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor;
export function jacfwd<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => Tree;
export function jacfwd(f: Fn, options?: GradOptions): (...args: never[]) => unknown {
  const op = "jacfwd";
  expectFunction(op, "f", f);
  const checked = gradOptions(op, options, false);
  return (...args: unknown[]) => {
    const { list, single } = argnumsOf(op, checked, args.length);
    const inputs = inputLeaves(op, args, list);
    // columns[i][leaf][k]: the output tangents for the unit tangent at element k of that input tensor.
    const columns: Tensor[][][][] = [];
    let outputs: { leaves: Tensor[]; rebuild: (leaves: readonly Tensor[]) => unknown } | undefined;
    inputs.forEach((arg, i) => {
      columns.push(
        arg.leaves.map((x, leaf) => {
          const cols: Tensor[][] = [];
          for (let k = 0; k < x.size; k++) {
            const pass = forwardPass(op, f, args, list, (ii, ll) => (ii === i && ll === leaf ? basis(x, k) : null));
            outputs = pass;
            cols.push(pass.tangents);
          }
          return cols;
        }),
      );
    });
    // Every input empty: run f once (no tangents) for the output's structure and shapes.
    outputs ??= forwardPass(op, f, args, list, () => null);
    const outs = outputs;
    return jacobianTree(outs, inputs, single, (j, i, leaf) => {
      const y = outs.leaves[j];
      return block(
        columns[i][leaf].map((cols) => cols[j]),
        y.shape,
        inputs[i].leaves[leaf].shape,
        "inner",
        y.dtype,
      );
    });
  };
}

/**
 * The Jacobian by reverse mode, one pullback per output element; the same layout as `jacfwd`.
 * Differentiable (jacrev of jacrev is a Hessian).
 */
export function jacrev(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor;
export function jacrev<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => Tree;
export function jacrev(f: Fn, options?: GradOptions): (...args: never[]) => unknown {
  const op = "jacrev";
  expectFunction(op, "f", f);
  const checked = gradOptions(op, options, false);
  return (...args: unknown[]) => {
    const { list, single } = argnumsOf(op, checked, args.length);
    inputLeaves(op, args, list);
    const traced = trace(op, f, args, list);
    const outputs = outputLeaves(op, traced.output);
    for (const y of outputs.leaves) {
      if (!isFloat(y.dtype)) throw new AdError("DTypeMismatch", `f returned a ${y.dtype} tensor; only float outputs have a Jacobian`, { op, dtype: y.dtype });
    }
    const inputs = traced.groups.map(({ count, rebuild }, g) => ({ leaves: traced.inputs.slice(offsetOf(traced, g), offsetOf(traced, g) + count), rebuild }));
    // rows[j][k]: the cotangents of every input tensor for the unit cotangent at element k of output j.
    const rows = outputs.leaves.map((y) => {
      const out: Tensor[][] = [];
      for (let k = 0; k < y.size; k++) out.push(cotangentsOf([y], [basis(y, k)], traced.inputs, { createGraph: traced.nested, retainGraph: true }));
      return out;
    });
    return jacobianTree(outputs, inputs, single, (j, i, leaf) => {
      const y = outputs.leaves[j];
      const at = offsetOf(traced, i) + leaf;
      return block(
        rows[j].map((r) => r[at]),
        y.shape,
        traced.inputs[at].shape,
        "outer",
        y.dtype,
      );
    });
  };
}

function offsetOf(traced: Traced, group: number): number {
  let at = 0;
  for (let g = 0; g < group; g++) at += traced.groups[g].count;
  return at;
}

/**
 * The Hessian of a scalar-valued f: forward over reverse, jacfwd(grad(f)); for a tensor x a tensor of
 * shape [...x, ...x], for trees / several `argnums` the nested blocks (∂²f/∂aᵢ∂bⱼ) in JAX's layout.
 */
export function hessian(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor;
export function hessian<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => Tree;
export function hessian(f: Fn, options?: GradOptions): (...args: never[]) => unknown {
  expectFunction("hessian", "f", f);
  const checked = gradOptions("hessian", options, false);
  // f's output is checked here, so a vector function is reported as hessian's error, not the inner grad's.
  const scalarF = (...args: never[]): unknown => {
    const y: unknown = f(...args);
    if (y instanceof Tensor && (y.size !== 1 || !isFloat(y.dtype))) {
      throw new AdError(
        "ShapeMismatch",
        `f must return a one-element float tensor (the Hessian is of a scalar function), got ${y.dtype} ${formatShape(y.shape)}; use jacfwd(jacrev(f)) for a vector function`,
        {
          op: "hessian",
          inner: "valueAndGrad",
          shape: [...y.shape],
          dtype: y.dtype,
        },
      );
    }
    return y;
  };
  return jacfwd(grad(scalarF, checked) as Fn, checked);
}
