/**
 * The Gaussian functions on f64x2 lanes (see ./math.ts for the conventions): erf, GELU and its
 * tanh approximation, for float32 data. erfc of a = |w| is built in pieces — a·A(a²) below 1, and
 * e^(−a²)·erfcx(a) above, erfcx (the scaled complement, smooth and slowly varying) fitted on [1, 4]
 * and, for GELU's left tail, on [4, 10.5] in 1/a — so that GELU's x·erfc(−x/√2)/2 keeps its relative
 * accuracy where erfc is tiny (the reference's 1 + erf loses it there: beyond x ≈ −5 it is off by
 * many ulps, and 0 below −8.5, while GELU is ~1e−17 there).
 */
import { Body, Val } from "./encoder.js";
import { exp, poly, save } from "./math.js";

const F64 = Val.f64;

/** erf(√u)/√u on u ∈ [0, 1], degree 8, error 8e-13. */
const ERF_A = [
  1.1283791670946768, -0.3761263888963531, 0.11283791308604582, -0.026866133235095593, 0.005223783477189248, -0.0008542637997087229, 0.0001195656256820733, -1.3909340021874599e-5,
  1.058938064107502e-6,
];
/** erfcx(2.5 + y) = e^((2.5+y)²)·erfc(2.5 + y) on y ∈ [−1.5, 1.5], degree 15, error 9e-12 (values ≥ 0.137). */
const ERFCX_B = [
  0.21080636405480982, -0.07434734678840071, 0.024937997446676106, -0.008001569461338103, 0.0024670334698683985, -0.0007335902006590002, 0.00021103162205084189,
  -5.887156226719925e-5, 1.5941538167332115e-5, -4.2098212046308085e-6, 1.1040478805469586e-6, -2.7710214961322144e-7, 5.7642813378057974e-8, -1.4073515129786613e-8,
  6.205157748064555e-9, -1.4122582837329034e-9,
];
/** erfcx(1/t)/t on t ∈ [1/10.5, 1/4], degree 7, error 1.7e-11 (values ≈ 0.55). */
const ERFCX_C = [
  0.5641903961719477, -4.131669012543364e-5, -0.2812013518994463, -0.010633493180030675, 0.49772061714333565, -0.296977267784629, -0.5606147909578235, 0.6825720101783328,
];
/** erfc(a) < 1e−49 beyond: GELU's x·erfc/2 has underflowed float32 (and erf is ±1 from a = 4). */
const ERFC_ZERO = 10.5;

/** Pushes erf(a) = a·A(a²), accurate for a < 1. */
function erfSmall(f: Body, a: number): void {
  f.get(a).get(a).vMul(F64);
  const u = save(f);
  f.get(a);
  poly(f, u, ERF_A);
  f.vMul(F64);
}

/** Pushes erfc(a) = e^(−a²)·erfcx(a), accurate for 1 ≤ a < 4, and with `tail` up to ERFC_ZERO. */
function erfcLarge(f: Body, a: number, tail: boolean): void {
  f.get(a).get(a).vMul(F64).vNeg(F64);
  const y = save(f);
  exp(f, y);
  f.get(a).vConst(F64, 2.5).vSub(F64);
  const b = save(f);
  poly(f, b, ERFCX_B);
  if (tail) {
    const mid = save(f);
    f.vConst(F64, 1).get(a).vDiv(F64);
    const t = save(f);
    poly(f, t, ERFCX_C);
    f.get(t).vMul(F64).get(mid).get(a).vConst(F64, 4).vCmp(F64, "ge").bitselect();
  }
  f.vMul(F64);
}

/** erf x = sign(x)·(a·A(a²) below 1, 1 − erfc(a) below 4, 1 beyond), a = |x|; NaN stays NaN. */
export function erf(f: Body, x: number): void {
  f.get(x).vAbs(F64);
  const a = save(f);
  erfSmall(f, a);
  f.vConst(F64, 1);
  erfcLarge(f, a, false);
  f.vSub(F64).get(a).vConst(F64, 1).vCmp(F64, "lt").bitselect();
  const r = save(f);
  f.vConst(F64, 1).get(r).get(a).vConst(F64, 4).vCmp(F64, "ge").bitselect();
  // Negative for x < 0 only: the reference's erf(−0) is +0.
  f.get(x).vConst(F64, 0).vCmp(F64, "lt").i64x2Const(-0x8000000000000000n).and().or();
}

/** GELU x·Φ(x) = x·erfc(w)/2, w = −x/√2: erfc(w) = E(|w|) for x ≤ 0 and 2 − E(|w|) for x > 0. */
export function gelu(f: Body, x: number): void {
  f.get(x).vAbs(F64).vConst(F64, Math.SQRT1_2).vMul(F64);
  const a = save(f);
  f.vConst(F64, 1);
  erfSmall(f, a);
  f.vSub(F64);
  erfcLarge(f, a, true);
  f.get(a).vConst(F64, 1).vCmp(F64, "lt").bitselect();
  const e = save(f);
  f.vConst(F64, 0).get(e).get(a).vConst(F64, ERFC_ZERO).vCmp(F64, "gt").bitselect().set(e);
  f.vConst(F64, 2).get(e).vSub(F64).get(e).get(x).vConst(F64, 0).vCmp(F64, "gt").bitselect();
  f.get(x).vMul(F64).vConst(F64, 0.5).vMul(F64);
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³), as x/(1 + e^(−2u)): the same function without the
 * cancellation of 1 + tanh u for x ≪ 0. At −∞ it is NaN (−∞·0), as the reference's formula gives.
 */
export function geluTanh(f: Body, x: number): void {
  f.get(x)
    .get(x)
    .get(x)
    .vMul(F64)
    .vMul(F64)
    .vConst(F64, GELU_C)
    .vMul(F64)
    .get(x)
    .vAdd(F64)
    .vConst(F64, -2 * GELU_K)
    .vMul(F64);
  const y = save(f);
  f.get(x);
  exp(f, y);
  f.vConst(F64, 1).vAdd(F64).vDiv(F64);
  const r = save(f);
  f.vConst(F64, NaN).get(r).get(x).vConst(F64, -Infinity).vCmp(F64, "eq").bitselect();
}
