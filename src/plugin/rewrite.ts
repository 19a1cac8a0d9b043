/**
 * One module's rewrite: each `differentiate(<function>, <static options>)` whose derivative can be
 * generated now becomes `precompiled(<generated>, <function>)`. The function is a literal argument,
 * or a name declared in the module behind a `/* @differentiate *\/` comment; `differentiate` is
 * the binding imported from "adjoint" or "adjoint/transform" (renames followed). Names resolve as
 * JavaScript binds them at the call (scope.ts); one whose value there is not certain leaves the call
 * to run time.
 */
import { parse, type Comment, type Node } from "acorn";
import { AdError } from "../errors.js";
import { generate } from "../transform/generate.js";
import { children, Scopes, type Binding } from "./scope.js";
import { Edits, type SourceMap } from "./sourcemap.js";

type N = Node & Record<string, any>;

export interface Diagnostic {
  readonly message: string;
  /** Line from 1, column from 1, in the code given to `rewrite`. */
  readonly line: number;
  readonly column: number;
}

export interface Rewritten {
  readonly code: string;
  readonly map: SourceMap;
  readonly warnings: Diagnostic[];
  readonly errors: Diagnostic[];
}

export const SOURCES = new Set(["adjoint", "adjoint/transform"]);
export const PRECOMPILED_FROM = "adjoint/transform/precompiled";
const LOCAL = "__adjointPrecompiled";
const RUN_TIME = "differentiate left to run time (it needs the parser and new Function there)";
const MARK = /^\s*@differentiate\s*$/;
/** The marking comment, in source text. */
export const MARK_COMMENT = /\/\*\s*@differentiate\s*\*\//g;

export interface RewriteOptions {
  readonly precompiledFrom?: string;
  /**
   * Offsets in `code` of functions marked in a file this code was made from (a .ts file whose types
   * were stripped, with its comments).
   */
  readonly markedAt?: ReadonlySet<number>;
}

/** `null` when the module has nothing to rewrite (or does not parse: the bundler reports that). */
export function rewrite(code: string, id: string, options: RewriteOptions = {}): Rewritten | null {
  if (!code.includes("differentiate")) return null;
  const comments: Comment[] = [];
  let program: N;
  try {
    program = parse(code, { ecmaVersion: "latest", sourceType: "module", locations: true, onComment: comments, allowHashBang: true }) as N;
  } catch {
    return null;
  }
  const imports = importedDifferentiate(program);
  if (imports.size === 0) return null;
  const scopes = new Scopes(program);
  const marked = markedFunctions(program, comments, code, options.markedAt ?? new Set());
  const warnings: Diagnostic[] = [];
  const errors: Diagnostic[] = [];
  const edits = new Edits(code);
  const rewrittenCallees = new Set<N>();
  const at = (n: N) => ({ line: n.loc!.start.line, column: n.loc!.start.column + 1 });

  walk(program, (n) => {
    if (n.type !== "CallExpression" || n.callee.type !== "Identifier" || !imports.has(n.callee.name)) return true;
    // A local of the same name is not adjoint's differentiate.
    if (scopes.resolve(n.callee)?.declaration !== imports.get(n.callee.name)!.specifier) return true;
    const [target, options] = n.arguments as N[];
    const fn =
      target === undefined
        ? undefined
        : target.type === "ArrowFunctionExpression" || target.type === "FunctionExpression"
          ? target
          : target.type === "Identifier"
            ? markedAt(target, scopes, marked)
            : undefined;
    if (fn === undefined || typeof fn === "string") {
      warnings.push({ message: `${RUN_TIME}: ${fn ?? "its first argument is not a function literal or a module function marked /* @differentiate */"}`, ...at(n) });
      return true;
    }
    const read = readOptions(n.arguments.length > 2 ? n.arguments[2] : options, n.arguments.length > 2, scopes);
    if (typeof read === "string") {
      warnings.push({ message: `${RUN_TIME}: ${read}`, ...at(n) });
      return true;
    }
    let generated;
    try {
      generated = generate(code.slice(fn.start, fn.end), { mode: read.mode, constants: read.constants, at: at(fn) });
    } catch (e) {
      if (!(e instanceof AdError)) throw e;
      const d = e.details as { line?: unknown; column?: unknown };
      errors.push({ message: e.message, ...(typeof d.line === "number" && typeof d.column === "number" ? { line: d.line, column: d.column } : at(fn)) });
      return false;
    }
    const constants = Object.entries(read.constants)
      .map(([k, v]) => `${k}: ${numberText(v)}`)
      .join(", ");
    const spec = `{ mode: "${generated.mode}", kinds: ${JSON.stringify(generated.kinds)}, source: ${JSON.stringify(generated.source)}, kernel: ${generated.kernelFactoryCode}, ${generated.entryCode === undefined ? "" : `entry: ${generated.entryCode}, `}constants: { ${constants} } }`;
    edits.replace(n.start, target.start, `${LOCAL}(${spec}, `);
    edits.replace(target.end, n.end, ")");
    rewrittenCallees.add(n.callee);
    return false;
  });
  if (edits.size === 0 && errors.length === 0) return warnings.length === 0 ? null : { code, map: new Edits(code).apply(id).map, warnings, errors };

  dropUnusedImports(program, imports, rewrittenCallees, edits, code, scopes);
  // On the first line (after a hashbang), without a newline, so every other line keeps its number.
  const head = code.startsWith("#!") ? code.indexOf("\n") + 1 : 0;
  edits.replace(head, head, `import { precompiled as ${LOCAL} } from ${JSON.stringify(options.precompiledFrom ?? PRECOMPILED_FROM)}; `);
  return { ...edits.apply(id), warnings, errors };
}

/** Local names bound to `differentiate` from adjoint, with their import specifiers. */
function importedDifferentiate(program: N): Map<string, { specifier: N; declaration: N }> {
  const out = new Map<string, { specifier: N; declaration: N }>();
  for (const d of program.body as N[]) {
    if (d.type !== "ImportDeclaration" || !SOURCES.has(d.source.value)) continue;
    for (const s of d.specifiers as N[]) {
      if (s.type === "ImportSpecifier" && (s.imported.name ?? s.imported.value) === "differentiate") out.set(s.local.name, { specifier: s, declaration: d });
    }
  }
  return out;
}

/** Module-level functions behind a `@differentiate` block comment, by name. */
function markedFunctions(program: N, comments: readonly Comment[], code: string, markedAt: ReadonlySet<number>): Map<string, N> {
  const marks = comments.filter((c) => c.type === "Block" && MARK.test(c.value));
  const isMarked = (n: N) => markedAt.has(n.start) || marks.some((c) => c.end <= n.start && code.slice(c.end, n.start).trim() === "");
  const out = new Map<string, N>();
  for (const statement of program.body as N[]) {
    const d: N = statement.type === "ExportNamedDeclaration" && statement.declaration ? statement.declaration : statement;
    const markedStatement = isMarked(statement) || isMarked(d);
    if (d.type === "FunctionDeclaration" && d.id && markedStatement) out.set(d.id.name, d);
    if (d.type === "VariableDeclaration" && d.kind === "const") {
      for (const v of d.declarations as N[]) {
        const init = v.init as N | null;
        if (v.id.type !== "Identifier" || init === null || (init.type !== "ArrowFunctionExpression" && init.type !== "FunctionExpression")) continue;
        if (isMarked(init) || (markedStatement && d.declarations.length === 1)) out.set(v.id.name, init);
      }
    }
  }
  return out;
}

/** The marked function `id` names at its position, or why it names none for certain. */
function markedAt(id: N, scopes: Scopes, marked: ReadonlyMap<string, N>): N | string | undefined {
  const b = scopes.resolve(id);
  if (!marked.has(id.name)) return undefined;
  if (b?.scope !== scopes.module) return `\`${id.name}\` here is ${described(b)}, not the module function marked /* @differentiate */`;
  const unsettled = scopes.unsettled(b, id);
  return unsettled === undefined ? marked.get(id.name) : `\`${id.name}\` ${unsettled}`;
}

/** The number a `const NAME = <number literal>` (or its negation) gives `id`, or why there is none. */
function constNumber(id: N, scopes: Scopes): number | string {
  const b = scopes.resolve(id);
  const value = b?.kind === "const" && b.declaration.id.type === "Identifier" && b.declaration.init ? numberLiteral(b.declaration.init) : undefined;
  if (b === undefined || value === undefined) return `is not a number literal or a const bound to one (it is ${described(b)})`;
  return scopes.unsettled(b, id) ?? value;
}

function described(b: Binding | undefined): string {
  return b === undefined ? "a global" : `the ${b.kind} at line ${b.declaration.loc!.start.line}`;
}

function numberLiteral(n: N): number | undefined {
  if (n.type === "Literal" && typeof n.value === "number") return n.value;
  if (n.type === "UnaryExpression" && (n.operator === "-" || n.operator === "+") && n.argument.type === "Literal" && typeof n.argument.value === "number") {
    return n.operator === "-" ? -n.argument.value : n.argument.value;
  }
  return undefined;
}

function numberText(v: number): string {
  return Object.is(v, -0) ? "-0" : Number.isNaN(v) ? "NaN" : v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : String(v);
}

/** The options if they are static, else why not. */
function readOptions(o: N | undefined, extra: boolean, scopes: Scopes): { mode: "reverse" | "forward"; constants: Record<string, number> } | string {
  if (extra) return "more than two arguments";
  const out = { mode: "reverse" as "reverse" | "forward", constants: {} as Record<string, number> };
  if (o === undefined) return out;
  if (o.type !== "ObjectExpression") return "the options are not an object literal";
  for (const p of o.properties as N[]) {
    const key = p.type === "Property" && !p.computed && p.kind === "init" ? (p.key.name ?? p.key.value) : undefined;
    if (key === "mode") {
      if (p.value.type !== "Literal" || (p.value.value !== "reverse" && p.value.value !== "forward")) return `options.mode is not the literal "forward" or "reverse"`;
      out.mode = p.value.value;
    } else if (key === "constants") {
      if (p.value.type !== "ObjectExpression") return "options.constants is not an object literal";
      for (const c of p.value.properties as N[]) {
        const name = c.type === "Property" && !c.computed && c.kind === "init" ? (c.key.name ?? c.key.value) : undefined;
        if (typeof name !== "string") return "options.constants has a computed key or a spread";
        const value = c.value.type === "Identifier" ? constNumber(c.value, scopes) : (numberLiteral(c.value) ?? "is not a number literal or a const bound to one");
        if (typeof value === "string") return `options.constants.${name} ${value}`;
        out.constants[name] = value;
      }
    } else {
      return typeof key === "string" ? `options.${key} is only read at run time` : "the options have a computed key or a spread";
    }
  }
  return out;
}

/** Removes an import of `differentiate` none of whose references is left, so the parser is not bundled. */
function dropUnusedImports(program: N, imports: Map<string, { specifier: N; declaration: N }>, rewritten: ReadonlySet<N>, edits: Edits, code: string, scopes: Scopes): void {
  const referenced = new Set<N>();
  walk(program, (n) => {
    if (n.type === "Identifier" && imports.has(n.name) && !rewritten.has(n)) {
      const d = scopes.resolve(n)?.declaration;
      if (d !== undefined) referenced.add(d);
    }
    return true;
  });
  const byDeclaration = new Map<N, N[]>();
  for (const { specifier, declaration } of imports.values()) {
    if (referenced.has(specifier)) continue;
    byDeclaration.set(declaration, [...(byDeclaration.get(declaration) ?? []), specifier]);
  }
  for (const [d, unused] of byDeclaration) {
    const specifiers = d.specifiers as N[];
    if (unused.length === specifiers.length) {
      edits.replace(d.start, d.end, "");
      continue;
    }
    // Two cut from one list could overlap at their commas; keeping the import is harmless.
    if (unused.length > 1) continue;
    for (const s of unused) {
      const i = specifiers.indexOf(s);
      // With the comma after it, or (the last one) the comma before it.
      if (i < specifiers.length - 1) edits.replace(s.start, specifiers[i + 1].start, "");
      else edits.replace(code.lastIndexOf(",", s.start), s.end, "");
    }
  }
}

/** Visits nodes depth first; `visit` returning false skips the node's children. */
function walk(n: N, visit: (n: N) => boolean): void {
  if (!visit(n)) return;
  for (const child of children(n)) walk(child, visit);
}
