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
import { INDEX_MASK } from "./handleCore.js";
import { forwardStatement, isLinear, partialCount, partialTerms, type Operand } from "./sweepStatements.js";

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

/**
 * What the generated code reads and calls of the handles (`handleStatements.ts`): the fields their
 * inline ops read — the arena, the handles' tag bits and the room the fast path may write — and the
 * way out for everything else.
 */
export interface StatementHost {
  readonly arena: Arena;
  readonly base: number;
  readonly nodeRoom: number;
  readonly edgeRoom: number;
  statementAny(trace: StatementTrace, compiled: (...hs: never[]) => unknown, hs: readonly unknown[]): unknown;
  statementConstant(y: number): unknown;
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
 *
 * The code is kept small, under the 460 bytes of bytecode V8 inlines into a caller, for the small
 * statements a loop body holds (the chain's five ops: 445 bytes): inlined, it skips a call per
 * statement and its loads of the handles' fields (a fifth of recording them). So the checks are one
 * condition with one way out, the index mask and sin, cos, exp… are locals, and the reverse sweep
 * is unrolled at generation time as far as it is known: an adjoint known to be exactly 1 (the
 * result's, and what add, sub and neg pass on from it) is no local, and its partials are the
 * operands' terms themselves (1 · p is p); only adjoints that depend on values are locals, each
 * with the zero check of the tape's sweep where a partial is not ±1.
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
  const reached = Array.from({ length: arity }, (_, k) => k).filter((k) => needed[k] === 1);
  const K = reached.length;
  const params = Array.from({ length: arity }, (_, k) => `h${k}`);
  // The fast path's checks: each input a number (`&` would run an object's valueOf), a handle of the
  // tape's generation (or of the open statement's temporaries) naming a node recorded, and room for
  // the node and its edges. A failure, a tape node read inside a statement and growing are the
  // host's (`statementAny`, through `X`).
  const fails = params.flatMap((h, k) => [`typeof ${h} !== "number"`, `${h} !== (base | (i${k} = ${h} & M))`, `i${k} >= i`]);
  if (K > 0) fails.push("i >= H.nodeRoom", `e + ${K} > H.edgeRoom`);
  const lines: string[] = [`const A = H.arena, base = H.base, i = A.size, e = A.edges, M = ${INDEX_MASK};`];
  if (arity > 0) lines.push(`let ${params.map((_, k) => `i${k}`).join(", ")};`);
  if (fails.length > 0) lines.push(`if (${fails.join(" || ")}) return X(statement${params.map((h) => `, ${h}`).join("")});`);
  lines.push("const v = A.value;");
  for (const k of reached) lines.push(`const u${k} = v[i${k}];`);
  const W = (t: number) => (k: number) => `w${t}_${k}`;
  const binary = (t: number) => code[t] >= FIRST_BINARY;
  for (let t = 0; t < count; t++) {
    if (needed[arity + t] === 0) continue;
    const partials = partialCount(code[t]);
    if (partials > 0) lines.push(`let ${Array.from({ length: partials }, (_, k) => W(t)(k)).join(", ")};`);
    lines.push(forwardStatement(code[t], t, names(a[t]), binary(t) ? names(b[t]) : undefined, W(t), undefined, ""));
  }
  const partial = reverseSweep(trace, needed, names, W);
  // The node and its edges, written where the checks found room.
  const y = names(out).value;
  if (K === 0) lines.push(`return H.statementConstant(${y});`);
  else {
    lines.push(...partial.lines, "const parent = A.parent, partial = A.partial;");
    reached.forEach((k, m) => lines.push(`parent[e${m === 0 ? "" : ` + ${m}`}] = i${k}; partial[e${m === 0 ? "" : ` + ${m}`}] = ${partial.of(k)};`));
    lines.push(`v[i] = ${y}; A.op[i] = ${STATEMENT}; A.start[i + 1] = A.edges = e + ${K}; A.size = i + 1;`);
    lines.push("return base | i;");
  }
  const source = `"use strict";\nconst { ${MATH.join(", ")} } = Math;\nreturn function statement(${params.join(", ")}) {\n${lines.join("\n")}\n};`;
  try {
    const way = (compiled: (...hs: unknown[]) => unknown, ...hs: unknown[]) => host.statementAny(trace, compiled, hs);
    return new Function("RULES", "S", "H", "C", "X", source)(RULES, numberScalar, host, Float64Array.from(trace.constants), way);
  } catch {
    return undefined;
  }
}

/** The functions of `Math` the op statements call, bound as locals of the generated code. */
const MATH = ["sin", "cos", "exp", "log", "sqrt", "tanh"];

/**
 * The statement's reverse sweep, unrolled at generation time as far as it is known (see
 * `compileStatement`): the lines, and each input's partial (a literal or a local).
 */
function reverseSweep(
  trace: StatementTrace,
  needed: Uint8Array,
  names: (node: number) => Operand,
  W: (t: number) => (k: number) => string,
): { lines: string[]; of: (input: number) => string } {
  const { arity, code, a, b, out } = trace;
  // Per node: 0 no adjoint yet (it is 0), 1 an adjoint of exactly 1, 2 a local holding it.
  const known = new Uint8Array(needed.length);
  const declared: string[] = [];
  const lines: string[] = [];
  if (out >= 0) known[out] = 1;
  for (let t = code.length - 1; t >= 0; t--) {
    const self = arity + t;
    if (self >= needed.length || needed[self] === 0 || known[self] === 0) continue;
    const g = known[self] === 1 ? undefined : (names(self).adjoint as string);
    const binary = code[t] >= FIRST_BINARY;
    const terms = partialTerms(code[t], names(self), names(a[t]), binary ? names(b[t]) : undefined, (o) => o.value, W(t));
    // As on the tape, a zero adjoint is skipped (0 · ∞ would be NaN); through ±1 it adds ±0 to an
    // accumulator that never holds −0, the same as skipping.
    const guarded = g !== undefined && !isLinear(code[t]);
    const body: string[] = [];
    [a[t], binary ? b[t] : -1].forEach((node, k) => {
      const term = terms[k];
      if (node < 0 || term === undefined) return;
      const p = term();
      // An adjoint known to be 1 passes each partial on as it is: 1 · p is p, to the bit.
      if (g === undefined && p === "1" && known[node] === 0) {
        known[node] = 1;
        return;
      }
      const into = names(node).adjoint as string;
      const add = g === undefined ? p : p === "1" ? g : p === "-1" ? `-${g}` : `${g} * ${p}`;
      // A first term outside a branch starts the local (0 + x is x but for the sign of a zero, which
      // no adjoint shows: the tape's start at +0); else the local is declared before the sweep.
      if (known[node] === 0 && !guarded) body.push(`let ${into} = ${add};`);
      else {
        if (known[node] !== 2) declared.push(`${into} = ${known[node]}`);
        body.push(`${into} += ${add};`);
      }
      known[node] = 2;
    });
    if (guarded && body.length > 0) lines.push(`if (${g} !== 0) { ${body.join(" ")} }`);
    else lines.push(...body);
  }
  if (declared.length > 0) lines.unshift(`let ${declared.join(", ")};`);
  return { lines, of: (k) => (known[k] === 2 ? (names(k).adjoint as string) : String(known[k])) };
}
