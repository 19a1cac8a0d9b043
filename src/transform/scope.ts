/**
 * What a name in the user's source can mean. Nothing is looked up in the JS environment: a free
 * identifier is a local, a parameter, one of a few globals (`Math`, `Infinity`, `NaN`, `undefined`),
 * or something passed in `options.constants` / `options.functions`; anything else is refused.
 */
import { describe, invalidArgument } from "../errors.js";
import type { UnaryOp } from "../scalar/scalar.js";
import { isArray, isFloat64Array } from "./intrinsics.js";
import type { FnNode, Where } from "./parse.js";
import type { StepOp } from "./ir.js";

export type Binding =
  /** A number or boolean local; `id` moves on when straight-line code reassigns it (SSA renaming). */
  | { k: "var"; id: number; mutable: boolean; param?: number }
  | { k: "arr"; id: number; writable: boolean }
  | { k: "const"; value: number | boolean }
  /** A function whose body is inlined at each call (its free names resolve in `scope`). */
  | { k: "fn"; node: FnNode; scope: Scope; where: Where; name: string }
  /** A `defineDerivative` function: called, not inlined; `index` into the program's externals. */
  | { k: "external"; index: number };

/**
 * Thrown (and caught by the compiler, never by users) when the body uses the top-level parameter
 * `index` as an array although it was lowered as a number: the compiler lowers again with it an array.
 */
export class NeedsArray {
  constructor(readonly index: number) {}
}

export class Scope {
  private readonly names = new Map<string, Binding>();
  /** This block's let/const names not declared yet: their temporal dead zone, which hides outer ones. */
  private readonly later = new Set<string>();
  constructor(readonly parent: Scope | null) {}

  lookup(name: string): Binding | undefined {
    for (let s: Scope | null = this; s !== null; s = s.parent) {
      const b = s.names.get(name);
      if (b !== undefined) return b;
      if (s.later.has(name)) return undefined;
    }
    return undefined;
  }
  has(name: string): boolean {
    return this.names.has(name);
  }
  set(name: string, b: Binding): void {
    this.names.set(name, b);
    this.later.delete(name);
  }
  /** `name` is declared by let or const further down this block. */
  declareLater(name: string): void {
    if (!this.names.has(name)) this.later.add(name);
  }
  /** Whether `name` is a let/const read before its declaration (JS throws a ReferenceError there). */
  inDeadZone(name: string): boolean {
    for (let s: Scope | null = this; s !== null; s = s.parent) {
      if (s.names.has(name)) return false;
      if (s.later.has(name)) return true;
    }
    return false;
  }
}

/** Math functions with a rule in the shared table, by their Math name. */
export const MATH_UNARY: Readonly<Record<string, UnaryOp>> = {
  sqrt: "sqrt",
  cbrt: "cbrt",
  exp: "exp",
  expm1: "expm1",
  log: "log",
  log1p: "log1p",
  log2: "log2",
  sin: "sin",
  cos: "cos",
  tan: "tan",
  asin: "asin",
  acos: "acos",
  atan: "atan",
  sinh: "sinh",
  cosh: "cosh",
  tanh: "tanh",
  asinh: "asinh",
  acosh: "acosh",
  atanh: "atanh",
  abs: "abs",
  sign: "sign",
};

/** Variadic in JS; folded left as binary ops (min(a, b, c) = min(min(a, b), c)). */
export const MATH_BINARY = { pow: "pow", atan2: "atan2", min: "min", max: "max", hypot: "hypot" } as const;

export const MATH_STEP: Readonly<Record<string, StepOp>> = { floor: "floor", ceil: "ceil", round: "round", trunc: "trunc" };

export const MATH_CONSTANTS: Readonly<Record<string, number>> = {
  PI: Math.PI,
  E: Math.E,
  LN2: Math.LN2,
  LN10: Math.LN10,
  LOG2E: Math.LOG2E,
  LOG10E: Math.LOG10E,
  SQRT2: Math.SQRT2,
  SQRT1_2: Math.SQRT1_2,
};

export const GLOBAL_CONSTANTS: Readonly<Record<string, number>> = { Infinity, NaN, undefined: NaN };

/** One entry of `options.constants` / `options.functions`, checked. */
export type ConstantValue =
  { k: "number"; value: number } | { k: "boolean"; value: boolean } | { k: "array"; value: ArrayLike<number> } | { k: "function"; value: (...args: never[]) => unknown };

export function readConstants(op: string, option: string, raw: unknown): Map<string, ConstantValue> {
  const out = new Map<string, ConstantValue>();
  if (raw === undefined) return out;
  if (raw === null || typeof raw !== "object") throw invalidArgument(op, `options.${option} must be an object, got ${describe(raw)}`, { argument: option });
  for (const name of readable(op, `options.${option}`, () => Object.keys(raw))) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw invalidArgument(op, `options.${option} has a key that is not an identifier: ${describe(name)}`, { argument: option });
    const v: unknown = readable(op, `options.${option}.${name}`, () => (raw as Record<string, unknown>)[name]);
    if (typeof v === "number") out.set(name, { k: "number", value: v });
    else if (typeof v === "boolean") out.set(name, { k: "boolean", value: v });
    else if (typeof v === "function") out.set(name, { k: "function", value: v as (...args: never[]) => unknown });
    else if (isArray(v) || isFloat64Array(v)) {
      // Read once: a Proxy may answer differently the second time.
      const elements: unknown[] = readable(op, `options.${option}.${name}`, () => Array.from(v as ArrayLike<unknown>));
      elements.forEach((e, i) => {
        if (typeof e !== "number") throw invalidArgument(op, `options.${option}.${name}[${i}] must be a number`, { argument: option, name, index: i });
      });
      out.set(name, { k: "array", value: Float64Array.from(elements as number[]) });
    } else
      throw invalidArgument(op, `options.${option}.${name} must be a number, boolean, array of numbers or function, got ${describe(v)}`, {
        argument: option,
        name,
        got: describe(v),
      });
  }
  return out;
}

/** `read()`, with a getter or Proxy trap that throws (or a revoked Proxy) reported as an InvalidArgument. */
export function readable<T>(op: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw invalidArgument(op, `${what} could not be read (a getter or Proxy trap threw ${describe(e)})`, { argument: what });
  }
}
