/**
 * The one form of the transform's refusal: an `UnsupportedOp` AdError naming the construct, with its
 * line and column in the function's source and a snippet. The lowering raises it while it reads the
 * source (parse.ts), the generated code when a write leaves an array's length (runtime.ts), so it
 * imports no parser.
 */
import { AdError } from "../errors.js";

/** Where a construct sits in the function's source (line and column from 1). */
export interface Site {
  readonly line: number;
  readonly column: number;
  readonly snippet: string;
}

export function refusal(construct: string, site: Site, hint = "", extra: Readonly<Record<string, unknown>> = {}): AdError {
  const { line, column, snippet } = site;
  return new AdError(
    "UnsupportedOp",
    `${construct} is not supported by source transformation, at line ${line}, column ${column} (${line}:${column}): \`${snippet}\`${hint ? `; ${hint}` : ""}`,
    {
      op: "differentiate",
      construct,
      line,
      column,
      snippet,
      ...extra,
    },
  );
}
