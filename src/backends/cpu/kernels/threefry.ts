/**
 * Threefry-2x32 with 20 rounds (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3";
 * the function JAX's `threefry2x32` computes): a keyed bijection on pairs of uint32 words, the
 * counter-based generator under `random`. Words are uint32 held in int32 storage (same bits); the
 * arithmetic is 32-bit adds (`| 0`), rotations and xors, exact in every engine: every device gets the same bits.
 */
import { hostStorage } from "../../buffer.js";
import { allocate, type Storage } from "../../dtype.js";
import { sizeOf, type Shape } from "../../shape.js";
import type { View } from "../../view.js";
import { broadcastStrides } from "./strided.js";

const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24];
/** The Skein key-schedule parity constant. */
const PARITY = 0x1bd11bda;

/**
 * Threefry-2x32 of each counter pair under each key pair: `key` and `counter` are int32 views whose
 * last axis has length 2, broadcast (over their leading axes) to `shape` (whose last axis is 2 too).
 */
export function threefry2x32(key: View, counter: View, shape: Shape): Storage {
  const out = allocate("int32", sizeOf(shape));
  const ks = broadcastStrides(key.shape, key.strides, shape);
  const cs = broadcastStrides(counter.shape, counter.strides, shape);
  const lead = shape.slice(0, -1);
  const index = new Array<number>(lead.length).fill(0);
  const [k, c] = [hostStorage(key, "threefry2x32"), hostStorage(counter, "threefry2x32")];
  const kLast = ks[ks.length - 1];
  const cLast = cs[cs.length - 1];
  for (let p = 0, pairs = sizeOf(lead); p < pairs; p++) {
    let ok = key.offset;
    let oc = counter.offset;
    for (let a = 0; a < lead.length; a++) {
      ok += index[a] * ks[a];
      oc += index[a] * cs[a];
    }
    block(k[ok], k[ok + kLast], c[oc], c[oc + cLast], out, 2 * p);
    for (let a = lead.length - 1; a >= 0 && ++index[a] === lead[a]; a--) index[a] = 0;
  }
  return out;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** One block: five groups of four rounds, a key injection after each group. */
function block(k0: number, k1: number, c0: number, c1: number, out: Storage, at: number): void {
  const keys = [k0 | 0, k1 | 0, (k0 ^ k1 ^ PARITY) | 0];
  let x0 = (c0 + keys[0]) | 0;
  let x1 = (c1 + keys[1]) | 0;
  for (let group = 0; group < 5; group++) {
    for (let r = 0; r < 4; r++) {
      x0 = (x0 + x1) | 0;
      x1 = rotl(x1, ROTATIONS[(group % 2) * 4 + r]) ^ x0;
    }
    x0 = (x0 + keys[(group + 1) % 3]) | 0;
    x1 = (x1 + keys[(group + 2) % 3] + group + 1) | 0;
  }
  out[at] = x0;
  out[at + 1] = x1;
}
