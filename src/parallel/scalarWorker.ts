/**
 * The script each scalar worker runs (started by scalarPool.ts through threads.ts, in Node as a
 * worker_threads module, in a browser as a module Worker): it re-creates the function from its recipe, then evaluates value
 * and gradient for each member of a task on its own tape, whose arena lives in this worker's memory.
 * It records and sweeps exactly as the calling thread's `valueAndGradient` (or `df`) does, so each
 * member's gradient has the bits a single-threaded call gives.
 */
import { AdError, describe } from "../errors.js";
import { within } from "../scalar/reverseOver.js";
import type { MultivariateFn, Scalar } from "../scalar/scalar.js";
import { Tape } from "../scalar/tape/tape.js";
import { Var } from "../scalar/tape/variable.js";
import { rebuildReverse } from "../transform/rebuild.js";
import type { Failure, Recipe, Reply, Task } from "./scalarMessages.js";
import { isGroupWorker, serveThread } from "./threads.js";

/** One member: its value, its gradient written into `into`. */
type Member = (x: Float64Array, into: Float64Array, task: Task) => number;

/** Recipes already turned into functions, by their text (a worker serves many calls of one function). */
const made = new Map<string, Member>();
const MADE_LIMIT = 64;

/** A recipe's failure to become a function, kept apart from failures while a member runs. */
class RecipeFailure {
  constructor(readonly text: string) {}
}

async function member(recipe: Recipe): Promise<Member> {
  const key = JSON.stringify(recipe);
  let m = made.get(key);
  if (m === undefined) {
    m = await make(recipe);
    if (made.size >= MADE_LIMIT) made.clear();
    made.set(key, m);
  }
  return m;
}

async function make(recipe: Recipe): Promise<Member> {
  switch (recipe.kind) {
    case "source":
      return onTape(fromSource(recipe.source));
    case "module":
      return onTape(await fromModule(recipe.url, recipe.name));
    case "generated": {
      const df = rebuildReverse(recipe.code);
      // One array argument, or numbers only (scalarGradient.ts checks which before posting).
      if (recipe.code.kinds[0] === "arr") return (x, into) => copy(df(x), into);
      return (x, into) => copy(df(...x), into);
    }
  }
}

function copy({ value, gradient }: { value: number; gradient: (number | Float64Array)[] }, into: Float64Array): number {
  if (gradient.length === 1 && typeof gradient[0] !== "number") into.set(gradient[0]);
  else for (let i = 0; i < gradient.length; i++) into[i] = gradient[i] as number;
  return value;
}

/**
 * The worker's tapes (one per `checkFinite` setting), each reset for every member: its arena grows to
 * the largest member's size once and is reused, where a tape per member would grow (and be collected)
 * each time. A reset tape records exactly what a new one does.
 */
const tapes = new Map<boolean, Tape>();

/** f evaluated as `valueAndGradient(f, x)` evaluates it on the calling thread, on this worker's tape. */
function onTape(f: MultivariateFn): Member {
  return (x, into, { op, checkFinite }) => {
    let tape = tapes.get(checkFinite);
    if (tape === undefined) tapes.set(checkFinite, (tape = new Tape({ checkFinite, capacity: 64 })));
    tape.reset();
    const t = tape;
    const xs = t.variables(x);
    // Inside f, a nested gradient records on this tape (reverse over reverse), as valueAndGradient arranges.
    const y = output(
      op,
      t,
      within(t.scalar as Scalar<unknown>, () => f(xs, t.scalar)),
    );
    into.set(t.backward(y).wrt(xs));
    return t.value(y);
  };
}

/** f's result as `backward` takes it (valueAndGradient's check): a variable of this member's tape, or a number. */
function output(op: string, tape: Tape, y: unknown): Var | number {
  if (typeof y === "number") return y;
  if (y instanceof Var) {
    if (y.tape !== tape) throw new AdError("ForeignVariable", "f returned a variable of another tape", { op, index: y.index });
    return y;
  }
  throw new AdError("InvalidArgument", `f must return the value it computed from its arguments (or a number), got ${describe(y)}`, {
    op,
    argument: "f",
    returned: describe(y),
  });
}

function fromSource(source: string): MultivariateFn {
  let f: unknown;
  try {
    // Indirect: the text is compiled in the worker's global scope, so only globals are free names.
    f = new Function(`"use strict";\nreturn (${source});`)();
  } catch (e) {
    throw new RecipeFailure(`its source does not compile as a function expression in a worker (${errorText(e)}); pass an arrow function or a function expression`);
  }
  if (typeof f !== "function") throw new RecipeFailure("its source is not a function expression");
  return f as MultivariateFn;
}

async function fromModule(url: string, name: string): Promise<MultivariateFn> {
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (e) {
    throw new RecipeFailure(`the module ${url} did not load in a worker: ${errorText(e)}`);
  }
  const f = module[name];
  if (typeof f !== "function") throw new RecipeFailure(`the module ${url} has no function export ${JSON.stringify(name)}`);
  return f as MultivariateFn;
}

async function run(task: Task): Promise<Reply> {
  let m: Member;
  try {
    m = await member(task.recipe);
  } catch (e) {
    // Anything else thrown here must come back as a reply too: a browser reports no event for a rejected promise.
    return { id: task.id, ok: false, failure: { kind: "recipe", text: e instanceof RecipeFailure ? e.text : errorText(e) } };
  }
  const { data, offsets, first } = task;
  const count = offsets.length - 1;
  const values = new Float64Array(count);
  const gradients = new Float64Array(data.length);
  for (let k = 0; k < count; k++) {
    try {
      values[k] = m(data.subarray(offsets[k], offsets[k + 1]), gradients.subarray(offsets[k], offsets[k + 1]), task);
    } catch (e) {
      return { id: task.id, ok: false, failure: failure(first + k, e) };
    }
  }
  return { id: task.id, ok: true, values, gradients };
}

/** V8 and SpiderMonkey say "x is not defined", JavaScriptCore "Can't find variable: x". */
const NOT_DEFINED = [/^(\S+) is not defined$/, /^Can't find variable: (\S+)$/];

function failure(index: number, e: unknown): Failure {
  if (e instanceof AdError) return { kind: "adError", index, code: e.code, message: e.message, details: postable(e.details) };
  if (e instanceof ReferenceError) {
    for (const pattern of NOT_DEFINED) {
      const name = pattern.exec(e.message)?.[1];
      if (name !== undefined) return { kind: "free", index, name };
    }
  }
  return { kind: "thrown", index, text: errorText(e) };
}

/** The details that survive a structured clone (numbers, strings, arrays of them), the rest as text. */
function postable(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    try {
      out[k] = structuredClone(v);
    } catch {
      out[k] = String(v);
    }
  }
  return out;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  try {
    return String(e);
  } catch {
    return "a value that cannot be printed";
  }
}

/** Replies transfer their arrays: the calling thread copies them into the result once. */
function transferOf(reply: Reply): ArrayBuffer[] {
  return reply.ok ? [reply.values.buffer as ArrayBuffer, reply.gradients.buffer as ArrayBuffer] : [];
}

// Imported anywhere but a worker (the main thread, a bundler's analysis), this module does nothing.
if (await isGroupWorker())
  await serveThread(
    (task) => run(task as Task),
    (reply) => transferOf(reply as Reply),
  );
