/**
 * The JS code generator for a fused elementwise chain: ONE loop over the output's elements that reads
 * each input once per element (through its strides, broadcast to the output's shape), computes every
 * op of the chain in registers and writes only the chain's result. Each op is its function from the
 * expression table (backends/expressions.ts), passed into the generated function so V8 inlines it
 * (one monomorphic call site per op, as the reference kernels' specialize.ts arranges), and each
 * intermediate is rounded to its dtype (`Math.fround` for float32, ToInt32, ToUint8) exactly as
 * storing it in a typed array would: the fused loop gives the reference kernels' bits.
 *
 * Where code generation is forbidden (a strict Content-Security-Policy: `new Function` throws),
 * `compileFused` returns undefined and the chain stays unfused.
 */
import type { DType, Storage } from "../../tensor/index.js";

/** An operand of a fused op: input `j` of the kernel, or the result of op `k` before it. */
export type Operand = { readonly input: number } | { readonly op: number };

export interface FusedOp {
  readonly fn: (...xs: number[]) => number;
  readonly args: readonly Operand[];
  /** The dtype the op's result is stored in (so rounded to). */
  readonly dtype: DType;
}

/** What the generated kernel reads of an input: its buffer, offset and strides broadcast to the output's shape. */
export interface FusedInput {
  readonly storage: Storage;
  readonly offset: number;
  readonly strides: readonly number[];
}

export type FusedKernel = (inputs: readonly FusedInput[], out: Storage) => void;

/**
 * An input read through a window of the loop (an unslice absorbed into the loop): inside the box
 * `start` … `start + size` it is read at the position relative to `start`, elsewhere it is 0.
 */
export interface Window {
  readonly start: readonly number[];
  readonly size: readonly number[];
}

const ROUND: Record<DType, (x: string) => string> = {
  float64: (x) => x,
  float32: (x) => `Math.fround(${x})`,
  int32: (x) => `(${x}) | 0`,
  uint8: (x) => `(${x}) & 255`,
  int8: (x) => `((${x}) << 24) >> 24`,
  bool: (x) => `(${x}) & 255`,
  // Never generated: fuse.ts keeps float16 (bits in storage) out of fused loops.
  float16: () => {
    throw new Error("a fused loop cannot store float16");
  },
};

/**
 * Where a fused loop adds its values up instead of storing them: per loop axis, the stride of the
 * result's row-major element the loop position adds into (0 along a summed axis, so every axis 0 is
 * the whole-array sum), and how many elements the result has.
 */
export interface FusedSum {
  readonly strides: readonly number[];
  readonly size: number;
}

/**
 * The generated source of the loop over `shape` (rank ≥ 1) reading `inputs` inputs. With `sum` the
 * last op's values are added up instead of stored, in float64 and in the loop's row-major order as
 * the reference kernels' sum does (reduce.ts reads its input in its own order), and each total
 * written once: the whole-array sum in a local, a sum over some axes in a float64 accumulator per
 * result element (allocated once per compiled kernel, so a call allocates nothing).
 */
export function fusedSource(ops: readonly FusedOp[], inputs: number, shape: readonly number[], sum?: FusedSum, windows: readonly (Window | undefined)[] = []): string {
  const rank = shape.length;
  const inner = shape[rank - 1];
  const outer = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const ins = Array.from({ length: inputs }, (_, j) => j);
  const operand = (a: Operand) => ("input" in a ? `a${a.input}` : `t${a.op}`);
  const partial = sum?.strides.some((s) => s !== 0) ? sum : undefined;
  const lines = [
    ...(partial ? [`const acc = new Float64Array(${partial.size});`] : []),
    `return function fusedKernel(ins, out) {`,
    ...ins.map((j) => `  const X${j} = ins[${j}].storage, S${j} = ins[${j}].strides, o${j} = ins[${j}].offset, s${j} = S${j}[${rank - 1}];`),
    partial ? `  acc.fill(0);` : sum ? `  let total = 0;` : `  let k = 0;`,
    `  for (let q = 0; q < ${outer}; q++) {`,
    `    let rem = q;`,
    ...ins.map((j) => `    let b${j} = o${j};${windows[j] === undefined ? "" : ` let w${j} = true;`}`),
    ...(partial ? [`    let r = 0;`] : []),
  ];
  const advance = (j: number, d: number): string => {
    const w = windows[j];
    if (w === undefined) return ` b${j} += c * S${j}[${d}];`;
    return ` w${j} = w${j} && c >= ${w.start[d]} && c < ${w.start[d] + w.size[d]}; b${j} += (c - ${w.start[d]}) * S${j}[${d}];`;
  };
  for (let d = rank - 2; d >= 0; d--) {
    const into = partial !== undefined && partial.strides[d] !== 0 ? ` r += c * ${partial.strides[d]};` : "";
    lines.push(`    { const c = rem % ${shape[d]}; rem = (rem - c) / ${shape[d]};${ins.map((j) => advance(j, d)).join("")}${into} }`);
  }
  lines.push(`    for (let i = 0; i < ${inner}; i++${sum ? "" : ", k++"}) {`);
  const read = (j: number): string => {
    const w = windows[j];
    if (w === undefined) return `      const a${j} = X${j}[b${j}]; b${j} += s${j};`;
    const lo = w.start[rank - 1];
    return `      const a${j} = w${j} && i >= ${lo} && i < ${lo + w.size[rank - 1]} ? X${j}[b${j} + (i - ${lo}) * s${j}] : 0;`;
  };
  lines.push(...ins.map(read));
  ops.forEach((op, k) => lines.push(`      const t${k} = ${ROUND[op.dtype](`F${k}(${op.args.map(operand).join(", ")})`)};`));
  const last = `t${ops.length - 1}`;
  const inner1 = partial?.strides[rank - 1] ?? 0;
  lines.push(partial ? `      acc[r${inner1 === 0 ? "" : ` + i * ${inner1}`}] += ${last};` : sum ? `      total += ${last};` : `      out[k] = ${last};`, `    }`, `  }`);
  if (partial) lines.push(`  for (let m = 0; m < ${partial.size}; m++) out[m] = acc[m];`);
  else if (sum) lines.push(`  out[0] = total;`);
  lines.push(`};`);
  return lines.join("\n");
}

let warned = false;

/** The compiled kernel, or undefined where `new Function` is refused (strict CSP): warns once. */
export function compileFused(
  ops: readonly FusedOp[],
  inputs: number,
  shape: readonly number[],
  sum?: FusedSum,
  windows: readonly (Window | undefined)[] = [],
): FusedKernel | undefined {
  const source = `"use strict";\n${fusedSource(ops, inputs, shape, sum, windows)}\n//# sourceURL=adjoint-jit/fused`;
  try {
    const make = new Function(...ops.map((_, k) => `F${k}`), source) as (...fns: FusedOp["fn"][]) => FusedKernel;
    return make(...ops.map((op) => op.fn));
  } catch (error) {
    if (!warned) {
      warned = true;
      console.warn(`adjoint jit: code generation is not allowed here (${error instanceof Error ? error.message : String(error)}); fused chains run op by op`);
    }
    return undefined;
  }
}
