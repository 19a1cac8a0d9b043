/**
 * Junk in, AdError out, for `adjoint/nn` and `adjoint/optim` (the root's walker, test/junk.test.ts,
 * covers only the root's exports): every exported function and constructor, and every public method
 * of a genuine instance, is called with seeded random junk and must return or throw an AdError with
 * an op. Generators are run to the end and promises awaited, so lazy failures count too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import * as nn from "../../src/nn/index.js";
import * as optim from "../../src/optim/index.js";
import { tensor, zeros } from "../../src/tensor/creation.js";
import { rng } from "../../src/tensor/rng.js";

const R = rng(Number(process.env.JUNK_SEED ?? 2026));
const JUNK: (() => unknown)[] = [
  () => undefined,
  () => null,
  () => NaN,
  () => Infinity,
  () => -1,
  () => 0,
  () => 1.5,
  () => 3,
  () => 2 ** 40,
  () => "x",
  () => Symbol("junk"),
  () => true,
  () => 10n,
  () => ({}),
  () => Object.create(null),
  () => [],
  () => [1, 2],
  () => [[1, 2]],
  () => () => 1,
  () => ({ batchSize: NaN, rng: {}, lr: "fast", kernel: -1, dtype: "int8", reduction: "avg", testFraction: 2, stride: [0] }),
  () => ({ rng: rng(1), batchSize: 2 }),
  () => ({ lr: 0.1 }),
  () => tensor([1, 2]),
  () => tensor([[1, 2], [3, 4]]),
  () => tensor([1, 0], { dtype: "int32" }),
  () => tensor([true]),
  () => zeros([0, 3]),
  () => zeros([2, 3, 4, 4]),
  () => tensor([[1, 2], [3, 4]]).transpose(),
  () => new Uint8Array([1, 2, 3]),
  () => new Uint8Array(16),
  () => rng(3),
  () => ({ w: tensor([1]) }),
];
const junk = () => JUNK[R.int(0, JUNK.length)]();
const argsOf = (n: number) => Array.from({ length: R.int(0, n + 2) }, junk);

async function settle(label: string, run: () => unknown): Promise<void> {
  try {
    let out = run();
    if (out !== null && typeof out === "object" && typeof (out as Promise<unknown>).then === "function") out = await out;
    if (out !== null && typeof out === "object" && typeof (out as Iterator<unknown>).next === "function" && Symbol.iterator in out) {
      let count = 0;
      for (const _ of out as Iterable<unknown>) if (++count > 100) break;
    }
  } catch (e) {
    if (!(e instanceof AdError)) throw new Error(`${label} threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split("\n").slice(1, 4).join("\n")}` : String(e)}`);
    expect(typeof e.details.op === "string" && e.details.op !== "", `${label}: AdError without op`).toBe(true);
  }
}

const isClass = (v: unknown): v is new (...args: unknown[]) => object => typeof v === "function" && /^class\b/.test(Function.prototype.toString.call(v));

/** Genuine instances for method calls. */
function instances(): object[] {
  const r = rng(0);
  return [
    new nn.Linear(2, 3, { rng: r }),
    new nn.Conv2d(3, 2, 2, { rng: r }),
    new nn.MaxPool2d({ kernel: 2 }),
    new nn.AvgPool2d({ kernel: 2 }),
    new nn.Flatten(),
    new nn.Dropout(0.5, { rng: r }),
    new nn.LayerNorm(2),
    new nn.BatchNorm1d(2),
    new nn.BatchNorm2d(3),
    new nn.Embedding(4, 2, { rng: r }),
    new nn.ReLU(),
    new nn.GELU(),
    new nn.Tanh(),
    new nn.Sigmoid(),
    new nn.Sequential(new nn.Linear(2, 2, { rng: r }), new nn.ReLU()),
    new nn.DataLoader([tensor([1, 2, 3])], { batchSize: 2 }),
    new optim.SGD([tensor([1, 2])], { lr: 0.1, momentum: 0.9 }),
    new optim.Adam([tensor([1, 2])], { lr: 0.1 }),
    new optim.AdamW([tensor([1, 2])], { lr: 0.1 }),
    new optim.RMSprop([tensor([1, 2])], { lr: 0.1, centered: true, momentum: 0.5 }),
  ];
}

/** An optimiser's protected hooks: called by `step`/`update` with checked arguments, not public API. */
const PROTECTED_HOOKS = ["initState", "applyUpdate", "defaultWeightDecay"];

function methodsOf(o: object): [string, (...args: unknown[]) => unknown, boolean][] {
  const out: [string, (...args: unknown[]) => unknown, boolean][] = [];
  for (let proto = Object.getPrototypeOf(o); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Reflect.ownKeys(proto)) {
      if (key === "constructor" || PROTECTED_HOOKS.includes(String(key))) continue;
      const d = Object.getOwnPropertyDescriptor(proto, key)!;
      const label = `${o.constructor.name}#${String(key)}`;
      if (typeof d.value === "function") out.push([label, d.value, false]);
      if (d.set !== undefined) out.push([`${label}=`, d.set, true]);
    }
  }
  return out;
}

const RUNS = 150;

// saveFile/loadFile with a junk string path would write into the working directory: keep them in a
// temporary one (the path is still junk to them; only where it lands changes).
const scratch = mkdtempSync(join(tmpdir(), "adjoint-junk-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const inScratch = (f: (path: never, ...rest: never[]) => unknown) => (path: unknown, ...rest: unknown[]) => f((typeof path === "string" ? join(scratch, path.replace(/[\\/]/g, "_")) : path) as never, ...(rest as never[]));
const FILE_FUNCTIONS: Record<string, unknown> = { saveFile: inScratch(nn.saveFile), loadFile: inScratch(nn.loadFile) };

describe("nn and optim: junk in, AdError out", () => {
  const exports = Object.entries({ ...nn, ...optim, ...FILE_FUNCTIONS }).filter(([, v]) => typeof v === "function");
  it.each(exports)("%s", async (name, value) => {
    const f = value as (...args: unknown[]) => unknown;
    for (let i = 0; i < RUNS; i++) {
      const args = argsOf(Math.max(f.length, 3));
      if (isClass(f)) {
        if (name === "Module" || name === "Optimizer") continue;
        await settle(`new ${name}`, () => new (f as unknown as new (...a: unknown[]) => unknown)(...args));
      } else await settle(name, () => f(...args));
    }
  });

  it("methods of genuine instances", async () => {
    for (const o of instances()) {
      for (const [label, method, setter] of methodsOf(o)) {
        for (let i = 0; i < RUNS; i++) {
          const fresh = instances().find((x) => x.constructor === o.constructor)!;
          const args = setter ? [junk()] : argsOf(Math.max(method.length, 2));
          await settle(label, () => method.apply(fresh, args));
        }
      }
    }
  });
});

// Pass `instanceof Uint8Array`, then throw a TypeError on `.length`. Walked over the byte readers
// (with some genuine arguments around them); JUNK does not carry them yet: the optimisers' entry
// points still throw a TypeError on them.
const POSING_BYTES: (() => unknown)[] = [() => new Proxy(new Uint8Array(16), {}), () => Object.create(Uint8Array.prototype), () => new Proxy(new ArrayBuffer(16), {})];

describe("safetensors readers: bytes that only pose as bytes, AdError out", () => {
  it.each([["loadSafetensors", nn.loadSafetensors], ["readSafetensors", nn.readSafetensors]] as const)("%s", async (name, f) => {
    for (let i = 0; i < RUNS; i++) {
      const args = [POSING_BYTES[R.int(0, POSING_BYTES.length)](), ...argsOf(1)];
      await settle(name, () => (f as (...a: unknown[]) => unknown)(...args));
    }
  });
});
