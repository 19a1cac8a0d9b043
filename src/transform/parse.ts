/**
 * From a JS function object to its acorn AST, and the one way the transform refuses code:
 * `UnsupportedOp` naming the construct, with the line and column in the function's own source
 * (`fn.toString()`, line 1 being the line with its first token; columns count from 1).
 */
import { parse, type Node, type Function as FunctionNode } from "acorn";
import { AdError } from "../errors.js";
import { sourceOf, weakMapGet } from "./intrinsics.js";
import { refusal, type Site } from "./refusal.js";

export type FnNode = FunctionNode & Node;

export interface Parsed {
  readonly node: FnNode;
  readonly source: string;
  /** Characters added before the source so it parses as an expression (subtracted from columns). */
  readonly shift: number;
}

export interface Where {
  readonly source: string;
  readonly shift: number;
}

/** The AdError for a construct the transform does not cover, at `node`'s position. */
export function unsupported(where: Where, node: Node, construct: string, hint = "", details: Readonly<Record<string, unknown>> = {}): AdError {
  return refusal(construct, site(where, node), hint, details);
}

/** `node`'s line and column, and its first 60 characters on one line. */
export function site(where: Where, node: Node): Site {
  const snippet = where.source.slice(node.start - where.shift, Math.min(node.end - where.shift, node.start - where.shift + 60)).replace(/\s+/g, " ");
  return { ...position(where, node.start), snippet };
}

/**
 * How deeply code may nest: each expression inside another (a call's argument, an operand in
 * parentheses) and each statement inside a block or a branch counts one level; a chain of binary
 * operators (`a + b + c + …`) counts one. acorn, the lowering and every pass after it recurse along
 * the nesting; below this every one of them fits Node's default stack with room to spare (acorn
 * runs out near 650 nested calls), above it the code is refused before anything can overflow.
 */
export const MAX_NESTING = 500;

/** The refusal for code nested deeper than MAX_NESTING (or deeper than the parser can follow), at `node`. */
export function tooDeep(where: Where, node: Node): AdError {
  return unsupported(where, node, `code nested more than ${MAX_NESTING} levels deep`, "split it with intermediate variables", { limit: MAX_NESTING });
}

export function position(where: Where, offset: number): { line: number; column: number } {
  const at = Math.max(0, offset - where.shift);
  const before = where.source.slice(0, at);
  const line = before.split("\n").length;
  const column = at - (before.lastIndexOf("\n") + 1) + 1;
  return { line, column };
}

/**
 * Parses `Function.prototype.toString` of `fn`, as captured at import (never `fn.toString`, which user
 * code may override, nor the prototype's, which code that runs later may patch).
 */
export function parseFunction(fn: (...args: never[]) => unknown): Parsed {
  const preset = weakMapGet(presets, fn);
  if (preset !== undefined) return preset;
  let source: string;
  try {
    source = sourceOf(fn);
  } catch {
    throw new AdError("UnsupportedOp", "the function's source is not readable", { op: "differentiate", construct: "unreadable function" });
  }
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new AdError("UnsupportedOp", "a built-in or bound function has no source to transform", { op: "differentiate", construct: "native function", line: 1, column: 1 });
  }
  if (/^class\b/.test(source)) {
    throw new AdError("UnsupportedOp", "a class is not a function of numbers (line 1, column 1)", { op: "differentiate", construct: "class", line: 1, column: 1 });
  }
  // `function f() {}` and arrows parse as expressions in parentheses; a method's source (`m(x) {}`,
  // `get m() {}`) only inside an object literal.
  for (const [prefix, suffix] of [
    ["(", ")"],
    ["({", "})"],
  ] as const) {
    let program: Node & { body: Node[] };
    try {
      program = parse(prefix + source + suffix, { ecmaVersion: "latest", locations: false, sourceType: "script" }) as Node & { body: Node[] };
    } catch (e) {
      if (outOfStack(e)) throw tooDeepAt({ source, shift: prefix.length }, e);
      continue;
    }
    const node = functionIn(program);
    if (node !== undefined) return { node, source, shift: prefix.length };
  }
  throw new AdError("UnsupportedOp", "the function's source does not parse as a JavaScript function", { op: "differentiate", construct: "unparseable source", line: 1, column: 1 });
}

const presets = new WeakMap<object, Parsed>();

/**
 * Build time: `parseFunction(stand)` returns `parsed`, so `differentiate(stand, …)` compiles source
 * text cut from a file (the plugin's) through the one pipeline, with the file's locations.
 */
export function presetSource(stand: (...args: never[]) => unknown, parsed: Parsed): void {
  presets.set(stand, parsed);
}

/**
 * Parses a function's source text cut from a file (the build-time plugin), `at` being where its first
 * character sits in that file (line and column from 1), so a refusal names the file's line and column.
 */
export function parseSource(text: string, at: { line: number; column: number } = { line: 1, column: 1 }): Parsed {
  // Padding with the newlines and spaces before `text` makes `position` count in the file's
  // coordinates without a second code path.
  const source = "\n".repeat(Math.max(0, at.line - 1)) + " ".repeat(Math.max(0, at.column - 1)) + text;
  let program: Node & { body: Node[] };
  try {
    program = parse(`(${source})`, { ecmaVersion: "latest", locations: false, sourceType: "module" }) as Node & { body: Node[] };
  } catch (e) {
    if (outOfStack(e)) throw tooDeepAt({ source, shift: 1 }, e);
    throw new AdError("UnsupportedOp", `the source does not parse as a JavaScript function (line ${at.line}, column ${at.column})`, {
      op: "differentiate",
      construct: "unparseable source",
      line: at.line,
      column: at.column,
    });
  }
  const node = functionIn(program);
  if (node === undefined)
    throw new AdError("UnsupportedOp", `not a function expression (line ${at.line}, column ${at.column})`, {
      op: "differentiate",
      construct: "not a function",
      line: at.line,
      column: at.column,
    });
  return { node, source, shift: 1 };
}

function functionIn(program: Node & { body: Node[] }): FnNode | undefined {
  const statement = program.body[0] as (Node & { expression?: Node }) | undefined;
  let e = statement?.expression as (Node & { properties?: (Node & { value: Node; kind?: string })[] }) | undefined;
  if (e?.type === "ObjectExpression") {
    const p = e.properties?.[0];
    if (e.properties?.length !== 1 || p === undefined || p.type !== "Property") return undefined;
    e = p.value as typeof e;
  }
  if (e?.type === "ArrowFunctionExpression" || e?.type === "FunctionExpression") return e as unknown as FnNode;
  return undefined;
}

/** acorn or a pass ran out of stack (acorn says so in a SyntaxError; V8 throws a RangeError). */
export function outOfStack(e: unknown): boolean {
  return (e instanceof RangeError && /call stack/.test(e.message)) || (e instanceof SyntaxError && /stack space/.test(e.message));
}

/** The nesting refusal where acorn gave up (its error's offset), or at the start. */
function tooDeepAt(where: Where, e: unknown): AdError {
  const pos = (e as { pos?: unknown }).pos;
  const at = typeof pos === "number" ? pos : where.shift;
  return tooDeep(where, { start: at, end: at + 60 } as Node);
}
