/**
 * The public face of a generated kernel: argument checks, the reverse-mode entry point (its code,
 * so that the build-time plugin can write it into a bundle) and the checked slow path. Shared by
 * `differentiate` (kernels compiled at run time) and `precompiled` (generated at build time), so both
 * return the same thing. Imports no parser: the plugin's bundles use it.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { isArray, isFloat64Array } from "./intrinsics.js";
import { markDifferentiated, type DerivativeKind, type DifferentiatedMark } from "./marks.js";
import { argumentKinds, expectLike, lengthOf, type ArgKind, type Argument } from "./runtime.js";

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
export function mark<T extends object>(
  df: T,
  derivative: DerivativeKind,
  fn: (...args: never[]) => unknown,
  lower: { constants?: unknown; functions?: unknown },
  source: string,
  kinds?: readonly ArgKind[],
  kernel?: string,
): T {
  const m: DifferentiatedMark = { fn, derivative, constants: lower.constants, functions: lower.functions, kinds, kernel };
  markDifferentiated(df, m);
  Object.defineProperty(df, "source", { value: source, enumerable: true });
  return df;
}

/** Attaches `into` (reverseInto) to a reverse-mode derivative. */
export function withInto<T extends object>(df: T, into: ReturnType<typeof reverseInto>): T {
  Object.defineProperty(df, "into", { value: into, enumerable: true });
  return df;
}

/** `df(args, tangents)` → `{ value, tangent }`. */
export function forwardWrapper(op: string, kernels: Kernels) {
  const arity = kernels.inferred.length;
  return (args: readonly Argument[], tangents: readonly Argument[]) => {
    if (!isArray(args)) throw invalidArgument(op, `args must be an array of arguments, got ${describe(args)}`, { argument: "args" });
    if (!isArray(tangents)) throw invalidArgument(op, `tangents must be an array with one tangent per argument, got ${describe(tangents)}`, { argument: "tangents" });
    const kinds = argumentKinds(op, "args", args, arity);
    expectTangentCount(op, args, tangents);
    args.forEach((a, i) => expectLike(op, `tangents[${i}]`, a, tangents[i]));
    const out = kernels.kernel(kinds)(...args, ...tangents) as number[];
    return { value: out[0], tangent: out[1] };
  };
}

/** One tangent per argument (`args` is already checked). */
export function expectTangentCount(op: string, args: readonly unknown[], tangents: readonly unknown[]): void {
  const n = lengthOf(op, "tangents", tangents);
  if (n !== args.length) throw new AdError("ShapeMismatch", `${n} tangents for ${args.length} arguments`, { op, args: args.length, tangents: n });
}

export type ReverseResult = { value: number; gradient: TransformGradient };

/**
 * The reverse-mode entry point: the kernel, the checked path and the Float64Array brand check in,
 * `df` out (see `entryCode`).
 */
export type Entry = (kernel: Kernel, slow: (args: Argument[]) => ReverseResult, isFloat64Array: (v: unknown) => boolean) => (...args: Argument[]) => ReverseResult;

/** Reverse mode for any arguments: checked, each array's adjoint allocated, its kernel called. */
export function reverseSlow(op: string, kernels: Kernels): (args: Argument[]) => ReverseResult {
  return (args) => {
    const kinds = argumentKinds(op, "arguments", args, kernels.inferred.length);
    const adjoints: Float64Array[] = [];
    for (let i = 0; i < kinds.length; i++) if (kinds[i] === "arr") adjoints.push(new Float64Array((args[i] as ArrayLike<number>).length));
    return kernels.kernel(kinds)(...args, ...adjoints) as unknown as ReverseResult;
  };
}

/**
 * `df.into(gradient, ...args)`: reverse mode into the caller's arrays. `gradient` has one entry per
 * argument; an array argument's is a Float64Array of its length, zeroed here and filled with ∂f/∂
 * that argument (a number argument's entry is ignored), so a loop of calls allocates no gradient.
 */
export function reverseInto(op: string, kernels: Kernels): (gradient: readonly unknown[], ...args: Argument[]) => ReverseResult {
  return (gradient, ...args) => {
    if (!isArray(gradient))
      throw invalidArgument(op, `into(gradient, ...args): gradient must be an array with one entry per argument, got ${describe(gradient)}`, { argument: "gradient" });
    const kinds = argumentKinds(op, "arguments", args, kernels.inferred.length);
    const entries = lengthOf(op, "gradient", gradient);
    if (entries !== args.length) throw new AdError("ShapeMismatch", `into: ${entries} gradient entries for ${args.length} arguments`, { op, gradient: entries, args: args.length });
    const adjoints: Float64Array[] = [];
    for (let i = 0; i < kinds.length; i++) {
      if (kinds[i] !== "arr") continue;
      const g = gradient[i] as unknown;
      const n = (args[i] as ArrayLike<number>).length;
      if (!isFloat64Array(g))
        throw invalidArgument(op, `into: gradient[${i}] must be a Float64Array of length ${n} (argument ${i} is an array), got ${describe(g)}`, {
          argument: `gradient[${i}]`,
          got: describe(g),
        });
      if (g.length !== n)
        throw new AdError("ShapeMismatch", `into: gradient[${i}] has length ${g.length}, argument ${i} has length ${n}`, { op, argument: i, expected: n, got: g.length });
      if (args.includes(g as never) || adjoints.includes(g))
        throw invalidArgument(op, `into: gradient[${i}] is also an argument or another gradient entry; each needs its own array`, { argument: `gradient[${i}]` });
      g.fill(0);
      adjoints.push(g);
    }
    return kernels.kernel(kinds)(...args, ...adjoints) as unknown as ReverseResult;
  };
}

/**
 * The code of the reverse-mode entry point (an `Entry`), generated for the argument kinds the source
 * implies: numbers and Float64Arrays exactly there are checked with one typeof / brand check each
 * (`instanceof` would pass a Proxy of a Float64Array, whose `length` throws) and passed straight to
 * the kernel (no rest array, no spread); anything else takes the checked `slow` path. `differentiate` compiles it at run time, the build-time plugin writes it into the bundle.
 */
export function entryCode(kinds: readonly ArgKind[]): string {
  const params = kinds.map((_, i) => `a${i}`);
  const checks = [`arguments.length === ${kinds.length}`, ...kinds.map((k, i) => (k === "num" ? `typeof a${i} === "number"` : `isFloat64Array(a${i})`))];
  const adjoints = kinds.flatMap((k, i) => (k === "arr" ? [`const g${i} = new Float64Array(a${i}.length);`] : []));
  const call = [...params, ...kinds.flatMap((k, i) => (k === "arr" ? [`g${i}`] : []))].join(", ");
  return [
    "function (kernel, slow, isFloat64Array) {",
    `  return function df(${params.join(", ")}) {`,
    `    if (${checks.join(" && ")}) {`,
    ...adjoints.map((a) => `      ${a}`),
    `      return kernel(${call});`,
    "    }",
    "    return slow(Array.prototype.slice.call(arguments));",
    "  };",
    "}",
  ].join("\n");
}
