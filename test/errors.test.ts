import { describe, expect, it } from "vitest";
import { AD_ERROR_CODES, AdError, attempt, isAdError } from "../src/errors.js";

describe("AdError and attempt", () => {
  it("carries a code, the op and structured details", () => {
    const e = new AdError("ShapeMismatch", "shapes differ", { op: "add", a: [2, 3], b: [4] });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("AdError");
    expect(e.code).toBe("ShapeMismatch");
    expect(e.details).toEqual({ op: "add", a: [2, 3], b: [4] });
    expect(e.message).toBe("add: shapes differ");
    expect(isAdError(e, "ShapeMismatch")).toBe(true);
    expect(isAdError(e, "NonFinite")).toBe(false);
  });

  it("has the closed set of codes the design names", () => {
    expect([...AD_ERROR_CODES].sort()).toEqual(
      [
        "DTypeMismatch",
        "DeviceMismatch",
        "ForeignVariable",
        "InvalidArgument",
        "MissingDerivative",
        "NonFinite",
        "ShapeMismatch",
        "SingularMatrix",
        "StaleVariable",
        "UnsupportedOp",
      ].sort(),
    );
  });

  it("attempt returns a value, turns an AdError into a result and rethrows anything else", () => {
    expect(attempt(() => 42)).toEqual({ ok: true, value: 42 });
    const r = attempt(() => {
      throw new AdError("NonFinite", "NaN", { op: "exp" });
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("NonFinite");
    expect(() =>
      attempt(() => {
        throw new TypeError("a bug");
      }),
    ).toThrow(TypeError);
  });
});
