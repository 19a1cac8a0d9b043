/**
 * Run in a child process by float16.test.ts: float16 on the GPU (packed two halves to a word, every
 * kernel widened to float32 and rounded back: src/backends/webgpu/halves.ts) against float16 on the
 * cpu. The conversions are bit for bit the cpu's: float32 → float16 on torch's golden table
 * (test/golden/float16.json: ties, overflow, subnormals, NaN) and every one of the 65536 halves back
 * to float32; odd lengths (the last word half empty); then ops, views, in-place writes and a
 * gradient; then the registry walk (registryWalk.ts) with float16 inputs. Prints one JSON line:
 * { checked, failures, errors, unsupported }.
 */
import golden from "../golden/float16.json" with { type: "json" };
import { Float16Storage } from "../../src/backends/dtype.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { walkRegistry } from "./registryWalk.js";
import { bitDifference, finish, startGPU, toleranceDifference } from "./setup.js";

const { handle, errors } = await startGPU();
const failures: string[] = [];
let checked = 0;
const g = ops.rng(16);

/** got (on the GPU) against want (the cpu's): bit for bit, or within tol. */
async function compare(what: string, got: Tensor, want: Tensor, tol = 0): Promise<void> {
  checked++;
  if (got.device.name !== "webgpu") return void failures.push(`${what}: on ${got.device.name}, want webgpu`);
  if (got.dtype !== want.dtype) return void failures.push(`${what}: ${got.dtype}, want ${want.dtype}`);
  if (got.shape.join() !== want.shape.join()) return void failures.push(`${what}: shape [${got.shape}], want [${want.shape}]`);
  const [a, b] = [await got.read(), want.data()];
  const problem = tol === 0 ? bitDifference(a, b) : toleranceDifference(a, b, tol);
  if (problem !== undefined) failures.push(`${what}: ${problem}`);
}
const onGPU = (t: Tensor) => t.to("webgpu");

try {
  // float32 → float16 on the GPU: torch's table, and an odd count.
  const f32 = ops.tensor(new Float32Array(Uint32Array.from(golden.float32Bits).buffer));
  await compare("cast float32 → float16 (torch's table)", ops.cast(onGPU(f32), "float16"), ops.cast(f32, "float16"));
  await compare("cast of an odd count", ops.cast(onGPU(ops.tensor([0.1, 2.5, -65520])), "float16"), ops.tensor([0.1, 2.5, -65520], { dtype: "float16" }));
  // Every half, uploaded as bits and widened on the GPU.
  const all = ops.tensor(
    Float16Storage.from({ length: 65536 }, (_, i) => i),
    { dtype: "float16" },
  );
  await compare("every half read back", onGPU(all), all);
  await compare("every half cast to float32", ops.cast(onGPU(all), "float32"), ops.cast(all, "float32"));

  // Off the GPU again: toAsync hands the cpu the same halves.
  checked++;
  const back = await onGPU(all).toAsync("cpu");
  const problem = back.dtype === "float16" ? bitDifference(back.data(), all.data()) : `dtype ${back.dtype}`;
  if (problem !== undefined) failures.push(`toAsync("cpu") of every half: ${problem}`);

  // Ops on float16 (computed in float32 and rounded once, as on the cpu).
  const a = ops.cast(ops.randn([5, 7], { rng: g }), "float16");
  const b = ops.cast(ops.randn([5, 7], { rng: g }), "float16");
  const [ga, gb] = [onGPU(a), onGPU(b)];
  await compare("add", ops.add(ga, gb), ops.add(a, b));
  await compare("mul by a number", ops.mul(ga, 0.1), ops.mul(a, 0.1));
  await compare("where", ops.where(ops.gt(ga, 0), ga, gb), ops.where(ops.gt(a, 0), a, b));
  await compare("exp", ops.exp(ga), ops.exp(a), 1e-3);
  await compare("matmul", ops.matmul(ga, ops.transpose(gb)), ops.matmul(a, ops.transpose(b)), 1e-3);
  await compare("sum over an axis", ops.sum(ga, 1), ops.sum(a, 1), 1e-3);
  await compare("a transposed copy (odd sizes)", ops.transpose(ga).contiguous(), ops.transpose(a).contiguous());
  await compare("concat", ops.concat([ga, gb], 1), ops.concat([a, b], 1));
  await compare(
    "pad with 0.1",
    ops.pad(
      ga,
      [
        [1, 0],
        [0, 1],
      ],
      0.1,
    ),
    ops.pad(
      a,
      [
        [1, 0],
        [0, 1],
      ],
      0.1,
    ),
  );
  await compare(
    "gather",
    ops.gather(ga, 1, onGPU(ops.tensor([[6], [0], [3], [1], [2]], { dtype: "int32" }))),
    ops.gather(a, 1, ops.tensor([[6], [0], [3], [1], [2]], { dtype: "int32" })),
  );
  await compare("cast to float16 of an int32", ops.cast(onGPU(ops.tensor([7, -3, 5], { dtype: "int32" })), "float16"), ops.tensor([7, -3, 5], { dtype: "float16" }));
  // An in-place write into one column: the other halves of each word are kept.
  const t = ops.zeros([3, 3], { dtype: "float16" });
  const gt = onGPU(t);
  const column = ops.tensor([[0.1], [2], [-3]], { dtype: "float16" });
  ops.noGrad(() =>
    ops
      .slice(t, [
        [0, 3],
        [1, 2],
      ])
      .assign(column),
  );
  ops.noGrad(() =>
    ops
      .slice(gt, [
        [0, 3],
        [1, 2],
      ])
      .assign(onGPU(column)),
  );
  await compare("assign into a column", gt, t);
  // Gradients of float16 leaves are float16, on the GPU as on the cpu.
  const loss = (x: Tensor) => ops.sum(ops.mul(ops.tanh(x), x));
  const [xc, xg] = [a.detach().requireGrad(), onGPU(a).detach().requireGrad()];
  loss(xc).backward();
  loss(xg).backward();
  await compare("gradient of sum(tanh(x)·x)", xg.grad!, xc.grad!, 2e-3);
} catch (error) {
  failures.push(`threw ${String(error)}`);
}

// Every primitive's case with float16 inputs, against the cpu's float16.
const walk = await walkRegistry("float16");
failures.push(...walk.failures.map((f) => `float16 registry walk: ${f}`));
checked += walk.checked;

await finish(handle, { checked, failures, errors, unsupported: walk.unsupported });
