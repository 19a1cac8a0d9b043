/**
 * Build time: the code `differentiate(fn, { mode, constants })` would compile at run time, from
 * `fn`'s source text, as text for the plugin to write into the user's bundle.
 */
import { AdError } from "../errors.js";
import { entryCode } from "./derivative.js";
import { differentiate } from "./index.js";
import { differentiatedMark } from "./marks.js";
import { parseSource, presetSource } from "./parse.js";
import type { ArgKind } from "./runtime.js";

export interface GenerateOptions {
  readonly mode?: "reverse" | "forward";
  readonly constants?: Readonly<Record<string, number>>;
  /** Where the text starts in its file (line and column from 1), for the refusals' locations. */
  readonly at?: { line: number; column: number };
}

export interface Generated {
  readonly mode: "reverse" | "forward";
  readonly kinds: readonly ArgKind[];
  /** The generated code (`df.source`). */
  readonly source: string;
  /** A function expression `function ($runtime) { …; return kernel; }` (see `PrecompiledSpec.kernel`). */
  readonly kernelFactoryCode: string;
  /** Reverse mode: the entry point's code, a function expression (see `ReverseSpec.entry`). */
  readonly entryCode?: string;
}

export function generate(functionSource: string, options: GenerateOptions = {}): Generated {
  const mode = options.mode ?? "reverse";
  // A stand-in whose "source" is the text: the run-time path, step for step, with the file's locations.
  const stand = () => 0;
  // Number constants are inlined; arrays and functions would need `$arrays`/`$externals`, which only
  // exist at run time. (Not read off the generated text: user names and snippets may be spelled so.)
  for (const v of Object.values(options.constants ?? {}) as unknown[]) {
    if (typeof v !== "number" && typeof v !== "boolean")
      throw new AdError("UnsupportedOp", "only number constants can be compiled at build time", { op: "differentiate", construct: "non-number constant" });
  }
  presetSource(stand, parseSource(functionSource, options.at));
  const df = differentiate(stand, { mode, constants: options.constants });
  const source = df.source;
  const mark = differentiatedMark(df)!;
  const kinds = mark.kinds!;
  const name = mark.kernel!;
  // Comment lines dropped and the rest on one line: the plugin's edits stay on one line of the
  // output, which keeps the source map to line starts and edit boundaries.
  const oneLine = (code: string) =>
    code
      .split("\n")
      .filter((l) => !l.startsWith("//"))
      .map((l) => l.trim())
      .join(" ");
  return {
    mode,
    kinds,
    source,
    kernelFactoryCode: `function ($runtime) { "use strict"; ${oneLine(source)} return ${name}; }`,
    ...(mode === "reverse" ? { entryCode: oneLine(entryCode(kinds)) } : {}),
  };
}
