/**
 * Plain JavaScript, no library: what a hand-written loop costs. An i-k-j matmul over Float32Array, and
 * the elementwise chain's value and gradient written out by hand (bench/chain.ts's `chainHand`, here in
 * float64 arithmetic on the float32 inputs, the gradient rounded to float32 when stored). It has no autodiff, so the MLP and
 * the CNN are left out.
 */
import { chainHand } from "../chain.js";
import type { ChainData, Rival } from "./rival.js";

/** C = A·B, i-k-j order: the inner loop walks a row of B and a row of C, both contiguous. */
export function matmulIkj(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const c = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowC = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[rowC + k];
      const rowB = k * n;
      for (let j = 0; j < n; j++) c[rowC + j] += aik * b[rowB + j];
    }
  }
  return c;
}

function chain(data: ChainData) {
  const g = new Float32Array(data.x.length);
  return {
    step: () => chainHand(data.x, g) + g[0],
    result: () => {
      const value = chainHand(data.x, g);
      return { value, grads: { x: Float32Array.from(g) } };
    },
  };
}

export const plainJs: Rival = {
  threads: 1,
  setup: "hand-written loops over Float32Array, one thread",
  matmul: (a, b, n) => () => matmulIkj(a, b, n)[0],
  chain,
  missing: { mlp: "no autodiff", cnn: "no autodiff" },
};
