/**
 * A derivative whose code was generated at build time (by adjoint/plugin): no parser in the bundle
 * and no `new Function`, so it runs under a strict Content-Security-Policy.
 * It returns exactly what `differentiate` returns, through the same wrappers (derivative.ts).
 */
import { invalidArgument } from "../errors.js";
import { forwardWrapper, mark, reverseInto, reverseSlow, withInto, type Entry, type Kernel, type Kernels } from "./derivative.js";
import type { Runtime } from "./emit.js";
import type { ForwardDerivative, ReverseDerivative } from "./index.js";
import { isFloat64Array } from "./intrinsics.js";
import { runtime, type ArgKind } from "./runtime.js";

export type PrecompiledSpec = ReverseSpec | ForwardSpec;

export interface ReverseSpec extends SpecBase {
  readonly mode: "reverse";
  /** The entry point's code as a function (`entryCode` in derivative.ts, written at build time). */
  readonly entry: Entry;
}

export interface ForwardSpec extends SpecBase {
  readonly mode: "forward";
}

interface SpecBase {
  /** The argument kinds the kernel was generated for. */
  readonly kinds: readonly ArgKind[];
  /** The generated code, as `df.source`. */
  readonly source: string;
  /** The generated code as a function: given the runtime helpers, returns the kernel. */
  readonly kernel: (runtime: Runtime) => Kernel;
  /** The number constants it was generated with (kept so a call to `df` inlines `fn` as usual). */
  readonly constants?: Readonly<Record<string, number>>;
}

const op = "differentiate";

export function precompiled(spec: ReverseSpec, fn: (...args: never[]) => unknown): ReverseDerivative;
export function precompiled(spec: ForwardSpec, fn: (...args: never[]) => unknown): ForwardDerivative;
export function precompiled(spec: PrecompiledSpec, fn: (...args: never[]) => unknown): ReverseDerivative | ForwardDerivative;
export function precompiled(spec: PrecompiledSpec, fn: (...args: never[]) => unknown): ReverseDerivative | ForwardDerivative {
  const first = spec.kernel(runtime);
  const inferred = spec.kinds;
  // Only the kinds generated at build time have a kernel; `differentiate` would compile another
  // one here, which needs the parser this module leaves out.
  const kernels: Kernels = {
    inferred,
    first,
    kernel(kinds) {
      const wrong = kinds.findIndex((k, i) => k !== inferred[i]);
      if (wrong < 0) return first;
      const want = inferred[wrong] === "arr" ? "an array: the function uses it as one" : "a number: the derivative was generated at build time for a number there";
      throw invalidArgument(op, `argument ${wrong} must be ${want}`, { argument: wrong, got: kinds[wrong] === "arr" ? "an array" : "a number" });
    },
  };
  const lower = { constants: spec.constants, functions: undefined };
  if (spec.mode === "forward") return mark(forwardWrapper(op, kernels), "forward", fn, lower, spec.source, inferred) as unknown as ForwardDerivative;
  return mark(
    withInto(spec.entry(first, reverseSlow(op, kernels), isFloat64Array), reverseInto(op, kernels)),
    "reverse",
    fn,
    lower,
    spec.source,
    inferred,
  ) as unknown as ReverseDerivative;
}
