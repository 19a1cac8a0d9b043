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
export {
  adam,
  adamw,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  globalNorm,
  rmsprop,
  sgd,
  tabulated,
  type AdamFunctionalOptions,
  type AdamState,
  type GradientTransformation,
  type LearningRate,
  type RmspropOptions,
  type RmspropState,
  type SgdOptions,
  type SgdState,
} from "./functional/index.js";
export { lbfgs, type LbfgsOptions } from "./scientific/lbfgs.js";
export type { MinimizeResult, StopReason, StoppingOptions } from "./scientific/stopping.js";
export type { ArrayObjective, DifferentiatedFn } from "./scientific/objective.js";
export { newtonCG, type NewtonCGOptions, type NewtonCGResult } from "./scientific/newtonCG.js";
export { gaussNewton, type GaussNewtonOptions } from "./scientific/gaussNewton.js";
export { levenbergMarquardt, type LevenbergMarquardtOptions } from "./scientific/levenbergMarquardt.js";
export type { LeastSquaresResult } from "./scientific/leastSquares.js";
export type { JacobianMode } from "./scientific/residuals.js";
export { toFmin, toJacobian, toModelJacobian, toValueAndGradient, type ParameterizedModel } from "./scientific/adapters.js";
export { Adadelta, Adagrad, type AdadeltaOptions, type AdagradOptions } from "./adagrad.js";
export { Adamax, NAdam, RAdam, type AdamVariantOptions, type NAdamOptions } from "./adamVariants.js";
export { Lion, type LionOptions } from "./lion.js";
export { exponentialLR, linearLR } from "./ramps.js";
export { cyclicLR, oneCycleLR, type CyclicOptions, type OneCycleOptions } from "./cycles.js";
export { ReduceLROnPlateau, type PlateauOptions } from "./plateau.js";
