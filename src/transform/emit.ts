/**
 * IR → JavaScript source, one statement per line, and its compilation with `new Function`. Locals
 * are plain `let`s declared at the top (adjoints and tangents are locals too, so straight-line code
 * allocates nothing); the stack, only where a loop saves values, is one Float64Array with an index
 * (booleans as 0/1), doubled when full: no boxing, no `push`/`pop` calls. A call hands its stack
 * back to the derivative when it returns and the next call takes it, so after the first call a
 * loop's saves allocate nothing (a call that starts while another runs, from inside a
 * `defineDerivative` rule, finds none to take and makes its own).
 */
import { UNARY_OPS } from "../scalar/scalar.js";
import { FunctionConstructor } from "./intrinsics.js";
import { forEachRead, type Atom, type Expr, type Program, type Stmt } from "./ir.js";

/** Helpers the emitted code may call, bound by name before the function. */
export interface Runtime {
  readonly sigmoid: (x: number) => number;
  readonly softplus: (x: number) => number;
  readonly erf: (x: number) => number;
  /** The i-th partial from a defineDerivative rule's result, checked. */
  readonly partial: (result: unknown, i: number, name: string) => number;
  /** Refuses a store the user wrote at line:column whose index is not an integer within the length. */
  readonly outOfRange: (index: number, length: number, line: number, column: number, snippet: string) => never;
  /** Refuses an array length the user computed at line:column that JS's constructor throws for. */
  readonly badLength: (size: number, by: string, line: number, column: number, snippet: string) => never;
  /** A zero-filled Float64Array of `size`; an allocation that fails is an AdError naming line:column. */
  readonly allocate: (size: number, line: number, column: number, snippet: string) => Float64Array;
}

/** Literal lengths up to this are allocated inline: they cannot fail for want of memory. */
const SMALL_ARRAY = 1 << 20;

// The unary ops that are JavaScript's own Math functions are emitted as such; the rest (neg,
// sigmoid, softplus, erf) as operators or runtime helpers.
const MATH_NAMES = new Set<string>(UNARY_OPS.filter((name) => typeof (Math as unknown as Record<string, unknown>)[name] === "function"));
const BINARY_SYMBOL: Record<string, string> = { add: "+", sub: "-", mul: "*", div: "/", mod: "%" };
const COMPARE_SYMBOL: Record<string, string> = { lt: "<", le: "<=", gt: ">", ge: ">=", eq: "===", ne: "!==" };

export interface Emitted {
  readonly source: string;
  /** The kernel's name in `source` (what the build-time plugin returns from the code it writes). */
  readonly kernel: string;
  readonly fn: (...args: unknown[]) => any;
}

export function emit(p: Program, header: readonly string[], runtime: Runtime): Emitted {
  const name = (id: number) => p.locals[id].name;
  const atom = (a: Atom): string => {
    if (a.t === "local") return name(a.id);
    if (a.t === "bool") return String(a.v);
    if (Object.is(a.v, -0)) return "-0";
    if (a.v < 0) return `(${a.v})`;
    return String(a.v);
  };
  const helpers = new Set<string>();
  const expr = (e: Expr): string => {
    switch (e.op) {
      case "copy":
        return atom(e.a);
      case "unary":
        if (e.fn === "neg") return `-${atom(e.a)}`;
        if (MATH_NAMES.has(e.fn)) return `Math.${e.fn}(${atom(e.a)})`;
        helpers.add(e.fn);
        return `${e.fn}(${atom(e.a)})`;
      case "binary": {
        const sym = BINARY_SYMBOL[e.fn];
        if (sym !== undefined) return `${atom(e.a)} ${sym} ${atom(e.b)}`;
        return `Math.${e.fn}(${atom(e.a)}, ${atom(e.b)})`;
      }
      case "step":
        return `Math.${e.fn}(${atom(e.a)})`;
      case "compare":
        return `${atom(e.a)} ${COMPARE_SYMBOL[e.fn]} ${atom(e.b)}`;
      case "not":
        return `!${atom(e.a)}`;
      case "logic":
        return `${atom(e.a)} ${e.fn === "and" ? "&&" : "||"} ${atom(e.b)}`;
      case "select":
        return `${atom(e.c)} ? ${atom(e.a)} : ${atom(e.b)}`;
      case "load":
        return `${name(e.arr)}[${atom(e.index)}]`;
      case "length":
        return `${name(e.arr)}.length`;
      default:
        return e satisfies never;
    }
  };

  // How often each local is read: a loop condition read only by its loop becomes `while (test)`.
  const reads = new Map<number, number>();
  forEachRead(p.body, (id) => reads.set(id, (reads.get(id) ?? 0) + 1));
  for (const a of [...p.outputs, ...(p.gradientResult ?? [])]) if (a.t === "local") reads.set(a.id, (reads.get(a.id) ?? 0) + 1);

  let usesStack = false;
  const lines: string[] = [];
  const statements = (stmts: readonly Stmt[], depth: number) => {
    const pad = "  ".repeat(depth);
    /** Pushes the last capacity check made room for, still to come before the next if or loop. */
    let room = 0;
    for (let at = 0; at < stmts.length; at++) {
      const st = stmts[at];
      if (st.s === "if" || st.s === "loop") room = 0;
      switch (st.s) {
        case "assign":
          lines.push(`${pad}${name(st.dst)} = ${expr(st.e)};`);
          break;
        case "store": {
          const index = atom(st.index);
          if (st.at !== undefined) {
            helpers.add("outOfRange");
            const { line, column, snippet } = st.at;
            // A literal index is a whole number ≥ 0 (the lowering refuses others): only the length is left.
            const outside = st.index.t === "num" ? `!(${index} < ${name(st.arr)}.length)` : `!(${index} < ${name(st.arr)}.length) || (${index} >>> 0) !== ${index}`;
            lines.push(`${pad}if (${outside}) outOfRange(${index}, ${name(st.arr)}.length, ${line}, ${column}, ${JSON.stringify(snippet)});`);
          }
          lines.push(`${pad}${name(st.arr)}[${index}] = ${atom(st.value)};`);
          break;
        }
        case "newArray": {
          const size = atom(st.size);
          if (st.check !== undefined) {
            helpers.add("badLength");
            const { at, by } = st.check;
            // Array takes a whole number below 2³²; Float64Array truncates and refuses what is negative.
            const bad = by === "Array" ? `(${size} >>> 0) !== ${size}` : `${size} <= -1 || ${size} > 4294967295`;
            lines.push(`${pad}if (${bad}) badLength(${size}, ${JSON.stringify(by)}, ${at.line}, ${at.column}, ${JSON.stringify(at.snippet)});`);
          }
          // A length the program computes (or a large literal) may be valid and still too big for
          // memory: `allocate` turns that RangeError into a refusal naming the line.
          const literal = Number(size);
          if (st.check === undefined && Number.isInteger(literal) && literal <= SMALL_ARRAY) {
            lines.push(`${pad}${name(st.dst)} = new Float64Array(${size});`);
          } else {
            helpers.add("allocate");
            const at = st.check?.at;
            lines.push(`${pad}${name(st.dst)} = allocate(${size}, ${at?.line ?? 0}, ${at?.column ?? 0}, ${JSON.stringify(at?.snippet ?? "")});`);
          }
          break;
        }
        case "if": {
          const negated = st.then.length === 0;
          lines.push(`${pad}if (${negated ? `!${atom(st.cond)}` : atom(st.cond)}) {`);
          statements(negated ? st.else : st.then, depth + 1);
          if (!negated && st.else.length > 0) {
            lines.push(`${pad}} else {`);
            statements(st.else, depth + 1);
          }
          lines.push(`${pad}}`);
          break;
        }
        case "loop": {
          const last = st.pre[st.pre.length - 1];
          const inlineTest = st.pre.length === 1 && last.s === "assign" && st.cond.t === "local" && last.dst === st.cond.id && reads.get(st.cond.id) === 1;
          if (inlineTest) {
            lines.push(`${pad}while (${expr(last.e)}) {`);
          } else {
            lines.push(`${pad}for (;;) {`);
            statements(st.pre, depth + 1);
            lines.push(`${pad}  if (!${atom(st.cond)}) break;`);
          }
          statements(st.post, depth + 1);
          lines.push(`${pad}}`);
          break;
        }
        case "call": {
          const ext = p.externals[st.fn];
          const args = st.args.map(atom).join(", ");
          lines.push(`${pad}${name(st.dst)} = ${ext.name}(${args});`);
          if (st.partials.length > 0) lines.push(`${pad}partials = ${ext.ruleName}(${args});`);
          st.partials.forEach((d, i) => lines.push(`${pad}${name(d)} = partial(partials, ${i}, ${JSON.stringify(ext.name)});`));
          break;
        }
        case "push": {
          usesStack = true;
          const isBool = st.a.t === "bool" || (st.a.t === "local" && p.locals[st.a.id].kind === "bool");
          if (room === 0) {
            // One check for the pushes up to the next if or loop (their own pushes check for themselves;
            // pops between only make room): sp grows by at most that many before then.
            let run = 0;
            for (let k = at; k < stmts.length && stmts[k].s !== "if" && stmts[k].s !== "loop"; k++) if (stmts[k].s === "push") run++;
            lines.push(run === 1 ? `${pad}if (sp === stack.length) stack = grow(stack, sp + 1);` : `${pad}if (sp + ${run} > stack.length) stack = grow(stack, sp + ${run});`);
            room = run;
          }
          room--;
          lines.push(`${pad}stack[sp++] = ${isBool ? `${atom(st.a)} ? 1 : 0` : atom(st.a)};`);
          break;
        }
        case "pop":
          usesStack = true;
          lines.push(`${pad}${name(st.dst)} = stack[--sp]${p.locals[st.dst].kind === "bool" ? " === 1" : ""};`);
          break;
        default:
          st satisfies never;
      }
    }
  };
  statements(p.body, 1);

  // Declarations: every local the body mentions, except params and the options' arrays.
  const mentioned = new Set<number>();
  const mention = (stmts: readonly Stmt[]) => {
    forEachRead(stmts, (id) => mentioned.add(id));
    const writes = (list: readonly Stmt[]) => {
      for (const st of list) {
        if (st.s === "assign" || st.s === "newArray" || st.s === "pop") mentioned.add(st.dst);
        if (st.s === "call") [st.dst, ...st.partials].forEach((id) => mentioned.add(id));
        if (st.s === "if") {
          writes(st.then);
          writes(st.else);
        }
        if (st.s === "loop") {
          writes(st.pre);
          writes(st.post);
        }
      }
    };
    writes(stmts);
  };
  mention(p.body);
  for (const a of [...p.outputs, ...(p.gradientResult ?? [])]) if (a.t === "local") mentioned.add(a.id);
  const constArrays = new Set(p.constArrays.map((c) => c.id));
  const declared = [...mentioned].filter((id) => !p.params.includes(id) && !constArrays.has(id)).sort((a, b) => a - b);
  const declarations: string[] = [];
  let line = "";
  for (const id of declared) {
    const l = p.locals[id];
    const item = `${l.name} = ${l.kind === "num" ? "0" : l.kind === "bool" ? "false" : "null"}`;
    if (line.length > 0 && line.length + item.length > 96) {
      declarations.push(`  let ${line};`);
      line = "";
    }
    line = line.length === 0 ? item : `${line}, ${item}`;
  }
  if (line.length > 0) declarations.push(`  let ${line};`);
  if (p.externals.length > 0) declarations.push("  let partials;");
  if (usesStack) declarations.push("  let stack = spare ?? new Float64Array(64), sp = 0;", "  spare = null;");
  for (const id of p.copied) declarations.push(`  ${name(id)} = Float64Array.from(${name(id)});`);

  const prologue: string[] = [];
  for (const h of helpers) prologue.push(`const ${h} = $runtime.${h};`);
  if (p.externals.length > 0) prologue.push("const partial = $runtime.partial;");
  if (usesStack)
    prologue.push(
      "let spare = null;",
      "const grow = (s, need) => {",
      "  let n = 2 * s.length;",
      "  while (n < need) n *= 2;",
      "  const t = new Float64Array(n);",
      "  t.set(s);",
      "  return t;",
      "};",
    );
  p.externals.forEach((e, i) => prologue.push(`const ${e.name} = $externals[${i}].fn, ${e.ruleName} = $externals[${i}].rule;`));
  p.constArrays.forEach((c, i) => prologue.push(`const ${name(c.id)} = $arrays[${i}];`));

  const source = [
    ...header.map((h) => `// ${h}`),
    ...prologue,
    `function ${p.name}(${p.params.map(name).join(", ")}) {`,
    ...declarations,
    ...lines,
    ...(usesStack ? ["  spare = stack;"] : []),
    p.gradientResult === undefined
      ? `  return [${p.outputs.map(atom).join(", ")}];`
      : `  return { value: ${atom(p.outputs[0])}, gradient: [${p.gradientResult.map(atom).join(", ")}] };`,
    "}",
  ].join("\n");
  const factory = new FunctionConstructor("$runtime", "$externals", "$arrays", `"use strict";\n${source}\nreturn ${p.name};`) as (
    rt: Runtime,
    ext: Program["externals"],
    arrays: Float64Array[],
  ) => (...args: unknown[]) => unknown[];
  return {
    source,
    kernel: p.name,
    fn: factory(
      runtime,
      p.externals,
      p.constArrays.map((c) => c.value),
    ),
  };
}
