/** Seeded inputs for the tensor workloads: the same numbers every run, for every library. */
import { rng, type Rng } from "../../src/tensor/index.js";
import { cnnGeometry, type ChainData, type CnnData, type CnnSizes, type MlpData, type MlpSizes } from "../rivals/rival.js";

export function normals(g: Rng, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = g.normal() * scale;
  return out;
}

export function oneHotRows(g: Rng, rows: number, classes: number): Float32Array {
  const out = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) out[r * classes + g.int(0, classes)] = 1;
  return out;
}

export function matmulData(seed: number, n: number): { a: Float32Array; b: Float32Array } {
  const g = rng(seed);
  return { a: normals(g, n * n, 1), b: normals(g, n * n, 1) };
}

/** The MLP of the benchmarks: x[128, 784] → 256 relu → 10. */
export const MLP_SIZES: MlpSizes = { inputs: 784, hidden: 256, classes: 10, batch: 128 };

export function mlpData(seed: number, sizes: MlpSizes): MlpData {
  const g = rng(seed);
  const { inputs, hidden, classes, batch } = sizes;
  return {
    sizes,
    x: normals(g, batch * inputs, 1),
    labels: oneHotRows(g, batch, classes),
    // He initialisation, so the hidden layer and the logits are O(1) and the loss is not saturated.
    params: {
      w1: normals(g, inputs * hidden, Math.sqrt(2 / inputs)),
      b1: normals(g, hidden, 0.1),
      w2: normals(g, hidden * classes, Math.sqrt(2 / hidden)),
      b2: normals(g, classes, 0.1),
    },
  };
}

export function cnnData(seed: number, sizes: CnnSizes): CnnData {
  const g = rng(seed);
  const { batch, side, filters, kernel, classes } = sizes;
  const { features } = cnnGeometry(sizes);
  return {
    sizes,
    x: normals(g, batch * side * side, 1),
    labels: oneHotRows(g, batch, classes),
    params: {
      wc: normals(g, filters * kernel * kernel, Math.sqrt(2 / (kernel * kernel))),
      bc: normals(g, filters, 0.1),
      wd: normals(g, features * classes, Math.sqrt(2 / features)),
      bd: normals(g, classes, 0.1),
    },
  };
}

/** x uniform in [−1, 1) from the same linear congruential sequence as bench/scalar.ts, rounded to float32. */
export function chainData(n: number): ChainData {
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return { x };
}
