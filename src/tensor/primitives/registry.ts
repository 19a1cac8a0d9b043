/**
 * Every primitive of the tensor engine, by name: the one list that says what the engine is made of.
 * A meta-test walks it (test/tensor/registry.test.ts): each entry with rules has its VJP checked
 * against finite differences and its JVP against its VJP, and the entries without rules are exactly
 * the ones listed as constant here. A primitive added to a family file and not here fails that test.
 * (`customVjp`/`customJvp`/`checkpoint` make primitives of their own at run time; those are the
 * user's and are not listed; the control-flow primitives, whose parameters are programs, are listed
 * in control/registry.ts.)
 */
import type { Primitive } from "../primitive.js";
import { addP, divP, divSafeP, floorDivP, mulP, mulSafeP, negP, subP } from "./arithmetic.js";
import { castP } from "./cast.js";
import { eqP, geP, gtP, leP, ltP, neP } from "./compare.js";
import { conv2dInputGradP, conv2dP, conv2dWeightGradP } from "./conv.js";
import { gatherP, oneHotP, scatterAddP } from "./gather.js";
import { concatP, padP } from "./join.js";
import { matmulP } from "./matmul.js";
import { maxPool2dGradP, maxPool2dP, maxPool2dSelectP } from "./pool.js";
import { argExtremeP, cumsumP, expandP, maxP, minP, prodOthersP, prodP, sumP, tieShareP } from "./reduce.js";
import { maximumP, minimumP, whereP } from "./select.js";
import { contiguousP, permuteP, reshapeP, sliceP, unsliceP } from "./shape.js";
import { stopGradientP } from "./stopGradient.js";
import { toP } from "./to.js";
import { triangularSolveP } from "./triangularSolve.js";
import { choleskyP } from "./cholesky.js";
import { luP } from "./lu.js";
import {
  absP,
  acoshP,
  acosP,
  asinhP,
  asinP,
  atanhP,
  atanP,
  cbrtP,
  coshP,
  cosP,
  erfP,
  expm1P,
  expP,
  geluP,
  geluTanhP,
  log1pP,
  log10P,
  log2P,
  logP,
  powP,
  reluGradP,
  reluP,
  rsqrtP,
  sigmoidP,
  signP,
  sinhP,
  sinP,
  softplusP,
  sqrtP,
  tanhP,
  tanP,
} from "./unary.js";
import { ceilP, floorP, fmodP, remainderP, roundP, truncP } from "./rounding.js";
import { atan2P, hypotP, logaddexpP } from "./binaryMath.js";
import { qrP } from "./qr.js";
import { eighP } from "./eigh.js";
import { svdP } from "./svd.js";
import { threefry2x32P } from "./threefry.js";
import { argsortP, cumArgExtremeP, searchsortedP } from "./sort.js";

export const primitives = {
  add: addP,
  sub: subP,
  mul: mulP,
  div: divP,
  floorDiv: floorDivP,
  neg: negP,
  mulSafe: mulSafeP,
  divSafe: divSafeP,
  pow: powP,
  exp: expP,
  log: logP,
  sin: sinP,
  cos: cosP,
  tanh: tanhP,
  sqrt: sqrtP,
  rsqrt: rsqrtP,
  abs: absP,
  sign: signP,
  relu: reluP,
  reluGrad: reluGradP,
  sigmoid: sigmoidP,
  softplus: softplusP,
  erf: erfP,
  gelu: geluP,
  geluTanh: geluTanhP,
  cbrt: cbrtP,
  expm1: expm1P,
  log1p: log1pP,
  log2: log2P,
  log10: log10P,
  tan: tanP,
  asin: asinP,
  acos: acosP,
  atan: atanP,
  sinh: sinhP,
  cosh: coshP,
  asinh: asinhP,
  acosh: acoshP,
  atanh: atanhP,
  floor: floorP,
  ceil: ceilP,
  round: roundP,
  trunc: truncP,
  fmod: fmodP,
  remainder: remainderP,
  atan2: atan2P,
  hypot: hypotP,
  logaddexp: logaddexpP,
  eq: eqP,
  ne: neP,
  lt: ltP,
  le: leP,
  gt: gtP,
  ge: geP,
  where: whereP,
  maximum: maximumP,
  minimum: minimumP,
  cast: castP,
  sum: sumP,
  max: maxP,
  min: minP,
  prod: prodP,
  prodOthers: prodOthersP,
  cumsum: cumsumP,
  tieShare: tieShareP,
  argExtreme: argExtremeP,
  matmul: matmulP,
  conv2d: conv2dP,
  conv2dInputGrad: conv2dInputGradP,
  conv2dWeightGrad: conv2dWeightGradP,
  maxPool2d: maxPool2dP,
  maxPool2dSelect: maxPool2dSelectP,
  maxPool2dGrad: maxPool2dGradP,
  concat: concatP,
  pad: padP,
  gather: gatherP,
  scatterAdd: scatterAddP,
  oneHot: oneHotP,
  reshape: reshapeP,
  expand: expandP,
  permute: permuteP,
  slice: sliceP,
  unslice: unsliceP,
  contiguous: contiguousP,
  stopGradient: stopGradientP,
  to: toP,
  triangularSolve: triangularSolveP,
  cholesky: choleskyP,
  lu: luP,
  qr: qrP,
  eigh: eighP,
  svd: svdP,
  threefry2x32: threefry2x32P,
  argsort: argsortP,
  cumArgExtreme: cumArgExtremeP,
  searchsorted: searchsortedP,
} satisfies Record<string, Primitive<never>>;

export type PrimitiveName = keyof typeof primitives;

/**
 * Primitives with no derivative rules, by design: piecewise-constant helpers whose results are
 * never differentiated (argmax/argmin's indices; LU's row permutation, locally constant in A; random bits; the sorting permutations, running
 * argmax/argmin and searchsorted's insertion points, int32 indices).
 * Differentiating through one is `MissingDerivative`.
 */
export const constantPrimitives: readonly PrimitiveName[] = ["argExtreme", "threefry2x32", "argsort", "cumArgExtreme", "searchsorted"];
