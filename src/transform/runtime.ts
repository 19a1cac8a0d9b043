/**
 * What the generated code and the public wrappers need at run time: the table's non-Math functions,
 * the check on a `defineDerivative` rule's result, the refusal of a write outside an array, and the
 * checks on a derivative's arguments.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { sigmoid, softplus } from "../scalar/elementary.js";
import { erf } from "../scalar/special.js";
import type { Runtime } from "./emit.js";
import { isArray, isFloat64Array } from "./intrinsics.js";
import { refusal } from "./refusal.js";

export const runtime: Runtime = {
  sigmoid,
  softplus,
  erf,
  partial(result: unknown, i: number, name: string): number {
    if (typeof result === "number" && i === 0) return result;
    const v: unknown = result !== null && typeof result === "object" ? (result as ArrayLike<unknown>)[i] : undefined;
    if (typeof v !== "number") {
      throw new AdError("InvalidArgument", `the derivative rule of ${name} must return one number per argument, got ${describe(result)}`, {
        op: "defineDerivative",
        name,
        index: i,
        got: describe(result),
      });
    }
    return v;
  },
  badLength(size: number, by: string, line: number, column: number, snippet: string): never {
    throw refusal("an invalid array length", { line, column, snippet }, `new ${by}(${size}) throws a RangeError in JS`, { size });
  },
  allocate(size: number, line: number, column: number, snippet: string): Float64Array {
    try {
      return new Float64Array(size);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      const bytes = size * Float64Array.BYTES_PER_ELEMENT;
      throw new AdError("InvalidArgument", `cannot allocate ${bytes} bytes for an array of ${size} numbers (line ${line}, column ${column}: ${snippet}): ${error.message}`, {
        op: "differentiate",
        size,
        bytes,
        line,
        column,
      });
    }
  },
  outOfRange(index: number, length: number, line: number, column: number, snippet: string): never {
    throw refusal(
      "a write outside an array's length",
      { line, column, snippet },
      `index ${index}, length ${length}: arrays keep the length they were made with (JS would grow an Array), so make it long enough, e.g. new Array(n).fill(0)`,
      { index, length },
    );
  },
};

/** A derivative's argument: a number, or an array of numbers (`number[]` or `Float64Array`). */
export type Argument = number | readonly number[] | Float64Array;
export type ArgKind = "num" | "arr";

/** Each argument's kind, after checking it is a number or an array of numbers. */
/** The length of an array the caller passed, checked: a Proxy of an array may report any length. */
export function lengthOf(op: string, label: string, v: readonly unknown[]): number {
  const n: unknown = v.length;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw invalidArgument(op, `${label} is an array with no valid length`, { argument: label });
  return n;
}

export function argumentKinds(op: string, name: string, args: readonly unknown[], count: number): ArgKind[] {
  const given = lengthOf(op, name, args);
  if (given !== count) {
    throw invalidArgument(op, `${name} takes ${count} argument(s), got ${given}`, { expected: count, got: given });
  }
  const kinds: ArgKind[] = new Array<ArgKind>(count);
  for (let i = 0; i < count; i++) kinds[i] = argumentKind(op, `${name}[${i}]`, args[i]);
  return kinds;
}

export function argumentKind(op: string, label: string, v: unknown): ArgKind {
  if (typeof v === "number") return "num";
  if (isFloat64Array(v)) return "arr";
  if (isArray(v)) {
    const n = lengthOf(op, label, v);
    for (let i = 0; i < n; i++) {
      if (typeof v[i] !== "number") throw invalidArgument(op, `${label}[${i}] must be a number, got ${describe(v[i])}`, { argument: label, index: i, got: describe(v[i]) });
    }
    return "arr";
  }
  // A Proxy of a Float64Array passes `instanceof`, but its `length` throws: say so rather than "got a Float64Array".
  const got = describe(v) === "a Float64Array" ? "an object that only looks like a Float64Array (a Proxy of one?)" : describe(v);
  throw invalidArgument(op, `${label} must be a number, a number[] or a Float64Array, got ${got}`, { argument: label, got });
}

/** Checks that a tangent has the kind (and length) of its argument. */
export function expectLike(op: string, label: string, arg: Argument, tangent: unknown): void {
  const kind = argumentKind(op, label, tangent);
  const argKind = typeof arg === "number" ? "num" : "arr";
  if (kind !== argKind || (kind === "arr" && (tangent as ArrayLike<number>).length !== (arg as ArrayLike<number>).length)) {
    throw new AdError(
      "ShapeMismatch",
      `${label} must have the shape of its argument (${argKind === "num" ? "a number" : `an array of ${(arg as ArrayLike<number>).length}`}), got ${describe(tangent)}`,
      {
        op,
        argument: label,
      },
    );
  }
}
