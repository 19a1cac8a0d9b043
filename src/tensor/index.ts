/** `adjoint/tensor`: tensors on the CPU — storage, views, creation, the first primitives and reverse-mode autograd (issue 3, in progress). */
export { DTYPES, isFloat, type DType, type FloatDType, type Storage } from "./dtype.js";
export type { Shape } from "./shape.js";
export { Rng, rng } from "./rng.js";
export { Tensor, DEVICES, isTensor, type Device, type NestedArray } from "./tensor.js";
export type { SliceSpec } from "./view.js";
export { contiguous, expand, permute, reshape, slice, squeeze, transpose, unsqueeze } from "./primitives/shape.js";
export { add, div, mul, neg, sub } from "./primitives/arithmetic.js";
export { cos, exp, log, sin, sqrt, tanh } from "./primitives/unary.js";
export { mean, sum } from "./primitives/reduce.js";
export type { TensorLike } from "./primitives/lift.js";
export { enableGrad, isGradEnabled, noGrad } from "./autograd/mode.js";
export { backward, type BackwardOptions } from "./autograd/backward.js";
export { grad, hessian, jacfwd, jacrev, jvp, valueAndGrad, vjp, type GradOptions } from "./autograd/transforms.js";
export { arange, eye, full, linspace, ones, rand, randint, randn, tensor, zeros, type CreateOptions, type RandomOptions, type TensorOptions } from "./creation.js";
