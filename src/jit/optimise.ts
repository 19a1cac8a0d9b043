/**
 * The passes a jitted program goes through, in order: dead-code elimination, constant folding,
 * algebraic simplification, common-subexpression elimination (then DCE again for what those
 * orphaned), and, for the program an unwatched call runs, the cuts (`stopGradient`) erased, fusion
 * of elementwise chains into generated kernels, matmul epilogues (a product read by one fused group
 * runs that group as its epilogue) and the memory plan of their buffers, with the independent
 * products of each level ordered and grouped around it to run side by side (`branches`), and max
 * pooling's backward reading the argmax its forward found (`poolArgmax`), and each fused group that
 * last reads a donated input writing over it (`inPlace`). On a device other than
 * the host (`device`: its kernels, which compile fused groups) only the fusion runs: the rest of
 * the plan is about host memory and the wasm threads.
 */
import type { Backend } from "../backends/backend.js";
import { getBackend, type Program, type Storage } from "../tensor/index.js";
import { eliminateCommonSubexpressions } from "./passes/cse.js";
import { eliminateDeadCode } from "./passes/dce.js";
import { fuseEpilogues } from "./passes/epilogue.js";
import { eraseStopGradients } from "./passes/erase.js";
import { foldConstants } from "./passes/fold.js";
import { groupBranches, orderBranches } from "./passes/branches.js";
import { fuseElementwise } from "./passes/fuse.js";
import { updateInPlace } from "./passes/inPlace.js";
import { planMemory } from "./passes/plan.js";
import { shareArgmax } from "./passes/poolArgmax.js";
import { simplifyAlgebra } from "./passes/simplify.js";

export interface Optimised {
  /** What a call watched by a transform replays, primitive by primitive. */
  readonly replay: Program;
  /** What an unwatched call runs. */
  readonly fused: Program;
}

/** Donated inputs (positions of the program's inputs) and whether a call may overwrite a storage (passes/inPlace.ts). */
export interface Donation {
  readonly inputs: ReadonlySet<number>;
  readonly mayOverwrite: (storage: Storage) => boolean;
}

export function optimise(program: Program, fuse: boolean, branches = true, device?: Backend, donation?: Donation): Optimised {
  const simplified = simplifyAlgebra(foldConstants(eliminateDeadCode(program)));
  const replay = eliminateDeadCode(eliminateCommonSubexpressions(simplified));
  const unwatched = eraseStopGradients(replay);
  if (!fuse) return { replay, fused: unwatched };
  if (device !== undefined) return { replay, fused: fuseElementwise(unwatched, getBackend(), device) };
  const fused = fuseEpilogues(fuseElementwise(unwatched));
  // Last, on the final order: a pooling's backward shares the argmax its forward found earlier in that order.
  const planned = shareArgmax(branches ? groupBranches(planMemory(orderBranches(fused))) : planMemory(fused));
  return { replay, fused: donation === undefined ? planned : updateInPlace(planned, donation.inputs, donation.mayOverwrite) };
}
