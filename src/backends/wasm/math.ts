/**
 * Elementary functions on f64x2 lanes, emitted as WebAssembly: the float32 kernels promote their
 * inputs, evaluate here in double precision and round once to float32, as the reference does (it
 * calls `Math.f` in double). Each emitter reads the f64x2 in a local and leaves its result on the
 * stack. Range reduction brings the argument to a short interval, where a near-minimax polynomial
 * (Chebyshev fits made with mpmath `chebyfit`, error quoted per polynomial) is good to ~2e-11 —
 * far below float32's half ulp (3e-8), so the float32 results are within one ulp of `Math.f`
 * rounded, and equal to it but for rare near-ties (the tests hold every function to that over
 * dense sweeps). Special values are handled
 * by clamping and selects, not branches: NaN propagates, ±∞ and ±0 give the reference's values,
 * and results beyond float32's range round to ∞ or 0 in the final rounding.
 *
 * These are accurate for float32 only; float64 tensors use the reference kernels for them.
 */
import { Body, Val } from "./encoder.js";

const F64 = Val.f64;
const V128 = Val.v128;

/** Adding 1.5·2⁵² rounds a double below 2⁵¹ to an integer, which lands in its low mantissa bits. */
const SHIFTER = 6755399441055744;
const SIGN = -0x8000000000000000n;

/**
 * Pushes c₀ + c₁z + … + cₙzⁿ for the f64x2 in local z, by Estrin's scheme: (low half) + z^h·(high
 * half), recursively, so the dependency chain is ~2·log₂n operations instead of Horner's 2n (the
 * kernels are latency-bound on these chains).
 */
export function poly(f: Body, z: number, c: readonly number[]): void {
  const powers = [z];
  for (let h = 2; h < c.length; h *= 2) {
    const p = f.local(V128);
    const last = powers[powers.length - 1];
    f.get(last).get(last).vMul(F64).set(p);
    powers.push(p);
  }
  const emit = (from: number, count: number, level: number): void => {
    if (count === 1) {
      f.vConst(F64, c[from]);
      return;
    }
    while (1 << level >= count) level--;
    const half = 1 << level;
    emit(from, half, level - 1);
    emit(from + half, count - half, level);
    f.get(powers[level]).vMul(F64).vAdd(F64);
  };
  emit(0, c.length, powers.length - 1);
}

/** A new v128 local set from the top of the stack. */
export function save(f: Body): number {
  const l = f.local(V128);
  f.set(l);
  return l;
}

// ── exp ──────────────────────────────────────────────────────────────────────────────────────────

/**
 * x is clamped to ±708, where 2ⁿ is still a normal double: far past float32's range (0 below
 * e^−104, ∞ above e^89), and past what the formulas built on exp need (x/(1 + e^u) ≈ 0 for u ≫ 1).
 */
const EXP_MIN = -708;
const EXP_MAX = 708;
const LN2_HI = 0.6931471803691238; // 0x3fe62e42fee00000: n·LN2_HI is exact for |n| < 2¹¹
const LN2_LO = 1.9082149292705877e-10;
/** (eʳ − 1)/r on [−ln2/2, ln2/2], degree 7, error 5e-12. */
const EXPM1_P = [
  0.999999999995509, 0.4999999999995511, 0.16666666786308587, 0.04166666678626573, 0.008333283538708528, 0.0013888839110572009, 0.00019907569310848288, 2.4867870179687727e-5,
];

/**
 * e^x = 2ⁿ·(1 + q), n = round(x/ln2), q = e^r − 1 with r = x − n·ln2 ∈ [−ln2/2, ln2/2]. Returns the
 * locals holding 2ⁿ and q (q keeps its relative accuracy as r → 0, which expm1 needs).
 */
function expParts(f: Body, x: number): { scale: number; q: number } {
  const r = f.local(V128);
  f.get(x).vConst(F64, EXP_MIN).vPmax(F64).vConst(F64, EXP_MAX).vPmin(F64).set(r);
  f.get(r).vConst(F64, Math.LOG2E).vMul(F64).vConst(F64, SHIFTER).vAdd(F64);
  const t = save(f);
  f.get(t).vConst(F64, SHIFTER).vSub(F64);
  const n = save(f);
  f.get(r).get(n).vConst(F64, LN2_HI).vMul(F64).vSub(F64).get(n).vConst(F64, LN2_LO).vMul(F64).vSub(F64).set(r);
  poly(f, r, EXPM1_P);
  f.get(r).vMul(F64);
  const q = save(f);
  // 2ⁿ: n's low bits (two's complement) shifted into the exponent field, plus the bias.
  f.get(t)
    .i32(52)
    .i64x2Shl()
    .i64x2Const(1023n << 52n)
    .i64x2Add();
  return { scale: save(f), q };
}

export function exp(f: Body, x: number): void {
  const { scale, q } = expParts(f, x);
  f.get(q).vConst(F64, 1).vAdd(F64).get(scale).vMul(F64);
}

/** eˣ − 1 = 2ⁿ·q + (2ⁿ − 1), accurate relative to the result near 0. */
function expm1(f: Body, x: number): void {
  const { scale, q } = expParts(f, x);
  f.get(scale).get(q).vMul(F64).get(scale).vConst(F64, 1).vSub(F64).vAdd(F64);
}

// ── log ──────────────────────────────────────────────────────────────────────────────────────────

/** (2·atanh(s)/s − 2)/s² as a polynomial in z = s² ≤ ((√2−1)/(√2+1))², degree 3, error 1.2e-9 (2e-11 in log m). */
const LOG_R = [0.6666666655449709, 0.40000121839806124, 0.28550820815960665, 0.23330467216303835];

/**
 * log x = E·ln2 + log m, x = m·2ᴱ with m ∈ [√½, √2); log m = 2·atanh(s) = 2s + s·z·R(z), s = (m−1)/(m+1).
 * log 0 = −∞, log of a negative number NaN, log ∞ = ∞.
 */
export function log(f: Body, x: number): void {
  // E + 1023 as a double: the exponent field placed in the mantissa of 2⁵².
  f.get(x)
    .i32(52)
    .i64x2ShrU()
    .i64x2Const(0x4330000000000000n)
    .or()
    .vConst(F64, 2 ** 52 + 1023)
    .vSub(F64);
  const e = save(f);
  f.get(x).i64x2Const(0x000fffffffffffffn).and().i64x2Const(0x3ff0000000000000n).or();
  const m = save(f);
  f.get(m).vConst(F64, Math.SQRT2).vCmp(F64, "gt");
  const big = save(f);
  f.get(m).vConst(F64, 0.5).vMul(F64).get(m).get(big).bitselect().set(m);
  f.get(e).get(big).vConst(F64, 1).and().vAdd(F64).set(e);
  f.get(m).vConst(F64, 1).vSub(F64).get(m).vConst(F64, 1).vAdd(F64).vDiv(F64);
  const s = save(f);
  f.get(s).get(s).vMul(F64);
  const z = save(f);
  // E·ln2 + (2s + s·z·R(z))
  f.get(e).vConst(F64, Math.LN2).vMul(F64);
  f.get(s).vConst(F64, 2).vMul(F64).get(s).get(z).vMul(F64);
  poly(f, z, LOG_R);
  f.vMul(F64).vAdd(F64).vAdd(F64);
  const y = save(f);
  // Outside (0, ∞): −∞ at 0, NaN below, x itself for ∞ and NaN.
  f.vConst(F64, -Infinity).vConst(F64, NaN).get(x).get(x).vConst(F64, 0).vCmp(F64, "lt").bitselect();
  f.get(x).vConst(F64, 0).vCmp(F64, "eq").bitselect();
  const special = save(f);
  f.get(y).get(special).get(x).vConst(F64, 0).vCmp(F64, "gt").get(x).vConst(F64, Infinity).vCmp(F64, "lt").and().bitselect();
}

// ── sin, cos ─────────────────────────────────────────────────────────────────────────────────────

/** Arguments up to this size are reduced exactly enough (k·PIO2_1, k·PIO2_2 exact for k < 2²¹). */
export const TRIG_LIMIT = 2 ** 19;
const PIO2_1 = 1.5707963267341256; // π/2 = PIO2_1 + PIO2_2 + PIO2_3 to ~2⁻¹²³
const PIO2_2 = 6.077100506303966e-11;
const PIO2_3 = 2.0222662487959506e-21;
/** (sin √z − √z)/z^(3/2) on [0, (π/4)²], degree 3, error 3e-11 (2e-11 in sin r). */
const SIN_S = [-0.1666666666385529, 0.008333331874710208, -0.00019840086735384846, 2.724992580305979e-6];
/** (cos √z − 1 + z/2)/z² on [0, (π/4)²], degree 3, error 2.4e-12 (1e-12 in cos r). */
const COS_C = [0.0416666666643212, -0.001388888767201679, 2.480060037715673e-5, -2.730095920390147e-7];

/**
 * sin x (quadrant 0) or cos x = sin(x + π/2) (quadrant 1): r = x − k·π/2 ∈ [−π/4, π/4], then ±sin r
 * or ±cos r by (k + quadrant) mod 4. Exact reduction needs |x| ≤ TRIG_LIMIT; the caller checks.
 */
export function sinCos(f: Body, x: number, quadrant: 0 | 1): void {
  f.get(x)
    .vConst(F64, 2 / Math.PI)
    .vMul(F64)
    .vConst(F64, SHIFTER)
    .vAdd(F64);
  const t = save(f);
  f.get(t).vConst(F64, SHIFTER).vSub(F64);
  const k = save(f);
  f.get(x).get(k).vConst(F64, PIO2_1).vMul(F64).vSub(F64).get(k).vConst(F64, PIO2_2).vMul(F64).vSub(F64).get(k).vConst(F64, PIO2_3).vMul(F64).vSub(F64);
  const r = save(f);
  f.get(r).get(r).vMul(F64);
  const z = save(f);
  // sin r = r + r·z·S(z); cos r = 1 − z/2 + z²·C(z)
  f.get(r).get(r).get(z).vMul(F64);
  poly(f, z, SIN_S);
  f.vMul(F64).vAdd(F64);
  const s = save(f);
  f.vConst(F64, 1).get(z).vConst(F64, 0.5).vMul(F64).vSub(F64).get(z).get(z).vMul(F64);
  poly(f, z, COS_C);
  f.vMul(F64).vAdd(F64);
  const c = save(f);
  // Quadrant bits of k + quadrant as lane masks: bit 0 picks cos, bit 1 negates.
  f.get(t);
  if (quadrant === 1) f.i64x2Const(1n).i64x2Add();
  const q = save(f);
  f.get(c).get(s).get(q).i32(63).i64x2Shl().i32(63).i64x2ShrS().bitselect();
  f.get(q).i32(62).i64x2Shl().i64x2Const(SIGN).and().xor();
  if (quadrant === 0) {
    // sin(±0) = ±0, which the polynomial's sum would turn into +0.
    const y = save(f);
    f.get(x).get(y).get(x).vConst(F64, 0).vCmp(F64, "eq").bitselect();
  }
}

// ── functions built on exp and log ───────────────────────────────────────────────────────────────

/** Sets the sign bit of the result on the stack to that of the local x (for odd functions of |x|). */
function copySignOf(f: Body, x: number): void {
  f.get(x).i64x2Const(SIGN).and().or();
}

/** tanh x = sign(x)·e/(e + 2), e = expm1(2|x|); tanh(±20) is ±1 to double precision. */
export function tanh(f: Body, x: number): void {
  f.get(x).vAbs(F64).vConst(F64, 20).vPmin(F64).vConst(F64, 2).vMul(F64);
  const y = save(f);
  expm1(f, y);
  const e = save(f);
  f.get(e).get(e).vConst(F64, 2).vAdd(F64).vDiv(F64);
  copySignOf(f, x);
}

/** σ(x) = 1/(1 + e) for x ≥ 0, e/(1 + e) below, e = e^(−|x|): no overflow, tiny results kept. */
export function sigmoid(f: Body, x: number): void {
  f.get(x).vAbs(F64).vNeg(F64);
  const y = save(f);
  exp(f, y);
  const e = save(f);
  f.vConst(F64, 1).get(e).get(x).vConst(F64, 0).vCmp(F64, "ge").bitselect();
  f.get(e).vConst(F64, 1).vAdd(F64).vDiv(F64);
}

/** (2·atanh(s)/s − 2)/s² as a polynomial in z = s² ≤ 1/9, degree 5, error 1.8e-10 (1e-11 in log1p). */
const LOG1P_R = [0.6666666665002361, 0.4000001076994966, 0.2857030572188366, 0.22264711209001325, 0.17464702465440773, 0.20787616855746752];

/**
 * log(1 + eˣ) = max(x, 0) + log1p(e), e = e^(−|x|) ∈ (0, 1]: log1p(e) = 2·atanh(s) = 2s + s·z·R(z),
 * s = e/(2 + e) ≤ ⅓, z = s² — no cancellation, and log1p(e) → e for tiny e.
 */
export function softplus(f: Body, x: number): void {
  f.get(x).vAbs(F64).vNeg(F64);
  const y = save(f);
  exp(f, y);
  const e = save(f);
  f.get(e).get(e).vConst(F64, 2).vAdd(F64).vDiv(F64);
  const s = save(f);
  f.get(s).get(s).vMul(F64);
  const z = save(f);
  f.get(x).vConst(F64, 0).vPmax(F64);
  f.get(s).vConst(F64, 2).vMul(F64).get(s).get(z).vMul(F64);
  poly(f, z, LOG1P_R);
  f.vMul(F64).vAdd(F64).vAdd(F64);
}

/**
 * aᵇ = e^(b·log|a|), negated for a negative base (or −0) and an odd integer b, NaN for a finite
 * negative base and a non-integer b, 1 for b = ±0: `Math.pow`'s special values.
 */
export function pow(f: Body, a: number, b: number): void {
  f.get(a).vAbs(F64);
  const absA = save(f);
  log(f, absA);
  f.get(b).vMul(F64);
  const y = save(f);
  exp(f, y);
  const p = save(f);
  f.get(b).vNearest(F64).get(b).vCmp(F64, "eq");
  const integer = save(f);
  f.get(b).vConst(F64, 0.5).vMul(F64);
  const half = save(f);
  f.get(half).vNearest(F64).get(half).vCmp(F64, "ne").get(integer).and();
  const odd = save(f);
  f.get(p).get(a).i64x2Const(SIGN).and().get(odd).and().xor();
  const signed = save(f);
  f.vConst(F64, NaN).get(signed).get(a).vConst(F64, 0).vCmp(F64, "lt").get(a).vConst(F64, -Infinity).vCmp(F64, "gt").and().get(integer).andNot().bitselect();
  const r = save(f);
  f.vConst(F64, 1).get(r).get(b).vConst(F64, 0).vCmp(F64, "eq").bitselect();
}
