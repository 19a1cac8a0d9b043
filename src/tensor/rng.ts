/**
 * `rng(seed)`: a seedable generator, an explicit object (no hidden global state). xoshiro128** on
 * 32-bit integers (fast in JS, passes BigCrush), seeded through splitmix32 so that nearby seeds give
 * unrelated streams. `normal()` uses Box–Muller and keeps the second value for the next call.
 */
import { describe, invalidArgument } from "../errors.js";

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare = NaN;

  constructor(seed: number) {
    expectSeed("Rng", seed);
    // splitmix32 over the seed's low and high halves fills the four state words.
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    const next = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 = s2 ^ s0;
    this.s3 = s3 ^ s1;
    this.s1 = s1 ^ this.s2;
    this.s0 = s0 ^ this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = NaN;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [low, high). */
  int(low: number, high: number): number {
    if (typeof low !== "number" || typeof high !== "number" || !Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low || high - low > 2 ** 32) {
      throw invalidArgument("Rng.int", `needs integers low < high with high − low ≤ 2³², got ${describe(low)} and ${describe(high)}`, { low: describe(low), high: describe(high) });
    }
    const span = high - low;
    // Rejection sampling keeps the distribution exactly uniform for spans that do not divide 2³².
    const limit = 2 ** 32 - (2 ** 32 % span);
    let r = this.nextUint32();
    while (r >= limit) r = this.nextUint32();
    return low + (r % span);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A new generator; the same seed always gives the same stream. */
export function rng(seed: number): Rng {
  return new Rng(expectSeed("rng", seed));
}

function expectSeed(op: string, seed: unknown): number {
  if (typeof seed !== "number" || !Number.isInteger(seed)) {
    throw invalidArgument(op, `seed must be an integer, got ${describe(seed)}`, { argument: "seed", got: describe(seed) });
  }
  return seed;
}
