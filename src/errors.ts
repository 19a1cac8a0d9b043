/**
 * Typed errors. Every failure reachable from adjoint's public API is an `AdError` whose `code` is one
 * of a closed union, with the op name and the offending values or shapes in `details`, so a caller can
 * branch on what went wrong instead of parsing a message.
 */

/** The closed set of things that can go wrong. */
export const AD_ERROR_CODES = [
  "ShapeMismatch",
  "DTypeMismatch",
  "DeviceMismatch",
  "UnsupportedOp",
  "MissingDerivative",
  "NonFinite",
  "SingularMatrix",
  "ForeignVariable",
  "StaleVariable",
  "InvalidArgument",
] as const;

export type AdErrorCode = (typeof AD_ERROR_CODES)[number];

/** Structured context of an error: always the op, then whatever values or shapes explain it. */
export interface AdErrorDetails {
  /** The public operation that rejected its input, e.g. `"Dual.pow"` or `"Tape.backward"`. */
  readonly op: string;
  readonly [key: string]: unknown;
}

export class AdError extends Error {
  override readonly name = "AdError";

  constructor(
    readonly code: AdErrorCode,
    message: string,
    readonly details: AdErrorDetails,
  ) {
    super(`${details.op}: ${message}`);
  }
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AdError };

/**
 * Runs `fn` and turns an `AdError` into `{ ok: false, error }`. Anything else thrown is a bug, not a
 * value, so it is rethrown.
 */
export function attempt<T>(fn: () => T): Result<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (error instanceof AdError) return { ok: false, error };
    throw error;
  }
}

export function isAdError(value: unknown, code?: AdErrorCode): value is AdError {
  return value instanceof AdError && (code === undefined || value.code === code);
}

// --- argument checks shared by the public entry points -------------------------------------------

/** A short, safe description of a value for an error message (never throws, never huge). */
export function describe(value: unknown): string {
  if (value === null) return "null";
  const t = typeof value;
  if (t === "number" || t === "boolean" || t === "undefined" || t === "bigint") return String(value);
  if (t === "string") return JSON.stringify((value as string).length > 40 ? (value as string).slice(0, 40) + "…" : value);
  if (t === "symbol") return "a symbol";
  if (t === "function") return "a function";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  try {
    const name = (value as object).constructor?.name;
    return name ? `a ${name}` : "an object";
  } catch {
    return "an object";
  }
}

export function invalidArgument(op: string, message: string, details: Record<string, unknown> = {}): AdError {
  return new AdError("InvalidArgument", message, { op, ...details });
}

/** Throws `InvalidArgument` unless `value` is a number (NaN and ±Inf allowed: they are numbers). */
export function expectNumber(op: string, name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw invalidArgument(op, `${name} must be a number, got ${describe(value)}`, { argument: name, got: describe(value) });
  }
  return value;
}

/** Throws `InvalidArgument` unless `value` is a finite number. */
export function expectFinite(op: string, name: string, value: unknown): number {
  const n = expectNumber(op, name, value);
  if (!Number.isFinite(n)) {
    throw invalidArgument(op, `${name} must be finite, got ${n}`, { argument: name, got: n });
  }
  return n;
}

/** Throws `InvalidArgument` unless `value` is an integer in [min, max]. */
export function expectInteger(op: string, name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = expectNumber(op, name, value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw invalidArgument(op, `${name} must be an integer in [${min}, ${max}], got ${n}`, { argument: name, got: n, min, max });
  }
  return n;
}

/** Throws `InvalidArgument` unless `value` is a function. */
export function expectFunction(op: string, name: string, value: unknown): (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw invalidArgument(op, `${name} must be a function, got ${describe(value)}`, { argument: name, got: describe(value) });
  }
  return value as (...args: never[]) => unknown;
}

/** Throws `InvalidArgument` unless `value` is an array (or typed array) of finite numbers; returns a copy. */
export function expectFiniteVector(op: string, name: string, value: unknown, minLength = 0): number[] {
  const isTyped = ArrayBuffer.isView(value) && !(value instanceof DataView);
  if (!Array.isArray(value) && !isTyped) {
    throw invalidArgument(op, `${name} must be an array of numbers, got ${describe(value)}`, { argument: name, got: describe(value) });
  }
  const items = value as ArrayLike<unknown>;
  if (items.length < minLength) {
    throw invalidArgument(op, `${name} must have at least ${minLength} element(s), got ${items.length}`, {
      argument: name,
      length: items.length,
    });
  }
  const out = new Array<number>(items.length);
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw invalidArgument(op, `${name}[${i}] must be a finite number, got ${describe(v)}`, { argument: name, index: i, got: describe(v) });
    }
    out[i] = v;
  }
  return out;
}
