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
import { Tensor } from "../../src/tensor/tensor.js";

const R = rng(Number(process.env.JUNK_SEED ?? 2026));

/** A Float32Array whose buffer was transferred away: its length reads 0 and its iterator throws. */
function detached(): Float32Array {
  const a = new Float32Array(4);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}
/** An array that claims a length it does not have (2⁴⁰: a loop over it would run for a minute). */
const lyingLength = (length: unknown) => new Proxy([tensor([1, 2])], { get: (t, k, r) => (k === "length" ? length : Reflect.get(t, k, r)) });
const forgedTensor = () => Object.assign(Object.create(Tensor.prototype), { shape: [2], dtype: "float32", storage: null, strides: [1], offset: 0, grad: 1 });
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
  () =>
    tensor([
      [1, 2],
      [3, 4],
    ]),
  () => tensor([1, 0], { dtype: "int32" }),
  () => tensor([true]),
  () => zeros([0, 3]),
  () => zeros([2, 3, 4, 4]),
  () =>
    tensor([
      [1, 2],
      [3, 4],
    ]).transpose(),
  () => new Uint8Array([1, 2, 3]),
  () => new Uint8Array(16),
  () => rng(3),
  () => ({ w: tensor([1]) }),
  detached,
  () => [detached()],
  () => new Array(3),
  () => [tensor([1, 2]), , tensor([3, 4])],
  () => lyingLength(2 ** 40),
  () => lyingLength(Symbol("length")),
  forgedTensor,
  () => [forgedTensor()],
  // Bytes that pass `instanceof Uint8Array` and throw a TypeError on `.length`.
  () => new Proxy(new Uint8Array(16), {}),
  () => Object.create(Uint8Array.prototype),
  () => new Proxy(new ArrayBuffer(16), {}),
  () => new Set([tensor([1, 2]), forgedTensor()]),
  () => ({ lr: 0.1, betas: R.int(0, 2) === 0 ? 5 : detached(), momentum: NaN, eps: -1 }),
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
const inScratch =
  (f: (path: never, ...rest: never[]) => unknown) =>
  (path: unknown, ...rest: unknown[]) =>
    f((typeof path === "string" ? join(scratch, path.replace(/[\\/]/g, "_")) : path) as never, ...(rest as never[]));
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

describe("a forged tensor at every position of every export and method", () => {
  it("is refused with an AdError or ignored, never read", async () => {
    const forgedArgs = (n: number, at: number) =>
      Array.from({ length: Math.max(n, 1) }, (_, i) =>
        at < 0 || i === at
          ? forgedTensor()
          : i === 0
            ? tensor([
                [1, 2],
                [3, 4],
              ])
            : 2,
      );
    for (const [name, value] of Object.entries({ ...nn, ...optim })) {
      if (typeof value !== "function" || name === "Module" || name === "Optimizer") continue;
      const f = value as (...args: unknown[]) => unknown;
      for (let at = -1; at < Math.max(f.length, 1); at++) {
        const args = forgedArgs(f.length, at);
        await settle(name, () => (isClass(f) ? new (f as unknown as new (...a: unknown[]) => unknown)(...args) : f(...args)));
      }
    }
    for (const o of instances()) {
      for (const [label, method, setter] of methodsOf(o)) {
        for (let at = -1; at < Math.max(method.length, 1); at++) await settle(label, () => method.apply(o, setter ? [forgedTensor()] : forgedArgs(method.length, at)));
      }
    }
  });
});

describe("the reported escapes are AdErrors naming the op", () => {
  const refused = (op: string, call: () => unknown) =>
    expect(call).toThrow(expect.objectContaining({ name: "AdError", code: "InvalidArgument", details: expect.objectContaining({ op }) }));

  it("an optimiser or clipGradNorm given a detached Float32Array", () => {
    for (const C of [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop]) refused(C.name, () => new C(detached() as never, { lr: 0.1 }));
    refused("clipGradNorm", () => optim.clipGradNorm(detached() as never, 1));
  });

  it("batches, trainTestSplit and DataLoader given holes", () => {
    for (const data of [new Array(3), [tensor([1, 2]), , tensor([3, 4])]]) {
      refused("batches", () => nn.batches(data as never, { batchSize: 1 }));
      refused("trainTestSplit", () => nn.trainTestSplit(data as never));
      refused("DataLoader", () => new nn.DataLoader(data as never, { batchSize: 1 }));
    }
  });

  it("clipGradNorm and the optimisers given an array that claims 2^40 elements, at once", () => {
    refused("clipGradNorm", () => optim.clipGradNorm(lyingLength(2 ** 40) as never, 1));
    refused("SGD", () => new optim.SGD(lyingLength(2 ** 40) as never, { lr: 0.1 }));
    refused("batches", () => nn.batches(lyingLength(2 ** 40) as never, { batchSize: 1 }));
  });

  it("Adam and AdamW given betas that are not a pair", () => {
    for (const betas of [5, detached(), [0.9], lyingLength(2 ** 40)]) {
      for (const C of [optim.Adam, optim.AdamW]) refused(C.name, () => new C([tensor([1, 2])], { lr: 0.1, betas: betas as never }));
    }
  });

  it("a forged tensor, or a forged .grad, in params", () => {
    refused("clipGradNorm", () => optim.clipGradNorm([forgedTensor()] as never, 1));
    refused("SGD", () => new optim.SGD(new Set([forgedTensor()]) as never, { lr: 0.1 }));
    const p = tensor([1, 2]).requireGrad();
    p.grad = forgedTensor();
    refused("clipGradNorm", () => optim.clipGradNorm([p], 1));
  });
});

// Pass `instanceof Uint8Array`, then throw a TypeError on `.length`. Walked over the byte readers
// (with some genuine arguments around them), so each reader gets them in every run, not by chance.
const POSING_BYTES: (() => unknown)[] = [() => new Proxy(new Uint8Array(16), {}), () => Object.create(Uint8Array.prototype), () => new Proxy(new ArrayBuffer(16), {})];

describe("safetensors readers: bytes that only pose as bytes, AdError out", () => {
  it.each([
    ["loadSafetensors", nn.loadSafetensors],
    ["readSafetensors", nn.readSafetensors],
  ] as const)("%s", async (name, f) => {
    for (let i = 0; i < RUNS; i++) {
      const args = [POSING_BYTES[R.int(0, POSING_BYTES.length)](), ...argsOf(1)];
      await settle(name, () => (f as (...a: unknown[]) => unknown)(...args));
    }
  });
});
