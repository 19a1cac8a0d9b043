/**
 * A reverse-mode derivative re-created from its generated code alone, where `differentiate` cannot
 * run again on the source function (a worker thread receives the code as text, never the function).
 * It is the same kernel text compiled again, so it computes the same bits.
 */
import { entryCode, type Entry } from "./derivative.js";
import type { ReverseDerivative } from "./index.js";
import { FunctionConstructor } from "./intrinsics.js";
import { differentiatedMark } from "./marks.js";
import { precompiled } from "./precompiled.js";
import type { ArgKind } from "./runtime.js";

/** What a worker needs to re-create a reverse-mode derivative: plain data, postable. */
export interface GeneratedCode {
  readonly source: string;
  readonly kinds: readonly ArgKind[];
  /** The kernel's name in `source`. */
  readonly kernel: string;
}

/**
 * `df`'s generated code when `df` was made by `differentiate` in reverse mode; a sentence saying why
 * not when it was made by the transform otherwise (or depends on values outside its text);
 * undefined when the transform did not make it.
 */
export function generatedCode(df: unknown): GeneratedCode | string | undefined {
  const mark = differentiatedMark(df);
  if (mark === undefined) return undefined;
  if (mark.derivative !== "reverse") return `it is a ${mark.derivative} derivative, not a reverse-mode one`;
  // A build-time derivative (adjoint/plugin) keeps its code as a function, not as text with its kernel's name.
  if (mark.kinds === undefined || mark.kernel === undefined) return "it was generated at build time, and its code is not kept as text a worker can compile";
  // Number and boolean constants are inlined into the text; arrays and functions are bound beside it.
  const bound = Object.entries((mark.constants ?? {}) as Record<string, unknown>).find(([, v]) => typeof v !== "number" && typeof v !== "boolean");
  if (bound !== undefined) return `its constant ${bound[0]} is not a number or boolean, so it is not part of the generated code`;
  if (mark.functions !== undefined && Object.keys(mark.functions as object).length > 0)
    return "it calls functions given in options.functions, which are not part of the generated code";
  return { source: (df as { source: string }).source, kinds: mark.kinds, kernel: mark.kernel };
}

/** The derivative `code` was generated as (see `generatedCode`). */
export function rebuildReverse(code: GeneratedCode): ReverseDerivative {
  const factory = new FunctionConstructor("$runtime", "$externals", "$arrays", `"use strict";\n${code.source}\nreturn ${code.kernel};`);
  const entry = new FunctionConstructor(`"use strict";\nreturn ${entryCode(code.kinds)};`)() as Entry;
  // The source function is not here: a transform of the rebuilt derivative would need it, and none happens in a worker.
  const unavailable = () => Number.NaN;
  return precompiled({ mode: "reverse", kinds: code.kinds, source: code.source, kernel: (runtime) => factory(runtime, [], []), entry }, unavailable);
}
