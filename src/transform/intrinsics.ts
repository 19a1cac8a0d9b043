/**
 * The built-ins the transform trusts, captured when adjoint is imported: code that runs later and
 * patches `Function.prototype.toString` (or `call`, `WeakMap.prototype.get`, the global `Function`)
 * must not change which source is differentiated or how the generated code is compiled. Each is
 * called through these references, never looked up again.
 */
const call = Function.prototype.call;
const bindThis = Function.prototype.bind;

/** `method.call(self, ...args)` with `call` itself captured, so a later patch of it changes nothing. */
function uncurry<A extends unknown[], R>(method: (...args: A) => R): (self: unknown, ...args: A) => R {
  return Reflect.apply(bindThis, call, [method]) as (self: unknown, ...args: A) => R;
}

/** `Function.prototype.toString` of `fn`: its source text as the engine has it. */
export const sourceOf: (fn: unknown) => string = uncurry(Function.prototype.toString);

export const weakMapGet: <K extends object, V>(map: WeakMap<K, V>, key: K) => V | undefined = uncurry(WeakMap.prototype.get) as never;

/** The `Function` constructor: the one place the generated code is compiled. */
export const FunctionConstructor: FunctionConstructor = Function;

const typedArrayTag = uncurry(Reflect.getOwnPropertyDescriptor(Reflect.getPrototypeOf(Float64Array.prototype) as object, Symbol.toStringTag)!.get!) as (
  self: unknown,
) => string | undefined;

/**
 * A brand check: a real Float64Array (of any realm, or a subclass), not a Proxy of one nor an object
 * that only inherits from Float64Array.prototype, whose `length` and elements would throw a TypeError.
 */
export function isFloat64Array(v: unknown): v is Float64Array {
  return typedArrayTag(v) === "Float64Array";
}

const arrayIsArray = Array.isArray;

/** `Array.isArray`, false for a revoked Proxy (where it throws). */
export function isArray(v: unknown): v is readonly unknown[] {
  try {
    return arrayIsArray(v);
  } catch {
    return false;
  }
}
