/**
 * The float16 conversion (src/backends/float16.ts) against PyTorch's torch.float16 on a committed
 * table (test/golden/float16.py made float16.json): float32 edge values and random bit patterns
 * rounded to half, and half bit patterns widened back; then properties of our own.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { halfBits, halfValue, narrowToHalves, roundHalf, widenHalves } from "../../src/backends/float16.js";

interface Golden {
  float32Bits: number[];
  halfBits: number[];
  halfSample: number[];
  widenedBits: number[];
}
const golden = JSON.parse(readFileSync(new URL("../golden/float16.json", import.meta.url), "utf8")) as Golden;
const f32 = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];
const hex = (n: number) => `0x${n.toString(16)}`;

describe("float16 conversion against torch.float16", () => {
  it("rounds float32 values to the same half bits (ties to even, overflow, subnormals, ±0, ±∞, NaN)", () => {
    const wrong = golden.float32Bits.map((bits, i) => [f32(bits), halfBits(f32(bits)), golden.halfBits[i]]).filter(([, got, want]) => got !== want);
    expect(wrong.map(([x, got, want]) => `${x}: ${hex(got)}, want ${hex(want)}`)).toEqual([]);
    expect(golden.float32Bits.length).toBeGreaterThan(2000);
  });

  it("widens halves to the same float32 values", () => {
    const widened = widenHalves(Uint16Array.from(golden.halfSample));
    const want = new Float32Array(Uint32Array.from(golden.widenedBits).buffer);
    const wrong = golden.halfSample.filter((_, i) => !Object.is(widened[i], want[i]));
    expect(wrong.map(hex)).toEqual([]);
  });
});

describe("float16 conversion properties", () => {
  it("every half survives widening and rounding back (NaNs stay NaN)", () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const back = narrowToHalves(widenHalves(all), new Uint16Array(65536));
    const nan = (b: number) => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;
    const wrong = [...all].filter((b) => (nan(b) ? !nan(back[b]) : back[b] !== b));
    expect(wrong.map(hex)).toEqual([]);
  });

  it("rounds any number to a nearest half, ties to the even one", () => {
    fc.assert(
      fc.property(fc.double({ min: -70000, max: 70000, noNaN: true }), (x) => {
        const bits = halfBits(x);
        const r = halfValue(bits);
        if (Math.abs(x) >= 65520) return r === Math.sign(x) * Infinity;
        // The neighbours of r in the half grid are no closer to x.
        const step = (b: number) => halfValue(b);
        const magnitude = bits & 0x7fff;
        for (const n of [magnitude - 1, magnitude + 1]) {
          if (n < 0 || n > 0x7bff) continue;
          const neighbour = step(n | (bits & 0x8000));
          const [dr, dn] = [Math.abs(x - r), Math.abs(x - neighbour)];
          if (dn < dr || (dn === dr && (bits & 1) === 1)) return false;
        }
        return roundHalf(x) === r;
      }),
    );
  });
});
