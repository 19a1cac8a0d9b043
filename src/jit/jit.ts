/**
 * `jit(f, options?)`: traces f once per input signature (signature.ts) into a `Program`, optimises it
 * (passes/), and evaluates the optimised program on every later call with that signature.
 *
 * Composition: a call made while an interpreter is watching (an outer `grad`/`vjp` whose inputs reach
 * this call, `jvp`, or another `trace`/`jit`) replays the optimised program primitive by primitive, so
 * the outer transform sees the same primitives as f's eager run and differentiates them as it would
 * (to any order; `customVjp` inside keeps its rule, because the trace records it as one equation).
 * A call no interpreter watches runs the fused program (fused elementwise kernels, see passes/fuse.ts),
 * recycling its storage from run to run (recycle.ts), the donated inputs' storage included.
 * `jit(grad(f))` is the other way round: the trace of grad(f) is the backward program itself.
 */
import { describe, expectFunction, expectOptions, invalidArgument } from "../errors.js";
import { backendKernels } from "../backends/backend.js";
import { host } from "../backends/device.js";
import { getBackend, isFloat, trace, type Program, type Storage, type Tensor } from "../tensor/index.js";
import { isStorage } from "../backends/buffer.js";
import { activeLevels } from "../tensor/autograd/forward.js";
import { isGradEnabled } from "../tensor/autograd/mode.js";
import { flatten } from "../tensor/autograd/pytree.js";
import { activeTrace } from "../tensor/interpreters/trace.js";
import { activeBatchLevels } from "../tensor/interpreters/batch.js";
import { optimise, type Optimised as Compiled } from "./optimise.js";
import { runsOnlyEngineCode } from "./passes/plan.js";
import { Recycler, residentOf } from "./recycle.js";
import { prepared } from "./run.js";
import { signatureOf } from "./signature.js";

export interface JitOptions {
  /**
   * Positions of arguments taken by value rather than traced: numbers, strings, plain data, or
   * functions (by identity). A new value traces again; f may branch on it.
   */
  readonly static?: readonly number[];
  /** Fuse elementwise chains into generated kernels (default true; false evaluates equation by equation). */
  readonly fuse?: boolean;
  /**
   * Positions of arguments whose tensors' storage the call may reuse for its results (JAX's
   * donate_argnums): after a call no transform watches, those tensors are disposed. Typically the
   * parameters and optimiser state of a training step, replaced by the ones it returns.
   */
  readonly donate?: readonly number[];
  /**
   * Run the independent products of one level of the program (a reverse sweep's weight gradients of
   * separate layers or heads) side by side on the wasm worker threads (default true; results are
   * bit-identical either way). Only where `fuse` is on.
   */
  readonly parallelBranches?: boolean;
}

export interface Jitted<F extends (...args: never[]) => unknown> {
  (...args: Parameters<F>): ReturnType<F>;
  /** How many times f has been traced (one per new signature). */
  readonly traces: number;
  /** The optimised program that runs for these arguments (traced now if their signature is new). */
  lower(...args: Parameters<F>): Program;
}

const MAX_STATIC = 64;

/** The argument positions option `name` lists. */
function positions(op: string, name: string, value: unknown): Set<number> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || value.length > MAX_STATIC || value.some((i) => typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= MAX_STATIC)) {
    throw invalidArgument(op, `${name} must be a list of argument positions (integers in [0, ${MAX_STATIC - 1}]), got ${describe(value)}`, {
      argument: name,
      got: describe(value),
    });
  }
  return new Set(value as number[]);
}

/** The positions among the leaves of `args` (flattened in order) of those in the arguments `donated`. */
function leafPositions(op: string, args: readonly unknown[], donated: ReadonlySet<number>): number[] {
  const positions: number[] = [];
  let at = 0;
  args.forEach((a, i) => {
    const n = a === undefined ? 0 : flatten(op, [a]).leaves.length;
    if (donated.has(i)) for (let k = 0; k < n; k++) positions.push(at + k);
    at += n;
  });
  return positions;
}

/**
 * Adds to `into` the storages of the donated leaves this call may write over (passes/inPlace.ts): a
 * tensor that covers its storage exactly, row-major, that no other argument or constant shares a
 * byte of, and that the recycler allows (on the wasm backend, storage in the wasm memory).
 */
function overwritable(leaves: readonly Tensor[], donated: readonly number[], kept: readonly Tensor[], recycler: Recycler, into: Set<Storage>): void {
  // Every tensor's bytes by buffer, so a donated leaf is compared only with those sharing its buffer.
  const spans = new Map<ArrayBufferLike, { readonly leaf: number; readonly from: number; readonly to: number }[]>();
  const note = (t: Tensor, leaf: number) => {
    if (!isStorage(t.storage)) return;
    const { buffer, byteOffset, byteLength } = t.storage;
    let list = spans.get(buffer);
    if (list === undefined) spans.set(buffer, (list = []));
    list.push({ leaf, from: byteOffset, to: byteOffset + byteLength });
  };
  leaves.forEach(note);
  for (const t of kept) note(t, -1);
  for (const i of donated) {
    const t = leaves[i];
    const storage = t.storage;
    if (t.disposed || !isStorage(storage) || t.offset !== 0 || storage.length !== t.size || !t.isContiguous() || !recycler.overwritable(storage)) continue;
    const from = storage.byteOffset;
    const to = from + storage.byteLength;
    if ((spans.get(storage.buffer) as { leaf: number; from: number; to: number }[]).every((s) => s.leaf === i || s.to <= from || to <= s.from)) into.add(storage);
  }
}

/** True where a transform or trace is watching this call, so it must see the primitives themselves. */
function watched(program: Program, leaves: readonly Tensor[]): boolean {
  if (activeTrace() !== undefined || activeLevels().length > 0 || activeBatchLevels().length > 0) return true;
  return isGradEnabled() && (leaves.some((t) => t.requiresGrad) || program.constants.some((c) => c.value.requiresGrad));
}

export function jit<F extends (...args: never[]) => unknown>(f: F, options?: JitOptions): Jitted<F> {
  const op = "jit";
  const fn = expectFunction(op, "f", f) as (...args: unknown[]) => unknown;
  const o = expectOptions<JitOptions>(op, options, ["static", "fuse", "donate", "parallelBranches"]);
  const statics = positions(op, "static", o.static);
  const donated = positions(op, "donate", o.donate);
  for (const i of donated) {
    if (statics.has(i)) throw invalidArgument(op, `argument ${i} cannot be both static and donated`, { argument: "donate", index: i });
  }
  for (const name of ["fuse", "parallelBranches"] as const) {
    if (o[name] !== undefined && typeof o[name] !== "boolean")
      throw invalidArgument(op, `${name} must be a boolean, got ${describe(o[name])}`, { argument: name, got: describe(o[name]) });
  }
  const fuse = o.fuse ?? true;
  const cache = new Map<
    string,
    Compiled & {
      readonly recycler: Recycler | undefined;
      readonly run: (leaves: readonly Tensor[]) => unknown;
      /** Positions of the donated tensors among the leaves, and the storages this call may overwrite (passes/inPlace.ts). */
      readonly donatedLeaves: readonly number[];
      readonly overwrites: Set<Storage>;
    }
  >();
  let traces = 0;

  const compile = (args: readonly unknown[]) => {
    for (const [name, list] of [
      ["static", statics],
      ["donate", donated],
    ] as const) {
      for (const i of list) {
        if (i >= args.length) throw invalidArgument(op, `${name} argument ${i} was not passed (${args.length} arguments)`, { argument: name, index: i, arguments: args.length });
      }
    }
    const traced = args.map((a, i) => (statics.has(i) ? undefined : a));
    // flatten first: it refuses cycles and over-deep trees with an AdError before a key is made.
    const tree = flatten(op, traced);
    const key = signatureOf(args, statics);
    let compiled = cache.get(key);
    if (compiled === undefined) {
      const program = trace((...xs: Tensor[]) => {
        // Float inputs require a gradient while tracing, so a customVjp inside records its own rule
        // as one equation (unwatched, it would inline f's ops and lose the rule).
        for (const x of xs) if (isFloat(x.dtype)) x.requiresGrad = true;
        const rebuilt = tree.rebuild(xs) as unknown[];
        return fn(...rebuilt.map((a, i) => (statics.has(i) ? args[i] : a)));
      })(...tree.leaves);
      traces++;
      // The generated kernels read host memory; a program on another device fuses only where that
      // device compiles fused groups itself (a GPU: WGSL), and otherwise runs its single kernels.
      const placed = [...tree.leaves, ...program.constants.map((c) => c.value)];
      const onHost = placed.every((t) => t.device === host);
      const device = placed.length > 0 && placed.every((t) => t.device === placed[0].device) ? placed[0].device.kernels : undefined;
      const onDevice = !onHost && device?.compileDeviceFused !== undefined ? device : undefined;
      // Donated storage is written over only in a recycled program (below; checked on the trace here,
      // before the passes that need it), and only where this call allows it (`overwritable`).
      const donatedLeaves = onHost && runsOnlyEngineCode(program) ? leafPositions(op, traced, donated) : [];
      const overwrites = new Set<Storage>();
      const donation = donatedLeaves.length === 0 ? undefined : { inputs: new Set(donatedLeaves), mayOverwrite: (s: Storage) => overwrites.has(s) };
      const optimised = optimise(program, fuse && (onHost || onDevice !== undefined), o.parallelBranches ?? true, onDevice, donation);
      // Recycling reads host storage, and user code inside (customVjp) could keep a buffer it hands out.
      // On a backend that keeps storage in place (wasm), the recycled storage moves there.
      const resident = fuse ? residentOf(backendKernels(getBackend())) : undefined;
      const recycler = onHost && runsOnlyEngineCode(optimised.replay) ? new Recycler(resident) : undefined;
      // A recycled program runs only the engine's host kernels: its loop is prepared once (run.ts).
      const run = recycler === undefined ? (xs: readonly Tensor[]) => optimised.fused.evaluate(...xs) : prepared(optimised.fused);
      compiled = { ...optimised, recycler, run, donatedLeaves, overwrites };
      cache.set(key, compiled);
    }
    return { compiled, leaves: tree.leaves };
  };

  const jitted = (...args: unknown[]): unknown => {
    const { compiled, leaves } = compile(args);
    if (watched(compiled.replay, leaves)) return compiled.replay.evaluate(...leaves);
    const { fused, recycler, run, donatedLeaves, overwrites } = compiled;
    if (recycler === undefined) return run(leaves);
    const given = flatten(
      op,
      args.filter((_, i) => donated.has(i)),
    ).leaves;
    const kept = [...leaves.filter((t) => !given.includes(t)), ...fused.constants.map((c) => c.value)];
    if (donatedLeaves.length > 0) overwritable(leaves, donatedLeaves, kept, recycler, overwrites);
    try {
      return recycler.run(
        () => run(leaves),
        (result) => flatten(op, result).leaves,
        given,
        kept,
      );
    } finally {
      overwrites.clear();
    }
  };
  Object.defineProperty(jitted, "traces", { get: () => traces, enumerable: true });
  Object.defineProperty(jitted, "lower", { value: (...args: unknown[]): Program => compile(args).compiled.fused });
  return jitted as unknown as Jitted<F>;
}
