/**
 * What every public linear algebra function checks before it binds a primitive: a Tensor, float,
 * square where it must be, batches that broadcast; and `naming`, which makes a `SingularMatrix`
 * raised by a primitive inside a function name the function the user called (`solve`, not the
 * triangular solve it runs), keeping the primitive in `details.primitive`.
 */
import { AdError, describe, expectBooleanOption, expectOptions, invalidArgument } from "../errors.js";
import { expand } from "../tensor/primitives/reduce.js";
import { reshape } from "../tensor/primitives/shape.js";
import { expectSquare } from "../tensor/primitives/triangle.js";
import { broadcastShapes, formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

export interface CheckOptions {
  /**
   * Default true: a singular (or, for cholesky, not positive definite) matrix is `SingularMatrix`.
   * false: it is not, forward or backward; the result is what LAPACK returns (±∞ or NaN where it
   * divides by a zero pivot, docs/linalg.md) and derivatives through it are NaN or ±∞.
   */
  readonly check?: boolean;
}

/** The `check` of `{ check }` options (the only key they take). */
export function checkOption(op: string, options: unknown): boolean {
  return expectBooleanOption(op, "check", expectOptions<CheckOptions>(op, options, ["check"]).check, true);
}

export function expectTensor(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `${name} must be a Tensor, got ${describe(x)}`, { argument: name, got: describe(x) });
  return x;
}

/** A float batch of square matrices; returns n. */
export function squareOperand(op: string, name: string, x: unknown): [Tensor, number] {
  const t = expectTensor(op, name, x);
  return [t, expectSquare(op, t, name)];
}

/** A float tensor of rank ≥ 2 (a batch of matrices, any shape). */
export function matrixOperand(op: string, name: string, x: unknown): Tensor {
  const t = expectTensor(op, name, x);
  if (t.rank < 2) throw new AdError("ShapeMismatch", `${op} needs ${name} of rank ≥ 2 (a matrix or a batch of them), got ${formatShape(t.shape)}`, { op, shape: [...t.shape] });
  return t;
}

/** a [..., n, n] and b [..., n, k] expanded to one batch shape (the broadcast of theirs). */
export function commonBatch(op: string, a: Tensor, b: Tensor): [Tensor, Tensor] {
  let batch: number[];
  try {
    batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw new AdError("ShapeMismatch", `${op}: the batch shapes of ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast`, {
      op,
      shapes: [[...a.shape], [...b.shape]],
    });
  }
  const to = (x: Tensor): Tensor => (x.rank === batch.length + 2 && x.shape.every((d, i) => i >= batch.length || d === batch[i]) ? x : expand(x, [...batch, ...x.shape.slice(-2)]));
  return [to(a), to(b)];
}

/** The right-hand side as a matrix: b [..., n, k], or a vector [n] as the column [n, 1] (`vector` says to drop it again). */
export function rightHandSide(op: string, b: unknown, n: number, dtype: string): { readonly b: Tensor; readonly vector: boolean } {
  const t = expectTensor(op, "b", b);
  if (t.dtype !== dtype) throw new AdError("DTypeMismatch", `${op} needs a and b of one dtype, got ${dtype} and ${t.dtype}`, { op, dtypes: [dtype, t.dtype] });
  const vector = t.rank === 1;
  const rows = vector ? t.shape[0] : t.shape[t.rank - 2];
  if (t.rank === 0 || rows !== n) {
    throw new AdError("ShapeMismatch", `${op} needs b of shape [${n}] or [..., ${n}, k] for a matrix with ${n} rows, got ${formatShape(t.shape)}`, {
      op,
      shape: [...t.shape],
      rows: n,
    });
  }
  return { b: vector ? reshape(t, [n, 1]) : t, vector };
}

/** Runs `fn`; a SingularMatrix from a primitive inside it is re-raised under the public `op`. */
export function naming<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof AdError && error.code === "SingularMatrix" && error.details.op !== op) {
      const message = error.message.slice(error.details.op.length + 2);
      throw new AdError("SingularMatrix", message, { ...error.details, op, primitive: error.details.op });
    }
    throw error;
  }
}

/**
 * `f` as the public function `op`: an `UnsupportedOp` a device raised inside it (a kernel the device
 * lacks, such as the GPU's factorizations) names `op` — the function the user called — keeps what
 * refused in `details.primitive`, and says how to run it on the cpu instead. Its name and arity are f's.
 */
export function onDevices<F extends (...args: never[]) => unknown>(op: string, f: F): F {
  const wrapped = function (this: unknown, ...args: never[]) {
    try {
      return f.apply(this, args);
    } catch (error) {
      throw deviceNamed(op, error);
    }
  };
  Object.defineProperty(wrapped, "name", { value: f.name });
  Object.defineProperty(wrapped, "length", { value: f.length });
  return wrapped as unknown as F;
}

function deviceNamed(op: string, error: unknown): unknown {
  if (!(error instanceof AdError) || error.code !== "UnsupportedOp" || typeof error.details.device !== "string") return error;
  const { device } = error.details;
  const reason = error.message.slice(String(error.details.op).length + 2);
  return new AdError(
    "UnsupportedOp",
    `cannot run on the ${device} device (${reason}); move its operands to the cpu with \`await x.toAsync("cpu")\` and the result back with \`.to("${device}")\` (both differentiable)`,
    { ...error.details, op, primitive: error.details.primitive ?? error.details.op },
  );
}
