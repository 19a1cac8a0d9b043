/**
 * Run in a child process by linalg.test.ts: triangularSolve on the "webgpu" device against the cpu
 * (batched, lower and upper, transposed, unit diagonal, odd sizes, transposed and sliced operands),
 * its gradients, a zero on the diagonal raised at the next read as the cpu's `SingularMatrix` (and
 * not with `{ check: false }`: the cpu's ±∞ instead); and
 * the factorizations the GPU lacks refused with `UnsupportedOp` naming the function the user called,
 * the device and the way to the cpu. Prints one JSON line: { checked, failures, errors }.
 */
import { AdError } from "../../src/errors.js";
import * as linalg from "../../src/linalg/index.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { finish, refusalProblems, startGPU, toleranceDifference } from "./setup.js";

const { handle, errors } = await startGPU();
const failures: string[] = [];
let checked = 0;
const g = ops.rng(19);
const onGPU = (t: Tensor) => t.to("webgpu");

/** f on the GPU against f on the cpu, within float32 rounding of a substitution. */
async function close(what: string, f: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], tol = 1e-4): Promise<void> {
  const want = [f(...inputs)].flat();
  const got = [f(...inputs.map(onGPU))].flat();
  for (const [j, w] of want.entries()) {
    checked++;
    if (got[j].device.name !== "webgpu" || got[j].shape.join() !== w.shape.join())
      return void failures.push(`${what} [${j}]: ${got[j].device.name} [${got[j].shape}], want [${w.shape}]`);
    const problem = toleranceDifference(await got[j].read(), w.data(), tol);
    if (problem !== undefined) return void failures.push(`${what} [${j}]: ${problem}`);
  }
}

/** A batch of matrices with diagonals in [2, 4] (well conditioned either triangle). */
function dominant(shape: number[]): Tensor {
  const n = shape[shape.length - 1];
  return ops.add(ops.mul(ops.randn(shape, { rng: g }), 0.3), ops.mul(ops.eye(n, n), ops.add(ops.rand([...shape.slice(0, -1)], { rng: g }), 2).unsqueeze(-1)));
}

for (const lower of [true, false]) {
  for (const transpose of [false, true]) {
    for (const unitDiagonal of [false, true]) {
      const options = { lower, transpose, unitDiagonal };
      await close(`triangularSolve ${JSON.stringify(options)}`, (a, b) => linalg.triangularSolve(a, b, options), [dominant([2, 3, 5, 5]), ops.randn([2, 3, 5, 3], { rng: g })]);
    }
  }
}
await close("triangularSolve of a 1 × 1 and a vector-like b", (a, b) => linalg.triangularSolve(a, b, { lower: true }), [dominant([1, 1]), ops.randn([1, 7], { rng: g })]);
await close("triangularSolve of a transposed A and a sliced b", (a, b) => linalg.triangularSolve(a.transpose(), ops.slice(b, [null, [1, 6, 2]]), { lower: false }), [
  dominant([7, 7]),
  ops.randn([7, 6], { rng: g }),
]);
await close("triangularSolve with an empty b", (a, b) => linalg.triangularSolve(a, b, { lower: true }), [dominant([4, 4]), ops.randn([4, 0], { rng: g })]);
const solveGrads = (a: Tensor, b: Tensor) =>
  ops.grad((p: Tensor, q: Tensor) => ops.sum(ops.mul(linalg.triangularSolve(p, q, { lower: true, transpose: true }), q)), { argnums: [0, 1] })(a, b) as Tensor[];
await close("gradients of triangularSolve", solveGrads, [dominant([2, 4, 4]), ops.randn([2, 4, 3], { rng: g })]);

// A zero on the diagonal: the cpu's SingularMatrix (batch, row), raised when the result is read.
const singular = ops.tensor(
  [
    [
      [2, 0],
      [1, 3],
    ],
    [
      [1, 0],
      [5, 0],
    ],
  ],
  { dtype: "float32" },
);
const rhs = ops.ones([2, 2, 1]);
checked++;
let want: AdError | undefined;
try {
  linalg.triangularSolve(singular, rhs, { lower: true });
} catch (error) {
  if (error instanceof AdError) want = error;
}
const bad = linalg.triangularSolve(onGPU(singular), onGPU(rhs), { lower: true });
try {
  await bad.read();
  failures.push("triangularSolve with a zero diagonal: reading did not raise");
} catch (error) {
  if (!(error instanceof AdError) || want === undefined || error.code !== want.code || JSON.stringify(error.details) !== JSON.stringify(want.details)) {
    failures.push(
      `triangularSolve with a zero diagonal raised ${String(error)} ${JSON.stringify((error as AdError).details)}, want ${String(want)} ${JSON.stringify(want?.details)}`,
    );
  }
}

// With { check: false }: no error at the read, the cpu's ±∞ from dividing by the zero.
checked++;
try {
  const unchecked = await linalg.triangularSolve(onGPU(singular), onGPU(rhs), { lower: true, check: false }).read();
  const cpu = linalg.triangularSolve(singular, rhs, { lower: true, check: false }).data();
  if (Array.from(unchecked).map(String).join() !== Array.from(cpu).map(String).join())
    failures.push(`triangularSolve with check: false gave ${Array.from(unchecked)}, the cpu ${Array.from(cpu)}`);
} catch (error) {
  failures.push(`triangularSolve with check: false raised ${String(error)}`);
}

// The factorizations the GPU lacks: UnsupportedOp naming the function called, the device, and toAsync.
const a = onGPU(dominant([3, 3]));
for (const [op, f] of [
  ["cholesky", () => linalg.cholesky(a)],
  ["inv", () => linalg.inv(a)],
  ["solve", () => linalg.solve(a, a)],
  ["det", () => linalg.det(a)],
  ["qr", () => linalg.qr(a)],
  ["eigh", () => linalg.eigh(a)],
  ["svdvals", () => linalg.svdvals(a)],
  ["pinv", () => linalg.pinv(a)],
] as const) {
  checked++;
  for (const problem of refusalProblems(f, { op, device: "webgpu" }, 'toAsync("cpu")')) failures.push(`${op} on the GPU: ${problem}`);
}

await finish(handle, { checked, failures, errors });
