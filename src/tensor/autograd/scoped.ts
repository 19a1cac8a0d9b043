/**
 * The scoped modes (`noGrad`, `enableGrad`, `detectAnomaly`, and the transforms that turn recording on
 * for the function they differentiate) set a flag while `fn` runs and restore it when `fn` returns.
 * That scope ends at fn's first `await`: the rest of an async function would run with the mode undone
 * — recording a graph inside `noGrad`, unchecked inside `detectAnomaly` — and the mode would leak into
 * whatever else ran meanwhile. Carrying it across awaits needs AsyncLocalStorage, which browsers lack,
 * so the modes refuse such a function everywhere instead of half-applying it: an async or generator
 * function before it is called, and a promise when a plain function returns one.
 */
import { AdError, invalidArgument } from "../../errors.js";

/** The kinds of function whose body runs (partly) after the call returns, by their toStringTag. */
const DEFERRED: Readonly<Record<string, string>> = {
  "[object AsyncFunction]": "an async function",
  "[object AsyncGeneratorFunction]": "an async generator function",
  "[object GeneratorFunction]": "a generator function",
};

/** What to do instead, for a scoped mode: wrap each synchronous step. */
const wrapEachStep = (op: string) => `call ${op} around each synchronous step inside it, e.g. \`const y = await load(); const out = ${op}(() => model.forward(y));\``;

function refusal(op: string, got: string, effect: string, instead = wrapEachStep(op)): AdError {
  return invalidArgument(op, `${op} applies only while fn runs synchronously, and fn is ${got}: after its first await (or yield) it would ${effect}. Instead, ${instead}`, {
    argument: "fn",
    got,
  });
}

/** Refuses an async or generator function, whose body runs (partly) after the call returns. */
export function expectSynchronous(op: string, fn: unknown, effect: string, instead?: string): void {
  const deferred = DEFERRED[Object.prototype.toString.call(fn)];
  if (deferred !== undefined) throw refusal(op, deferred, effect, instead);
}

/**
 * Passes fn's result through, unless it is a promise (a plain function that went async): then the
 * caller, with its mode already restored, gets this error instead.
 */
export function synchronousResult<R>(op: string, result: R, effect: string, instead?: string): R {
  if (!isThenable(result)) return result;
  // The promise is already running and the caller never receives it: its outcome is ignored (a
  // rejection would otherwise be unhandled), and this error is the report.
  if (result instanceof Promise) result.catch(() => undefined);
  throw refusal(op, "a function that returned a promise", effect, instead);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}
