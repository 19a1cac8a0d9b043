/**
 * docs/ops.md is what test/docs/opsTable.ts writes from the registry. `npm run docs:ops` sets
 * ADJOINT_WRITE_OPS and rewrites it; otherwise a stale file fails here.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { missingPytorchNames, OPS_PATH, renderOpsTable } from "./opsTable.js";

describe("the generated op table", () => {
  it("names a PyTorch equivalent (or internal) for every primitive", () => {
    expect(missingPytorchNames()).toEqual([]);
  });

  it("docs/ops.md is what `npm run docs:ops` writes", () => {
    const text = renderOpsTable();
    if (process.env.ADJOINT_WRITE_OPS === "1") writeFileSync(OPS_PATH, text);
    expect(readFileSync(OPS_PATH, "utf8"), "docs/ops.md is stale: run `npm run docs:ops`").toBe(text);
  });
});
