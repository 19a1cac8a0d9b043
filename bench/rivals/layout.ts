/**
 * Layout conversion for libraries whose layouts differ from adjoint's (TensorFlow.js: NHWC images,
 * [KH, KW, C, F] filters): done once at set-up for inputs and in `result` for gradients, never timed.
 */

/** The row-major array `data` of shape `shape`, with its axes reordered: out axis i is input axis `axes[i]`. */
export function permuted(data: Float32Array, shape: readonly number[], axes: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = axes.map((a) => shape[a]);
  const inStrides = new Array<number>(rank);
  for (let a = rank - 1, s = 1; a >= 0; a--) {
    inStrides[a] = s;
    s *= shape[a];
  }
  const step = axes.map((a) => inStrides[a]); // input offset per unit step along each output axis
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[from];
    // Odometer over the output index, keeping the input offset in step.
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i] < outShape[i]) {
        from += step[i];
        break;
      }
      from -= step[i] * (outShape[i] - 1);
      index[i] = 0;
    }
  }
  return out;
}

/** The inverse permutation: `permuted(permuted(d, s, axes), axes.map(a => s[a]), inverse(axes))` is d. */
export function inverse(axes: readonly number[]): number[] {
  const inv = new Array<number>(axes.length);
  axes.forEach((a, i) => (inv[a] = i));
  return inv;
}
