/**
 * The contract between the tensor benchmark and each library it runs: the workloads, as the plain
 * float32 arrays every library starts from, and the `Rival` interface a library fills in for the
 * workloads it can run. Layouts are adjoint's (row-major, NCHW); a library with other layouts converts
 * its inputs once at set-up and its gradients back in `result`, so every library sees the same numbers
 * and every result can be compared element by element.
 */

export const WORKLOADS = ["matmul", "mlp", "cnn", "chain"] as const;
export type Workload = (typeof WORKLOADS)[number];

/** The MLP: x[batch, inputs] → `hidden` relu → `classes`, log-softmax cross-entropy against one-hot labels. */
export interface MlpSizes {
  readonly inputs: number;
  readonly hidden: number;
  readonly classes: number;
  readonly batch: number;
}

export const MLP_PARAMS = ["w1", "b1", "w2", "b2"] as const;
export type MlpParam = (typeof MLP_PARAMS)[number];

/** A classifier workload's inputs: its sizes, a batch, one-hot labels [batch, classes], and named weights. */
interface ClassifierData<S, P extends string> {
  readonly sizes: S;
  readonly x: Float32Array;
  readonly labels: Float32Array;
  readonly params: Readonly<Record<P, Float32Array>>;
}

/** MLP inputs: x [batch, inputs]; w1 [inputs, hidden], b1 [hidden], w2 [hidden, classes], b2 [classes]. */
export type MlpData = ClassifierData<MlpSizes, MlpParam>;

/**
 * The CNN: x[batch, 1, side, side] → conv 3×3, `filters` filters, stride 1, no padding, + bias, relu →
 * 2×2 max pool (stride 2) → flatten (NCHW order: channel, row, column) → dense to `classes` + bias →
 * log-softmax cross-entropy against one-hot labels.
 */
export interface CnnSizes {
  readonly batch: number;
  readonly side: number;
  readonly filters: number;
  readonly kernel: number;
  readonly classes: number;
}

export const CNN_PARAMS = ["wc", "bc", "wd", "bd"] as const;
export type CnnParam = (typeof CNN_PARAMS)[number];

/** CNN inputs: x [batch, 1, side, side]; wc [filters, 1, k, k], bc [filters], wd [filters·pooled², classes], bd [classes]. */
export type CnnData = ClassifierData<CnnSizes, CnnParam>;

/** The side of the conv's output (valid, stride 1) and of the pooled map. */
export function cnnGeometry(s: CnnSizes): { readonly conv: number; readonly pooled: number; readonly features: number } {
  const conv = s.side - s.kernel + 1;
  const pooled = Math.floor(conv / 2);
  return { conv, pooled, features: s.filters * pooled * pooled };
}

/**
 * The elementwise chain, one definition for every library (the same f as bench/scalar.ts):
 *
 *   f(x) = Σ_{i=0}^{n−2} ( sin(xᵢ)·xᵢ₊₁ + xᵢ² ),   x ∈ ℝⁿ (float32),
 *
 * i.e. with a = x[0 .. n−2] and b = x[1 .. n−1]: f = sum(sin(a)·b + a·a). Its gradient:
 * ∂f/∂xᵢ = [i ≤ n−2]·(cos(xᵢ)·xᵢ₊₁ + 2xᵢ) + [i ≥ 1]·sin(xᵢ₋₁).
 */
export interface ChainData {
  readonly x: Float32Array;
}

/** A scalar and its gradients with respect to named inputs, in adjoint's layouts. */
export interface GradResult {
  readonly value: number;
  readonly grads: Readonly<Record<string, Float32Array>>;
}

/** One workload prepared for one library. */
export interface Prepared {
  /** Computes the value and every gradient, forced (read back), and returns a number from them. */
  readonly step: () => number;
  /** The same computation, returning what it computed (checked against the other libraries before timing). */
  readonly result: () => GradResult;
  /**
   * A jitted case: the time of the first call of its timed function on a fresh jit (trace, optimise,
   * code generation and one run), in ms, once that call has happened; undefined before.
   */
  readonly firstCallMs?: () => number | undefined;
}

/** `fn` with the duration of its first call kept (`firstCallMs`), for a jitted function's compile time. */
export function timingFirstCall<A extends unknown[], R>(fn: (...args: A) => R): { readonly call: (...args: A) => R; readonly firstCallMs: () => number | undefined } {
  let ms: number | undefined;
  return {
    call: (...args) => {
      if (ms !== undefined) return fn(...args);
      const t0 = performance.now();
      const out = fn(...args);
      ms = performance.now() - t0;
      return out;
    },
    firstCallMs: () => ms,
  };
}

/** How a library ran: shown beside its rows, so a ratio is read at a known thread count. */
export interface RunInfo {
  readonly threads: number;
  /** One line: backend, binary, SIMD, why this thread count. */
  readonly setup: string;
}

/** One library's side of the benchmark; a workload it leaves out is reported as missing, not faked. */
export interface Rival extends RunInfo {
  /** Prepares C = A·B for n×n row-major A and B; the returned function computes C once, forces it and returns C[0,0]. */
  readonly matmul?: (a: Float32Array, b: Float32Array, n: number) => () => number;
  readonly mlp?: (data: MlpData) => Prepared;
  readonly cnn?: (data: CnnData) => Prepared;
  readonly chain?: (data: ChainData) => Prepared;
  /** Why a workload is left out, where there is more to say than "not implemented". */
  readonly missing?: Partial<Record<Workload, string>>;
  /** A call-style variant of another row (same library, same backend): not listed as missing where it has no case. */
  readonly variant?: boolean;
}

export interface RivalEntry {
  readonly name: string;
  /** Loads the library (a dynamic import, no network); a string says why it cannot run here. */
  readonly load: () => Promise<Rival | string>;
}
