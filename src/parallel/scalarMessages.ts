/**
 * What crosses between the calling thread and a scalar worker (scalarWorker.ts): plain data only,
 * since a function, a tape or a variable cannot be posted. The function travels as a recipe the
 * worker re-creates it from; inputs and results travel as Float64Arrays, transferred, not copied.
 */
import type { AdErrorCode } from "../errors.js";
import type { GeneratedCode } from "../transform/rebuild.js";

/** How a worker re-creates the function: from its source text, from a module's export, or from differentiate's generated code. */
export type Recipe =
  | { readonly kind: "source"; readonly source: string }
  | { readonly kind: "module"; readonly url: string; readonly name: string }
  | { readonly kind: "generated"; readonly code: GeneratedCode };

/** A run of consecutive ensemble members: member `first + k`'s input is `data[offsets[k] .. offsets[k + 1])`. */
export interface Task {
  /** The public function called (what the worker's own errors name). */
  readonly op: string;
  readonly id: number;
  readonly recipe: Recipe;
  readonly checkFinite: boolean;
  readonly first: number;
  readonly data: Float64Array;
  readonly offsets: Int32Array;
}

/** Why a task failed, as data; the calling thread turns it into the `AdError` it throws. */
export type Failure =
  /** An AdError raised while evaluating member `index` (by the tape, or by f itself). */
  | { readonly kind: "adError"; readonly index: number; readonly code: AdErrorCode; readonly message: string; readonly details: Record<string, unknown> }
  /** f read a name that is not defined in the worker: it was not self-contained. */
  | { readonly kind: "free"; readonly index: number; readonly name: string }
  /** f threw something other than an AdError. */
  | { readonly kind: "thrown"; readonly index: number; readonly text: string }
  /** The recipe could not be turned into a function (a syntax error, a missing module or export). */
  | { readonly kind: "recipe"; readonly text: string };

/** A task's answer: each member's value, and the gradients laid out as the inputs were. */
export type Reply =
  | { readonly id: number; readonly ok: true; readonly values: Float64Array; readonly gradients: Float64Array }
  | { readonly id: number; readonly ok: false; readonly failure: Failure };
