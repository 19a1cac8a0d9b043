/** `adjoint/scalar`: forward mode (Dual), reverse mode (Tape), the numeric interface and the functionals. */
export * from "./scalar.js";
export { numberScalar } from "./number.js";
export { unaryRules, binaryRules, type UnaryRule, type BinaryRule } from "./elementary.js";
export { erf } from "./special.js";
// Not `export *`: dual.ts also exports `seedDual`, for forward.ts only.
export { Dual, dualScalar } from "./dual.js";
export * from "./nestedDual.js";
export type { MixedDual } from "./taggedDual.js";
export * from "./forward.js";
export * from "./tape/tape.js";
export * from "./tape/variable.js";
export * from "./functionals.js";
export { Gradient } from "./tape/gradient.js";
export type { Recording, RecordOptions } from "./tape/replay.js";
export type { Handles, Handle, HandleArray } from "./tape/handles.js";
export type { StatementFn } from "./tape/statement.js";
export type { NestedTape, NestedVar, NestedGradient, NestScope, NestedOperand } from "./tape/nested.js";
