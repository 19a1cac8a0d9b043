/**
 * The expression table (expressions.ts) in WGSL: one body per op, in f32 and, where the op is exact
 * on integers, in i32. The tables are typed against the expression table, so an op added there
 * without a body here is a compile error (and test/webgpu/wgsl.test.ts walks them at run time).
 *
 * The reference computes in float64 and rounds once to the output dtype; WGSL computes in f32. The
 * bodies therefore spell out the IEEE edge cases the JS functions have and GPU builtins leave
 * undefined (NaN through max/min/sign, log and sqrt of negatives, ±0, ±∞), with NaN tested on the
 * bits (`is_nan`) so a compiler that assumes finite math cannot drop the test. The transcendental
 * bodies carry f32 error (docs/devices-and-backends.md gives the tolerance).
 */
import type { BinaryOp, UnaryOp } from "../expressions.js";

/** A WGSL expression of `x` (unary) or `a`, `b` (binary), in the compute type. */
export interface OpBody {
  readonly f32: string;
  /** The i32 body, for ops that are exact on integers; others compute in f32 and convert. */
  readonly i32?: string;
}

// Comparisons give 1/0 in the compute type; the store converts them to the output dtype.
const f32Test = (cond: string) => `select(0.0, 1.0, ${cond})`;
const i32Test = (cond: string) => `select(0, 1, ${cond})`;
const ordered = (cond: string) => f32Test(`!is_nan(a) && !is_nan(b) && ${cond}`);

export const UNARY_WGSL: Readonly<Record<UnaryOp, OpBody>> = {
  neg: { f32: "-x", i32: "-x" },
  abs: { f32: "abs(x)", i32: "abs(x)" },
  // Math.sign keeps ±0 and NaN.
  sign: { f32: "select(sign(x), x, x == 0.0 || is_nan(x))", i32: "sign(x)" },
  // relu(-0) is +0; NaN stays NaN.
  relu: { f32: "select(select(x, 0.0, x <= 0.0), x, x > 0.0)", i32: "max(x, 0)" },
  sqrt: { f32: "select(select(sqrt(x), NAN, x < 0.0), x, x == 0.0 || is_nan(x))" },
  // 1/√±0 is ±∞.
  rsqrt: { f32: "select(select(1.0 / sqrt(x), NAN, x < 0.0), 1.0 / x, x == 0.0 || is_nan(x))" },
  exp: { f32: "select(exp(x), x, is_nan(x))" },
  log: { f32: "ad_log(x)" },
  sin: { f32: "select(sin(x), NAN, is_nan(x) || is_inf(x))" },
  cos: { f32: "select(cos(x), NAN, is_nan(x) || is_inf(x))" },
  tanh: { f32: "ad_tanh(x)" },
  sigmoid: { f32: "ad_sigmoid(x)" },
  softplus: { f32: "select(max(x, 0.0) + ad_log1p(exp(-abs(x))), x, is_nan(x))" },
  erf: { f32: "ad_erf(x)" },
  gelu: { f32: "0.5 * x * (1.0 + ad_erf(x * 0.70710678118654752))" },
  geluTanh: { f32: "0.5 * x * (1.0 + ad_tanh(0.79788456080286536 * (x + 0.044715 * x * x * x)))" },
  cbrt: { f32: "select(sign(x) * exp2(log2(abs(x)) / 3.0), x, x == 0.0 || is_nan(x) || is_inf(x))" },
  // eˣ − 1 cancels near 0: there x + x²/2 (the next term is within f32 rounding below 1e-3).
  expm1: { f32: "select(select(exp(x) - 1.0, x + 0.5 * x * x, abs(x) < 1e-3), x, is_nan(x))" },
  log1p: { f32: "select(select(ad_log1p(x), ad_log(1.0 + x), x <= -1.0 || is_inf(x)), x, is_nan(x))" },
  log2: { f32: "ad_log(x) * 1.4426950408889634" },
  log10: { f32: "ad_log(x) * 0.43429448190325176" },
  tan: { f32: "select(tan(x), NAN, is_nan(x) || is_inf(x))" },
  asin: { f32: "select(asin(x), NAN, is_nan(x) || abs(x) > 1.0)" },
  // acos from atan: builtins can be ~1e-4 off near 0.
  acos: { f32: "select(2.0 * atan(sqrt((1.0 - x) / (1.0 + x))), NAN, is_nan(x) || abs(x) > 1.0)" },
  atan: { f32: "select(atan(x), x, is_nan(x) || x == 0.0)" },
  sinh: { f32: "select(sinh(x), x, is_nan(x) || is_inf(x) || x == 0.0)" },
  cosh: { f32: "select(cosh(x), abs(x), is_nan(x) || is_inf(x))" },
  asinh: { f32: "ad_asinh(x)" },
  acosh: { f32: "select(select(acosh(x), NAN, x < 1.0), x, is_nan(x) || (is_inf(x) && x > 0.0))" },
  atanh: { f32: "select(select(atanh(x), x * INF, abs(x) == 1.0), NAN, is_nan(x) || abs(x) > 1.0)" },
  // WGSL's round is ties-to-even already; integers are their own rounding.
  floor: { f32: "floor(x)", i32: "x" },
  ceil: { f32: "ceil(x)", i32: "x" },
  trunc: { f32: "trunc(x)", i32: "x" },
  round: { f32: "round(x)", i32: "x" },
  convert: { f32: "x", i32: "x" },
  toBool: { f32: "select(0.0, 1.0, x != 0.0 || is_nan(x))", i32: "select(0, 1, x != 0)" },
};

export const BINARY_WGSL: Readonly<Record<BinaryOp, OpBody>> = {
  add: { f32: "a + b", i32: "a + b" },
  sub: { f32: "a - b", i32: "a - b" },
  mul: { f32: "a * b", i32: "a * b" },
  div: { f32: "a / b", i32: "select(a / b, 0, b == 0)" },
  floorDiv: { f32: "ad_floor_div(a, b)", i32: "ad_floor_div_i32(a, b)" },
  pow: { f32: "ad_pow(a, b)" },
  atan2: { f32: "ad_atan2(a, b)" },
  hypot: { f32: "ad_hypot(a, b)" },
  // NaN through a + b (max drops it); equal infinities give that infinity.
  logaddexp: { f32: "select(select(max(a, b) + ad_log1p(exp(-abs(a - b))), max(a, b), is_inf(a) || is_inf(b)), a + b, is_nan(a) || is_nan(b))" },
  // fmod's a − trunc(a / b)·b, as WGSL's % on f32; on i32 a zero divisor gives 0 (as the reference's NaN stored).
  fmod: { f32: "select(a % b, NAN, b == 0.0 || is_inf(a) || is_nan(a) || is_nan(b))", i32: "select(a % b, 0, b == 0)" },
  remainder: { f32: "ad_remainder(a, b)", i32: "ad_remainder_i32(a, b)" },
  // NaN propagates; of ±0, max gives +0 and min gives −0 (as Math.max/min): the sign bits AND / OR.
  maximum: { f32: "select(select(max(a, b), bitcast<f32>(bitcast<u32>(a) & bitcast<u32>(b)), a == b), a + b, is_nan(a) || is_nan(b))", i32: "max(a, b)" },
  minimum: { f32: "select(select(min(a, b), bitcast<f32>(bitcast<u32>(a) | bitcast<u32>(b)), a == b), a + b, is_nan(a) || is_nan(b))", i32: "min(a, b)" },
  reluGrad: { f32: "select(0.0, a, b > 0.0)", i32: "select(0, a, b > 0)" },
  mulSafe: { f32: "select(a * b, 0.0, a == 0.0)", i32: "a * b" },
  divSafe: { f32: "select(a / b, 0.0, a == 0.0)", i32: "select(a / b, 0, b == 0)" },
  eq: { f32: ordered("a == b"), i32: i32Test("a == b") },
  ne: { f32: f32Test("a != b || is_nan(a) || is_nan(b)"), i32: i32Test("a != b") },
  lt: { f32: ordered("a < b"), i32: i32Test("a < b") },
  le: { f32: ordered("a <= b"), i32: i32Test("a <= b") },
  gt: { f32: ordered("a > b"), i32: i32Test("a > b") },
  ge: { f32: ordered("a >= b"), i32: i32Test("a >= b") },
};

/**
 * The helpers the bodies call. NAN and INF are private variables the kernel sets from a run-time
 * zero, because WGSL refuses a NaN or ∞ constant expression.
 */
export const WGSL_HELPERS = /* wgsl */ `
var<private> NAN: f32;
var<private> INF: f32;

fn is_nan(x: f32) -> bool {
  let u = bitcast<u32>(x);
  return (u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu) != 0u;
}

fn is_inf(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

fn ad_log(x: f32) -> f32 {
  if (is_nan(x) || x < 0.0) { return NAN; }
  if (x == 0.0) { return -INF; }
  if (is_inf(x)) { return INF; }
  return log(x);
}

// log(1 + t) without losing t where 1 + t rounds to 1 (Goldberg's correction).
fn ad_log1p(t: f32) -> f32 {
  let u = 1.0 + t;
  if (u == 1.0) { return t; }
  return log(u) * t / (u - 1.0);
}

// tanh from e^(−2|x|) (never ∞/∞), with its series near 0 where 1 − e^(−2|x|) would cancel.
fn ad_tanh(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let z = abs(x);
  if (z < 0.0625) {
    let z2 = x * x;
    return x * (1.0 - z2 * (0.33333333333 - z2 * 0.13333333333));
  }
  let t = exp(-2.0 * z);
  return select(1.0, -1.0, x < 0.0) * (1.0 - t) / (1.0 + t);
}

// As scalar/elementary.ts: 1/(1 + e^−x) for x ≥ 0, e^x/(1 + e^x) below (no ∞ in between).
fn ad_sigmoid(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

// erf: its Maclaurin series below 0.5, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7) above.
fn ad_erf(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let z = abs(x);
  if (z < 0.5) {
    let z2 = x * x;
    return 1.1283791670955126 * x * (1.0 - z2 * (1.0 / 3.0 - z2 * (0.1 - z2 * (1.0 / 42.0 - z2 * (1.0 / 216.0 - z2 / 1320.0)))));
  }
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return select(1.0, -1.0, x < 0.0) * (1.0 - p * exp(-z * z));
}

// ⌊a / b⌋ as expressions.ts floorDivide: a / b where b is 0, NaN for ±∞ / b, a zero with the sign of
// a / b. floor(f32 a / b) less one where the remainder says the division rounded up; without an exact
// remainder (WGSL has no exact fmod, and fma may be unfused) it can be one off for non-integers.
fn ad_floor_div(a: f32, b: f32) -> f32 {
  if (b == 0.0 || is_nan(a) || is_nan(b)) { return a / b; }
  if (is_inf(a)) { return NAN; }
  var q: f32;
  if (is_inf(b)) {
    q = select(0.0, -1.0, a != 0.0 && ((a < 0.0) != (b < 0.0)));
  } else {
    q = floor(a / b);
    let r = fma(-q, b, a);
    if (r != 0.0 && ((r < 0.0) != (b < 0.0)) && abs(r) < abs(b)) { q = q - 1.0; }
  }
  if (q == 0.0) { return bitcast<f32>(bitcast<u32>(a / b) & 0x80000000u); }
  return q;
}

fn ad_floor_div_i32(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) { return q - 1; }
  return q;
}

// asinh from log1p (precise near 0) and log(2|x|) past 2¹² (no overflow of x²), the sign restored.
fn ad_asinh(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x) || x == 0.0) { return x; }
  let z = abs(x);
  var r: f32;
  if (z > 4096.0) { r = log(z) + 0.69314718055994531; }
  else { r = ad_log1p(z + z * z / (1.0 + sqrt(1.0 + z * z))); }
  return select(r, -r, x < 0.0);
}

// atan2 with the signed zeros of Math.atan2: atan2(±0, b) is ±0 for b > 0 or +0, ±π for b < 0 or −0.
fn ad_atan2(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return NAN; }
  if (a == 0.0) {
    let r = select(0.0, 3.14159265358979, (bitcast<u32>(b) & 0x80000000u) != 0u);
    return bitcast<f32>(bitcast<u32>(r) | (bitcast<u32>(a) & 0x80000000u));
  }
  return atan2(a, b);
}

// √(a² + b²) scaled by the larger magnitude (no overflow or underflow in the squares); ∞ beats NaN.
fn ad_hypot(a: f32, b: f32) -> f32 {
  if (is_inf(a) || is_inf(b)) { return INF; }
  if (is_nan(a) || is_nan(b)) { return NAN; }
  let m = max(abs(a), abs(b));
  if (m == 0.0) { return 0.0; }
  let r = min(abs(a), abs(b)) / m;
  return m * sqrt(1.0 + r * r);
}

// fmod moved to b's side where the signs differ, as expressions.ts remainder.
fn ad_remainder(a: f32, b: f32) -> f32 {
  if (b == 0.0 || is_inf(a) || is_nan(a) || is_nan(b)) { return NAN; }
  if (is_inf(b)) { return select(a, b, a != 0.0 && ((a < 0.0) != (b < 0.0))); }
  let r = a % b;
  if (r != 0.0 && ((r < 0.0) != (b < 0.0))) { return r + b; }
  return r;
}

fn ad_remainder_i32(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) { return r + b; }
  return r;
}

fn is_odd_integer(y: f32) -> bool {
  return y == trunc(y) && abs(y) < 16777216.0 && (i32(y) & 1) == 1;
}

// Math.pow: |a|^b from exp2/log2 with the sign and the special cases of ECMAScript spelt out.
fn ad_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return NAN; }
  if (abs(a) == 1.0 && is_inf(b)) { return NAN; }
  if (a < 0.0 && !is_inf(a) && !is_inf(b) && b != trunc(b)) { return NAN; }
  let z = abs(a);
  var m: f32;
  if (z == 0.0) { m = select(0.0, INF, b < 0.0); }
  else if (is_inf(z)) { m = select(INF, 0.0, b < 0.0); }
  else if (z == 1.0) { m = 1.0; }
  else { m = exp2(b * log2(z)); }
  let negative = (a < 0.0 || bitcast<u32>(a) == 0x80000000u) && is_odd_integer(b);
  return select(m, -m, negative);
}

// ToInt32 of an f32: NaN and ±∞ are 0, the rest truncated and wrapped mod 2³² (f32 i32() saturates).
fn ad_to_i32(x: f32) -> i32 {
  if (is_nan(x) || is_inf(x)) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  let r = t - floor(t / 4294967296.0) * 4294967296.0;
  return bitcast<i32>(u32(r));
}
`;
