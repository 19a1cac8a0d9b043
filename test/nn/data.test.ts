/** Batching and splitting: every sample once per epoch, seeded orders, rows kept together. */
import { describe, expect, it } from "vitest";
import { batches, DataLoader, permutation, trainTestSplit } from "../../src/nn/index.js";
import { arange, tensor } from "../../src/tensor/creation.js";
import { reshape } from "../../src/tensor/primitives/shape.js";
import { rng } from "../../src/tensor/rng.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { thrown } from "../support/errorCode.js";

const x = reshape(arange(20), [10, 2]); // row i is [2i, 2i + 1]
const y = arange(10, undefined, 1, { dtype: "int32" });
const flat = (t: Tensor): number[] => Array.from(t.data());

describe("batches", () => {
  it("in order: batches of batchSize, the last one smaller unless dropLast", () => {
    expect([...batches([x, y], { batchSize: 4 })].map(([, yb]) => flat(yb))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect([...batches([x, y], { batchSize: 4, dropLast: true })].map(([xb]) => xb.shape)).toEqual([
      [4, 2],
      [4, 2],
    ]);
  });

  it("shuffled: a permutation that keeps x and y rows together, fixed by the seed", () => {
    const run = (seed: number) => [...batches([x, y], { batchSize: 3, shuffle: true, seed })];
    const seen = run(1).flatMap(([xb, yb]) => {
      const rows = xb.toArray() as number[][];
      flat(yb).forEach((label, i) => expect(rows[i]).toEqual([2 * label, 2 * label + 1]));
      return flat(yb);
    });
    expect([...seen].sort((a, b) => a - b)).toEqual(flat(y));
    expect(seen).not.toEqual(flat(y));
    expect(run(1).map(([, yb]) => flat(yb))).toEqual(run(1).map(([, yb]) => flat(yb)));
    expect(run(2).map(([, yb]) => flat(yb))).not.toEqual(run(1).map(([, yb]) => flat(yb)));
  });

  it("DataLoader: a new order each epoch from one seeded stream, reproducible as a whole", () => {
    const epochs = (loader: DataLoader<readonly [Tensor, Tensor]>) => [0, 1].map(() => [...loader].flatMap(([, yb]) => flat(yb)));
    const a = epochs(new DataLoader([x, y], { batchSize: 4, shuffle: true, seed: 5 }));
    expect(a[0]).not.toEqual(a[1]);
    expect(epochs(new DataLoader([x, y], { batchSize: 4, shuffle: true, seed: 5 }))).toEqual(a);
    expect(new DataLoader([x, y], { batchSize: 4 }).length).toBe(3);
    expect(new DataLoader([x, y], { batchSize: 4, dropLast: true }).length).toBe(2);
  });

  it("permutation is uniform enough: each position sees each value", () => {
    const g = rng(0);
    const counts = Array.from({ length: 4 }, () => new Array(4).fill(0));
    for (let k = 0; k < 4000; k++) permutation(4, g).forEach((v, i) => counts[i][v]++);
    for (const row of counts) for (const c of row) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });

  it("refuses mismatched sample counts and bad batch sizes", () => {
    expect(thrown(() => batches([x, tensor([1, 2])], { batchSize: 2 })).code).toBe("ShapeMismatch");
    expect(thrown(() => batches([x], { batchSize: 0 }).next()).code).toBe("InvalidArgument");
    expect(thrown(() => batches([], { batchSize: 1 })).code).toBe("InvalidArgument");
  });
});

describe("trainTestSplit", () => {
  it("splits indices or tensors disjointly, by the seed", () => {
    const { train, test } = trainTestSplit(10, { testFraction: 0.3, seed: 1 });
    expect(test.size).toBe(3);
    expect([...flat(train), ...flat(test)].sort((a, b) => a - b)).toEqual(flat(y));
    expect(flat(trainTestSplit(10, { testFraction: 0.3, seed: 1 }).test)).toEqual(flat(test));
    const split = trainTestSplit([x, y], { testFraction: 0.3, seed: 1 });
    expect(flat(split.test[1])).toEqual(flat(test));
    (split.test[0].toArray() as number[][]).forEach((row, i) => expect(row[0]).toBe(2 * flat(test)[i]));
    expect(thrown(() => trainTestSplit(10, { testFraction: 1 })).code).toBe("InvalidArgument");
  });
});
