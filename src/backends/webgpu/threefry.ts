/**
 * Threefry-2x32 on the GPU — the contract of `Backend.threefry2x32` with GPU buffers: one
 * invocation per counter pair, the 20 rounds unrolled in u32 arithmetic (wrapping adds, rotations,
 * xors: exact in WGSL as in JS), so the words are bit-identical to the reference kernel's
 * (cpu/kernels/threefry.ts). Key and counter are int32 views broadcast over the leading axes:
 *
 *   params = [pairs, rank, lead shape[rank], then per operand: offset, lead strides[rank], last-axis stride]
 */
import { broadcastStrides } from "../cpu/kernels/strided.js";
import { sizeOf, type Shape } from "../shape.js";
import type { GPUBuffers, GPUData } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { WORKGROUP_SIZE } from "./shader.js";

const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24];
/** The Skein key-schedule parity constant. */
const PARITY = 0x1bd11bda;

/** The unrolled block: five groups of four rounds, a key injection after each group (as the reference). */
function rounds(): string {
  const lines: string[] = [];
  for (let group = 0; group < 5; group++) {
    for (let r = 0; r < 4; r++) lines.push(`  x0 += x1; x1 = rotl(x1, ${ROTATIONS[(group % 2) * 4 + r]}u) ^ x0;`);
    lines.push(`  x0 += ks${(group + 1) % 3}; x1 += ks${(group + 2) % 3} + ${group + 1}u;`);
  }
  return lines.join("\n");
}

function threefryShader(rank: number): string {
  const key = 2 + rank;
  const counter = key + rank + 2;
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<storage, read> keys: array<i32>;
@group(0) @binding(3) var<storage, read> counters: array<i32>;

fn rotl(x: u32, r: u32) -> u32 { return (x << r) | (x >> (32u - r)); }

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let p = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  if (p >= params[0]) { return; }
  var ok = params[${key}];
  var oc = params[${counter}];
  var rem = p;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let size = params[2 + d];
    let c = rem % size;
    rem = rem / size;
    ok += c * params[${key + 1} + d];
    oc += c * params[${counter + 1} + d];
  }
  let ks0 = bitcast<u32>(keys[ok]);
  let ks1 = bitcast<u32>(keys[ok + params[${key + 1 + rank}]]);
  let ks2 = ks0 ^ ks1 ^ ${PARITY}u;
  var x0 = bitcast<u32>(counters[oc]) + ks0;
  var x1 = bitcast<u32>(counters[oc + params[${counter + 1 + rank}]]) + ks1;
${rounds()}
  out[2 * p] = bitcast<i32>(x0);
  out[2 * p + 1] = bitcast<i32>(x1);
}
`;
}

export class GPUThreefry {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  /** Threefry-2x32 of each counter pair under each key pair, broadcast to `shape` ([..., 2]). */
  threefry2x32(key: GPUView, counter: GPUView, shape: Shape): GPUData {
    const op = "threefry2x32";
    const out = this.buffers.allocate("int32", sizeOf(shape), op);
    const lead = shape.slice(0, -1);
    const pairs = sizeOf(lead);
    if (pairs === 0) return out;
    const operand = (v: GPUView) => {
      const strides = broadcastStrides(v.shape, v.strides, shape);
      return [v.offset, ...strides.slice(0, -1), strides[strides.length - 1]];
    };
    const params = new Int32Array([pairs, lead.length, ...lead, ...operand(key), ...operand(counter)]);
    const pipeline = this.dispatcher.pipeline(`${op}|${lead.length}`, () => threefryShader(lead.length));
    this.dispatcher.run(op, pipeline, params, [out.buffer, key.storage.buffer, counter.storage.buffer], Math.ceil(pairs / WORKGROUP_SIZE));
    return out;
  }
}
