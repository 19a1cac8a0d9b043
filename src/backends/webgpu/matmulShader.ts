/**
 * The matmul in WGSL, register-blocked: a workgroup of WG × WG invocations computes one TILE × TILE
 * block of the output (TILE = WG · PER), each invocation a PER × PER block held in four vec4
 * accumulators. Per step along k it loads PER elements of A and PER of B and does PER² multiply-adds,
 * so each value read feeds PER of them, with no workgroup memory and no barrier.
 *
 * Why this shape, and for which adapter. The former kernel tiled 16 × 16 through workgroup memory,
 * one output per invocation and two barriers per 16 multiply-adds: the textbook design for a real
 * GPU, but SwiftShader (the software adapter the tests and the bench run on) runs a workgroup's
 * invocations as fibers on the CPU and pays for every barrier by switching between all of them — it
 * ran the MLP's [128, 784] · [784, 256] in 1.6 s. A 64 × 64 workgroup-memory tile with the same 4 × 4
 * register block was hardly better there (1.7 s); this kernel takes 0.33 s. On a real GPU the
 * register block is what matters most (operand reuse in registers, the repeats caught by the L1/L2
 * caches); staging the tiles in workgroup memory on top of it is the next step for large matrices
 * there, to be measured on one (bench/RESULTS.md has no real-GPU figures yet).
 *
 * Operands are read through their strides, so a transposed operand needs no copy; the batch index is
 * the workgroup's z, its offsets per operand walked from the batch shape (a broadcast batch axis has
 * stride 0). Rows and columns past the edge read the last row or column (clamped, so the loop has no
 * branch) and store nothing. Layout of `params`, R = batch rank:
 *
 *   [M, N, K, R, batch[R], aOffset, aStrideM, aStrideK, aBatch[R], bOffset, bStrideK, bStrideN, bBatch[R]]
 */
const WG = 16;
const PER = 4;
export const MATMUL_TILE = WG * PER;

export const MATMUL_SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

const PER = ${PER};
const TILE = ${MATMUL_TILE};

@compute @workgroup_size(${WG}, ${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let M = params[0];
  let N = params[1];
  let K = params[2];
  let R = params[3];
  let ao = 4 + R;
  let bo = 7 + 2 * R;
  var baseA = params[ao];
  var baseB = params[bo];
  var rem = i32(wid.z);
  for (var d = R - 1; d >= 0; d--) {
    let size = params[4 + d];
    let c = rem % size;
    rem = rem / size;
    baseA += c * params[ao + 3 + d];
    baseB += c * params[bo + 3 + d];
  }
  let aK = params[ao + 2];
  let bK = params[bo + 1];
  let row0 = i32(wid.y) * TILE + i32(lid.y) * PER;
  let col0 = i32(wid.x) * TILE + i32(lid.x) * PER;
  // Past the edge: nothing to store (a skinny product leaves most of the workgroup idle, not busy).
  if (row0 >= M || col0 >= N) { return; }
  var rowA: array<i32, PER>;
  var colB: array<i32, PER>;
  for (var i = 0; i < PER; i++) {
    rowA[i] = baseA + min(row0 + i, M - 1) * params[ao + 1];
    colB[i] = baseB + min(col0 + i, N - 1) * params[bo + 2];
  }
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var q = 0; q < K; q++) {
    let fa = vec4<f32>(a[rowA[0] + q * aK], a[rowA[1] + q * aK], a[rowA[2] + q * aK], a[rowA[3] + q * aK]);
    let fb = vec4<f32>(b[colB[0] + q * bK], b[colB[1] + q * bK], b[colB[2] + q * bK], b[colB[3] + q * bK]);
    acc0 += fa.x * fb;
    acc1 += fa.y * fb;
    acc2 += fa.z * fb;
    acc3 += fa.w * fb;
  }
  let acc = array<vec4<f32>, PER>(acc0, acc1, acc2, acc3);
  let base = i32(wid.z) * M * N;
  for (var i = 0; i < PER; i++) {
    for (var j = 0; j < PER; j++) {
      if (row0 + i < M && col0 + j < N) { out[base + (row0 + i) * N + col0 + j] = acc[i][j]; }
    }
  }
}
`;
