/**
 * The expression table: every elementwise scalar op a primitive runs, by name, with its reference
 * function on plain numbers. This is the op set a backend's elementwise kernels (`Backend.unary`,
 * `binary`, `where`) must cover, and the one a GPU code generator and the jit's fusing code
 * generator must emit: a primitive names its op from here and never hands a backend a JS function.
 *
 * The reference functions are the scalar table's (`scalar/elementary.ts`) where it has the function,
 * so the tensor kernels, Dual and the tape compute the same bits — except the four arithmetic
 * operators, which are this table's own literals (the same IEEE operation, so the same bits): V8
 * keeps one type-feedback record per function object, and the scalar table's shared `(a, b) => a * b`
 * stopped being inlined into the specialised kernel loops once other code had run (the cpu backend's
 * chain benchmark took 2× as long after an MLP step had run on wasm). The output is stored in the dtype
 * the primitive asks for, by the typed array's own conversion: float32 rounds, int32 wraps (ToInt32),
 * bool is written 0/1 by the functions that produce it.
 */
import { binaryRules, unaryRules } from "../scalar/elementary.js";
import { erf } from "../scalar/special.js";

type Unary = (x: number) => number;
type Binary = (a: number, b: number) => number;

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * ⌊a / b⌋ as PyTorch's floor_divide computes it: from the remainder, so that the quotient of two
 * floats is the one floor would give in exact arithmetic (7.5 // 2.5 is 3, not 2 from a rounded
 * 2.9999…); a / b where b is 0. On int32 the same doubles are exact, and a / 0 (±∞, NaN) stores as 0.
 */
function floorDivide(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let q = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) q -= 1;
  if (q === 0) return 0 * (a / b);
  const f = Math.floor(q);
  return q - f > 0.5 ? f + 1 : f;
}

/** x rounded to the nearest integer, ties to even (PyTorch's and NumPy's round); ±0, ±∞ and NaN kept. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * a − b·floor(a / b), with the sign of b (PyTorch's remainder, Python's %), from the exact fmod: a
 * zero result takes b's sign; NaN where b is 0. On int32 the same doubles are exact.
 */
function remainder(a: number, b: number): number {
  const r = a % b;
  if (r !== 0 && b < 0 !== r < 0) return r + b;
  return r === 0 ? (b < 0 ? -0 : 0) : r;
}

/** log(eᵃ + eᵇ) without overflow: max + log1p(e^(−|a − b|)); equal infinities give that infinity. */
function logaddexp(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity || m === Infinity) return m;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * y = f(x). `convert` is the identity whose store converts to the output dtype (a cast between
 * numeric dtypes); `toBool` is a cast to bool ("≠ 0", so NaN is true as in NumPy).
 */
export const UNARY_EXPRESSIONS = {
  neg: unaryRules.neg.primal,
  abs: unaryRules.abs.primal,
  sign: unaryRules.sign.primal,
  // NaN stays NaN.
  relu: (x) => (x > 0 ? x : x <= 0 ? 0 : x),
  sqrt: unaryRules.sqrt.primal,
  rsqrt: (x) => 1 / Math.sqrt(x),
  exp: unaryRules.exp.primal,
  log: unaryRules.log.primal,
  sin: unaryRules.sin.primal,
  cos: unaryRules.cos.primal,
  tanh: unaryRules.tanh.primal,
  sigmoid: unaryRules.sigmoid.primal,
  softplus: unaryRules.softplus.primal,
  erf: unaryRules.erf.primal,
  cbrt: unaryRules.cbrt.primal,
  expm1: unaryRules.expm1.primal,
  log1p: unaryRules.log1p.primal,
  log2: unaryRules.log2.primal,
  log10: Math.log10,
  tan: unaryRules.tan.primal,
  asin: unaryRules.asin.primal,
  acos: unaryRules.acos.primal,
  atan: unaryRules.atan.primal,
  sinh: unaryRules.sinh.primal,
  cosh: unaryRules.cosh.primal,
  asinh: unaryRules.asinh.primal,
  acosh: unaryRules.acosh.primal,
  atanh: unaryRules.atanh.primal,
  floor: Math.floor,
  ceil: Math.ceil,
  trunc: Math.trunc,
  round: roundHalfEven,
  // x Φ(x), Φ the standard normal CDF.
  gelu: (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
  // ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
  geluTanh: (x) => 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_C * x * x * x))),
  convert: (x) => x,
  toBool: (x) => (x !== 0 ? 1 : 0),
} satisfies Record<string, Unary>;

/**
 * z = f(a, b). The comparisons give 0/1 for a bool output; NaN compares false except under `ne`, as
 * in IEEE 754. `reluGrad(g, x)`: g where x > 0, else 0 — relu's backward in one pass.
 * `mulSafe(g, d)`, `divSafe(g, d)`: g·d and g/d, but 0 where g is 0 even if d is ±∞, 0 or NaN — a
 * zero (co)tangent against a local derivative that may be infinite.
 */
export const BINARY_EXPRESSIONS = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  floorDiv: floorDivide,
  pow: binaryRules.pow.primal,
  atan2: binaryRules.atan2.primal,
  hypot: binaryRules.hypot.primal,
  logaddexp,
  // C's fmod (JS %): the sign of a, NaN where b is 0.
  fmod: (a, b) => a % b,
  remainder,
  // Math.max/min propagate NaN, as NumPy's maximum/minimum do.
  maximum: binaryRules.max.primal,
  minimum: binaryRules.min.primal,
  reluGrad: (g, x) => (x > 0 ? g : 0),
  mulSafe: (g, d) => (g === 0 ? 0 : g * d),
  divSafe: (g, d) => (g === 0 ? 0 : g / d),
  eq: (x, y) => (x === y ? 1 : 0),
  ne: (x, y) => (x !== y ? 1 : 0),
  lt: (x, y) => (x < y ? 1 : 0),
  le: (x, y) => (x <= y ? 1 : 0),
  gt: (x, y) => (x > y ? 1 : 0),
  ge: (x, y) => (x >= y ? 1 : 0),
} satisfies Record<string, Binary>;

/** The ternary op: cond ? a : b, cond read as "≠ 0". */
/**
 * Where an op's int32 result is not the double result wrapped: a product can pass 2⁵³, where the
 * double rounds before the store wraps, so int32 `mul` multiplies modulo 2³² as PyTorch does
 * (Math.imul). Every backend's int32 kernels follow this table.
 */
export const INT32_BINARY_EXPRESSIONS: Partial<Record<keyof typeof BINARY_EXPRESSIONS, Binary>> = {
  mul: Math.imul,
};

export const WHERE_EXPRESSION = (cond: number, a: number, b: number): number => (cond !== 0 ? a : b);

export type UnaryOp = keyof typeof UNARY_EXPRESSIONS;
export type BinaryOp = keyof typeof BINARY_EXPRESSIONS;
