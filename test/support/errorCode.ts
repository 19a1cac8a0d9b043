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
