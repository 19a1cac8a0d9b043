/**
 * The tiled matmul in WGSL: one 16 × 16 workgroup per 16 × 16 output tile, stepping along k one tile
 * at a time through workgroup memory (each operand element is read from the buffer once per tile,
 * not once per output), accumulating in f32. Operands are read through their strides, so a
 * transposed operand needs no copy; the batch index is the workgroup's z, its offsets per operand
 * walked from the batch shape (a broadcast batch axis has stride 0). Layout of `params`, R = batch rank:
 *
 *   [M, N, K, R, batch[R], aOffset, aStrideM, aStrideK, aBatch[R], bOffset, bStrideK, bStrideN, bBatch[R]]
 */
export const MATMUL_TILE = 16;

export const MATMUL_SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

const TILE = ${MATMUL_TILE};
var<workgroup> tileA: array<array<f32, ${MATMUL_TILE}>, ${MATMUL_TILE}>;
var<workgroup> tileB: array<array<f32, ${MATMUL_TILE}>, ${MATMUL_TILE}>;

@compute @workgroup_size(${MATMUL_TILE}, ${MATMUL_TILE})
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
  let aM = params[ao + 1];
  let aK = params[ao + 2];
  let bK = params[bo + 1];
  let bN = params[bo + 2];
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let row = i32(wid.y) * TILE + ty;
  let col = i32(wid.x) * TILE + tx;
  var acc = 0.0;
  for (var t = 0; t < K; t += TILE) {
    var va = 0.0;
    if (row < M && t + tx < K) { va = a[baseA + row * aM + (t + tx) * aK]; }
    tileA[ty][tx] = va;
    var vb = 0.0;
    if (t + ty < K && col < N) { vb = b[baseB + (t + ty) * bK + col * bN]; }
    tileB[ty][tx] = vb;
    workgroupBarrier();
    for (var q = 0; q < TILE; q++) {
      acc += tileA[ty][q] * tileB[q][tx];
    }
    workgroupBarrier();
  }
  if (row < M && col < N) {
    out[i32(wid.z) * M * N + row * N + col] = acc;
  }
}
`;
