/**
 * The public face of a generated kernel: argument checks, the fast path and the gradient's shape.
 * Shared by `differentiate` (kernels compiled at run time) and `precompiled` (a kernel generated at
 * build time), so both return the same thing. Imports no parser: the plugin's bundles use it.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { DIFFERENTIATED, type DifferentiatedMark } from "./marks.js";
import { argumentKinds, expectLike, type ArgKind, type Argument } from "./runtime.js";

export type Kernel = (...args: unknown[]) => unknown[];

/** The gradient: one entry per argument, a number or a Float64Array of the argument's length. */
export type TransformGradient = (number | Float64Array)[];

/** A derivative's kernels: the one for the inferred argument kinds, and any other on demand. */
export interface Kernels {
  readonly inferred: readonly ArgKind[];
  readonly first: Kernel;
  kernel(kinds: readonly ArgKind[]): Kernel;
}

/**
 * Remembers `fn` and its options (so a call to the derivative inlines `fn`) and the kinds of its
 * first kernel, and sets `source`.
 */
export function mark<T extends object>(df: T, fn: (...args: never[]) => unknown, lower: { constants?: unknown; functions?: unknown }, source: string, kinds?: readonly ArgKind[]): T {
  const m: DifferentiatedMark = { fn, constants: lower.constants, functions: lower.functions, kinds };
  Object.defineProperty(df, DIFFERENTIATED, { value: m });
  Object.defineProperty(df, "source", { value: source, enumerable: true });
  return df;
}

/** `df(args, tangents)` → `{ value, tangent }`. */
export function forwardWrapper(op: string, kernels: Kernels) {
  const arity = kernels.inferred.length;
  return (args: readonly Argument[], tangents: readonly Argument[]) => {
    if (!Array.isArray(args)) throw invalidArgument(op, `args must be an array of arguments, got ${describe(args)}`, { argument: "args" });
    if (!Array.isArray(tangents)) throw invalidArgument(op, `tangents must be an array with one tangent per argument, got ${describe(tangents)}`, { argument: "tangents" });
    const kinds = argumentKinds(op, "args", args, arity);
    if (tangents.length !== args.length) throw new AdError("ShapeMismatch", `${tangents.length} tangents for ${args.length} arguments`, { op, args: args.length, tangents: tangents.length });
    args.forEach((a, i) => expectLike(op, `tangents[${i}]`, a, tangents[i]));
    const out = kernels.kernel(kinds)(...args, ...tangents) as number[];
    return { value: out[0], tangent: out[1] };
  };
}

/** `df(...args)` → `{ value, gradient }`. */
export function reverseWrapper(op: string, kernels: Kernels) {
  const slow = (args: Argument[]) => {
    const kinds = argumentKinds(op, "arguments", args, kernels.inferred.length);
    const adjoints: Float64Array[] = [];
    for (let i = 0; i < kinds.length; i++) if (kinds[i] === "arr") adjoints.push(new Float64Array((args[i] as ArrayLike<number>).length));
    const out = kernels.kernel(kinds)(...args, ...adjoints) as number[];
    const gradient: TransformGradient = new Array(kinds.length);
    let a = 0;
    let n = 1;
    for (let i = 0; i < kinds.length; i++) gradient[i] = kinds[i] === "arr" ? adjoints[a++] : out[n++];
    return { value: out[0], gradient };
  };
  // The fast path: numbers and Float64Arrays exactly where the source uses them, checked with one
  // typeof / instanceof each, then a direct call of the kernel.
  const kernel = kernels.first;
  const expected = kernels.inferred;
  const arity = expected.length;
  const allNumbers = expected.every((k) => k === "num");
  return (...args: Argument[]) => {
    if (args.length !== arity) return slow(args);
    if (allNumbers) {
      for (let i = 0; i < arity; i++) if (typeof args[i] !== "number") return slow(args);
      const out = kernel(...args) as number[];
      return { value: out[0], gradient: out.slice(1) };
    }
    for (let i = 0; i < arity; i++) if (expected[i] === "num" ? typeof args[i] !== "number" : !(args[i] instanceof Float64Array)) return slow(args);
    const all: unknown[] = args.slice();
    for (let i = 0; i < arity; i++) if (expected[i] === "arr") all.push(new Float64Array((args[i] as Float64Array).length));
    const out = kernel(...all) as number[];
    const gradient: TransformGradient = new Array(arity);
    let a = arity;
    let n = 1;
    for (let i = 0; i < arity; i++) gradient[i] = expected[i] === "arr" ? (all[a++] as Float64Array) : out[n++];
    return { value: out[0], gradient };
  };
}
