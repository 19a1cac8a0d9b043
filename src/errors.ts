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
    // Whatever it was given, building the error must not throw (a Symbol op would, in a template).
    super(`${text(details?.op)}: ${text(message)}`);
  }
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AdError };

/**
 * Runs `fn` and turns an `AdError` into `{ ok: false, error }` (a non-function `fn` gives an
 * `InvalidArgument` one). Anything else thrown is a bug, not a value, so it is rethrown.
 */
export function attempt<T>(fn: () => T): Result<T> {
  try {
    expectFunction("attempt", "fn", fn);
    return { ok: true, value: fn() };
  } catch (error) {
    if (error instanceof AdError) return { ok: false, error };
    throw error;
  }
}

/**
 * Runs `fn` on behalf of the public op `op`. A public function built from other ops would otherwise
 * report the inner op the user never called (`mean` of a bool saying `sum: …`): an `AdError` that
 * names another op is rethrown naming `op`, with the inner op kept in `details.inner` and in the
 * message. Errors that already name `op` (or one of its methods, `op.x`) pass through unchanged.
 */
export function asOp<T>(op: string, fn: () => T): T {
  // Public (a user's composite can use it too), so its own arguments are checked.
  if (typeof op !== "string") throw invalidArgument("asOp", `op must be a string, got ${describe(op)}`, { argument: "op", got: describe(op) });
  const run = expectFunction("asOp", "fn", fn) as () => T;
  try {
    return run();
  } catch (error) {
    throw renamed(op, error);
  }
}

function renamed(op: string, error: unknown): unknown {
  if (!(error instanceof AdError)) return error;
  const inner = error.details.op;
  if (inner === op || (typeof inner === "string" && inner.startsWith(`${op}.`))) return error;
  const prefix = `${text(inner)}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  const outer = new AdError(error.code, `${message} (in ${text(inner)})`, { ...error.details, op, inner });
  return outer;
}

export function isAdError(value: unknown, code?: AdErrorCode): value is AdError {
  // `instanceof` on a revoked Proxy (or one whose getPrototypeOf trap throws) throws: not an AdError.
  try {
    return value instanceof AdError && (code === undefined || value.code === code);
  } catch {
    return false;
  }
}

// --- argument checks shared by the public entry points -------------------------------------------

/** A short, safe description of a value for an error message (never throws, never huge). */
export function describe(value: unknown): string {
  if (value === null) return "null";
  const t = typeof value;
  if (t === "number" || t === "boolean" || t === "undefined") return String(value);
  if (t === "bigint") return clip(`${value as bigint}n`);
  if (t === "string") return JSON.stringify(clip(value as string));
  if (t === "symbol") return "a symbol";
  if (t === "function") return "a function";
  // Getters, Proxy traps and revoked Proxies can throw or lie; none of that may escape from here.
  try {
    if (Array.isArray(value)) {
      const n: unknown = value.length;
      return typeof n === "number" ? `an array of length ${n}` : "an array";
    }
    const ctor: unknown = (value as object).constructor;
    const name: unknown = (ctor as { name?: unknown } | null | undefined)?.name;
    if (typeof name !== "string" || name === "") return "an object";
    // A class that checks a brand in `instanceof` (Tensor) says when its prototype was borrowed.
    if (typeof ctor === "function" && !(value instanceof ctor)) return `a forged ${clip(name)}`;
    return `a ${clip(name)}`;
  } catch {
    return "an object";
  }
}

function clip(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + "…" : s;
}

/** A string as is, anything else described: for names and messages that arrive as `unknown`. */
function text(value: unknown): string {
  return typeof value === "string" ? value : describe(value);
}

export function invalidArgument(op: string, message: string, details: Record<string, unknown> = {}): AdError {
  return new AdError("InvalidArgument", message, { op, ...details });
}

/** Throws `InvalidArgument` unless `value` is a number (NaN and ±Inf allowed: they are numbers). */
export function expectNumber(op: string, name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw invalidArgument(op, `${text(name)} must be a number, got ${describe(value)}`, { argument: name, got: describe(value) });
  }
  return value;
}

/** Throws `InvalidArgument` unless `value` is a finite number. */
export function expectFinite(op: string, name: string, value: unknown): number {
  const n = expectNumber(op, name, value);
  if (!Number.isFinite(n)) {
    throw invalidArgument(op, `${text(name)} must be finite, got ${n}`, { argument: name, got: n });
  }
  return n;
}

/** Throws `InvalidArgument` unless `value` is an integer in [min, max]. */
export function expectInteger(op: string, name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = expectNumber(op, name, value);
  expectNumber(op, "min", min);
  expectNumber(op, "max", max);
  if (!Number.isInteger(n) || !(n >= min) || !(n <= max)) {
    throw invalidArgument(op, `${text(name)} must be an integer in [${min}, ${max}], got ${n}`, { argument: name, got: n, min, max });
  }
  return n;
}

/** Throws `InvalidArgument` unless `value` is a function. */
export function expectFunction(op: string, name: string, value: unknown): (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw invalidArgument(op, `${text(name)} must be a function, got ${describe(value)}`, { argument: name, got: describe(value) });
  }
  return value as (...args: never[]) => unknown;
}

const MAX_ARRAY_LENGTH = 2 ** 32 - 1;

/**
 * Throws `InvalidArgument` unless `value.length` is an array length (a Proxy can claim any); returns
 * it, read once, so a loop over `value` cannot be led past what was checked.
 */
export function expectLength(op: string, name: string, value: unknown): number {
  const n: unknown = value === null || value === undefined ? undefined : (value as { length?: unknown }).length;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > MAX_ARRAY_LENGTH) {
    throw invalidArgument(op, `${text(name)} must have a length in [0, 2^32 − 1], got ${describe(n)}`, { argument: name, length: describe(n) });
  }
  return n;
}

/** Throws `InvalidArgument` unless `value` is an array (or typed array) of finite numbers; returns a copy. */
export function expectFiniteVector(op: string, name: string, value: unknown, minLength = 0): number[] {
  const isTyped = ArrayBuffer.isView(value) && !(value instanceof DataView);
  if (!Array.isArray(value) && !isTyped) {
    throw invalidArgument(op, `${text(name)} must be an array of numbers, got ${describe(value)}`, { argument: name, got: describe(value) });
  }
  const items = value as ArrayLike<unknown>;
  const length = expectLength(op, name, items);
  if (!(length >= expectNumber(op, "minLength", minLength))) {
    throw invalidArgument(op, `${text(name)} must have at least ${describe(minLength)} element(s), got ${length}`, {
      argument: name,
      length,
    });
  }
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    const v = items[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw invalidArgument(op, `${text(name)}[${i}] must be a finite number, got ${describe(v)}`, { argument: name, index: i, got: describe(v) });
    }
    out[i] = v;
  }
  return out;
}

/**
 * Throws `InvalidArgument` unless `value` is an options object (`undefined` is `{}` unless the options
 * are `required`) whose own enumerable keys, Symbol keys included, are all `known`: an unknown key is
 * refused, never ignored, since a misspelt or unsupported option would otherwise give wrong numbers
 * with no error. Returns a plain copy of the known keys that are not `undefined` (undefined means
 * "the default"), each read once, so a getter cannot answer the checks one thing and the op another.
 */
export function expectOptions<T extends object>(op: string, value: unknown, known: readonly (keyof T & string)[], required = false): T {
  if (value === undefined && !required) return {} as T;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalidArgument(op, `options must be an object, got ${describe(value)}`, { argument: "options", got: describe(value) });
  }
  const knownKeys = optionNames(op, known);
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === "string" && knownKeys.includes(key)) continue;
    if (!Object.prototype.propertyIsEnumerable.call(value, key)) continue;
    const name = typeof key === "symbol" ? key.toString() : key;
    throw invalidArgument(op, `unknown option ${JSON.stringify(clip(name))}; ${knownKeys.length === 0 ? "it takes no options" : `the options are ${knownKeys.join(", ")}`}`, {
      argument: "options",
      key: name,
      known: [...knownKeys],
    });
  }
  const out: Record<string, unknown> = {};
  for (const key of knownKeys) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}

/** The names in `known`, checked and copied (the helper is public: `known` may be anything). */
function optionNames(op: string, known: unknown): string[] {
  const n = Array.isArray(known) ? expectLength(op, "known", known) : -1;
  if (n < 0) throw invalidArgument(op, `the known option names must be an array, got ${describe(known)}`, { argument: "known", got: describe(known) });
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name: unknown = (known as unknown[])[i];
    if (typeof name !== "string")
      throw invalidArgument(op, `known[${i}] must be an option name (a string), got ${describe(name)}`, { argument: "known", index: i, got: describe(name) });
    names.push(name);
  }
  return names;
}

/** A boolean option: `undefined` is `fallback`; anything but a boolean is `InvalidArgument` (never truthiness). */
export function expectBooleanOption(op: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw invalidArgument(op, `${text(name)} must be a boolean, got ${describe(value)}`, { argument: name, key: name, got: describe(value) });
  }
  return value;
}
