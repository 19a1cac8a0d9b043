/**
 * Test oracles for the elementary functions, written by hand from calculus — never read from
 * `src/scalar/elementary.ts` (a test must not re-derive the rule's own formula). Each op has a domain
 * to sample, the distance from a point to its nearest kink, edge, pole or branch cut, and its first
 * (and, for unary ops, second) derivative in a form chosen to differ from the table's where there is
 * a choice. The tables are exhaustive at compile time: adding an op to `UNARY_OPS`/`BINARY_OPS`
 * without a spec here is a type error.
 */
import fc from "fast-check";
import type { BinaryOp, UnaryOp } from "../../src/scalar/scalar.js";

/** Against the hand-written derivatives below: the same math, so only rounding may differ. */
export const ANALYTIC_RTOL = 1e-12;
/** Absolute floor for derivatives computed as 1 − y or 1 − y² (tanh, sigmoid, expm1 far out), whose
 * relative accuracy is limited by y's rounding although their absolute error is ~1e−16. */
export const ANALYTIC_ATOL = 1e-15;
/** Against Richardson-extrapolated central differences with steps from `fdStep`. */
export const FD_RTOL = 1e-6;
export const FD_ATOL = 1e-10;

/** How close (in x) a sampled point may come to a kink or domain edge. */
export const EDGE_MARGIN = 1e-3;

export interface UnarySpec {
  /** Closed interval to sample. */
  readonly domain: readonly [number, number];
  /** Distance from x to the nearest non-smooth point or domain edge (Infinity when there is none). */
  readonly distance: (x: number) => number;
  readonly d1: (x: number) => number;
  readonly d2: (x: number) => number;
}

export interface BinarySpec {
  readonly a: readonly [number, number];
  readonly b: readonly [number, number];
  readonly distance: (a: number, b: number) => number;
  /** ∂f/∂a */
  readonly da: (a: number, b: number) => number;
  /** ∂f/∂b */
  readonly db: (a: number, b: number) => number;
}

const none = (): number => Infinity;
const SQRT_PI = Math.sqrt(Math.PI);

/** The logistic function, written independently of the source's `sigmoid`. */
function logistic(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Distance from x to the nearest pole of tan, (k + ½)π. */
function tanPoleDistance(x: number): number {
  const k = Math.round(x / Math.PI - 0.5);
  return Math.abs(x - (k + 0.5) * Math.PI);
}

export const unarySpecs = {
  neg: { domain: [-100, 100], distance: none, d1: () => -1, d2: () => 0 },
  sqrt: {
    domain: [0, 100],
    distance: (x) => x,
    d1: (x) => 0.5 * Math.pow(x, -0.5),
    d2: (x) => -0.25 * Math.pow(x, -1.5),
  },
  cbrt: {
    domain: [-100, 100],
    distance: (x) => Math.abs(x),
    // x^(−2/3)/3, valid for negative x too: ∛(x²) = |x|^(2/3)
    d1: (x) => 1 / (3 * Math.cbrt(x * x)),
    d2: (x) => -2 / (9 * Math.cbrt(x) ** 5),
  },
  exp: { domain: [-30, 30], distance: none, d1: Math.exp, d2: Math.exp },
  expm1: { domain: [-5, 30], distance: none, d1: Math.exp, d2: Math.exp },
  log: { domain: [0, 100], distance: (x) => x, d1: (x) => 1 / x, d2: (x) => -1 / (x * x) },
  log1p: { domain: [-1, 100], distance: (x) => x + 1, d1: (x) => 1 / (1 + x), d2: (x) => -1 / ((1 + x) * (1 + x)) },
  log2: { domain: [0, 100], distance: (x) => x, d1: (x) => Math.LOG2E / x, d2: (x) => -Math.LOG2E / (x * x) },
  sin: { domain: [-10, 10], distance: none, d1: Math.cos, d2: (x) => -Math.sin(x) },
  cos: { domain: [-10, 10], distance: none, d1: (x) => -Math.sin(x), d2: (x) => -Math.cos(x) },
  tan: {
    domain: [-1.5, 1.5],
    distance: tanPoleDistance,
    d1: (x) => 1 / Math.cos(x) ** 2,
    d2: (x) => (2 * Math.sin(x)) / Math.cos(x) ** 3,
  },
  asin: {
    domain: [-1, 1],
    distance: (x) => 1 - Math.abs(x),
    d1: (x) => 1 / Math.sqrt((1 - x) * (1 + x)),
    d2: (x) => x / ((1 - x) * (1 + x)) ** 1.5,
  },
  acos: {
    domain: [-1, 1],
    distance: (x) => 1 - Math.abs(x),
    d1: (x) => -1 / Math.sqrt((1 - x) * (1 + x)),
    d2: (x) => -x / ((1 - x) * (1 + x)) ** 1.5,
  },
  atan: { domain: [-50, 50], distance: none, d1: (x) => 1 / (1 + x * x), d2: (x) => (-2 * x) / (1 + x * x) ** 2 },
  sinh: { domain: [-20, 20], distance: none, d1: Math.cosh, d2: Math.sinh },
  cosh: { domain: [-20, 20], distance: none, d1: Math.sinh, d2: Math.cosh },
  tanh: {
    domain: [-8, 8],
    distance: none,
    d1: (x) => 1 / Math.cosh(x) ** 2,
    d2: (x) => (-2 * Math.sinh(x)) / Math.cosh(x) ** 3,
  },
  asinh: { domain: [-50, 50], distance: none, d1: (x) => 1 / Math.hypot(x, 1), d2: (x) => -x / Math.hypot(x, 1) ** 3 },
  acosh: {
    domain: [1, 50],
    distance: (x) => x - 1,
    d1: (x) => 1 / Math.sqrt((x - 1) * (x + 1)),
    d2: (x) => -x / ((x - 1) * (x + 1)) ** 1.5,
  },
  atanh: {
    domain: [-1, 1],
    distance: (x) => 1 - Math.abs(x),
    d1: (x) => 1 / ((1 - x) * (1 + x)),
    d2: (x) => (2 * x) / ((1 - x) * (1 + x)) ** 2,
  },
  sigmoid: {
    domain: [-10, 10],
    distance: none,
    d1: (x) => logistic(x) * logistic(-x),
    d2: (x) => logistic(x) * logistic(-x) * (logistic(-x) - logistic(x)),
  },
  softplus: { domain: [-30, 30], distance: none, d1: logistic, d2: (x) => logistic(x) * logistic(-x) },
  abs: { domain: [-100, 100], distance: (x) => Math.abs(x), d1: (x) => (x > 0 ? 1 : -1), d2: () => 0 },
  sign: { domain: [-100, 100], distance: (x) => Math.abs(x), d1: () => 0, d2: () => 0 },
  erf: {
    domain: [-5, 5],
    distance: none,
    d1: (x) => (2 / SQRT_PI) * Math.exp(-x * x),
    d2: (x) => ((-4 * x) / SQRT_PI) * Math.exp(-x * x),
  },
} as const satisfies { readonly [K in UnaryOp]: UnarySpec };

export const binarySpecs = {
  add: { a: [-100, 100], b: [-100, 100], distance: none, da: () => 1, db: () => 1 },
  sub: { a: [-100, 100], b: [-100, 100], distance: none, da: () => 1, db: () => -1 },
  mul: { a: [-100, 100], b: [-100, 100], distance: none, da: (_a, b) => b, db: (a) => a },
  div: {
    a: [-100, 100],
    b: [-100, 100],
    distance: (_a, b) => Math.abs(b),
    da: (_a, b) => 1 / b,
    db: (a, b) => -a / (b * b),
  },
  pow: {
    a: [0, 8],
    b: [-4, 4],
    distance: (a) => a,
    da: (a, b) => b * Math.pow(a, b - 1),
    db: (a, b) => Math.exp(b * Math.log(a)) * Math.log(a),
  },
  atan2: {
    a: [-10, 10],
    b: [-10, 10],
    // The origin, and the branch cut along the negative b axis (the value jumps by 2π there).
    distance: (a, b) => (b < 0 ? Math.min(Math.hypot(a, b), Math.abs(a)) : Math.hypot(a, b)),
    da: (a, b) => b / (a * a + b * b),
    db: (a, b) => -a / (a * a + b * b),
  },
  min: {
    a: [-10, 10],
    b: [-10, 10],
    distance: (a, b) => Math.abs(a - b),
    da: (a, b) => (a < b ? 1 : 0),
    db: (a, b) => (a < b ? 0 : 1),
  },
  max: {
    a: [-10, 10],
    b: [-10, 10],
    distance: (a, b) => Math.abs(a - b),
    da: (a, b) => (a > b ? 1 : 0),
    db: (a, b) => (a > b ? 0 : 1),
  },
  hypot: {
    a: [-10, 10],
    b: [-10, 10],
    distance: (a, b) => Math.hypot(a, b),
    da: (a, b) => a / Math.sqrt(a * a + b * b),
    db: (a, b) => b / Math.sqrt(a * a + b * b),
  },
} as const satisfies { readonly [K in BinaryOp]: BinarySpec };

/** Random points in the op's domain at least `EDGE_MARGIN` from its kinks and edges. */
export function unaryPoint(op: UnaryOp, margin = EDGE_MARGIN): fc.Arbitrary<number> {
  const spec: UnarySpec = unarySpecs[op];
  return fc.double({ min: spec.domain[0], max: spec.domain[1], noNaN: true, noDefaultInfinity: true }).filter((x) => spec.distance(x) >= margin);
}

export function binaryPoint(op: BinaryOp, margin = EDGE_MARGIN): fc.Arbitrary<[number, number]> {
  const spec: BinarySpec = binarySpecs[op];
  const side = (range: readonly [number, number]) => fc.double({ min: range[0], max: range[1], noNaN: true, noDefaultInfinity: true });
  return fc.tuple(side(spec.a), side(spec.b)).filter(([a, b]) => spec.distance(a, b) >= margin);
}

/**
 * A relative finite-difference step for `centralDifference` that stays well inside the smooth region:
 * at most 1e−3, and at most 0.5% of the distance to the nearest edge, so the Richardson truncation
 * error (∝ (h/distance)⁴) is far below the 1e−6 tolerance.
 */
export function fdStep(x: number, distance: number): number {
  return Math.min(1e-3, (0.005 * distance) / Math.max(1, Math.abs(x)));
}
