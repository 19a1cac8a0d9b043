/**
 * Run in a child process by registry.test.ts: every case of test/support/primitiveCases.ts (one per
 * registry primitive) on the "webgpu" device, against the same case on the cpu with the same float32
 * inputs (the GPU has no float64). Each either matches the cpu within the op's tolerance (tolerance.ts,
 * the docs' table) or throws `UnsupportedOp`; anything else is a failure. Prints one JSON line:
 * { unsupported: [case, op that refused][], checked, failures, errors }.
 */
import { AdError } from "../../src/errors.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { finish, startGPU } from "./setup.js";
import { PRIMITIVE_CASES } from "../support/primitiveCases.js";
import { tolerance } from "./tolerance.js";

const { handle, errors } = await startGPU();
const failures: string[] = [];
const unsupported: [string, string][] = [];
let checked = 0;

const single = (x: Tensor) => (x.dtype === "float64" ? ops.cast(x, "float32") : x);

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
  const [a, b] = [await got.read(), await want.read()];
  const values = host.flatMap((x) => Array.from(x.data()));
  const tol = tolerance(name, values);
  if (got.dtype !== want.dtype || got.shape.join() !== want.shape.join()) {
    failures.push(`${name}: ${got.dtype} [${got.shape}], want ${want.dtype} [${want.shape}]`);
    continue;
  }
  for (let i = 0; i < b.length; i++) {
    const ok = tol === 0 ? Object.is(a[i], b[i]) : Math.abs(a[i] - b[i]) <= tol.abs + tol.rel * Math.abs(b[i]);
    if (!ok) {
      failures.push(`${name}: element ${i} is ${a[i]}, want ${b[i]}`);
      break;
    }
  }
}

await finish(handle, { unsupported, checked, failures, errors });
