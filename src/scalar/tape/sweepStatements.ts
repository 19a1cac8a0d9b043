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

/** Position t's value into the local `y${t}`, and its kept partials into `W(k)`. */
export function forwardStatement(code: number, t: number, A: Operand | undefined, B: Operand | undefined, W: (k: number) => string, edges: [string, string] | undefined): string {
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
      return `const x${t} = ${a}; const ${y} = Math.sin(x${t}); ${W(0)} = Math.cos(x${t});`;
    case "cos":
      return `const x${t} = ${a}; const ${y} = Math.cos(x${t}); ${W(0)} = -Math.sin(x${t});`;
    case "exp":
    case "log":
    case "sqrt":
    case "tanh":
      return `const ${y} = Math.${OP_NAMES[code]}(${a});`;
  }
  const R = `RULES[${code}]`;
  if (code < FIRST_BINARY) return `const x${t} = ${a}; const ${y} = ${R}.primal(x${t}); ${W(0)} = ${R}.df(S, x${t}, ${y});`;
  return `const x${t} = ${a}; const z${t} = ${b}; const ${y} = ${R}.primal(x${t}, z${t}); ${W(0)} = ${R}.da(S, x${t}, z${t}, ${y}); ${W(1)} = ${R}.db(S, x${t}, z${t}, ${y});`;
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
  const a = A as Operand;
  // A constant operand's adjoint is never read: no statement for it, and its term is never made (so
  // no value is kept for its sake).
  const into = (o: Operand | undefined, term: () => string) => (o?.adjoint === undefined ? "" : ` ${o.adjoint} += ${term()};`);
  const from = (o: Operand | undefined, term: () => string) => (o?.adjoint === undefined ? "" : ` ${o.adjoint} -= ${term()};`);
  const both = (body: string) => (body === "" ? "" : `${skip}{${body} }`);
  // With partials ±1 a zero g adds ±0 to accumulators that start at +0 and so never hold −0: the
  // same as skipping, so no branch.
  const linear = (body: string) => (body === "" ? "" : `g = ${self.adjoint};${body}`);
  switch (OP_NAMES[code]) {
    case "add":
      return linear(into(a, () => "g") + into(B, () => "g"));
    case "sub":
      return linear(into(a, () => "g") + from(B, () => "g"));
    case "mul":
      return both(into(a, () => `g * ${value(B as Operand)}`) + into(B, () => `g * ${value(a)}`));
    case "div":
      return both(into(a, () => `g * (1 / ${value(B as Operand)})`) + into(B, () => `g * (-${value(self)} / ${value(B as Operand)})`));
    case "neg":
      return linear(from(a, () => "g"));
    case "exp":
      return both(into(a, () => `g * ${value(self)}`));
    case "log":
      return both(into(a, () => `g * (1 / ${value(a)})`));
    case "sqrt":
      return both(into(a, () => `g * (0.5 / ${value(self)})`));
    case "tanh":
      return both(into(a, () => `g * (1 - ${value(self)} * ${value(self)})`));
  }
  if (code < FIRST_BINARY) return both(into(a, () => `g * ${W(0)}`));
  return both(into(a, () => `g * ${W(0)}`) + into(B, () => `g * ${W(1)}`));
}
