/** The passes a jitted program goes through, in order. */
import type { Program } from "../tensor/index.js";

export interface Optimised {
  /** What a call watched by a transform replays, primitive by primitive. */
  readonly replay: Program;
  /** What an unwatched call runs. */
  readonly fused: Program;
}

export function optimise(program: Program, _fuse: boolean): Optimised {
  return { replay: program, fused: program };
}
