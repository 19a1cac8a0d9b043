/**
 * Every registry primitive is either written by a row of the export table or listed here as having
 * no ONNX form (docs/onnx.md names them), so a new primitive is a decision, not a surprise
 * `UnsupportedOp` at a user's export. The list only shrinks as rows are added.
 */
import { describe, expect, it } from "vitest";
import { EXPORT_RULES } from "../../src/onnx/exportRules.js";
import { primitives, type PrimitiveName } from "../../src/tensor/primitives/registry.js";

const NO_ONNX_FORM: readonly PrimitiveName[] = [
  // Elementwise functions ONNX has no operator for (and composing one would change edge values).
  "atan2",
  "logaddexp",
  // mul/div that give 0 where the first operand is 0 (internal, for derivative rules): not in forward models.
  "mulSafe",
  "divSafe",
  // The primitives of derivatives: backward passes are not exported.
  "reluGrad",
  "conv2dInputGrad",
  "conv2dWeightGrad",
  "maxPool2dSelect",
  "maxPool2dGrad",
  "unslice",
  "tieShare",
  "prodOthers",
  "scatterAdd",
  "oneHot",
  // Linear algebra, sorting and random bits.
  "triangularSolve",
  "cholesky",
  "lu",
  "qr",
  "eigh",
  "svd",
  "threefry2x32",
  "argsort",
  "cumArgExtreme",
  "searchsorted",
];

describe("the export table", () => {
  it("covers every registry primitive but the listed ones", () => {
    const names = Object.keys(primitives) as PrimitiveName[];
    const missing = names.filter((n) => EXPORT_RULES[n] === undefined && !NO_ONNX_FORM.includes(n));
    expect(missing).toEqual([]);
    // A listed primitive that gained a row (or left the registry) leaves the list.
    expect(NO_ONNX_FORM.filter((n) => EXPORT_RULES[n] !== undefined || !names.includes(n))).toEqual([]);
  });
});
