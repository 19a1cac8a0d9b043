/**
 * Tensor's methods that are the function of the same name with `this` first (x.mul(w) is mul(x, w)),
 * as src/tensor/methods.ts installs them: the math ones and the view ones. Shared by the tests that
 * need the list (the methods' installation, the junk probe's error-name aliases).
 */
export const MATH_METHODS = [
  "add",
  "sub",
  "mul",
  "div",
  "floorDiv",
  "neg",
  "pow",
  "matmul",
  "exp",
  "log",
  "sin",
  "cos",
  "tanh",
  "sqrt",
  "abs",
  "relu",
  "sigmoid",
  "sum",
  "mean",
  "max",
  "min",
  "argmax",
  "softmax",
  "logSoftmax",
] as const;

export const VIEW_METHODS = ["reshape", "permute", "transpose", "expand", "slice", "squeeze", "unsqueeze"] as const;
