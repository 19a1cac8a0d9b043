/**
 * A recorded arena compiled once for replay: one instruction per op node, each a small integer
 * (`Ins`, numbered densely from 0 so the sweeps' `switch` becomes a jump table) with its node and
 * operand indices in flat typed arrays. The forward sweep re-evaluates values and keeps only the
 * partials that cost a call to recompute (sin, cos and the rule-table ops); the reverse sweep
 * recomputes the arithmetic ones from the values (∂(a·b)/∂a is b), so an add or a mul reads and
 * writes no partial at all. Leaves (inputs, constants) are not instructions.
 *
 * Every partial is the same expression the tape evaluates when it records (`tape.ts`), so a replay
 * gives bit for bit what a fresh recording gives. This switch loop is the fallback; `generated.ts`
 * compiles the same sweeps into JavaScript for the trace.
 */
import { invalidArgument } from "../../errors.js";
import { binaryRules, unaryRules, type BinaryRule, type UnaryRule } from "../elementary.js";
import { numberScalar } from "../number.js";
import { BINARY_OPS, UNARY_OPS } from "../scalar.js";
import type { Arena } from "./arena.js";
import { generateSweeps, type InputNodes, type Sweeps } from "./generated.js";
import { BINARY_CODE, FIRST_BINARY, FIRST_UNARY, OP_NAMES, PASSIVE, SUM, UNARY_CODE } from "./codes.js";

const enum Ins {
  Add,
  Sub,
  Mul,
  Div,
  Neg,
  Sin,
  Cos,
  Exp,
  Log,
  Sqrt,
  Tanh,
  /** Any other unary op: its rule from the table, by the node's op code. */
  Unary,
  /** Any other binary op, likewise. */
  Binary,
  /** Σ of the node's edges `a .. b` in the arena's `parent`. */
  Sum,
}

const UNARY_BY_CODE: readonly UnaryRule[] = UNARY_OPS.map((name) => unaryRules[name]);
const BINARY_BY_CODE: readonly BinaryRule[] = BINARY_OPS.map((name) => binaryRules[name]);

/** The op codes with an instruction of their own. */
const SPECIAL = new Map<number, Ins>([
  [BINARY_CODE.add, Ins.Add],
  [BINARY_CODE.sub, Ins.Sub],
  [BINARY_CODE.mul, Ins.Mul],
  [BINARY_CODE.div, Ins.Div],
  [UNARY_CODE.neg, Ins.Neg],
  [UNARY_CODE.sin, Ins.Sin],
  [UNARY_CODE.cos, Ins.Cos],
  [UNARY_CODE.exp, Ins.Exp],
  [UNARY_CODE.log, Ins.Log],
  [UNARY_CODE.sqrt, Ins.Sqrt],
  [UNARY_CODE.tanh, Ins.Tanh],
]);

export class Program {
  /** Instruction j computes node `dst[j]` from nodes `a[j]` (and `b[j]`). */
  readonly ins: Uint8Array;
  readonly dst: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** Partials kept by the interpreted forward sweep (∂/∂a, and ∂/∂b for rule-table binaries); empty when generated. */
  readonly wa: Float64Array;
  readonly wb: Float64Array;
  /** Instructions whose node is at or before the output: the reverse sweep starts below this. */
  readonly live: number;
  /** The sweeps as generated code, or undefined where they are interpreted (see `generated.ts`). */
  readonly generated: Sweeps | undefined;

  /**
   * `keep`: nodes whose values must be in the arena after `forward` (the guards; the output is
   * always kept). `inputs`: where the inputs are when they are consecutive nodes (generated sweeps
   * may then read them from the caller's array: `direct`). `generate: false` interprets always (the
   * fallback, tested on its own).
   */
  constructor(
    readonly arena: Arena,
    output: number,
    keep: readonly number[],
    inputs: InputNodes | undefined,
    generate = true,
  ) {
    const { op, start, parent } = arena;
    let count = 0;
    for (let i = 0; i < arena.size; i++) if (op[i] > PASSIVE) count++;
    this.ins = new Uint8Array(count);
    this.dst = new Int32Array(count);
    this.a = new Int32Array(count);
    this.b = new Int32Array(count);
    let j = 0;
    let live = 0;
    for (let i = 0; i < arena.size; i++) {
      const code = op[i];
      if (code <= PASSIVE) continue;
      const e = start[i];
      if (code === SUM) {
        this.ins[j] = Ins.Sum;
        this.a[j] = e;
        this.b[j] = start[i + 1];
      } else if (code >= FIRST_UNARY) {
        this.ins[j] = SPECIAL.get(code) ?? (code < FIRST_BINARY ? Ins.Unary : Ins.Binary);
        this.a[j] = parent[e];
        this.b[j] = code < FIRST_BINARY ? -1 : parent[e + 1];
      } else {
        throw invalidArgument("Tape.record", `a recording cannot replay a ${OP_NAMES[code]} node`, { node: i, producedBy: OP_NAMES[code] });
      }
      this.dst[j] = i;
      j++;
      if (i <= output) live = j;
    }
    this.live = live;
    this.generated = generate ? generateSweeps({ dst: this.dst, a: this.a, b: this.b, op, parent }, count, [output, ...keep], inputs) : undefined;
    // Generated sweeps keep their partials in their own buffer.
    this.wa = new Float64Array(this.generated === undefined ? count : 0);
    this.wb = new Float64Array(this.generated === undefined ? count : 0);
  }

  /**
   * Whether the inputs never go through the arena: `forward` reads them from `x` and `backward`
   * writes their adjoints into `gradient`. Otherwise the caller puts them into the arena and reads
   * the gradient from the inputs' adjoints.
   */
  get direct(): boolean {
    return this.generated?.direct === true;
  }

  /** Whether `forward` checks x itself (see `Sweeps.checksInputs`): then x may be passed unchecked. */
  get checksInputs(): boolean {
    return this.generated?.checksInputs === true;
  }

  /**
   * Values (and the partials kept) of every op node from its operands, in recording order. NaN
   * when a program that `checksInputs` met a non-finite input, else 0.
   */
  forward(x: Float64Array): number {
    const { ins, dst, a, b, wa, wb, generated } = this;
    const { value, op, parent } = this.arena;
    if (generated !== undefined) return generated.forward(value, this.arena.adj, parent, x);
    const n = ins.length;
    for (let j = 0; j < n; j++) {
      switch (ins[j]) {
        case Ins.Add:
          value[dst[j]] = value[a[j]] + value[b[j]];
          break;
        case Ins.Sub:
          value[dst[j]] = value[a[j]] - value[b[j]];
          break;
        case Ins.Mul:
          value[dst[j]] = value[a[j]] * value[b[j]];
          break;
        case Ins.Div:
          value[dst[j]] = value[a[j]] / value[b[j]];
          break;
        case Ins.Neg:
          value[dst[j]] = -value[a[j]];
          break;
        case Ins.Sin: {
          const x = value[a[j]];
          value[dst[j]] = Math.sin(x);
          wa[j] = Math.cos(x);
          break;
        }
        case Ins.Cos: {
          const x = value[a[j]];
          value[dst[j]] = Math.cos(x);
          wa[j] = -Math.sin(x);
          break;
        }
        case Ins.Exp:
          value[dst[j]] = Math.exp(value[a[j]]);
          break;
        case Ins.Log:
          value[dst[j]] = Math.log(value[a[j]]);
          break;
        case Ins.Sqrt:
          value[dst[j]] = Math.sqrt(value[a[j]]);
          break;
        case Ins.Tanh:
          value[dst[j]] = Math.tanh(value[a[j]]);
          break;
        case Ins.Unary: {
          const rule = UNARY_BY_CODE[op[dst[j]] - FIRST_UNARY];
          const x = value[a[j]];
          const y = rule.primal(x);
          value[dst[j]] = y;
          wa[j] = rule.df(numberScalar, x, y);
          break;
        }
        case Ins.Binary: {
          const rule = BINARY_BY_CODE[op[dst[j]] - FIRST_BINARY];
          const x = value[a[j]];
          const z = value[b[j]];
          const y = rule.primal(x, z);
          value[dst[j]] = y;
          wa[j] = rule.da(numberScalar, x, z, y);
          wb[j] = rule.db(numberScalar, x, z, y);
          break;
        }
        case Ins.Sum: {
          let y = 0;
          for (let k = a[j]; k < b[j]; k++) y += value[parent[k]];
          value[dst[j]] = y;
          break;
        }
      }
    }
    return 0;
  }

  /**
   * The reverse sweep from `out` (seed 1) into the arena's adjoints (or `gradient`, see `direct`),
   * after `forward`, with the inputs' adjoints zeroed by the caller. A node whose adjoint is 0 is skipped, as in
   * `Arena.backward` (a zero cotangent stays zero against ∞). Generated sweeps leave adjoints only
   * at the inputs and the kept nodes (see `generated.ts`).
   */
  backward(out: number, x: Float64Array, gradient: Float64Array): void {
    const { ins, dst, a, b, wa, wb, generated } = this;
    const { value, adj, parent } = this.arena;
    if (generated !== undefined) {
      // The generated forward sweep zeroed the adjoints it keeps; the inputs' are the caller's.
      adj[out] = 1;
      return generated.backward(value, adj, parent, x, gradient);
    }
    adj.fill(0, 0, out + 1);
    adj[out] = 1;
    for (let j = this.live - 1; j >= 0; j--) {
      const g = adj[dst[j]];
      if (g === 0) continue;
      switch (ins[j]) {
        case Ins.Add:
          adj[a[j]] += g;
          adj[b[j]] += g;
          break;
        case Ins.Sub:
          adj[a[j]] += g;
          adj[b[j]] -= g;
          break;
        case Ins.Mul: {
          const x = value[a[j]];
          adj[a[j]] += g * value[b[j]];
          adj[b[j]] += g * x;
          break;
        }
        case Ins.Div: {
          const z = value[b[j]];
          adj[a[j]] += g * (1 / z);
          adj[b[j]] += g * (-value[dst[j]] / z);
          break;
        }
        case Ins.Neg:
          adj[a[j]] -= g;
          break;
        case Ins.Exp:
          adj[a[j]] += g * value[dst[j]];
          break;
        case Ins.Log:
          adj[a[j]] += g * (1 / value[a[j]]);
          break;
        case Ins.Sqrt:
          adj[a[j]] += g * (0.5 / value[dst[j]]);
          break;
        case Ins.Tanh: {
          const y = value[dst[j]];
          adj[a[j]] += g * (1 - y * y);
          break;
        }
        case Ins.Binary:
          adj[a[j]] += g * wa[j];
          adj[b[j]] += g * wb[j];
          break;
        case Ins.Sum:
          for (let k = a[j]; k < b[j]; k++) adj[parent[k]] += g;
          break;
        default: // Sin, Cos, Unary: the partial the forward sweep kept
          adj[a[j]] += g * wa[j];
      }
    }
  }
}
