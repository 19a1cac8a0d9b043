/**
 * triangularSolve on the GPU — the contract of `Backend.triangularSolve` with GPU buffers: X with
 * op(A)·X = B, A's lower or upper triangle read (its diagonal taken as ones when `unitDiagonal`), op
 * the identity or the transpose, batched over A's and B's one batch shape. A and B are first made
 * row-major (any view in); then one invocation per (matrix, column of B) substitutes down or up the
 * column in place, in the reference's order (cpu/kernels/linalg.ts), float32 only.
 *
 * A zero (or NaN) on a read diagonal is the reference's `SingularMatrix` naming the first such batch
 * and row; the GPU finds it with a deferred check, raised at the next read (deferredChecks.ts).
 *
 *   params = [count · k, n, k, forward (0/1), A row stride, A column stride (op(A)'s), unit (0/1)]
 */
import { singular, type SolveResult, type TriangularSolveOptions } from "../linalg.js";
import { sizeOf, type Shape } from "../shape.js";
import { expectGPUDType, type GPUBuffers, type GPUData } from "./buffers.js";
import type { Check, DeferredChecks } from "./deferredChecks.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { WORKGROUP_SIZE } from "./shader.js";

const SOLVE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  if (t >= params[0]) { return; }
  let n = params[1]; let k = params[2];
  let forward = params[3] == 1; let si = params[4]; let sq = params[5]; let unit = params[6] == 1;
  let p = t / k; let c = t % k;
  let baseA = p * n * n; let baseX = p * n * k + c;
  for (var step = 0; step < n; step++) {
    let i = select(n - 1 - step, step, forward);
    var xi = x[baseX + i * k];
    let qe = select(n, i, forward);
    for (var q = select(i + 1, 0, forward); q < qe; q++) {
      let aiq = a[baseA + i * si + q * sq];
      if (aiq != 0.0) { xi = fma(-aiq, x[baseX + q * k], xi); }
    }
    if (!unit) { xi = xi / a[baseA + i * n + i]; }
    x[baseX + i * k] = xi;
  }
}
`;

/** The check of each matrix's diagonal (row-major [count, n, n]): zero or NaN is singular. */
function diagonalCheck(shape: Shape, n: number): Check {
  return {
    op: "triangularSolve",
    key: "diagonal",
    wgsl: /* wgsl */ `
@group(0) @binding(3) var<storage, read> a: array<f32>;
fn value(k: i32) -> i32 { let n = params[2]; return bitcast<i32>(a[(k / n) * n * n + (k % n) * (n + 1)]); }
fn bad(k: i32) -> bool { let bits = u32(value(k)) & 0x7fffffffu; return bits == 0u || bits > 0x7f800000u; }`,
    raise: (position) => singular("triangularSolve", shape, { batch: Math.floor(position / n), index: position % n }, "a zero (or NaN) on the diagonal"),
  };
}

export class GPUTriangularSolve {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
    readonly checks: DeferredChecks,
    /** A row-major copy of a view on the GPU. */
    readonly rowMajor: (v: GPUView) => GPUData,
  ) {}

  triangularSolve(a: GPUView, b: GPUView, { lower, transpose, unitDiagonal, check }: TriangularSolveOptions): SolveResult<GPUData> {
    const op = "triangularSolve";
    if (expectGPUDType(op, a.dtype) !== "float32") throw new Error(`the webgpu triangularSolve takes float32, not ${a.dtype}`);
    const n = a.shape[a.shape.length - 2];
    const k = b.shape[b.shape.length - 1];
    const count = sizeOf(a.shape.slice(0, -2));
    const x = this.rowMajor(b);
    if (count * n * k === 0) return { solution: x, failure: null };
    const m = this.rowMajor(a);
    if (!unitDiagonal && check !== false) this.checks.enqueue(diagonalCheck(a.shape, n), count * n, [n], [m.buffer]);
    // op(A) is lower triangular when A is lower and not transposed, or upper and transposed: then forward substitution.
    const [si, sq] = transpose ? [1, n] : [n, 1];
    const params = new Int32Array([count * k, n, k, lower !== transpose ? 1 : 0, si, sq, unitDiagonal ? 1 : 0]);
    const pipeline = this.dispatcher.pipeline(op, () => SOLVE);
    this.dispatcher.run(op, pipeline, params, [x.buffer, m.buffer], Math.ceil((count * k) / WORKGROUP_SIZE));
    this.buffers.free(m);
    return { solution: x, failure: null };
  }
}
