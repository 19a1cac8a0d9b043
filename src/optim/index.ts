/**
 * `adjoint/optim`: optimisers that update parameters in place, from `.grad` (`step()`) or from a
 * gradient tree (`update(grads)`); learning-rate schedules; gradient clipping by global norm.
 */
// Tensors reached through this entry alone have their methods too (tensor/methods.ts says why they are apart).
import "../tensor/methods.js";
export { Optimizer, type OptimizerOptions, type Params } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions } from "./adam.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { cosineDecay, chainSchedules, linearWarmup, stepDecay, warmupCosine, type Schedule } from "./schedules.js";
export { clipGradNorm, clipGrads } from "./clip.js";
export { Adadelta, Adagrad, type AdadeltaOptions, type AdagradOptions } from "./adagrad.js";
export { Adamax, NAdam, RAdam, type AdamVariantOptions, type NAdamOptions } from "./adamVariants.js";
export { Lion, type LionOptions } from "./lion.js";
export { exponentialLR, linearLR } from "./ramps.js";
export { cyclicLR, oneCycleLR, type CyclicOptions, type OneCycleOptions } from "./cycles.js";
export { ReduceLROnPlateau, type PlateauOptions } from "./plateau.js";
