/** adjoint/jit: trace once per input signature, optimise, and run the compiled program. */
export { jit, type JitOptions, type Jitted } from "./jit.js";
export { allocationCounter } from "../backends/dtype.js";
export { debug } from "./debug.js";
