/**
 * `Gradient<B>`: the result of one `tape.backward(out)` — the adjoints of the tape's variables,
 * copied out of the arena so the result stays valid after further `backward` calls and after
 * `reset()`. It keeps what the gradient needs (one number per variable), not the whole tape's
 * adjoints, so a backward allocates in proportion to the inputs, not to the recorded ops.
 */
import { AdError, describe, expectLength, invalidArgument } from "../../errors.js";
import type { Tape } from "./tape.js";
import { Var } from "./variable.js";

export class Gradient<in out B = unknown> {
  /** @internal Built by `Tape.backward`. */
  constructor(
    private readonly tape: Tape<B>,
    private readonly generation: number,
    /** Nodes recorded when the gradient was taken: anything recorded later cannot influence it. */
    private readonly recorded: number,
    /** Node index of each variable, ascending (variables are recorded in creation order). */
    private readonly indices: Int32Array,
    /** @internal The adjoint of each variable, in creation order. */
    readonly adjoints: Float64Array,
    /** @internal The adjoints' tangents (H·ẋ), present when the tape records tangents. */
    readonly adjointTangents: Float64Array | undefined,
  ) {}

  /** ∂out/∂x for a variable `x` created with `tape.variable`/`variables`. */
  wrt(x: Var<B>): number;
  /** ∂out/∂xᵢ for each variable. */
  wrt(xs: readonly Var<B>[]): number[];
  wrt(x: Var<B> | readonly Var<B>[]): number | number[] {
    return this.read("Gradient.wrt", this.adjoints, x);
  }

  /** The gradient for every variable of the tape, in creation order. */
  all(): number[] {
    return toArray(this.adjoints);
  }

  /**
   * The tangent of ∂out/∂x along the variables' tangents: (H·ẋ) for x, where H is the Hessian of
   * `out`. Only on a tape created with `{ tangents: true }`.
   */
  tangentWrt(x: Var<B>): number;
  tangentWrt(xs: readonly Var<B>[]): number[];
  tangentWrt(x: Var<B> | readonly Var<B>[]): number | number[] {
    return this.read("Gradient.tangentWrt", this.tangents("Gradient.tangentWrt"), x);
  }

  /** `tangentWrt` for every variable, in creation order. */
  allTangents(): number[] {
    return toArray(this.tangents("Gradient.allTangents"));
  }

  private tangents(op: string): Float64Array {
    if (this.adjointTangents === undefined) {
      throw invalidArgument(op, "the tape records no tangents; create it with { tangents: true }");
    }
    return this.adjointTangents;
  }

  private read(op: string, from: Float64Array, x: unknown): number | number[] {
    if (Array.isArray(x)) {
      const n = expectLength(op, "xs", x);
      const out = new Array<number>(n);
      for (let i = 0; i < n; i++) out[i] = at(from, this.slot(op, x[i]));
      return out;
    }
    return at(from, this.slot(op, x));
  }

  /** The variable's position in creation order (binary search over the node indices); −1 for a node recorded after. */
  private slot(op: string, x: unknown): number {
    if (!(x instanceof Var)) {
      throw invalidArgument(op, `expected a tape variable, got ${describe(x)}`, { got: describe(x) });
    }
    if (x.tape !== this.tape) {
      throw new AdError("ForeignVariable", "the variable belongs to another tape", { op, index: x.index });
    }
    if (x.generation !== this.generation) {
      throw new AdError("StaleVariable", "the variable is from another generation of the tape than this gradient", {
        op,
        index: x.index,
        variableGeneration: x.generation,
        gradientGeneration: this.generation,
      });
    }
    // Recorded after `backward`: it cannot have influenced the output.
    if (x.index >= this.recorded) return -1;
    const indices = this.indices;
    let lo = 0;
    let hi = indices.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = indices[mid];
      if (v === x.index) return mid;
      if (v < x.index) lo = mid + 1;
      else hi = mid - 1;
    }
    throw invalidArgument(op, `node #${x.index} is not a variable (created with tape.variable); only variables' gradients are kept`, {
      index: x.index,
    });
  }
}

/** A plain array copy (a loop: `Array.from` on a typed array is several times slower in V8). */
function toArray(a: Float64Array): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

function at(from: Float64Array, slot: number): number {
  return slot < 0 ? 0 : from[slot];
}
