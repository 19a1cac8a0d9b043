/**
 * `adjoint/nn`: modules (a parameter tree usable in the PyTorch style and the JAX style), layers,
 * initialisers, losses, batching and splitting, and safetensors save/load.
 */
// Tensors reached through this entry alone have their methods too (tensor/methods.ts says why they are apart).
import "../tensor/methods.js";
export { Module, type ParameterTree } from "./module.js";
export {
  fans,
  gainOf,
  kaimingNormal,
  kaimingUniform,
  normal,
  uniform,
  xavierNormal,
  xavierUniform,
  type InitOptions,
  type KaimingOptions,
  type Nonlinearity,
  type XavierOptions,
} from "./init.js";
export { Conv2d, Linear, type Conv2dInit, type LayerInit } from "./layers/linear.js";
export { AvgPool2d, Flatten, MaxPool2d } from "./layers/shape.js";
export { Dropout, dropout, type DropoutOptions } from "./layers/dropout.js";
export { BatchNorm1d, BatchNorm2d, LayerNorm, type BatchNormOptions, type NormOptions } from "./layers/norm.js";
export { Embedding } from "./layers/embedding.js";
export { Conv1d, ConvTranspose1d, ConvTranspose2d, type Conv1dInit, type ConvTranspose1dInit, type ConvTranspose2dInit } from "./layers/convolution.js";
export { GroupNorm, InstanceNorm1d, InstanceNorm2d } from "./layers/groupNorm.js";
export { MultiheadAttention, type AttendOptions, type AttentionResult, type MultiheadAttentionOptions } from "./layers/attention.js";
export { TransformerDecoderLayer, TransformerEncoderLayer, type DecodeOptions, type EncodeOptions, type TransformerLayerOptions } from "./layers/transformer.js";
export { GRU, LSTM, RNN, type RecurrentOptions, type RecurrentResult, type RNNOptions } from "./layers/recurrent.js";
export {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  AvgPool1d,
  Identity,
  MaxPool1d,
  PixelShuffle,
  PixelUnshuffle,
  Upsample,
} from "./layers/resample.js";
export {
  CELU,
  ELU,
  GELU,
  GLU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  LogSigmoid,
  Mish,
  PReLU,
  ReLU,
  ReLU6,
  SELU,
  Sigmoid,
  SiLU,
  Softsign,
  Tanh,
} from "./layers/activations.js";
export { Sequential } from "./layers/sequential.js";
export { binaryCrossEntropyWithLogits, crossEntropy, mseLoss, nllLoss, type CrossEntropyOptions, type LossOptions, type Reduction, type Target } from "./losses.js";
export { batches, DataLoader, permutation, trainTestSplit, type BatchOptions, type RowsOf, type SplitOptions } from "./data.js";
export { loadSafetensors, readSafetensors, saveSafetensors, type LoadedSafetensors } from "./safetensors.js";
export { loadFile, saveFile, type LoadFileOptions } from "./file.js";
export { type BceWithLogitsOptions, type NllOptions } from "./losses.js";
export {
  gaussianNllLoss,
  huberLoss,
  l1Loss,
  poissonNllLoss,
  smoothL1Loss,
  type GaussianNllOptions,
  type HuberOptions,
  type PoissonNllOptions,
  type SmoothL1Options,
} from "./regressionLosses.js";
export { binaryCrossEntropy, klDiv, type BceOptions, type KlDivOptions } from "./probabilityLosses.js";
export { cosineEmbeddingLoss, marginRankingLoss, tripletMarginLoss, type MarginOptions, type TripletOptions } from "./pairLosses.js";
export { ctcLoss, type CtcOptions } from "./ctcLoss.js";
