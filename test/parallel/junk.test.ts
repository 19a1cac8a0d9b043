/**
 * Junk in, AdError out, for `adjoint/parallel` (the root's junk walk does not reach a subpath):
 * `share`, `isShared`, `expectPostable`, `dataParallel` and a data-parallel step given junk either
 * return or throw an `AdError` naming the op. No worker starts: junk never passes the checks that
 * come before the first start.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AD_ERROR_CODES, AdError } from "../../src/errors.js";
import { dataParallel, expectPostable, isShared, share } from "../../src/parallel/index.js";
import { mlpStep } from "./models.js";

function outcome(f: () => unknown): unknown {
  try {
    f();
    return undefined;
  } catch (e) {
    return e;
  }
}

function expectAdErrorOrNothing(e: unknown, op: string): void {
  if (e === undefined) return;
  expect(e).toBeInstanceOf(AdError);
  expect(AD_ERROR_CODES).toContain((e as AdError).code);
  expect((e as AdError).details.op).toBe(op);
}

const junk = fc.anything({ withBoxedValues: true, withNullPrototype: true, withBigInt: true, withTypedArray: true, withSparseArray: true });

describe("adjoint/parallel given junk", () => {
  it("share, isShared, expectPostable", () => {
    fc.assert(
      fc.property(junk, (x) => {
        expectAdErrorOrNothing(
          outcome(() => share(x as never)),
          "share",
        );
        expect(typeof isShared(x)).toBe("boolean");
        expectAdErrorOrNothing(
          outcome(() => expectPostable("post", "message", x)),
          "post",
        );
      }),
      { numRuns: 200 },
    );
  });

  it("dataParallel's arguments and options", () => {
    fc.assert(
      fc.property(junk, junk, (f, o) => {
        expectAdErrorOrNothing(
          outcome(() => dataParallel(f as never, o as never).close()),
          "dataParallel",
        );
        expectAdErrorOrNothing(
          outcome(() => dataParallel(mlpStep, { workers: 1, ...(typeof o === "object" && o !== null ? o : {}) } as never).close()),
          "dataParallel",
        );
      }),
      { numRuns: 200 },
    );
  });

  it("a step called with junk parameters or batch rejects with an AdError (and starts no worker)", async () => {
    const step = dataParallel(mlpStep, { workers: 1, workerUrl: "file:///nonexistent/worker.mjs" });
    await fc.assert(
      fc.asyncProperty(junk, junk, async (p, b) => {
        const e = await (step as (p: unknown, b: unknown) => Promise<unknown>)(p, b).then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(e).toBeInstanceOf(AdError);
        expect((e as AdError).details.op).toBe("dataParallel");
      }),
      { numRuns: 100 },
    );
    expect(step.group).toBeUndefined();
  });
});
