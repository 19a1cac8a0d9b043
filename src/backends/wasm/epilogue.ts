/**
 * The wasm backend's `compileEpilogue` (../fused.ts): a fused elementwise group that reads a matrix
 * product (a bias add, an activation, relu's gradient, …) runs as the product's epilogue. The gemm
 * leaves C in its padded scratch rows; before each range of rows is copied out (./matmul.ts), the
 * group's generated function (./fusedKernels.ts, the same code as the group alone) rewrites those
 * rows in place, reading C while it is still in cache, and the copy writes the group's result. The
 * product is never stored, and the group's own call (staging C in, its result out) is gone.
 *
 * The group's other inputs are read in place where they are resident in the wasm memory
 * (./resident.ts), else staged once per call after the product's scratch: a scalar is one value the
 * function splats, a row broadcast over C's rows (a bias) one padded row read again for every row, a
 * full [m, n] input one contiguous copy. Other layouts, batched or small products, a
 * sum, a window, and groups with sin/cos (whose polynomial declines some arguments) are declined:
 * the jit runs the product and the group apart.
 */
import type { EpilogueKernel, FusedProgram } from "../fused.js";
import type { UnaryOp } from "../ops.js";
import type { View } from "../view.js";
import { UNARY } from "./elementwiseKernels.js";
import { emitFused, wasmDtypeOf, type InputMode } from "./fusedKernels.js";
import { matmul, type Epilogue } from "./matmul.js";
import { moduleBuilder, wasmRuntime, type KernelFn, type WasmRuntime } from "./runtime.js";

type FloatArray = Float32Array | Float64Array;
/** How the epilogue reads an input: the product's row, one value, a row read for every row, or a full [m, n] array. */
type Layout = "product" | "splat" | "row" | "full";

/** Bytes for n elements plus a vector of padding, rounded up to a cache line. */
const region = (n: number, size: number) => Math.ceil((n * size + 16) / 64) * 64;

/** The layout of an input view broadcast to [m, n] (strides per axis), if the epilogue reads it. */
function layoutOf(v: View, m: number, n: number): Layout | undefined {
  const [rs, cs] = v.strides;
  if ((rs === 0 || m === 1) && (cs === 0 || n === 1)) return "splat";
  if ((rs === 0 || m === 1) && cs === 1) return "row";
  if ((rs === n || m === 1) && (cs === 1 || n === 1)) return "full";
  return undefined;
}

/**
 * The epilogue kernel of `program` over the product that is its input `product`, or undefined where
 * the group cannot be one. `minWork` is the product's size threshold (the tests pass a small one).
 */
export function compileEpilogue(program: FusedProgram, product: number, minWork?: number): EpilogueKernel | undefined {
  const dtype = wasmDtypeOf(program);
  const declinesSome = program.ops.some((op) => op.args.length === 1 && UNARY[op.name as UnaryOp]?.outOfRange !== undefined);
  if (dtype === undefined || declinesSome || program.sum || program.shape.length !== 2 || program.windows.some((w) => w !== undefined)) return undefined;
  if (wasmRuntime() === undefined) return undefined;
  const [m, n] = program.shape;
  const size = dtype === "float32" ? 4 : 8;
  const vectors = Math.ceil((n * size) / 16);
  // One instance per runtime (trimMemory starts a new memory) and input layout.
  const instances = new WeakMap<WasmRuntime, Map<string, KernelFn>>();
  const kernelFor = (rt: WasmRuntime, modes: readonly InputMode[]): KernelFn => {
    let byModes = instances.get(rt);
    if (byModes === undefined) instances.set(rt, (byModes = new Map()));
    const key = modes.join();
    let fn = byModes.get(key);
    if (fn === undefined) {
      const builder = moduleBuilder();
      emitFused(builder, program, dtype, modes);
      fn = rt.attach(builder.encode()).fused as KernelFn;
      byModes.set(key, fn);
    }
    return fn;
  };
  return (a, b, inputs, out) => {
    const rt = wasmRuntime();
    if (rt === undefined || a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== dtype || b.dtype !== dtype) return false;
    const layouts = inputs.map((v, j) => (j === product ? "product" : layoutOf(v, m, n)));
    if (layouts.includes(undefined) || inputs.some((v, j) => j !== product && v.dtype !== dtype)) return false;
    const fn = kernelFor(
      rt,
      layouts.map((l) => (l === "splat" ? "splat" : "vector")),
    );
    // A resident input (./resident.ts) is read where it is; the others are staged.
    const resident = inputs.map((v, j) => {
      const at = j === product ? undefined : rt.arena.addressOf(v.storage);
      return at === undefined ? undefined : at + v.offset * size;
    });
    let bytes = 0;
    const offsets = layouts.map((l, j) => {
      const at = bytes;
      bytes += l === "product" || resident[j] !== undefined ? 0 : l === "splat" ? 64 : region(l === "row" ? n : m * n, size);
      return at;
    });
    const heapOf = (r: WasmRuntime): FloatArray => (dtype === "float32" ? new Float32Array(r.memory.buffer) : new Float64Array(r.memory.buffer));
    const epilogue: Epilogue = {
      bytes,
      out,
      stage: (r, at) => {
        const heap = heapOf(r);
        layouts.forEach((l, j) => {
          if (l === "product" || resident[j] !== undefined) return;
          const v = inputs[j];
          const src = v.storage as FloatArray;
          const start = (at + offsets[j]) / size;
          const count = l === "splat" ? 1 : l === "row" ? n : m * n;
          heap.set(src.subarray(v.offset, v.offset + count), start);
          r.arena.copied += count * size;
          // Zeros after it: the last vector reads past the end.
          if (l !== "splat") heap.fill(0, start + count, start + region(count, size) / size);
        });
      },
      rows: (at, cp, ldc, from, to) => {
        const starts = layouts.map((_, j) => resident[j] ?? at + offsets[j]);
        const args = [...starts];
        for (let i = from; i < to; i++) {
          layouts.forEach((l, j) => {
            if (l === "product") args[j] = cp + i * ldc;
            else if (l === "full") args[j] = starts[j] + i * n * size;
          });
          // In place: each vector of C is read before the group's result is stored over it.
          fn(...args, cp + i * ldc, vectors, 0, 0);
        }
      },
    };
    return matmul(a, b, [], dtype, minWork, undefined, epilogue) !== undefined;
  };
}
