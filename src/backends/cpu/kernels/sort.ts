/**
 * The reference kernels of the sorting family, over views: `argsort` (a stable sort of each run along
 * an axis, as index arrays) and `cumArgExtreme` (the index of each position's running max or min).
 * Both order values as PyTorch does: NaN above every number, so it sorts last ascending and first
 * descending, and a running max (min) that meets a NaN stays NaN. Results are int32, x-shaped.
 */
import { allocate, type Storage } from "../../dtype.js";
import type { Extreme } from "../../ops.js";
import type { View } from "../../view.js";
import { groupsOf, ungroup } from "./groups.js";

/** Runs this short are sorted by insertion first; merging starts from them. */
const RUN = 16;

/**
 * Sorts `idx[0 … n)` with its `keys[0 … n)` ascending, stably: insertion-sorted runs, then bottom-up
 * merges that move each key with its index (sequential reads, no lookups through the indices).
 * `idxB`/`keysB` are scratch of the same length; returns whichever index array holds the result.
 */
function mergeSort(idx: Int32Array, keys: Float64Array, idxB: Int32Array, keysB: Float64Array, n: number): Int32Array {
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n);
    for (let i = lo + 1; i < hi; i++) {
      const k = keys[i];
      const v = idx[i];
      let j = i - 1;
      // Strictly greater moves: equal keys keep their order (stable).
      for (; j >= lo && keys[j] > k; j--) {
        keys[j + 1] = keys[j];
        idx[j + 1] = idx[j];
      }
      keys[j + 1] = k;
      idx[j + 1] = v;
    }
  }
  let [fromI, fromK, toI, toK] = [idx, keys, idxB, keysB];
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        // `<` and not `<=` from the right run: equal keys keep their order (stable).
        if (fromK[j] < fromK[i]) {
          toK[k] = fromK[j];
          toI[k++] = fromI[j++];
        } else {
          toK[k] = fromK[i];
          toI[k++] = fromI[i++];
        }
      }
      for (; i < mid; i++, k++) {
        toK[k] = fromK[i];
        toI[k] = fromI[i];
      }
      for (; j < hi; j++, k++) {
        toK[k] = fromK[j];
        toI[k] = fromI[j];
      }
    }
    [fromI, fromK, toI, toK] = [toI, toK, fromI, fromK];
  }
  return fromI;
}

/**
 * The permutation that sorts each run of x along `axis` (ascending, or `descending`), stably: equal
 * values keep their order either way, and NaNs (in their order) go last ascending, first descending.
 */
export function argsort(x: View, axis: number, descending: boolean): Storage {
  const { order, src, n } = groupsOf(x, [axis]);
  const out = allocate("int32", src.length);
  const keys = new Float64Array(n);
  const idx = new Int32Array(n);
  const keysB = new Float64Array(n);
  const idxB = new Int32Array(n);
  const nans = new Int32Array(n);
  for (let base = 0; base < src.length; base += n) {
    let m = 0;
    let nanCount = 0;
    for (let i = 0; i < n; i++) {
      const v = src[base + i];
      if (v !== v) nans[nanCount++] = i;
      else {
        // Negated keys sort descending with the same stable ascending merge.
        keys[m] = descending ? -v : v;
        idx[m++] = i;
      }
    }
    const sorted = mergeSort(idx, keys, idxB, keysB, m);
    const head = descending ? nanCount : 0;
    for (let i = 0; i < m; i++) out[base + head + i] = sorted[i];
    const nanAt = descending ? 0 : m;
    for (let i = 0; i < nanCount; i++) out[base + nanAt + i] = nans[i];
  }
  return ungroup(x.shape, order, out, "int32");
}

/**
 * The index of the running max (min) of each run along `axis`, as torch.cummax: a tie moves it to the
 * later element, and a NaN takes it and keeps it (moved only by a later NaN).
 */
export function cumArgExtreme(x: View, axis: number, extreme: Extreme): Storage {
  const { order, src, n } = groupsOf(x, [axis]);
  const out = allocate("int32", src.length);
  const largest = extreme === "max";
  for (let base = 0; base < src.length; base += n) {
    let best = src[base];
    let at = 0;
    for (let i = 0; i < n; i++) {
      const v = src[base + i];
      if (v !== v || (best === best && (largest ? v >= best : v <= best))) {
        best = v;
        at = i;
      }
      out[base + i] = at;
    }
  }
  return ungroup(x.shape, order, out, "int32");
}

/**
 * For each of `values` ([..., m]), how many elements of its row of `sorted` ([..., n], the same
 * leading axes, ascending with NaN last) sort before it — or, with `right`, before it or equal to
 * it: torch.searchsorted's insertion points, by binary search. NaN is above every number. int32
 * in values' shape, row-major.
 */
export function searchsorted(sorted: View, values: View, right: boolean): Storage {
  const s = groupsOf(sorted, [sorted.shape.length - 1]);
  const v = groupsOf(values, [values.shape.length - 1]);
  const out = allocate("int32", v.src.length);
  const n = s.n;
  const m = v.n;
  const rows = m === 0 ? 0 : v.src.length / m;
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let k = r * m; k < (r + 1) * m; k++) {
      const x = v.src[k];
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const e = s.src[base + mid];
        // Does e sort before x (left), or not after it (right)? NaN sorts last and equals NaN.
        const before = right ? !(x < e || (e !== e && x === x)) : e < x || (x !== x && e === e);
        if (before) lo = mid + 1;
        else hi = mid;
      }
      out[k] = lo;
    }
  }
  return out;
}
