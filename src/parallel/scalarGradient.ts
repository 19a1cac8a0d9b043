/**
 * Independent scalar gradients on worker threads: an ensemble of parameter sets, per-sample
 * gradients of a simulation. Each member is one `valueAndGradient(f, x)` (or one call of a
 * `differentiate`d function), run on a worker with a tape of its own, so the tapes' arenas live in
 * the workers' memories and no two threads ever touch one adjoint. A member's gradient depends only
 * on its own input, never on which worker ran it or how the members were split, so the results are
 * bit-identical to a single-threaded loop, whatever the worker count.
 *
 * A function cannot be posted to a worker; each worker re-creates it (scalarWorker.ts): a plain
 * function from its source text (so it must be self-contained), a `{ module, export }` from its
 * module, a `differentiate`d function from its generated code.
 */
import { AdError, describe, expectBooleanOption, expectFiniteVector, expectInteger, expectOptions, invalidArgument } from "../errors.js";
import type { MultivariateFn } from "../scalar/scalar.js";
import type { ReverseDerivative } from "../transform/index.js";
import { generatedCode } from "../transform/rebuild.js";
import type { Failure, Recipe, Reply, Task } from "./scalarMessages.js";
import { hardwareThreads, runTasks, type WorkerScript } from "./scalarPool.js";

/** The most workers a call may ask for. */
const MAX_WORKERS = 256;

export interface ParallelGradientOptions {
  /** How many worker threads share the members (default: the machine's hardware threads). */
  readonly workers?: number;
  /** As `valueAndGradient`'s: `NonFinite` naming the first op that produced NaN/±Inf. */
  readonly checkFinite?: boolean;
  /** Milliseconds after which the call fails with an `AdError` and its workers are stopped (default: no limit). */
  readonly timeout?: number;
  /**
   * Where adjoint's worker script (`parallel/scalarWorker.js`, next to this module in the package) is
   * served from, for bundles that do not carry it along: a URL, or in Node a file path.
   */
  readonly worker?: string | URL;
}

/** A function given by where it lives: a module a worker can import, and the name of its export. */
export interface ScalarModuleFunction {
  /** An absolute URL (in a browser, relative to the page), e.g. `new URL("./model.js", import.meta.url)`. */
  readonly module: string | URL;
  /** The export (default: "default"): a function `(xs, S) => y` as `gradient` takes. */
  readonly export?: string;
}

/** One array of numbers per member. */
export type EnsembleInputs = readonly (readonly number[] | Float64Array)[];

/** What runs on the workers: a self-contained function over a `Scalar`, a module's export, or a `differentiate`d function. */
export type ScalarParallelFn = MultivariateFn | ScalarModuleFunction | ReverseDerivative;

export interface ParallelValuesAndGradients {
  /** f at each member's input. */
  readonly values: Float64Array;
  /** ∇f at each member's input, in input order: views of one Float64Array laid out as the inputs. */
  readonly gradients: Float64Array[];
}

/**
 * ∇f at each of `inputs` (one array of numbers per member), computed on `options.workers` worker
 * threads: `gradient(f, inputs[i])` for every i, bit for bit.
 */
export function parallelGradient(f: MultivariateFn, inputs: EnsembleInputs, options?: ParallelGradientOptions): Promise<Float64Array[]>;
export function parallelGradient(f: ScalarParallelFn, inputs: EnsembleInputs, options?: ParallelGradientOptions): Promise<Float64Array[]>;
export async function parallelGradient(f: ScalarParallelFn, inputs: EnsembleInputs, options?: ParallelGradientOptions): Promise<Float64Array[]> {
  return (await run("parallelGradient", f, inputs, options)).gradients;
}

/** f and ∇f at each of `inputs`, on worker threads (see `parallelGradient`). */
export function parallelValueAndGradient(f: MultivariateFn, inputs: EnsembleInputs, options?: ParallelGradientOptions): Promise<ParallelValuesAndGradients>;
export function parallelValueAndGradient(f: ScalarParallelFn, inputs: EnsembleInputs, options?: ParallelGradientOptions): Promise<ParallelValuesAndGradients>;
export async function parallelValueAndGradient(f: ScalarParallelFn, inputs: EnsembleInputs, options?: ParallelGradientOptions): Promise<ParallelValuesAndGradients> {
  return run("parallelValueAndGradient", f, inputs, options);
}

/**
 * Task sizes: each worker takes about this many tasks, so that when one worker gets less of the
 * machine (or slower members) the others take more of the work, and the last task is a small part of it.
 */
const TASKS_PER_WORKER = 16;

async function run(op: string, f: unknown, inputs: unknown, options: unknown): Promise<ParallelValuesAndGradients> {
  const o = expectOptions<ParallelGradientOptions>(op, options, ["workers", "checkFinite", "timeout", "worker"]);
  const workers = o.workers === undefined ? await hardwareThreads() : expectInteger(op, "workers", o.workers, 1, MAX_WORKERS);
  const checkFinite = expectBooleanOption(op, "checkFinite", o.checkFinite, false);
  const timeout = timeoutOf(op, o.timeout);
  const script = scriptOf(op, o.worker);
  const recipe = recipeOf(op, f);
  const { data, offsets } = flatten(op, inputs, recipe);
  const n = offsets.length - 1;
  const values = new Float64Array(n);
  const all = new Float64Array(data.length);
  const gradients = Array.from({ length: n }, (_, i) => all.subarray(offsets[i], offsets[i + 1]));
  if (n === 0) return { values, gradients };

  const count = Math.min(workers, n);
  const size = Math.ceil(n / (count * TASKS_PER_WORKER));
  const tasks: Task[] = [];
  for (let first = 0, id = 0; first < n; first += size, id++) {
    const last = Math.min(first + size, n);
    const start = offsets[first];
    tasks.push({
      op,
      id,
      recipe,
      checkFinite,
      first,
      data: data.slice(start, offsets[last]),
      offsets: offsets.slice(first, last + 1).map((v) => v - start),
    });
  }
  const replies = await runTasks(op, script, count, tasks, timeout);
  if (!Array.isArray(replies)) throw failed(op, (replies as Reply & { ok: false }).failure);
  replies.forEach((reply: Reply, t) => {
    if (!reply.ok) return;
    values.set(reply.values, tasks[t].first);
    all.set(reply.gradients, offsets[tasks[t].first]);
  });
  return { values, gradients };
}

function timeoutOf(op: string, timeout: unknown): number {
  if (timeout === undefined) return Infinity;
  if (typeof timeout !== "number" || !(timeout > 0)) {
    throw invalidArgument(op, `timeout must be a positive number of milliseconds, got ${describe(timeout)}`, { argument: "timeout", got: describe(timeout) });
  }
  // Beyond 2^31 − 1 ms (24.8 days) timers fire at once: such a limit is no limit.
  return timeout > 2 ** 31 - 1 ? Infinity : timeout;
}

function scriptOf(op: string, worker: unknown): WorkerScript {
  if (worker === undefined) return new URL("./scalarWorker.js", import.meta.url);
  if (typeof worker === "string" || worker instanceof URL) return worker;
  throw invalidArgument(op, `worker must be the worker script's URL or path, got ${describe(worker)}`, { argument: "worker", got: describe(worker) });
}

/** How the workers will re-create f (the checks that need no worker happen here). */
function recipeOf(op: string, f: unknown): Recipe {
  if (typeof f === "function") {
    const code = generatedCode(f);
    if (typeof code === "string") throw invalidArgument(op, `f was made by the transform but cannot be re-created in a worker: ${code}`, { argument: "f" });
    if (code !== undefined) {
      const mixed = code.kinds.length !== 1 && code.kinds.includes("arr");
      if (mixed) {
        throw invalidArgument(op, "a differentiate'd f must take one array or numbers only: each member's input is that array, or the numbers in order", {
          argument: "f",
          kinds: code.kinds.join(","),
        });
      }
      return { kind: "generated", code };
    }
    const source = Function.prototype.toString.call(f);
    if (source.includes("[native code]")) {
      throw invalidArgument(op, "f is a built-in or bound function, whose source a worker cannot re-create: pass a self-contained function or { module, export }", {
        argument: "f",
      });
    }
    return { kind: "source", source };
  }
  if (f !== null && typeof f === "object" && !Array.isArray(f)) {
    const m = expectOptions<ScalarModuleFunction>(op, f, ["module", "export"], true);
    const name = m.export ?? "default";
    if (typeof name !== "string") throw invalidArgument(op, `f.export must be an export's name, got ${describe(name)}`, { argument: "f.export", got: describe(name) });
    return { kind: "module", url: moduleUrl(op, m.module), name };
  }
  throw invalidArgument(op, `f must be a function or { module, export }, got ${describe(f)}`, { argument: "f", got: describe(f) });
}

function moduleUrl(op: string, module: unknown): string {
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  if (typeof module === "string" || module instanceof URL) {
    try {
      return new URL(module, page).href;
    } catch {
      // falls through to the refusal
    }
  }
  throw invalidArgument(op, `f.module must be an absolute URL (e.g. new URL("./model.js", import.meta.url)), got ${describe(module)}`, {
    argument: "f.module",
    got: describe(module),
  });
}

/** The members' inputs end to end, and where each starts (checked: finite numbers, as f's arity needs). */
function flatten(op: string, inputs: unknown, recipe: Recipe): { data: Float64Array; offsets: Int32Array } {
  if (!Array.isArray(inputs))
    throw invalidArgument(op, `inputs must be an array of inputs (arrays of numbers), got ${describe(inputs)}`, { argument: "inputs", got: describe(inputs) });
  const n = expectInteger(op, "inputs.length", inputs.length, 0, 2 ** 31 - 2);
  const points: number[][] = [];
  const offsets = new Int32Array(n + 1);
  const arity = recipe.kind === "generated" && recipe.code.kinds[0] !== "arr" ? recipe.code.kinds.length : undefined;
  for (let i = 0; i < n; i++) {
    const x = expectFiniteVector(op, `inputs[${i}]`, (inputs as unknown[])[i]);
    if (arity !== undefined && x.length !== arity) {
      throw invalidArgument(op, `inputs[${i}] has ${x.length} numbers; f takes ${arity} arguments`, { argument: `inputs[${i}]`, expected: arity, got: x.length });
    }
    if (offsets[i] + x.length > 2 ** 31 - 1) throw invalidArgument(op, "the inputs hold more than 2^31 − 1 numbers in all", { argument: "inputs" });
    offsets[i + 1] = offsets[i] + x.length;
    points.push(x);
  }
  const data = new Float64Array(offsets[n]);
  points.forEach((x, i) => data.set(x, offsets[i]));
  return { data, offsets };
}

/** A worker's failure as the `AdError` the call throws. */
function failed(op: string, f: Failure): AdError {
  switch (f.kind) {
    case "adError": {
      // As asOp names an inner op: the message without its own op prefix, the inner op kept when it is another.
      const inner = f.details.op;
      const message = f.message.startsWith(`${String(inner)}: `) ? f.message.slice(String(inner).length + 2) : f.message;
      const where = inner === op ? "" : ` (in ${String(inner)})`;
      return new AdError(f.code, `inputs[${f.index}]: ${message}${where}`, { ...f.details, op, ...(inner === op ? {} : { inner }), index: f.index });
    }
    case "free":
      return invalidArgument(
        op,
        `f reads ${f.name}, which is not defined in a worker: a function run on workers is re-created there from its source, so it must be self-contained (define what it uses inside it), or be given as { module: url, export: name }`,
        { argument: "f", name: f.name, index: f.index },
      );
    case "thrown":
      return invalidArgument(op, `f threw at inputs[${f.index}]: ${f.text}`, { argument: "f", index: f.index, thrown: f.text });
    case "recipe":
      return invalidArgument(op, `f cannot be re-created in a worker: ${f.text}`, { argument: "f" });
  }
}

export { stopScalarWorkers } from "./scalarPool.js";
