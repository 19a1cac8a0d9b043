/** `adjoint/tensor`: tensors — storage, views, creation, the primitives with their VJP/JVP rules, autograd in both styles, static shapes, backends. */
// First: installs the Tensor methods (`x.add`, `x.sum`, `x.backward`, …) that tensor.ts only declares.
import "./methods.js";
export { DTYPES, isFloat, type DType, type FloatDType, type Storage } from "./dtype.js";
export type { Shape } from "./shape.js";
export { Rng, rng } from "./rng.js";
export * as random from "./random.js";
export { Tensor, isTensor, type NestedArray } from "./tensor.js";
export { defaultDevice, devices, getDevice, registerDevice, setDefaultDevice, type Device, type DeviceBuffer } from "../backends/device.js";
export { to, toAsync } from "./primitives/to.js";
export type { SliceSpec } from "./view.js";
export { contiguous, permute, reshape, slice, squeeze, transpose, unsqueeze } from "./primitives/shape.js";
export { stopGradient } from "./primitives/stopGradient.js";
export { add, div, floorDiv, floorDivide, mul, neg, sub } from "./primitives/arithmetic.js";
export {
  abs,
  acos,
  acosh,
  asin,
  asinh,
  atan,
  atanh,
  cbrt,
  cos,
  cosh,
  erf,
  exp,
  expm1,
  gelu,
  log,
  log1p,
  log10,
  log2,
  pow,
  relu,
  rsqrt,
  sigmoid,
  sign,
  sin,
  sinh,
  softplus,
  sqrt,
  tan,
  tanh,
  type GeluOptions,
} from "./primitives/unary.js";
export { ceil, floor, fmod, remainder, round, trunc } from "./primitives/rounding.js";
export { atan2, hypot, logaddexp } from "./primitives/binaryMath.js";
export { eq, ge, gt, le, lt, ne } from "./primitives/compare.js";
export { clip, maximum, minimum, where } from "./primitives/select.js";
export { cast } from "./primitives/cast.js";
export { argmax, argmin, cumsum, expand, max, mean, min, prod, sum } from "./primitives/reduce.js";
export { logSoftmax, logsumexp, softmax } from "./composites/softmax.js";
export { celu, elu, glu, hardsigmoid, hardswish, hardtanh, leakyRelu, logsigmoid, mish, prelu, relu6, selu, silu, softsign } from "./composites/activations.js";
export { all, any, cummax, cummin, cumprod, logcumsumexp, nanmean, nansum, std, variance, type VarianceOptions } from "./composites/reductions.js";
export { norm, type NormOptions } from "./composites/norm.js";
export { chunk, flip, moveaxis, movedim, narrow, repeat, repeatInterleave, roll, tile, unbind } from "./composites/rearrange.js";
export {
  index,
  indexAdd,
  maskedFill,
  meshgrid,
  scatter,
  take,
  takeAlongDim,
  type IndexAddOptions,
  type IndexSpec,
  type MeshgridOptions,
  type ScatterOptions,
  type ScatterReduce,
} from "./composites/indexing.js";
export { diag, diagEmbed, diagonal, tril, triu } from "./composites/diagonals.js";
export {
  argsort,
  median,
  searchsorted,
  sort,
  topk,
  type MedianOptions,
  type SearchsortedOptions,
  type SortOptions,
  type TopkOptions,
  type ValuesIndices,
} from "./composites/sorting.js";
export { argwhere, maskedSelect, nonzero, unique, type NonzeroOptions, type Unique, type UniqueOptions } from "./composites/selection.js";
export { isfinite, isinf, isnan, lerp, logicalAnd, logicalNot, logicalOr, logicalXor, reciprocal, square } from "./composites/elementwise.js";
export { conv2d, type Conv2dOptions, type PairLike } from "./primitives/conv.js";
export { avgPool2d, maxPool2d, type Pool2dOptions } from "./primitives/pool.js";
export {
  conv1d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  fold,
  unfold,
  type Conv1dOptions,
  type Conv3dOptions,
  type TripleLike,
  type ConvTranspose1dOptions,
  type ConvTranspose2dOptions,
  type UnfoldOptions,
} from "./composites/convolution.js";
export { adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveMaxPool1d, adaptiveMaxPool2d, avgPool1d, maxPool1d, type Pool1dOptions } from "./composites/pooling.js";
export { interpolate, pixelShuffle, pixelUnshuffle, type InterpolateMode, type InterpolateOptions } from "./composites/resample.js";
export { dot, matmul, outer } from "./primitives/matmul.js";
export { concat, pad, split, stack } from "./primitives/join.js";
export { gather, indexSelect, oneHot, scatterAdd } from "./primitives/gather.js";
export type { TensorLike } from "./primitives/lift.js";
export { enableGrad, isGradEnabled, noGrad } from "./autograd/mode.js";
export { detectAnomaly, isAnomalyDetectionEnabled } from "./autograd/anomaly.js";
export { checkpoint, customJvp, customVjp } from "./autograd/custom.js";
export { backward, backwardAsync, type BackwardOptions } from "./autograd/backward.js";
export { grad, hessian, jacfwd, jacrev, jvp, valueAndGrad, vjp, type GradOptions } from "./autograd/transforms.js";
export { arange, eye, full, linspace, ones, rand, randint, randn, tensor, zeros, type CreateOptions, type RandomOptions, type TensorOptions } from "./creation.js";
export {
  availableBackends,
  backendKernels,
  getBackend,
  getThreads,
  setBackend,
  setThreads,
  stopThreads,
  trimMemory,
  type Backend,
  type BackendName,
  type HostBackend,
} from "../backends/backend.js";
export { abstract, trace, type AbstractSpec } from "./tracing.js";
export { vmap, type Axis, type VmapOptions } from "./vmap.js";
export { scan, type ScanOptions } from "./control/scan.js";
export { cond, switchCase } from "./control/switch.js";
export { forLoop, whileLoop } from "./control/while.js";
export { Program, type Equation, type Variable } from "./ir.js";
