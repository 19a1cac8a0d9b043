/**
 * Allocation failure is an AdError naming the op and the bytes asked, not a RangeError. Checked
 * under a real cap: a child node under `ulimit -v` (4 GB of address space), where a tensor of 4 GiB
 * or more cannot be allocated, runs the tensor module bundled from source by esbuild.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";

const root = new URL("../..", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "adjoint-alloc-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `calls` (source of `[label, () => …][]` over the tensor module `t`) under the cap; each call's outcome. */
function underCap(calls: string): Record<string, unknown> {
  const bundle = join(scratch, "tensor.mjs");
  buildSync({ entryPoints: [join(root, "src/tensor/index.ts")], bundle: true, format: "esm", platform: "node", outfile: bundle, logLevel: "error" });
  const script = join(scratch, "run.mjs");
  writeFileSync(
    script,
    `import * as t from ${JSON.stringify(bundle)};
     t.setBackend("cpu");
     const out = {};
     for (const [label, call] of ${calls}) {
       try { call(); out[label] = "returned"; }
       catch (e) { out[label] = { name: e.name, code: e.code, details: e.details, message: e.message }; }
     }
     console.log(JSON.stringify(out));`,
  );
  const stdout = execFileSync("sh", ["-c", `ulimit -v 4000000 && exec "${process.execPath}" "${script}"`], { encoding: "utf8" });
  return JSON.parse(stdout.trim().split("\n").pop() as string);
}

describe.skipIf(process.platform !== "linux")("allocation failure under ulimit -v", () => {
  it("creation, a kernel's output and Tensor.data: InvalidArgument naming the op and the bytes", () => {
    const out = underCap(`[
      ["zeros", () => t.zeros([2 ** 31 - 1])],
      ["zeros float64", () => t.zeros([2 ** 31 - 1], { dtype: "float64" })],
      ["randn", () => t.randn([2 ** 30])],
      ["linspace", () => t.linspace(0, 1, 2 ** 31 - 1)],
      ["full", () => t.full([2 ** 15, 2 ** 15], 1, { dtype: "float64" })],
      ["add", () => t.add(t.expand(t.tensor([1]), [2 ** 30]), 1)],
      ["data", () => t.expand(t.tensor([1]), [2 ** 30]).data()],
      ["small", () => t.zeros([1000]).add(1).data()],
    ]`);
    const failure = (op: string, bytes: number) => ({
      name: "AdError",
      code: "InvalidArgument",
      details: expect.objectContaining({ op, bytes }),
      message: expect.stringContaining(`${bytes} bytes`),
    });
    expect(out).toEqual({
      "zeros": failure("zeros", (2 ** 31 - 1) * 4),
      "zeros float64": failure("zeros", (2 ** 31 - 1) * 8),
      "randn": failure("randn", 2 ** 32),
      "linspace": failure("linspace", (2 ** 31 - 1) * 4),
      "full": failure("full", 2 ** 33),
      "add": failure("add", 2 ** 32),
      "data": failure("Tensor.data", 2 ** 32),
      "small": "returned",
    });
  });
});
