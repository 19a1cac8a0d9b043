/**
 * The wasm code generator for a fused elementwise group (../fused.ts): one function that walks whole
 * 16-byte vectors, keeps every intermediate in a v128 local and computes each op with the SIMD body
 * the elementwise kernels use (./elementwiseKernels.ts UNARY/BINARY: IEEE ops in the data's lanes,
 * the transcendental ones as f64x2 polynomials rounded once to float32), so each op rounds as its
 * single kernel does.
 *
 * `fused(in₀ … in_{k−1}, out, full, tail, mask) → flag`: each input is read as vectors advancing 16
 * bytes a step, or (a "splat" input: one value broadcast over the loop) loaded once and splat. Without
 * a sum, `full` vectors of results are stored from `out` on (`tail` is 0: the driver pads). With a
 * sum, `full` whole vectors and then, if `tail` is 1, one last vector whose lanes are kept by the
 * lane mask at `mask`, are added up in f64x2 accumulators (float32 results promoted) and the double
 * total stored at `out`. A sum's kernel split among threads (./fusedParts.ts) is emitted `storing`:
 * each part stores its vectors, the last one masked (dropped lanes +0), and one sum over them all
 * then adds them in the one-thread kernel's order. The flag is 1 when a sin/cos argument was outside the polynomials' range
 * (elementwiseKernels.ts `outOfRange`); the driver then declines the call.
 */
import { Body, ModuleBuilder, Val } from "./encoder.js";
import { BINARY, UNARY, type Dtype } from "./elementwiseKernels.js";
import type { FusedProgram } from "../fused.js";
import type { BinaryOp, UnaryOp } from "../ops.js";

const I32 = Val.i32;
const V128 = Val.v128;
const F64 = Val.f64;
const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

/** How the kernel reads an input: as consecutive vectors, or one value splat over the loop. */
export type InputMode = "vector" | "splat";

/** The one float dtype of every input and op of `program` with a SIMD body for each op, else undefined. */
export function wasmDtypeOf(program: FusedProgram): Dtype | undefined {
  const dtype = program.ops[program.ops.length - 1]?.dtype;
  if (dtype !== "float32" && dtype !== "float64") return undefined;
  const covered = program.ops.every((op) => {
    if (op.dtype !== dtype) return false;
    if (op.args.length === 1) return UNARY[op.name as UnaryOp]?.[dtype] !== undefined;
    return op.args.length === 2 && BINARY[op.name as BinaryOp]?.[dtype] !== undefined;
  });
  return covered ? dtype : undefined;
}

/** `count` times `body`, for a count in local `counter` that may be 0 (the counter is used up). */
function repeat(f: Body, counter: number, body: () => void): void {
  f.block().get(counter).i32Eqz().brIf(0).loop();
  body();
  f.get(counter).i32(1).i32Sub().tee(counter).brIf(0).end().end();
}

/** A module with the one function `fused` for `program` in `dtype`, its inputs read as `modes`; `storing`: a sum's values stored, not added. */
export function emitFused(module: ModuleBuilder, program: FusedProgram, dtype: Dtype, modes: readonly InputMode[], storing = false): void {
  const k = program.inputs;
  const f = module.func("fused", [...modes.map(() => I32), I32, I32, I32, I32], [I32]);
  const [OUT, FULL, TAIL, MASK] = [k, k + 1, k + 2, k + 3];
  const lane = dtype === "float32" ? Val.f32 : Val.f64;
  const xs = modes.map(() => f.local(V128));
  const ts = program.ops.map(() => f.local(V128));
  const flags = f.local(V128);
  const acc0 = f.local(V128);
  const acc1 = f.local(V128);
  const mask = f.local(V128);
  f.v128Zero().set(flags).v128Zero().set(acc0).v128Zero().set(acc1);
  modes.forEach((mode, j) => {
    if (mode === "splat") f.get(j).loadSplat(lane).set(xs[j]);
  });
  const last = ts[ts.length - 1];
  /** One vector of the chain; `masked`: keep only the lanes of `mask` (the sum's last vector). */
  const step = (masked: boolean) => {
    modes.forEach((mode, j) => {
      if (mode === "vector") f.get(j).v128Load().set(xs[j]).get(j).i32(16).i32Add().set(j);
    });
    program.ops.forEach((op, i) => {
      const locals = op.args.map((a) => ("input" in a ? xs[a.input] : ts[a.op]));
      if (locals.length === 1) {
        const spec = UNARY[op.name as UnaryOp];
        (spec?.[dtype] as NonNullable<typeof spec>["float32"])?.(f, locals[0]);
        f.set(ts[i]);
        if (spec?.outOfRange !== undefined && dtype === "float32") {
          f.get(flags);
          spec.outOfRange(f, locals[0]);
          if (masked) f.get(mask).and();
          f.or().set(flags);
        }
      } else {
        BINARY[op.name as BinaryOp]?.[dtype]?.(f, locals[0], locals[1]);
        f.set(ts[i]);
      }
    });
    if (masked) f.get(last).get(mask).and().set(last);
    if (!program.sum || storing) {
      f.get(OUT).get(last).v128Store().get(OUT).i32(16).i32Add().set(OUT);
      return;
    }
    if (dtype === "float32") {
      f.get(acc0).get(last).promoteLow().vAdd(F64).set(acc0);
      f.get(acc1).get(last).get(last).shuffle(HIGH_TO_LOW).promoteLow().vAdd(F64).set(acc1);
    } else f.get(acc0).get(last).vAdd(F64).set(acc0);
  };
  repeat(f, FULL, () => step(false));
  if (program.sum) {
    f.get(TAIL).if();
    f.get(MASK).v128Load().set(mask);
    step(true);
    f.end();
  }
  if (program.sum && !storing) {
    f.get(acc0).get(acc1).vAdd(F64).set(acc0);
    f.get(OUT).get(acc0).extractLane(F64, 0).get(acc0).extractLane(F64, 1).fAdd(F64).store(F64);
  }
  f.get(flags).anyTrue();
}
