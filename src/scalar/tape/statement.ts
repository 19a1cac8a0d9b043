/**
 * Compiled statements for `h.statement(arity, fn)` (`handles.ts`): Adept's expression templates with
 * the template expanded at run time, once. `fn` is traced on a `Scalar` whose values are the trace's
 * nodes, and the trace becomes straight-line JavaScript (`new Function`) that reads the inputs'
 * values, computes the statement's value and, by an unrolled reverse sweep in locals, its partial
 * with respect to each input: the statement's local Jacobian comes from code written for it, as a C++
 * compiler makes it from a template, and the tape receives one node with an edge per input. Nothing
 * of the statement's ops reaches the arena, and nothing per op runs through the handles' checks.
 *
 * The op statements are the replay's (`sweepStatements.ts`), so values are the tape's bit for bit and
 * partials are the tape's chain rule, associated per statement. A trace holds one control flow, so
 * `S.value` in `fn` is refused: a statement is an expression (`h.begin()`/`h.end(out)` take code that
 * branches). Where `new Function` is refused (a Content-Security-Policy), the trace is interpreted by
 * the handles' own ops between `begin` and `end`: the same node, a few times slower.
 */
import { describe, invalidArgument } from "../../errors.js";
import { numberScalar } from "../number.js";
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type Scalar, type UnaryOp } from "../scalar.js";
import type { Arena } from "./arena.js";
import { BINARY_CODE, FIRST_BINARY, STATEMENT, UNARY_CODE } from "./codes.js";
import { RULES } from "./generated.js";
import { forwardStatement, partialCount, reverseStatement, type Operand } from "./sweepStatements.js";

/** A statement's body: an expression of its inputs in any domain, as `Scalar` calls (no branches on values). */
export type StatementFn = <T>(xs: readonly T[], S: Scalar<T>) => T | number;

/** Traced op j: its code and operands, each a node (≥ 0: input k is node k, op j is node arity + j) or a constant (−1 − index into `constants`). */
export interface StatementTrace {
  readonly arity: number;
  readonly code: number[];
  readonly a: number[];
  readonly b: number[];
  readonly constants: number[];
  /** The result: a node, or a constant (−1 − index). */
  readonly out: number;
}

/** What the generated code calls back: the handles' input check, their arena and room, and the node's write. */
export interface StatementHost {
  statementInput(h: unknown): number;
  statementArena(): Arena;
  statementFits(node: number, edgesEnd: number): boolean;
  statementHandle(node: number): unknown;
  statementNode(y: number, parents: Int32Array, partials: Float64Array, count: number): unknown;
}

/** Inputs and ops of the largest statement compiled to code. */
const MAX_GENERATED = 2000;

class TraceNode {
  constructor(
    readonly node: number,
    readonly trace: readonly number[],
  ) {}
}

/**
 * Runs `fn` once on trace nodes; every failure is an `InvalidArgument` of `Handles.statement`.
 * `isHandle` tells a captured handle of the tape from a constant.
 */
export function traceStatement(arity: number, fn: StatementFn, isHandle: (x: number) => boolean): StatementTrace {
  const op = "Handles.statement";
  const code: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  const constants: number[] = [];
  const operand = (x: unknown): number => {
    // A node of another trace (kept from an earlier statement's fn) would name a node of this one.
    if (x instanceof TraceNode && x.trace === code) return x.node;
    if (typeof x === "number") {
      // A handle is a number too: one captured by fn would be read as a constant, silently.
      if (isHandle(x)) throw invalidArgument(op, "fn read a handle it was not given: pass the tape's handles as the statement's inputs", { got: x });
      constants.push(x);
      return -constants.length;
    }
    throw invalidArgument(op, `fn's operations take its inputs, their results and numbers, got ${describe(x)}`, { got: describe(x) });
  };
  const record = (c: number, x: unknown, y: unknown, binary: boolean): TraceNode => {
    code.push(c);
    a.push(operand(x));
    b.push(binary ? operand(y) : 0);
    return new TraceNode(arity + code.length - 1, code);
  };
  const S = {
    name: "statement",
    from: (n: number) => {
      if (typeof n !== "number") throw invalidArgument(op, `from takes a number, got ${describe(n)}`, { got: describe(n) });
      return n;
    },
    value: (): number => {
      throw invalidArgument(op, "a compiled statement is traced once and cannot read or branch on its values; record code that branches with h.begin() … h.end(out)");
    },
  } as Record<string, unknown>;
  for (const name of UNARY_OPS) S[name] = (x: unknown) => record(UNARY_CODE[name as UnaryOp], x, undefined, false);
  for (const name of BINARY_OPS) S[name] = (x: unknown, y: unknown) => record(BINARY_CODE[name as BinaryOp], x, y, true);
  const inputs = Array.from({ length: arity }, (_, k) => new TraceNode(k, code));
  const result: unknown = fn(inputs as never, S as unknown as Scalar<never>);
  return { arity, code, a, b, constants, out: operand(result) };
}

/**
 * The trace as a function of the input handles returning the statement's handle, or undefined when
 * `new Function` is refused.
 */
export function compileStatement(trace: StatementTrace, host: StatementHost): ((...hs: unknown[]) => unknown) | undefined {
  const { arity, code, a, b, out } = trace;
  // V8 does not optimise very large functions: such a statement is interpreted instead.
  if (arity + code.length > MAX_GENERATED) return undefined;
  const names = (node: number): Operand =>
    node < 0
      ? { value: `C[${-1 - node}]`, adjoint: undefined, key: -1 }
      : node < arity
        ? { value: `u${node}`, adjoint: `d${node}`, key: -1 }
        : { value: `y${node - arity}`, adjoint: `a${node - arity}`, key: -1 };
  // Only the ops the result depends on are emitted, and only the inputs it depends on get an edge.
  const count = out < arity ? 0 : out - arity + 1;
  const needed = new Uint8Array(arity + count);
  if (out >= 0) needed[out] = 1;
  for (let t = count - 1; t >= 0; t--) {
    if (needed[arity + t] === 0) continue;
    if (a[t] >= 0) needed[a[t]] = 1;
    if (code[t] >= FIRST_BINARY && b[t] >= 0) needed[b[t]] = 1;
  }
  const params = Array.from({ length: arity }, (_, k) => `h${k}`);
  const lines: string[] = [];
  for (let k = 0; k < arity; k++) lines.push(`const i${k} = H.statementInput(h${k});`);
  lines.push("const A = H.statementArena();");
  lines.push("const v = A.value;");
  for (let k = 0; k < arity; k++) if (needed[k] === 1) lines.push(`const u${k} = v[i${k}];`);
  const W = (t: number) => (k: number) => `w${t}_${k}`;
  const binary = (t: number) => code[t] >= FIRST_BINARY;
  for (let t = 0; t < count; t++) {
    if (needed[arity + t] === 0) continue;
    const partials = partialCount(code[t]);
    if (partials > 0) lines.push(`let ${Array.from({ length: partials }, (_, k) => W(t)(k)).join(", ")};`);
    lines.push(forwardStatement(code[t], t, names(a[t]), binary(t) ? names(b[t]) : undefined, W(t), undefined));
  }
  // The reverse sweep in locals: adjoints of the ops, then of the inputs (the partials).
  const reached = Array.from({ length: arity }, (_, k) => k).filter((k) => needed[k] === 1);
  lines.push(`let g = 0;`);
  const adjoints = [
    ...Array.from({ length: count }, (_, t) => t)
      .filter((t) => needed[arity + t] === 1)
      .map((t) => `a${t} = ${t === count - 1 ? 1 : 0}`),
    ...reached.map((k) => `d${k} = ${out === k ? 1 : 0}`),
  ];
  if (adjoints.length > 0) lines.push(`let ${adjoints.join(", ")};`);
  for (let t = count - 1; t >= 0; t--) {
    if (needed[arity + t] === 0) continue;
    lines.push(reverseStatement(code[t], names(arity + t), names(a[t]), binary(t) ? names(b[t]) : undefined, (o) => o.value, W(t), undefined));
  }
  // The node and its edges written here while the arena has room (a loop per edge and a call cost
  // a fifth of the statement); growing, a constant result (no edges) and the checks are the host's.
  const K = reached.length;
  const y = names(out).value;
  if (K > 0) {
    lines.push(`const i = A.size, e = A.edges;`);
    lines.push(`if (H.statementFits(i, e + ${K})) {`);
    lines.push(`const parent = A.parent, partial = A.partial;`);
    reached.forEach((k, m) => lines.push(`parent[e + ${m}] = i${k}; partial[e + ${m}] = d${k};`));
    lines.push(`A.value[i] = ${y}; A.op[i] = ${STATEMENT}; A.start[i + 1] = A.edges = e + ${K}; A.size = i + 1;`);
    lines.push(`return H.statementHandle(i);\n}`);
  }
  reached.forEach((k, m) => lines.push(`P[${m}] = i${k}; D[${m}] = d${k};`));
  lines.push(`return H.statementNode(${y}, P, D, ${K});`);
  const source = `"use strict";\nreturn function statement(${params.join(", ")}) {\n${lines.join("\n")}\n};`;
  try {
    return new Function("RULES", "S", "H", "C", "P", "D", source)(
      RULES,
      numberScalar,
      host,
      Float64Array.from(trace.constants),
      new Int32Array(Math.max(arity, 1)),
      new Float64Array(Math.max(arity, 1)),
    );
  } catch {
    return undefined;
  }
}
