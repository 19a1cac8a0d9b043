/**
 * Writes docs/ops.md from the registry, so the op table cannot drift from the engine: for each
 * primitive, its PyTorch name (pytorchNames.ts), the dtypes its abstract rule accepts, where it runs
 * and which derivative rules it has. Each fact is measured, not declared:
 * - dtypes: the primitive's `abstract` rule applied to its case (test/support/primitiveCases.ts)
 *   with the float inputs (all inputs if none is float) given each dtype in turn;
 * - wasm: the case is run on a recording device and each kernel call is offered to the wasm kernels
 *   (an elementwise op is asked of the wasm kernel directly); a primitive none of whose calls the wasm
 *   backend has runs the cpu reference there; a linear algebra kernel, which wasm takes only from a
 *   matrix size on, is offered growing n×n matrices to find that size;
 * - webgpu: every primitive but those on test/webgpu/unsupported.ts;
 * - derivatives: whether its definition has a JVP and a VJP rule.
 */
import * as ops from "../../src/tensor/index.js";
import { abstract, registerDevice, trace, type Backend, type Device, type Tensor } from "../../src/tensor/index.js";
import { backendKernels } from "../../src/backends/backend.js";
import { DTYPES, type DType, type Storage } from "../../src/backends/dtype.js";
import type { BinaryOp, UnaryOp } from "../../src/backends/ops.js";
import { binary as wasmBinary, unary as wasmUnary } from "../../src/backends/wasm/elementwise.js";
import { eigh as wasmEigh } from "../../src/backends/wasm/eigh.js";
import * as wasmLinalg from "../../src/backends/wasm/linalg.js";
import { qr as wasmQr } from "../../src/backends/wasm/qr.js";
import { svd as wasmSvd } from "../../src/backends/wasm/svd.js";
import type { View } from "../../src/backends/view.js";
import type { Variable } from "../../src/tensor/ir.js";
import { bind } from "../../src/tensor/primitive.js";
import { constantPrimitives, primitives, type PrimitiveName } from "../../src/tensor/primitives/registry.js";
import { PRIMITIVE_CASES } from "../support/primitiveCases.js";
import { UNSUPPORTED_ON_WEBGPU } from "../webgpu/unsupported.js";
import { PYTORCH_NAMES } from "./pytorchNames.js";

export const OPS_PATH = "docs/ops.md";

/** Kernels that only move data (a copy, a cast's conversion); they say nothing about where an op computes. */
const MOVES = new Set(["copy", "copyInto"]);
/** Routines with a wasm implementation (backend.ts: the ones wasm does not take from the reference). */
const WASM_ROUTINES = new Set(["matmul", "conv2d", "conv2dInputGrad", "conv2dWeightGrad"]);

type Call = readonly [kernel: string, args: readonly unknown[]];

function recordingDevice(calls: Call[]): Device {
  const cpu = backendKernels("cpu") as unknown as Record<string, unknown>;
  const kernels: Record<string, unknown> = { name: "ops-table" };
  for (const [name, kernel] of Object.entries(cpu)) {
    if (typeof kernel !== "function") continue;
    kernels[name] = (...args: unknown[]) => {
      calls.push([name, args]);
      return (kernel as (...a: unknown[]) => unknown)(...args);
    };
  }
  return registerDevice({
    name: "ops-table",
    kind: "test",
    kernels: kernels as unknown as Backend,
    write: (data) => data.slice(),
    adopt: (buffer) => buffer,
    free: () => {},
    read: async (buffer) => (buffer as Storage).slice(),
    run: (_op, kernel) => kernel(),
  });
}

const probe = (n: number): View => ({ storage: new Float32Array(n).fill(0.5), dtype: "float32", shape: [n], strides: [1], offset: 0 });

/** Whether the wasm backend computes this kernel call itself (for some float input), not the reference. */
function wasmComputes([kernel, args]: Call): boolean {
  if (WASM_ROUTINES.has(kernel)) return true;
  if (kernel === "reduce") return args[0] !== "prod";
  if (kernel === "unary") return wasmUnary(args[0] as UnaryOp, probe(64), "float32", 1) !== undefined;
  if (kernel === "binary") return wasmBinary(args[0] as BinaryOp, probe(64), probe(64), [64], "float32", 1) !== undefined;
  return false;
}

/** The wasm linear algebra kernels, each declining (undefined) a matrix below its size threshold. */
const WASM_FROM_SIZE: Record<string, (a: View) => unknown> = {
  cholesky: wasmLinalg.cholesky,
  lu: wasmLinalg.lu,
  qr: (a) => wasmQr(a, false),
  eigh: wasmEigh,
  svd: wasmSvd,
};

/** A symmetric, diagonally dominant (so positive definite, well-conditioned) float64 n×n matrix. */
function probeMatrix(n: number): View {
  const storage = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) storage[i * n + j] = i === j ? n : 1 / (1 + Math.abs(i - j));
  return { storage, dtype: "float64", shape: [n, n], strides: [n, 1], offset: 0 };
}

/** The smallest n from which the wasm backend computes this linear algebra kernel itself (undefined: never up to 512). */
function wasmFromSize(kernel: string): number | undefined {
  const run = WASM_FROM_SIZE[kernel];
  if (run === undefined) return undefined;
  const takes = (n: number): boolean => run(probeMatrix(n)) !== undefined;
  let hi = 1;
  while (hi <= 512 && !takes(hi)) hi *= 2;
  if (hi > 512) return undefined;
  // The threshold is in (hi / 2, hi]: bisect it.
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (takes(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

interface Row {
  readonly name: PrimitiveName;
  readonly pytorch: string;
  readonly dtypes: readonly DType[];
  readonly wasm: "wasm" | "cpu kernel" | "view" | `wasm for n ≥ ${number}`;
  readonly webgpu: boolean;
  readonly derivatives: string;
}

function rowOf(name: PrimitiveName, device: Device, calls: Call[]): Row {
  const prim = primitives[name];
  const { inputs, f } = PRIMITIVE_CASES[name];
  const program = trace(f)(...inputs.map((x) => abstract(x.shape, x.dtype)));
  const target = program.equations.find((eq) => eq.primitive === prim);
  if (target === undefined) throw new Error(`the case of ${name} does not trace to it`);
  const floats = target.inputs.some((v) => v.dtype === "float32" || v.dtype === "float64");
  const varied = (v: Variable) => !floats || v.dtype === "float32" || v.dtype === "float64";
  const dtypes = DTYPES.filter((dtype) => {
    try {
      prim.abstract(
        target.inputs.map((v) => (varied(v) ? { shape: v.shape, dtype } : v)),
        target.params as never,
      );
      return true;
    } catch {
      return false;
    }
  });
  // Run the case's equations on the recording device; keep the target's kernel calls.
  const env = new Map<Variable, Tensor>();
  program.inputs.forEach((v, i) => env.set(v, ops.to(inputs[i], device)));
  for (const c of program.constants) env.set(c.variable, ops.to(c.value, device));
  let own: Call[] = [];
  for (const eq of program.equations) {
    calls.length = 0;
    env.set(
      eq.output,
      bind(
        eq.primitive,
        eq.inputs.map((v) => env.get(v) as Tensor),
        eq.params,
      ),
    );
    if (eq === target) {
      own = calls.filter(([kernel]) => !MOVES.has(kernel));
      break;
    }
  }
  const pytorch = PYTORCH_NAMES[name];
  const hasRules = prim.jvp !== undefined && prim.vjp !== undefined;
  const from = own.length === 1 ? wasmFromSize(own[0][0]) : undefined;
  return {
    name,
    pytorch: pytorch === null || pytorch === undefined ? "(internal)" : pytorch,
    dtypes,
    wasm: PRIMITIVE_CASES[name].view ? "view" : own.length > 0 && own.every(wasmComputes) ? "wasm" : from !== undefined ? `wasm for n ≥ ${from}` : "cpu kernel",
    webgpu: !UNSUPPORTED_ON_WEBGPU.includes(name),
    derivatives: constantPrimitives.includes(name) ? "none (constant)" : hasRules ? "forward, reverse, any order" : "missing",
  };
}

/** The primitives that have no entry in pytorchNames.ts. */
export function missingPytorchNames(): PrimitiveName[] {
  return (Object.keys(primitives) as PrimitiveName[]).filter((name) => !(name in PYTORCH_NAMES));
}

/** The text of docs/ops.md. */
export function renderOpsTable(): string {
  const calls: Call[] = [];
  const device = recordingDevice(calls);
  const rows = (Object.keys(primitives) as PrimitiveName[]).sort().map((name) => rowOf(name, device, calls));
  const cell = (s: string) => s.replaceAll("|", "\\|");
  return [
    "# Primitive ops",
    "",
    "<!-- Generated by `npm run docs:ops` (test/docs/opsTable.ts) from the registry; test/docs/ops.test.ts fails when it is stale. Do not edit. -->",
    "",
    `The ${rows.length} primitives of the tensor engine (src/tensor/primitives/registry.ts). Everything else in`,
    "`adjoint/tensor`, `adjoint/nn` and `adjoint/linalg` is composed of these, so it runs wherever they do",
    "and has the derivatives they have. Columns:",
    "",
    "- **dtypes**: what the primitive's shape/dtype rule accepts for its float operands (a public",
    "  function may promote first: `exp` of an int32 tensor computes in float32).",
    "- **cpu**: the reference kernels; every primitive runs there.",
    "- **wasm**: `wasm` where a SIMD kernel computes it (for float32/float64 inputs above a size",
    "  threshold; smaller or strided inputs fall back per call), `wasm for n ≥ k` for a factorization",
    "  whose wasm kernel takes n×n matrices from that size on (the reference runs smaller ones),",
    "  `cpu kernel` where the wasm backend runs the reference, `view` for the primitives that only",
    "  re-stride their input (no kernel).",
    "- **webgpu**: float32, float16 (stored packed, computed in float32), int32 and bool (float64 is `UnsupportedOp` on the GPU); `—` where the",
    "  primitive has no GPU kernel yet (`UnsupportedOp` naming it and the device).",
    "- **derivatives**: JVP and VJP rules written in primitives, so they nest to any order; `none` for",
    "  piecewise-constant helpers (differentiating through one is `MissingDerivative`).",
    "",
    "`(internal)` marks a primitive the engine uses inside derivative rules; it has no public name.",
    "",
    "| primitive | PyTorch | dtypes | cpu | wasm | webgpu | derivatives |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| \`${r.name}\` | ${cell(r.pytorch)} | ${r.dtypes.join(", ")} | ✓ | ${r.wasm} | ${r.webgpu ? "✓" : "—"} | ${r.derivatives} |`),
    "",
  ].join("\n");
}
