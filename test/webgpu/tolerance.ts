/**
 * How far a GPU result may be from the reference's (float64 rounded once to float32), per op: 0 means
 * bit-exact (±0 included). WGSL's f32 division and transcendentals are not correctly rounded, so
 * those ops get a relative and an absolute bound; docs/devices-and-backends.md states the same.
 */
const EXACT = new Set([
  "neg",
  "abs",
  "sign",
  "relu",
  "convert",
  "toBool",
  "add",
  "sub",
  "mul",
  "maximum",
  "minimum",
  "reluGrad",
  "mulSafe",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "where",
]);

export function tolerance(op: string, inputs: readonly number[]): 0 | { rel: number; abs: number } {
  if (EXACT.has(op)) return 0;
  // A reduction folds in f32 in a tree order, the reference in float64 in its own: ±0 may differ,
  // a product's rounding too (these tests' sums are of dyadic values, exact in either).
  if (op === "reduce" || op === "reduce.prod") return { rel: 1e-6, abs: 0 };
  // Exact on integer-valued operands; else one off where the f32 quotient rounds across an integer.
  if (op === "floorDiv") return inputs.every((x) => Number.isInteger(x) && Math.abs(x) < 2 ** 24) ? 0 : { rel: 0, abs: 1 };
  // GPUs may flush subnormal results to zero: an absolute bound of the smallest normal f32.
  if (op === "div" || op === "divSafe" || op === "sqrt" || op === "rsqrt") return { rel: 2 ** -21, abs: 2 ** -126 };
  if (op === "sin" || op === "cos") return { rel: 0, abs: 2 ** -11 * Math.max(1, Math.abs(inputs[0]) / Math.PI) };
  // tan is sin/cos on GPUs: sin's and cos's error, magnified by tan's slope 1 + tan².
  if (op === "tan") return { rel: 0, abs: 2 ** -11 * Math.max(1, Math.abs(inputs[0]) / Math.PI) * (1 + Math.tan(inputs[0]) ** 2) };
  return { rel: 1e-5, abs: 1e-6 };
}
