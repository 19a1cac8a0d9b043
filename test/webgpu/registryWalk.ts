/**
 * The registry walk both test/webgpu/registry.checks.ts (Node, software adapter) and
 * test/browser/webgpu.page.ts (a browser's GPU) run: every case of test/support/primitiveCases.ts on
 * the "webgpu" device against the same case on the cpu with the same float32 inputs (the GPU has no
 * float64), each matching within the op's tolerance (tolerance.ts) or refused with `UnsupportedOp`;
 * or with float16 inputs, within the op's tolerance or a half's rounding, whichever is wider.
 * No Node APIs here: the browser bundles it.
 */
import { AdError } from "../../src/errors.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { PRIMITIVE_CASES } from "../support/primitiveCases.js";
import { tolerance } from "./tolerance.js";

export interface RegistryWalk {
  /** [case, op that refused]. */
  readonly unsupported: [string, string][];
  readonly checked: number;
  readonly failures: string[];
}

/** Why got (the GPU's) is not want (the cpu's) within tol (0: bit for bit), or undefined. */
export async function mismatch(name: string, got: Tensor, want: Tensor, tol: 0 | { rel: number; abs: number }): Promise<string | undefined> {
  if (got.dtype !== want.dtype || got.shape.join() !== want.shape.join()) return `${name}: ${got.dtype} [${got.shape}], want ${want.dtype} [${want.shape}]`;
  const [a, b] = [await got.read(), await want.read()];
  for (let i = 0; i < b.length; i++) {
    const ok = tol === 0 ? Object.is(a[i], b[i]) : Math.abs(a[i] - b[i]) <= tol.abs + tol.rel * Math.abs(b[i]);
    if (!ok) return `${name}: element ${i} is ${a[i]}, want ${b[i]}`;
  }
  return undefined;
}

/**
 * A float16 result may differ from the cpu's by one rounding of the half (2⁻¹¹ relative, 2⁻²⁴ below
 * the normals) wherever the float32 values before it differ at all: the op's tolerance widened to that.
 */
function halfTolerance(tol: 0 | { rel: number; abs: number }): 0 | { rel: number; abs: number } {
  return tol === 0 ? 0 : { rel: Math.max(tol.rel, 2 ** -10), abs: Math.max(tol.abs, 2 ** -14) };
}

/** Every primitive case on the registered "webgpu" device against the cpu, its float inputs in `dtype`. */
export async function walkRegistry(dtype: "float32" | "float16" = "float32"): Promise<RegistryWalk> {
  const single = (x: Tensor) => (x.dtype === "float64" || (x.dtype === "float32" && dtype === "float16") ? ops.cast(x, dtype) : x);
  const failures: string[] = [];
  const unsupported: [string, string][] = [];
  let checked = 0;
  for (const [name, { inputs, f }] of Object.entries(PRIMITIVE_CASES)) {
    const host = inputs.map(single);
    const want = f(...host) as Tensor;
    let got: Tensor;
    try {
      got = f(...host.map((x) => x.to("webgpu"))) as Tensor;
    } catch (error) {
      if (error instanceof AdError && error.code === "UnsupportedOp") unsupported.push([name, String(error.details.op)]);
      else failures.push(`${name}: threw ${String(error)}`);
      continue;
    }
    checked++;
    const tol = tolerance(
      name,
      host.flatMap((x) => Array.from(x.data())),
    );
    const wrong = await mismatch(name, got, want, dtype === "float16" ? halfTolerance(tol) : tol);
    if (wrong !== undefined) failures.push(wrong);
  }
  return { unsupported, checked, failures };
}
