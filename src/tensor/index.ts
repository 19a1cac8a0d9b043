/** `adjoint/tensor`: tensors on the CPU — storage, views and creation (autograd and primitives are being built, issue 3). */
export { DTYPES, isFloat, type DType, type FloatDType, type Storage } from "./dtype.js";
export type { Shape } from "./shape.js";
export { Rng, rng } from "./rng.js";
export { Tensor, DEVICES, isTensor, type Device, type NestedArray } from "./tensor.js";
export { contiguous, expand, permute, reshape, slice, squeeze, transpose, unsqueeze, type SliceSpec } from "./view.js";
export { arange, eye, full, linspace, ones, rand, randint, randn, tensor, zeros, type CreateOptions, type RandomOptions, type TensorOptions } from "./creation.js";
