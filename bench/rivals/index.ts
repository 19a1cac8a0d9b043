/**
 * The libraries the tensor benchmark runs, in table order. The first row of each workload is the
 * reference: the others' results are checked against it before timing, and the ratio column divides
 * its time by theirs. Adding a library is one entry here and one file beside this one.
 */
import { adjoint } from "./adjoint.js";
import { jaxJs } from "./jax.js";
import { plainJs } from "./plain.js";
import type { RivalEntry } from "./rival.js";
import { tfjs } from "./tfjs.js";

export const ADJOINT = "adjoint (wasm)"; // the default backend: the row every ratio is taken against

export const RIVALS: readonly RivalEntry[] = [
  { name: ADJOINT, load: adjoint("wasm", "valueAndGrad") },
  { name: "adjoint (wasm), .backward()", load: adjoint("wasm", "backward") },
  { name: "adjoint (wasm), jit", load: adjoint("wasm", "jit") },
  { name: "adjoint (wasm), jit whole step", load: adjoint("wasm", "jitStep") },
  { name: "adjoint (wasm), 2 threads", load: adjoint("wasm", "valueAndGrad", 2) },
  { name: "adjoint (cpu)", load: adjoint("cpu", "valueAndGrad") },
  { name: "tfjs-wasm", load: tfjs("wasm") },
  { name: "tfjs-cpu", load: tfjs("cpu") },
  { name: "jax-js", load: jaxJs(false) },
  { name: "jax-js jit", load: jaxJs(true) },
  { name: "plain JS", load: async () => plainJs },
];

export type { Rival, RivalEntry } from "./rival.js";
