/** Small dense systems (2k × 2k, k the L-BFGS-B history) solved without the tensor layer. */

/**
 * Solves A·X = B in place for A [size, size] and B [size, columns], both row-major: A is destroyed,
 * B becomes X. Gauss–Jordan elimination with partial pivoting; false if A is singular to rounding.
 */
export function solveDense(a: Float64Array, b: Float64Array, size: number, columns: number): boolean {
  for (let c = 0; c < size; c++) {
    let pivot = c;
    for (let r = c + 1; r < size; r++) if (Math.abs(a[r * size + c]) > Math.abs(a[pivot * size + c])) pivot = r;
    if (!(Math.abs(a[pivot * size + c]) > 0)) return false;
    if (pivot !== c) {
      for (let j = 0; j < size; j++) [a[c * size + j], a[pivot * size + j]] = [a[pivot * size + j], a[c * size + j]];
      for (let j = 0; j < columns; j++) [b[c * columns + j], b[pivot * columns + j]] = [b[pivot * columns + j], b[c * columns + j]];
    }
    const scale = 1 / a[c * size + c];
    for (let j = 0; j < size; j++) a[c * size + j] *= scale;
    for (let j = 0; j < columns; j++) b[c * columns + j] *= scale;
    for (let r = 0; r < size; r++) {
      const factor = a[r * size + c];
      if (r === c || factor === 0) continue;
      for (let j = 0; j < size; j++) a[r * size + j] -= factor * a[c * size + j];
      for (let j = 0; j < columns; j++) b[r * columns + j] -= factor * b[c * columns + j];
    }
  }
  return true;
}
