import { AdError } from "../../src/errors.js";

/** The AdError code `fn` throws, undefined if it returns, or a marker string for any other throw. */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof AdError ? e.code : `not an AdError: ${String(e)}`;
  }
}

/** The AdError `fn` throws, or a failed assertion naming what happened instead. */
export function thrown(fn: () => unknown): AdError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AdError) return e;
    throw new Error(`expected an AdError, got ${String(e)}`);
  }
  throw new Error("expected an AdError, but nothing was thrown");
}
