/**
 * The passes a jitted program goes through, in order: dead-code elimination, common-subexpression
 * elimination (then DCE again for what CSE orphaned), and, for the program an unwatched call runs,
 * fusion of elementwise chains into generated kernels.
 */
import type { Program } from "../tensor/index.js";
import { eliminateCommonSubexpressions } from "./passes/cse.js";
import { eliminateDeadCode } from "./passes/dce.js";
import { fuseElementwise } from "./passes/fuse.js";

export interface Optimised {
  /** What a call watched by a transform replays, primitive by primitive. */
  readonly replay: Program;
  /** What an unwatched call runs. */
  readonly fused: Program;
}

export function optimise(program: Program, fuse: boolean): Optimised {
  const replay = eliminateDeadCode(eliminateCommonSubexpressions(eliminateDeadCode(program)));
  return { replay, fused: fuse ? fuseElementwise(replay) : replay };
}
