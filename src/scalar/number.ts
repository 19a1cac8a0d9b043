/**
 * `numberScalar`: the numeric interface over plain numbers, with no overhead beyond a method call.
 * Generic code run through it computes plain values; it is also the reference that every derivative
 * domain is checked against.
 */
import { binaryRules, unaryRules } from "./elementary.js";
import type { Scalar } from "./scalar.js";

export const numberScalar: Scalar<number> = {
  name: "number",
  from: (n) => n,
  value: (t) => t,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  atan2: Math.atan2,
  min: Math.min,
  max: Math.max,
  hypot: binaryRules.hypot.primal,
  neg: (a) => -a,
  sqrt: Math.sqrt,
  cbrt: Math.cbrt,
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log1p: Math.log1p,
  log2: Math.log2,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  sigmoid: unaryRules.sigmoid.primal,
  softplus: unaryRules.softplus.primal,
  abs: Math.abs,
  sign: Math.sign,
  erf: unaryRules.erf.primal,
};
