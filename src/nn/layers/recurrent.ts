/**
 * RNN, LSTM and GRU: multi-layer, optionally bidirectional recurrent layers with PyTorch's gate
 * order (LSTM i, f, g, o; GRU r, z, n), parameter names (`weight_ih_l0`, `bias_hh_l1_reverse`, …),
 * shapes and initialisation U(±1/√hidden), so a torch state dict loads unchanged. The time loop is
 * written with primitives (matmul, slices, sigmoid, tanh), so gradients of any order flow through it;
 * the input projection of every step is one matmul over the whole sequence.
 */
import { AdError, asOp, expectBooleanOption, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import type { FloatDType } from "../../tensor/dtype.js";
import { zeros } from "../../tensor/creation.js";
import { add, mul, sub } from "../../tensor/primitives/arithmetic.js";
import { concat, stack } from "../../tensor/primitives/join.js";
import { matmul } from "../../tensor/primitives/matmul.js";
import { reshape, slice, transpose } from "../../tensor/primitives/shape.js";
import { relu, sigmoid, tanh } from "../../tensor/primitives/unary.js";
import type { Rng } from "../../tensor/rng.js";
import { formatShape } from "../../tensor/shape.js";
import { Tensor } from "../../tensor/tensor.js";
import { expectRng, floatDTypeOption } from "../checks.js";
import { uniform } from "../init.js";
import { Module } from "../module.js";

export interface RecurrentOptions {
  /** The generator the initial weights are drawn from. Required. */
  readonly rng: Rng;
  /** Stacked layers (≥ 1), each reading the previous one's outputs. Default 1. */
  readonly numLayers?: number;
  /** Biases b_ih and b_hh. Default true. */
  readonly bias?: boolean;
  /** Inputs and outputs [N, L, …] instead of [L, N, …]. Default false. */
  readonly batchFirst?: boolean;
  /** A second pass from the end of the sequence, its outputs concatenated to the first's. Default false. */
  readonly bidirectional?: boolean;
  readonly dtype?: FloatDType;
}

export interface RNNOptions extends RecurrentOptions {
  /** The cell's nonlinearity. Default "tanh". */
  readonly nonlinearity?: "tanh" | "relu";
}

/** A recurrent layer's results: the last layer's outputs at every step and the final states of every layer and direction. */
export interface RecurrentResult {
  /** [L, N, D·hidden] ([N, L, D·hidden] with batchFirst; [L, D·hidden] for an unbatched input). */
  readonly output: Tensor;
  /** [numLayers·D, N, hidden] ([numLayers·D, hidden] unbatched): each layer's and direction's last hidden state. */
  readonly h: Tensor;
  /** LSTM only: the last cell states, shaped as `h`. */
  readonly c?: Tensor;
}

type Kind = "RNN" | "LSTM" | "GRU";
const GATES: Record<Kind, number> = { RNN: 1, LSTM: 4, GRU: 3 };

/** One cell step: the new hidden (and cell) state from the input projection xw (with b_ih) and the previous states. */
type Cell = (xw: Tensor, h: Tensor, c: Tensor | null, w: Weights) => [Tensor, Tensor | null];

interface Weights {
  readonly hh: Tensor;
  readonly bhh: Tensor | null;
}

abstract class Recurrent extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;

  constructor(
    readonly kind: Kind,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RecurrentOptions,
    more: readonly (keyof RNNOptions)[] = [],
  ) {
    super();
    const op = kind;
    expectInteger(op, "inputSize", inputSize, 1, 2 ** 20);
    expectInteger(op, "hiddenSize", hiddenSize, 1, 2 ** 20);
    const o = expectOptions<RNNOptions>(op, options, ["rng", "numLayers", "bias", "batchFirst", "bidirectional", "dtype", ...more], true);
    expectRng(op, o.rng);
    const dtype = floatDTypeOption(op, o.dtype);
    this.numLayers = o.numLayers === undefined ? 1 : expectInteger(op, "numLayers", o.numLayers, 1, 1024);
    this.bias = expectBooleanOption(op, "bias", o.bias, true);
    this.batchFirst = expectBooleanOption(op, "batchFirst", o.batchFirst, false);
    this.bidirectional = expectBooleanOption(op, "bidirectional", o.bidirectional, false);
    const bound = 1 / Math.sqrt(hiddenSize);
    const rows = GATES[kind] * hiddenSize;
    const draw = (shape: number[]) => uniform(shape, -bound, bound, { rng: o.rng, dtype });
    // PyTorch's registration order, so the same seed-free state dict lines up name by name.
    for (let l = 0; l < this.numLayers; l++) {
      for (const sfx of this.#suffixes()) {
        const inputs = l === 0 ? inputSize : hiddenSize * this.#directions();
        this.parameter(`weight_ih_l${l}${sfx}`, draw([rows, inputs]));
        this.parameter(`weight_hh_l${l}${sfx}`, draw([rows, hiddenSize]));
        if (this.bias) {
          this.parameter(`bias_ih_l${l}${sfx}`, draw([rows]));
          this.parameter(`bias_hh_l${l}${sfx}`, draw([rows]));
        }
      }
    }
  }

  #directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  #suffixes(): string[] {
    return this.bidirectional ? ["", "_reverse"] : [""];
  }

  /** A registered parameter by its PyTorch name (looked up at call time, so `Module.call` substitutions apply). */
  #param(name: string): Tensor {
    return (this as unknown as Record<string, Tensor>)[name];
  }

  protected abstract cell: Cell;

  /** Runs the whole sequence; `h0` (and `c0` for LSTM) default to zeros. */
  protected runWith(x: Tensor, h0: Tensor | undefined, c0: Tensor | undefined): RecurrentResult {
    // Inner ops (a matmul refusing a bool input, …) report as the layer the user called.
    return asOp(`${this.kind}.forward`, () => this.#run(x, h0, c0));
  }

  #run(x: Tensor, h0: Tensor | undefined, c0: Tensor | undefined): RecurrentResult {
    const op = `${this.kind}.forward`;
    if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor`, { argument: "x" });
    const unbatched = x.rank === 2;
    if ((x.rank !== 3 && !unbatched) || x.shape[x.rank - 1] !== this.inputSize) {
      throw new AdError(
        "ShapeMismatch",
        `${this.kind}(${this.inputSize}, ${this.hiddenSize}) needs inputs [L, N, ${this.inputSize}] (or [N, L, …] with batchFirst, or [L, ${this.inputSize}]), got ${formatShape(x.shape)}`,
        {
          op,
          shape: [...x.shape],
        },
      );
    }
    // Time-major [L, N, in] from here on.
    const seq = unbatched ? reshape(x, [x.shape[0], 1, this.inputSize]) : this.batchFirst ? transpose(x, 0, 1) : x;
    const [L, N] = seq.shape;
    const D = this.#directions();
    const stateShape = [this.numLayers * D, N, this.hiddenSize];
    const state = (s: Tensor | undefined, name: string): Tensor => {
      if (s === undefined) return zeros(stateShape, { dtype: x.dtype, device: x.device });
      const want = unbatched ? [this.numLayers * D, this.hiddenSize] : stateShape;
      if (!(s instanceof Tensor) || s.shape.length !== want.length || s.shape.some((d, i) => d !== want[i])) {
        throw new AdError("ShapeMismatch", `${name} must be ${formatShape(want)}, got ${s instanceof Tensor ? formatShape(s.shape) : typeof s}`, { op, argument: name });
      }
      return unbatched ? reshape(s, stateShape) : s;
    };
    const hAll = state(h0, "h0");
    const cAll = this.kind === "LSTM" ? state(c0, "c0") : null;
    let input = seq;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      this.#suffixes().forEach((sfx, d) => {
        const k = l * D + d;
        const pick = (t: Tensor) => reshape(slice(t, [[k, k + 1]]), [N, this.hiddenSize]);
        const name = (p: string) => `${p}_l${l}${sfx}`;
        // The input projection of every step at once: [L·N, in] · W_ihᵀ (+ b_ih).
        let xw = matmul(reshape(input, [L * N, input.shape[2]]), transpose(this.#param(name("weight_ih"))));
        if (this.bias) xw = add(xw, this.#param(name("bias_ih")));
        xw = reshape(xw, [L, N, -1]);
        const w: Weights = { hh: transpose(this.#param(name("weight_hh"))), bhh: this.bias ? this.#param(name("bias_hh")) : null };
        let h: Tensor = pick(hAll);
        let c: Tensor | null = cAll === null ? null : pick(cAll);
        const steps: Tensor[] = new Array<Tensor>(L);
        for (let i = 0; i < L; i++) {
          const t = d === 0 ? i : L - 1 - i;
          [h, c] = this.cell(reshape(slice(xw, [[t, t + 1]]), [N, -1]), h, c, w);
          steps[t] = h;
        }
        outs.push(L === 0 ? zeros([0, N, this.hiddenSize], { dtype: x.dtype, device: x.device }) : stack(steps, 0));
        hs.push(h);
        if (c !== null) cs.push(c);
      });
      input = D === 1 ? outs[0] : concat(outs, 2);
    }
    const finish = (t: Tensor) => (unbatched ? reshape(t, [L, -1]) : this.batchFirst ? transpose(t, 0, 1) : t);
    const states = (list: Tensor[]) => (unbatched ? reshape(stack(list, 0), [this.numLayers * D, this.hiddenSize]) : stack(list, 0));
    return { output: finish(input), h: states(hs), ...(cAll === null ? {} : { c: states(cs) }) };
  }
}

/** The hidden projection h·W_hhᵀ (+ b_hh). */
const hidden = (h: Tensor, w: Weights): Tensor => (w.bhh === null ? matmul(h, w.hh) : add(matmul(h, w.hh), w.bhh));

/** Gate `i` of `count` equal column blocks of a [N, count·H] tensor. */
const gate = (t: Tensor, i: number, count: number): Tensor => {
  const H = t.shape[1] / count;
  return slice(t, [null, [i * H, (i + 1) * H]]);
};

/** Elman RNN: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or relu). `forward(x, h0?)` gives the outputs; `run` the states too. */
export class RNN extends Recurrent {
  readonly nonlinearity: "tanh" | "relu";

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions) {
    super("RNN", inputSize, hiddenSize, options, ["nonlinearity"]);
    const n = options.nonlinearity ?? "tanh";
    if (n !== "tanh" && n !== "relu") throw invalidArgument("RNN", `nonlinearity must be "tanh" or "relu", got ${String(n)}`, { argument: "nonlinearity", key: "nonlinearity" });
    this.nonlinearity = n;
  }

  protected cell: Cell = (xw, h, _c, w) => {
    const z = add(xw, hidden(h, w));
    return [this.nonlinearity === "tanh" ? tanh(z) : relu(z), null];
  };

  run(x: Tensor, h0?: Tensor): RecurrentResult {
    return this.runWith(x, h0, undefined);
  }

  forward(x: Tensor, h0?: Tensor): Tensor {
    return this.run(x, h0).output;
  }
}

/** LSTM (gates i, f, g, o): c' = f·c + i·g, h' = o·tanh(c'). `forward(x, h0?, c0?)` gives the outputs; `run` the states too. */
export class LSTM extends Recurrent {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions) {
    super("LSTM", inputSize, hiddenSize, options);
  }

  protected cell: Cell = (xw, h, c, w) => {
    const z = add(xw, hidden(h, w));
    const i = sigmoid(gate(z, 0, 4));
    const f = sigmoid(gate(z, 1, 4));
    const g = tanh(gate(z, 2, 4));
    const o = sigmoid(gate(z, 3, 4));
    const next = add(mul(f, c as Tensor), mul(i, g));
    return [mul(o, tanh(next)), next];
  };

  run(x: Tensor, h0?: Tensor, c0?: Tensor): RecurrentResult {
    return this.runWith(x, h0, c0);
  }

  forward(x: Tensor, h0?: Tensor, c0?: Tensor): Tensor {
    return this.run(x, h0, c0).output;
  }
}

/** GRU (gates r, z, n): n = tanh(x_n + r·(h·W_hnᵀ + b_hn)), h' = (1 − z)·n + z·h. `forward(x, h0?)` gives the outputs; `run` the states too. */
export class GRU extends Recurrent {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions) {
    super("GRU", inputSize, hiddenSize, options);
  }

  protected cell: Cell = (xw, h, _c, w) => {
    const hw = hidden(h, w);
    const r = sigmoid(add(gate(xw, 0, 3), gate(hw, 0, 3)));
    const z = sigmoid(add(gate(xw, 1, 3), gate(hw, 1, 3)));
    const n = tanh(add(gate(xw, 2, 3), mul(r, gate(hw, 2, 3))));
    // (1 − z)·n + z·h = n + z·(h − n)
    return [add(n, mul(z, sub(h, n))), null];
  };

  run(x: Tensor, h0?: Tensor): RecurrentResult {
    return this.runWith(x, h0, undefined);
  }

  forward(x: Tensor, h0?: Tensor): Tensor {
    return this.run(x, h0).output;
  }
}
