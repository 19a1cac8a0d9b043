/**
 * Source transformation: `differentiate(fn)` reads `fn`'s source, lowers it to the IR (lower.ts),
 * transforms the IR (reverse.ts, forward.ts) and compiles the result with `new Function`. The code
 * it runs is `df.source`: plain JavaScript with one statement per line.
 *
 * Shapes, one rule everywhere: a derivative takes the function's arguments, each a number or an
 * array of numbers (`number[]` or `Float64Array`), and `gradient` is ALWAYS an array with one entry
 * per argument, in order, even for a single argument: a number for a number argument, a
 * `Float64Array` of the same length for an array argument.
 */
import { AdError, attempt, describe, expectFunction, expectOptions, invalidArgument } from "../errors.js";
import { cse } from "./analysis.js";
import {
  entryCode,
  expectTangentCount,
  forwardWrapper,
  mark,
  reverseInto,
  reverseSlow,
  withInto,
  type Entry,
  type Kernel,
  type Kernels,
  type TransformGradient,
} from "./derivative.js";
import { forEachNode } from "./control.js";
import { emit, type Emitted } from "./emit.js";
import { FunctionConstructor, isArray, isFloat64Array } from "./intrinsics.js";
import { forward } from "./forward.js";
import { Locals, type Program } from "./ir.js";
import { Lowerer, type LowerOptions } from "./lower.js";
import { differentiatedMark, markRule, type DerivativeKind, type DifferentiatedMark, type RuleMark } from "./marks.js";
import { MAX_NESTING, outOfStack, parseFunction, type Parsed } from "./parse.js";
import { reverse } from "./reverse.js";
import { NeedsArray, readable } from "./scope.js";
import { argumentKinds, expectLike, runtime, type ArgKind, type Argument } from "./runtime.js";

export type { Argument } from "./runtime.js";

export interface DifferentiateOptions {
  /** "reverse" (default): value and gradient. "forward": value and a directional derivative. */
  readonly mode?: "reverse" | "forward";
  /**
   * Free variables of `fn`, by name: numbers and booleans (inlined as constants), arrays of numbers
   * (read-only, no derivative), or functions (as `functions`). No other free name is allowed.
   */
  readonly constants?: Readonly<Record<string, number | boolean | ArrayLike<number> | ((...args: never[]) => unknown)>>;
  /**
   * Functions `fn` calls, by name. A plain function (or one made by `differentiate`) is inlined,
   * so its derivative is that of its body; a `defineDerivative` function is called with its rule.
   */
  readonly functions?: Readonly<Record<string, (...args: never[]) => unknown>>;
}

export type { TransformGradient } from "./derivative.js";

export interface ReverseDerivative {
  /** f(args) and ∇f(args), by one forward and one reverse sweep. */
  (...args: Argument[]): { value: number; gradient: TransformGradient };
  /**
   * The same into arrays you own: `gradient` has one entry per argument, a Float64Array of the
   * argument's length for an array argument (zeroed, then filled; returned as the gradient's entry)
   * and anything for a number argument. A loop of calls then allocates no gradient arrays.
   */
  into(gradient: readonly (Float64Array | number | undefined)[], ...args: Argument[]): { value: number; gradient: TransformGradient };
  /** The generated code (for the argument kinds inferred from the source). */
  readonly source: string;
}

export interface ForwardDerivative {
  /**
   * f(args) and the directional derivative Σᵢ ⟨∂f/∂argᵢ, tangentsᵢ⟩ (a JVP): `tangents` has one
   * entry per argument, of the argument's shape.
   */
  (args: readonly Argument[], tangents: readonly Argument[]): { value: number; tangent: number };
  readonly source: string;
}

export interface HessianVectorProduct {
  /**
   * ∇f(args) and its directional derivative H·tangents (forward over reverse), both shaped as
   * `differentiate`'s gradient: one entry per argument.
   */
  (args: readonly Argument[], tangents: readonly Argument[]): { value: TransformGradient; tangent: TransformGradient };
  readonly source: string;
}

export interface TransformedHessian {
  /**
   * f, ∇f (shaped as for `differentiate`) and the Hessian over the flattened inputs: the arguments
   * in order, an array element by element, so `hessian` is n×n for n numbers in all.
   */
  (...args: Argument[]): { value: number; gradient: TransformGradient; hessian: number[][] };
  readonly source: string;
}

type Mode = "reverse" | "forward" | "hessian" | "gradientTangent";

/** Parsed once; kernels compiled per argument-kind signature ("num,arr"), the inferred one eagerly. */
class Compiler {
  private readonly parsed: Parsed;
  private readonly kernels = new Map<string, Emitted>();
  readonly inferred: readonly ArgKind[];
  readonly first: Emitted;

  constructor(
    readonly op: string,
    fn: (...args: never[]) => unknown,
    readonly options: LowerOptions,
    readonly mode: Mode,
  ) {
    this.parsed = parseFunction(fn);
    const first = this.compile(inferKinds(this.parsed));
    this.inferred = first.kinds;
    this.first = first.emitted;
    this.kernels.set(first.kinds.join(","), first.emitted);
  }

  get arity(): number {
    return this.inferred.length;
  }

  kernel(kinds: readonly ArgKind[]): Emitted {
    const key = kinds.join(",");
    let k = this.kernels.get(key);
    if (k === undefined) {
      const compiled = this.compile(kinds);
      const wrong = compiled.kinds.findIndex((kind, i) => kind !== kinds[i]);
      if (wrong >= 0) {
        throw invalidArgument(this.op, `argument ${wrong} must be an array: the function uses it as one`, { argument: wrong, got: "a number" });
      }
      k = compiled.emitted;
      this.kernels.set(key, k);
    }
    return k;
  }

  private compile(given: readonly ArgKind[]): { emitted: Emitted; kinds: ArgKind[] } {
    // Lowered as numbers, a parameter the body (or a callee) uses as an array is retried as one.
    const kinds = given.slice();
    for (;;) {
      try {
        return { emitted: this.compileFor(kinds), kinds };
      } catch (e) {
        // Within MAX_NESTING every pass fits the stack, unless differentiate itself is called deep in it.
        if (outOfStack(e))
          throw new AdError(
            "UnsupportedOp",
            `the function nests too deeply to transform from this deep in the call stack (the limit is ${MAX_NESTING} levels from a shallow one)`,
            { op: this.op, construct: "deep nesting", limit: MAX_NESTING },
          );
        if (!(e instanceof NeedsArray) || kinds[e.index] === "arr") throw e;
        kinds[e.index] = "arr";
      }
    }
  }

  private compileFor(kinds: readonly ArgKind[]): Emitted {
    const locals = new Locals();
    const node = this.parsed.node as unknown as { id?: { name?: string } | null };
    const name = locals.reserve(node.id?.name ?? "f");
    const second = this.mode === "hessian" || this.mode === "gradientTangent";
    const lowered: Program = new Lowerer(locals).program({ node: this.parsed.node, where: this.parsed }, kinds, { ...this.options, inlineRules: second }, name);
    const signature = `${name}(${lowered.params.map((id) => lowered.locals[id].name).join(", ")})`;
    let program: Program;
    let header: string[];
    switch (this.mode) {
      case "reverse":
        program = reverse(lowered, { guards: true });
        header = [
          `adjoint: reverse mode of ${signature}, generated by differentiate()`,
          "returns { value, gradient }; ∂/∂ an array argument is accumulated into its *_adj array (zeros from the caller)",
        ];
        break;
      case "forward":
        program = forward(lowered, { allowCalls: true });
        header = [
          `adjoint: forward mode (tangents) of ${signature}, generated by differentiate({ mode: "forward" })`,
          "takes the arguments then one tangent per argument; returns [value, tangent]",
        ];
        break;
      case "hessian":
      case "gradientTangent":
        program = forward(reverse(lowered, { guards: false }), { allowCalls: false });
        header = [
          `adjoint: forward over reverse of ${signature}, generated by ${this.op}()`,
          "takes the arguments, their *_adj arrays, then tangents of both; returns [value, gradient…, value tangent, gradient tangents…]",
        ];
        break;
    }
    return emit(cse(program), header, runtime);
  }
}

/** A parameter is an array if the body indexes it, reads its .length or iterates over it. */
function inferKinds(parsed: Parsed): ArgKind[] {
  const names = (parsed.node.params as unknown as { type: string; name?: string }[]).map((p) => (p.type === "Identifier" ? p.name! : ""));
  const arrays = new Set<string>();
  forEachNode(parsed.node.body as never, (node) => {
    if (node.type === "MemberExpression") {
      const obj = node.object as { type: string; name: string };
      if (obj.type === "Identifier") arrays.add(obj.name);
    }
    if (node.type === "ForOfStatement" && (node.right as { type: string }).type === "Identifier") arrays.add((node.right as { name: string }).name);
  });
  return names.map((n) => (arrays.has(n) ? "arr" : "num"));
}

/**
 * The checked options (unknown keys refused); a getter or Proxy trap that throws while they are read
 * is reported as an InvalidArgument, as for every other value the transform reads.
 */
function readOptions(
  op: string,
  opts: unknown,
  known: readonly (keyof DifferentiateOptions)[] = ["mode", "constants", "functions"],
): { mode: "reverse" | "forward"; lower: LowerOptions } {
  const checked = readable(op, "options", () => attempt(() => expectOptions<DifferentiateOptions>(op, opts, known)));
  if (!checked.ok) throw checked.error;
  const { mode = "reverse", constants, functions } = checked.value;
  if (mode !== "reverse" && mode !== "forward") throw invalidArgument(op, `options.mode must be "reverse" or "forward", got ${describe(mode)}`, { argument: "mode" });
  return { mode, lower: { constants, functions } };
}

function kernelsOf(compiler: Compiler): Kernels {
  return { inferred: compiler.inferred, first: compiler.first.fn, kernel: (kinds) => compiler.kernel(kinds).fn };
}

/**
 * The derivative of a plain function of numbers and arrays of numbers, by source transformation.
 * Reverse mode (default): `df(...args)` → `{ value, gradient }`. Forward mode:
 * `df(args, tangents)` → `{ value, tangent }`. Code outside the covered language (docs/transform.md)
 * is refused with an `UnsupportedOp` AdError giving its line and column.
 *
 * Given a function made by `differentiate` in reverse mode, `{ mode: "forward" }` differentiates its
 * gradient: `ddf(args, tangents)` → `{ value: gradient, tangent: H·tangents }` (forward over reverse).
 */
export function differentiate(df: ReverseDerivative, opts: DifferentiateOptions & { mode: "forward" }): HessianVectorProduct;
export function differentiate(fn: (...args: never[]) => unknown, opts?: DifferentiateOptions & { mode?: "reverse" }): ReverseDerivative;
export function differentiate(fn: (...args: never[]) => unknown, opts: DifferentiateOptions & { mode: "forward" }): ForwardDerivative;
export function differentiate(fn: (...args: never[]) => unknown, opts?: DifferentiateOptions): ReverseDerivative | ForwardDerivative;
export function differentiate(fn: (...args: never[]) => unknown, opts?: DifferentiateOptions): ReverseDerivative | ForwardDerivative | HessianVectorProduct {
  const op = "differentiate";
  expectFunction(op, "fn", fn);
  const { mode, lower } = readOptions(op, opts);
  const inner = differentiatedMark(fn);
  if (inner !== undefined) {
    if (inner.derivative === "reverse" && mode === "forward") return gradientTangent(inner);
    throw secondTransform(op, inner.derivative, mode);
  }
  const compiler = new Compiler(op, fn, lower, mode);
  const kernels = kernelsOf(compiler);
  if (mode === "forward")
    return mark(forwardWrapper(op, kernels), "forward", fn, lower, compiler.first.source, compiler.inferred, compiler.first.kernel) as unknown as ForwardDerivative;
  const df = withInto(fastPath(compiler.first.fn, compiler.inferred, reverseSlow(op, kernels)), reverseInto(op, kernels));
  return mark(df, "reverse", fn, lower, compiler.first.source, compiler.inferred, compiler.first.kernel) as unknown as ReverseDerivative;
}

/**
 * The refusal for a transform of a derivative other than forward over reverse: the derivative of
 * what the transform made is defined only there (and for transformHessian of a gradient), so
 * anything else would be a derivative of the wrong function.
 */
function secondTransform(op: string, derivative: DerivativeKind, mode: "reverse" | "forward" | "hessian"): AdError {
  const what = { reverse: "a gradient", forward: "a forward-mode derivative", hvp: "a Hessian-vector product", hessian: "a Hessian" }[derivative];
  const asked = mode === "hessian" ? "the Hessian" : `${mode} mode`;
  const construct = `${mode} over ${derivative}`;
  return new AdError(
    "UnsupportedOp",
    `${asked} of ${what} (a function made by ${derivative === "hessian" ? "transformHessian" : "differentiate"}) is not supported: second order is differentiate(differentiate(f), { mode: "forward" }) (Hessian-vector products) or transformHessian(f)`,
    { op, construct },
  );
}

/** The reverse-mode entry point for `kinds` (its code: `entryCode`), compiled at run time. */
function fastPath(kernel: (...args: unknown[]) => unknown, kinds: readonly ArgKind[], slow: (args: Argument[]) => { value: number; gradient: TransformGradient }) {
  return (new FunctionConstructor(`"use strict";\nreturn ${entryCode(kinds)};`) as () => Entry)()(kernel as Kernel, slow, isFloat64Array);
}

/** One forward-over-reverse pass: value, gradient and the gradient's tangent along `tangents`. */
function hvpPass(kernel: Emitted, kinds: readonly ArgKind[], args: readonly Argument[], tangents: readonly Argument[]) {
  const zeros = () => kinds.flatMap((k, i) => (k === "arr" ? [new Float64Array((args[i] as ArrayLike<number>).length)] : []));
  const adjoints = zeros();
  const adjointTangents = zeros();
  const out = kernel.fn(...args, ...adjoints, ...tangents, ...adjointTangents) as number[];
  const numbers = kinds.filter((k) => k === "num").length;
  const gradient: TransformGradient = [];
  const tangent: TransformGradient = [];
  let a = 0;
  let n = 0;
  for (const k of kinds) {
    if (k === "arr") {
      gradient.push(adjoints[a]);
      tangent.push(adjointTangents[a++]);
    } else {
      gradient.push(out[1 + n]);
      tangent.push(out[2 + numbers + n++]);
    }
  }
  return { value: out[0], gradient, tangent };
}

function gradientTangent(inner: DifferentiatedMark): HessianVectorProduct {
  const op = "differentiate";
  const compiler = new Compiler(op, inner.fn, { constants: inner.constants, functions: inner.functions }, "gradientTangent");
  const ddf = (args: readonly Argument[], tangents: readonly Argument[]) => {
    if (!isArray(args) || !isArray(tangents)) throw invalidArgument(op, "args and tangents must be arrays with one entry per argument", { argument: "args" });
    const kinds = argumentKinds(op, "args", args, compiler.arity);
    expectTangentCount(op, args, tangents);
    args.forEach((a, i) => expectLike(op, `tangents[${i}]`, a, tangents[i]));
    const r = hvpPass(compiler.kernel(kinds), kinds, args, tangents);
    return { value: r.gradient, tangent: r.tangent };
  };
  return mark(ddf, "hvp", inner.fn, { constants: inner.constants, functions: inner.functions }, compiler.first.source) as unknown as HessianVectorProduct;
}

/**
 * The Hessian of `fn` by source transformation, forward over reverse: the forward transform applied
 * to the reverse transform's IR, one pass per input number. (The tape's `hessian`, from
 * `adjoint/scalar`, takes a function over `Scalar<T>`; this one takes plain code.)
 */
export function transformHessian(fn: (...args: never[]) => unknown, opts?: Omit<DifferentiateOptions, "mode">): TransformedHessian {
  const op = "transformHessian";
  expectFunction(op, "fn", fn);
  const { lower } = readOptions(op, opts, ["constants", "functions"]);
  const inner = differentiatedMark(fn);
  // The Hessian of a gradient's function is that function's Hessian; of anything else, refused.
  if (inner !== undefined && inner.derivative !== "reverse") throw secondTransform(op, inner.derivative, "hessian");
  const compiler = new Compiler(op, inner?.fn ?? fn, lower, "hessian");
  const h = (...args: Argument[]) => {
    const kinds = argumentKinds(op, "arguments", args, compiler.arity);
    const kernel = compiler.kernel(kinds);
    const sizes = kinds.map((k, i) => (k === "arr" ? (args[i] as ArrayLike<number>).length : 1));
    const total = sizes.reduce((s, n) => s + n, 0);
    const columns: number[][] = [];
    let value = NaN;
    let gradient: TransformGradient = [];
    for (let j = 0; j < Math.max(total, 1); j++) {
      let offset = 0;
      const tangents: Argument[] = kinds.map((k, i) => {
        const start = offset;
        offset += sizes[i];
        if (k === "num") return start === j ? 1 : 0;
        const t = new Float64Array(sizes[i]);
        if (j >= start && j < start + sizes[i]) t[j - start] = 1;
        return t;
      });
      const r = hvpPass(kernel, kinds, args, tangents);
      value = r.value;
      gradient = r.gradient;
      if (total > 0) columns.push(r.tangent.flatMap((t) => (typeof t === "number" ? [t] : Array.from(t))));
    }
    // H[i][j] = column j's entry i.
    const hessian = columns.map((_, i) => columns.map((c) => c[i]));
    return { value, gradient, hessian };
  };
  return mark(h, "hessian", fn, lower, compiler.first.source) as unknown as TransformedHessian;
}

/**
 * A function with its own derivative rule, callable from transformed code (pass it in
 * `options.functions`): `rule(...args)` returns ∂fn/∂argᵢ for each argument, as an array (or one
 * number for a function of one argument). Called normally, it is `fn`.
 */
export function defineDerivative<F extends (...args: number[]) => number>(fn: F, rule: (...args: number[]) => number | ArrayLike<number>): F {
  const op = "defineDerivative";
  expectFunction(op, "fn", fn);
  expectFunction(op, "rule", rule);
  const wrapped = ((...args: number[]) => fn(...args)) as F;
  const m: RuleMark = { fn, rule, name: "custom" };
  markRule(wrapped, m);
  return wrapped;
}
