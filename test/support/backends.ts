/** Helpers shared by the backend suites: running on a chosen backend, and comparing two results. */
import { getBackend, setBackend, type BackendName, type Tensor } from "../../src/tensor/index.js";

/** fn() with `name` as the backend, the previous one restored afterwards (also on a throw). */
export function onBackend<R>(name: BackendName, fn: () => R): R {
  const before = getBackend();
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(before);
  }
}

/** The largest |x − y| over the elements (row-major; the shapes are assumed equal). */
export function maxAbsDiff(x: Tensor, y: Tensor): number {
  const a = x.data();
  const b = y.data();
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}
