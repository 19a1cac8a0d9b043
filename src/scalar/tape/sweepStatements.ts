/**
 * The statements of generated sweeps (`generated.ts`), one op at a time: the forward statement that
 * computes a node's value (and keeps the partials that cost a call), and the reverse statement that
 * passes its adjoint to its operands with the partial the tape records (`tape.ts`), in the tape's
 * order, so generated sweeps give bit for bit what the tape gives.
 */
import { FIRST_BINARY, OP_NAMES, SUM } from "./codes.js";

/** An operand as the generated code names it. */
export interface Operand {
  /** Its value in the forward sweep: a local (`y3`, `c3`) or an arena read (`v[…]`). */
  readonly value: string;
  /** Where its adjoint accumulates (`a3`, `n3`, `adj[…]`), or undefined for a constant (never read). */
  readonly adjoint: string | undefined;
  /**
   * Which local it is, for the reverse sweep's copy of its value: position t (its own repetition's
   * value), period + t (the previous repetition's, carried), or −1 (in the arena).
   */
  readonly key: number;
}

/** Partials an op's forward statement keeps for the reverse sweep (the arithmetic ones are remade from values). */
export function partialCount(code: number): number {
  if (code === SUM) return 0;
  switch (OP_NAMES[code]) {
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "neg":
    case "exp":
    case "log":
    case "sqrt":
    case "tanh":
      return 0;
  }
  return code < FIRST_BINARY ? 1 : 2;
}

/**
 * Position t's value into the local `y${t}`, and its kept partials into `W(k)`; `math` names the
 * object of sin, cos, exp… (`Math.`, or "" where the code binds them as locals).
 */
export function forwardStatement(
  code: number,
  t: number,
  A: Operand | undefined,
  B: Operand | undefined,
  W: (k: number) => string,
  edges: [string, string] | undefined,
  math = "Math.",
): string {
  const y = `y${t}`;
  if (edges !== undefined) return `let ${y} = 0; for (let e = ${edges[0]}; e < ${edges[1]}; e++) ${y} += v[P[e]];`;
  const a = (A as Operand).value;
  const b = B?.value;
  switch (OP_NAMES[code]) {
    case "add":
      return `const ${y} = ${a} + ${b};`;
    case "sub":
      return `const ${y} = ${a} - ${b};`;
    case "mul":
      return `const ${y} = ${a} * ${b};`;
    case "div":
      return `const ${y} = ${a} / ${b};`;
    case "neg":
      return `const ${y} = -${a};`;
    case "sin":
      return `const x${t} = ${a}; const ${y} = ${math}sin(x${t}); ${W(0)} = ${math}cos(x${t});`;
    case "cos":
      return `const x${t} = ${a}; const ${y} = ${math}cos(x${t}); ${W(0)} = -${math}sin(x${t});`;
    case "exp":
    case "log":
    case "sqrt":
    case "tanh":
      return `const ${y} = ${math}${OP_NAMES[code]}(${a});`;
  }
  const R = `RULES[${code}]`;
  if (code < FIRST_BINARY) return `const x${t} = ${a}; const ${y} = ${R}.primal(x${t}); ${W(0)} = ${R}.df(S, x${t}, ${y});`;
  return `const x${t} = ${a}; const z${t} = ${b}; const ${y} = ${R}.primal(x${t}, z${t}); ${W(0)} = ${R}.da(S, x${t}, z${t}, ${y}); ${W(1)} = ${R}.db(S, x${t}, z${t}, ${y});`;
}

/**
 * Node `self`'s partials with respect to its operands as the tape records them (tape.ts), each made
 * only when asked (a value read for a partial is kept for it): "1" and "-1" for the linear ops.
 */
export function partialTerms(
  code: number,
  self: Operand,
  A: Operand | undefined,
  B: Operand | undefined,
  value: (o: Operand) => string,
  W: (k: number) => string,
): [() => string, (() => string) | undefined] {
  const a = A as Operand;
  const b = B as Operand;
  switch (OP_NAMES[code]) {
    case "add":
      return [() => "1", () => "1"];
    case "sub":
      return [() => "1", () => "-1"];
    case "mul":
      return [() => value(b), () => value(a)];
    case "div":
      return [() => `(1 / ${value(b)})`, () => `(-${value(self)} / ${value(b)})`];
    case "neg":
      return [() => "-1", undefined];
    case "exp":
      return [() => value(self), undefined];
    case "log":
      return [() => `(1 / ${value(a)})`, undefined];
    case "sqrt":
      return [() => `(0.5 / ${value(self)})`, undefined];
    case "tanh":
      return [() => `(1 - ${value(self)} * ${value(self)})`, undefined];
  }
  return code < FIRST_BINARY ? [() => W(0), undefined] : [() => W(0), () => W(1)];
}

/** Whether an op's partials are all ±1 (a zero adjoint through it adds ±0: no branch needed). */
export function isLinear(code: number): boolean {
  const name = OP_NAMES[code];
  return name === "add" || name === "sub" || name === "neg";
}

/**
 * Node `self`'s adjoint g into its operands with the partial the tape records (tape.ts), skipped
 * when g is 0. Values come through `value` (a local's from the kept buffer), kept partials from `W`.
 */
export function reverseStatement(
  code: number,
  self: Operand,
  A: Operand | undefined,
  B: Operand | undefined,
  value: (o: Operand) => string,
  W: (k: number) => string,
  edges: [string, string] | undefined,
): string {
  const skip = `g = ${self.adjoint}; if (g !== 0) `;
  if (edges !== undefined) return `${skip}for (let e = ${edges[0]}; e < ${edges[1]}; e++) adj[P[e]] += g;`;
  const [pa, pb] = partialTerms(code, self, A, B, value, W);
  // A constant operand's adjoint is never read: no statement for it, and its term is never made (so
  // no value is kept for its sake).
  const into = (o: Operand | undefined, partial: (() => string) | undefined) => {
    if (o?.adjoint === undefined || partial === undefined) return "";
    const p = partial();
    return p === "1" ? ` ${o.adjoint} += g;` : p === "-1" ? ` ${o.adjoint} -= g;` : ` ${o.adjoint} += g * ${p};`;
  };
  const body = into(A, pa) + into(B, pb);
  if (body === "") return "";
  // With partials ±1 a zero g adds ±0 to accumulators that start at +0 and so never hold −0: the
  // same as skipping, so no branch.
  return isLinear(code) ? `g = ${self.adjoint};${body}` : `${skip}{${body} }`;
}
