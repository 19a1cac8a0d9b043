/** The functional (optax-style) optimisers: pure `init`/`update` pairs over pytrees of tensors. */
export { applyUpdates, chain, type GradientTransformation, type LearningRate } from "./transformation.js";
export { sgd, type SgdOptions, type SgdState } from "./sgd.js";
export { adam, adamw, type AdamFunctionalOptions, type AdamState } from "./adam.js";
export { rmsprop, type RmspropOptions, type RmspropState } from "./rmsprop.js";
export { clipByGlobalNorm, globalNorm } from "./clip.js";
export { tabulated } from "./tabulated.js";
