/**
 * IEEE 754 half precision (binary16) on the host, which has no Float16Array in Node 20: a float16
 * storage is a Uint16Array of the halves' bits. Rounding to half is round to nearest, ties to
 * even, from the number itself (one rounding: a double is not first rounded to float32); values past
 * the largest half (65504) round to ±∞ from 65520 on, below 2⁻¹⁴ to the subnormals (multiples of
 * 2⁻²⁴); NaN becomes the quiet NaN 0x7e00 and −0 keeps its sign. Reading a half back is exact in
 * float32 and in a number.
 */

/** 2²⁴: a subnormal half's bits count multiples of 2⁻²⁴. */
const SUBNORMAL_SCALE = 2 ** 24;
/** From here on a magnitude rounds to ∞ (halfway between 65504 and 2¹⁶; the tie goes to the even, ∞). */
const OVERFLOW = 65520;

/** v rounded to an integer, ties to even (v ≥ 0; v − floor(v) is exact at these magnitudes). */
function roundEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** The bits of the half nearest to x. */
export function halfBits(x: number): number {
  if (x !== x) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= OVERFLOW) return sign | 0x7c00;
  // A rounded subnormal of 1024 · 2⁻²⁴ is the smallest normal, whose bits are the same count.
  if (a < 2 ** -14) return sign | roundEven(a * SUBNORMAL_SCALE);
  let e = Math.floor(Math.log2(a));
  // log2 may be one off near a power of two.
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundEven(a * 2 ** (10 - e));
  if (m === 2048) [e, m] = [e + 1, 1024];
  return sign | ((e + 15) << 10) | (m - 1024);
}

let table: Float32Array | undefined;

/** The value of every half, by its bits (256 KB, made on first use). */
function values(): Float32Array {
  if (table !== undefined) return table;
  table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    const magnitude = exponent === 0 ? mantissa / SUBNORMAL_SCALE : exponent === 31 ? (mantissa === 0 ? Infinity : NaN) : (1024 + mantissa) * 2 ** (exponent - 25);
    table[bits] = bits & 0x8000 ? -magnitude : magnitude;
  }
  return table;
}

/** The value of the half with these bits. */
export function halfValue(bits: number): number {
  return values()[bits & 0xffff];
}

/** x rounded to the nearest half (as a number). */
export function roundHalf(x: number): number {
  return values()[halfBits(x)];
}

/** The values of halves' bits, widened into a new Float32Array (exact). */
export function widenHalves(bits: Uint16Array): Float32Array {
  const v = values();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = v[bits[i]];
  return out;
}

/** Each value rounded to half, its bits written into `out` (of the same length). */
export function narrowToHalves<T extends Uint16Array>(x: ArrayLike<number>, out: T): T {
  for (let i = 0; i < x.length; i++) out[i] = halfBits(x[i]);
  return out;
}
