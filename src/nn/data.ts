/**
 * Batching and splitting along axis 0, with seeded shuffles (Fisher–Yates on an explicit `Rng`; no
 * Math.random). Unshuffled batches are views (slices); shuffled ones are copies (`indexSelect`).
 */
import { AdError, describe, expectBooleanOption, expectFinite, expectInteger, expectLength, expectOptions, invalidArgument } from "../errors.js";
import { tensor } from "../tensor/creation.js";
import { indexSelect } from "../tensor/primitives/gather.js";
import { slice } from "../tensor/primitives/shape.js";
import { Rng, rng as makeRng } from "../tensor/rng.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

export interface BatchOptions {
  readonly batchSize: number;
  /** Reorder the samples each epoch (each call of `batches`, each iteration of a `DataLoader`). Default false. */
  readonly shuffle?: boolean;
  /** Seed of the shuffle (default 0); or pass `rng` to continue a stream. */
  readonly seed?: number;
  readonly rng?: Rng;
  /** Leave out a last batch smaller than batchSize. Default false. */
  readonly dropLast?: boolean;
}

/**
 * The tensors of `data`, checked and copied (later reads cannot be led elsewhere by a getter), and
 * the sample count they share along axis 0. Indexed over a checked length, so holes
 * (`new Array(3)`) are refused like any other non-tensor.
 */
function samples(op: string, data: unknown): { tensors: Tensor[]; n: number } {
  const length = Array.isArray(data) ? expectLength(op, "data", data) : 0;
  if (length === 0) throw invalidArgument(op, `data must be a non-empty array of tensors, got ${describe(data)}`);
  const tensors: Tensor[] = [];
  for (let i = 0; i < length; i++) {
    const t: unknown = (data as readonly unknown[])[i];
    if (!(t instanceof Tensor)) throw invalidArgument(op, `data[${i}] must be a Tensor, got ${describe(t)}`, { index: i });
    if (t.rank === 0) throw new AdError("ShapeMismatch", `data[${i}] is a scalar; samples run along axis 0`, { op, index: i, shape: [] });
    tensors.push(t);
  }
  const n = tensors[0].shape[0];
  const other = tensors.findIndex((t) => t.shape[0] !== n);
  if (other >= 0) {
    throw new AdError("ShapeMismatch", `every tensor needs the same number of samples (axis 0): ${formatShape(tensors[0].shape)} vs ${formatShape(tensors[other].shape)}`, {
      op,
      shapes: tensors.map((t) => [...t.shape]),
    });
  }
  return { tensors, n };
}

/** 0 … n−1 in a seeded random order (Fisher–Yates). */
export function permutation(n: number, generator: Rng): Int32Array {
  expectInteger("permutation", "n", n, 0, 2 ** 31 - 1);
  if (!(generator instanceof Rng)) throw invalidArgument("permutation", `generator must come from rng(seed), got ${describe(generator)}`);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.int(0, i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function generatorOf(op: string, o: { seed?: number; rng?: Rng }): Rng {
  if (o.rng !== undefined) {
    if (!(o.rng instanceof Rng)) throw invalidArgument(op, `rng must come from rng(seed), got ${describe(o.rng)}`);
    return o.rng;
  }
  return makeRng(o.seed ?? 0);
}

/** A tensor type with its first (row) axis widened to `number`: the rows of a split or a batch are counted at run time. */
type AnyRows<X> = X extends Tensor<infer S> ? (S extends readonly [number, ...infer R extends readonly number[]] ? Tensor<[number, ...R]> : Tensor) : X;
/** Each tensor of `T` with its row count widened (the other axes keep their literal sizes). */
export type RowsOf<T extends readonly Tensor[]> = { [K in keyof T]: AnyRows<T[K]> };

function* batchesOf<T extends readonly Tensor[]>(data: Tensor[], n: number, size: number, dropLast: boolean, generator: Rng | null): Generator<T> {
  const order = generator === null ? null : tensor(permutation(n, generator));
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    if (end - start < size && dropLast) break;
    if (order === null) yield data.map((t) => slice(t, [[start, end]])) as unknown as T;
    else {
      const idx = slice(order, [[start, end]]);
      yield data.map((t) => indexSelect(t, 0, idx)) as unknown as T;
    }
  }
}

/** The checked options, booleans as booleans (a truthy string is not `true`). */
function checkOptions(op: string, options: unknown): BatchOptions & { shuffle: boolean; dropLast: boolean } {
  const o = expectOptions<BatchOptions>(op, options, ["batchSize", "shuffle", "seed", "rng", "dropLast"], true);
  return { ...o, shuffle: expectBooleanOption(op, "shuffle", o.shuffle, false), dropLast: expectBooleanOption(op, "dropLast", o.dropLast, false) };
}

/**
 * One pass over `data` (tensors with the same axis 0, e.g. [x, y]) in batches of the same tensors:
 * `for (const [xb, yb] of batches([x, y], { batchSize: 32, shuffle: true, seed: epoch }))`.
 */
export function batches<const T extends readonly Tensor[]>(data: T, options: BatchOptions): Generator<RowsOf<T>> {
  const op = "batches";
  const o = checkOptions(op, options);
  const { tensors, n } = samples(op, data);
  const size = expectInteger(op, "batchSize", o.batchSize, 1, 2 ** 31 - 1);
  return batchesOf(tensors, n, size, o.dropLast, o.shuffle ? generatorOf(op, o) : null);
}

/**
 * `batches` as an iterable that can be run once per epoch; with `shuffle`, one generator is created
 * from the seed and advanced by each epoch, so epochs differ and the whole run is reproducible.
 */
export class DataLoader<const T extends readonly Tensor[]> implements Iterable<RowsOf<T>> {
  readonly #generator: Rng | null;
  readonly #tensors: Tensor[];
  readonly #n: number;
  readonly #size: number;
  readonly #dropLast: boolean;
  readonly length: number;

  constructor(
    readonly data: T,
    readonly options: BatchOptions,
  ) {
    const op = "DataLoader";
    const o = checkOptions(op, options);
    const { tensors, n } = samples(op, data);
    const size = expectInteger(op, "batchSize", o.batchSize, 1, 2 ** 31 - 1);
    this.#generator = o.shuffle ? generatorOf(op, o) : null;
    [this.#tensors, this.#n, this.#size, this.#dropLast] = [tensors, n, size, o.dropLast];
    /** Batches per epoch. */
    this.length = this.#dropLast ? Math.floor(n / size) : Math.ceil(n / size);
  }

  [Symbol.iterator](): Iterator<RowsOf<T>> {
    return batchesOf(this.#tensors, this.#n, this.#size, this.#dropLast, this.#generator);
  }
}

export interface SplitOptions {
  /** Fraction of samples in the test part, in (0, 1). Default 0.2 (rounded to a whole sample count). */
  readonly testFraction?: number;
  readonly seed?: number;
}

/** A shuffled split of 0 … n−1: `{ train, test }` index tensors (int32). */
export function trainTestSplit(n: number, options?: SplitOptions): { train: Tensor; test: Tensor };
/** The same rows of every tensor go to the same side: `{ train: [xTrain, yTrain], test: [xTest, yTest] }`. */
export function trainTestSplit<const T extends readonly Tensor[]>(data: T, options?: SplitOptions): { train: RowsOf<T>; test: RowsOf<T> };
export function trainTestSplit(data: number | readonly Tensor[], options: SplitOptions = {}): { train: unknown; test: unknown } {
  const op = "trainTestSplit";
  options = expectOptions<SplitOptions>(op, options, ["testFraction", "seed"]);
  const checked = typeof data === "number" ? { tensors: [], n: expectInteger(op, "n", data, 2, 2 ** 31 - 1) } : samples(op, data);
  const n = checked.n;
  const fraction = expectFinite(op, "testFraction", options.testFraction ?? 0.2);
  if (!(fraction > 0 && fraction < 1)) throw invalidArgument(op, `testFraction must be in (0, 1), got ${fraction}`, { testFraction: fraction });
  const nTest = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  const order = tensor(permutation(n, makeRng(expectInteger(op, "seed", options.seed ?? 0, Number.MIN_SAFE_INTEGER))));
  const test = slice(order, [[0, nTest]]);
  const train = slice(order, [[nTest, n]]);
  if (typeof data === "number") return { train: train.contiguous(), test: test.contiguous() };
  return { train: checked.tensors.map((t) => indexSelect(t, 0, train)), test: checked.tensors.map((t) => indexSelect(t, 0, test)) };
}
