/**
 * The transform's test corpus: plain functions over numbers and arrays, each with the shapes and
 * domain of its arguments and, where it is easy to write, the same function over `Scalar<T>` (on
 * the flattened inputs) so the tape can serve as a second oracle beside finite differences.
 */
/* eslint-disable */
import type { Scalar } from "../../src/scalar/scalar.js";
import { defineDerivative, differentiate, type DifferentiateOptions } from "../../src/transform/index.js";

/** "num" for a number argument, n for an array of n numbers. */
export type Shape = "num" | number;
export type GenericFn = <T>(S: Scalar<T>, xs: readonly T[]) => T;

export interface Case {
  readonly name: string;
  readonly fn: (...args: any[]) => number;
  readonly shapes: readonly Shape[];
  /** Where inputs are drawn from (default [−2, 2]). */
  readonly domain?: readonly [number, number];
  readonly options?: DifferentiateOptions;
  /** The same function over Scalar<T> on the flattened inputs. */
  readonly generic?: GenericFn;
  /** Piecewise: finite differences are only compared where the function is smooth around the point. */
  readonly kinks?: boolean;
  /** Whether transformHessian covers it. Default true. */
  readonly hessian?: boolean;
  /** For a loop: whether reverse mode runs it as one fused sweep (fuse.ts); checked by fuse.test.ts. */
  readonly fused?: boolean;
}

const sumOver = <T>(S: Scalar<T>, xs: readonly T[], f: (x: T, i: number) => T): T => xs.reduce((s, x, i) => S.add(s, f(x, i)), S.from(0));

export const corpus: readonly Case[] = [
  // ── straight-line ──
  {
    name: "polynomial",
    fn: (x, y) => x * x * y + 3 * x - y / 2,
    shapes: ["num", "num"],
    generic: (S, [x, y]) => S.sub(S.add(S.mul(S.mul(x, x), y), S.mul(3, x)), S.div(y, 2)),
  },
  {
    name: "design doc example",
    fn: (x, y) => (x + 1) * Math.sin(x) * y,
    shapes: ["num", "num"],
    generic: (S, [x, y]) => S.mul(S.mul(S.add(x, 1), S.sin(x)), y),
  },
  {
    name: "trigonometry",
    fn: (x) => Math.sin(x) * Math.cos(2 * x) + Math.tan(x / 3),
    shapes: ["num"],
    generic: (S, [x]) => S.add(S.mul(S.sin(x), S.cos(S.mul(2, x))), S.tan(S.div(x, 3))),
  },
  {
    name: "exp and logs",
    fn: (x, y) => Math.exp(x / 4) * Math.log(x) + Math.log1p(y * y),
    shapes: ["num", "num"],
    domain: [0.2, 3],
    generic: (S, [x, y]) => S.add(S.mul(S.exp(S.div(x, 4)), S.log(x)), S.log1p(S.mul(y, y))),
  },
  {
    name: "powers",
    fn: (x, y) => x ** 2.5 + Math.pow(x, y) + x ** 3,
    shapes: ["num", "num"],
    domain: [0.2, 2],
    generic: (S, [x, y]) => S.add(S.add(S.pow(x, 2.5), S.pow(x, y)), S.pow(x, 3)),
  },
  { name: "sqrt and cbrt", fn: (x) => Math.sqrt(x) + Math.cbrt(x) * x, shapes: ["num"], domain: [0.1, 4], generic: (S, [x]) => S.add(S.sqrt(x), S.mul(S.cbrt(x), x)) },
  {
    name: "hyperbolic",
    fn: (x) => Math.sinh(x) + Math.cosh(x / 2) + Math.tanh(x),
    shapes: ["num"],
    generic: (S, [x]) => S.add(S.add(S.sinh(x), S.cosh(S.div(x, 2))), S.tanh(x)),
  },
  { name: "inverse trigonometry", fn: (x) => Math.asin(x) + Math.acos(x / 2) + Math.atan(3 * x), shapes: ["num"], domain: [-0.9, 0.9] },
  { name: "inverse hyperbolic", fn: (x) => Math.asinh(x) + Math.acosh(x) + Math.atanh(1 / x), shapes: ["num"], domain: [1.1, 3] },
  {
    name: "atan2 and hypot",
    // Variadic hypot folds left: hypot(hypot(x + 3, y), 1). (At an inner (0, 0) the fold has the
    // binary rule's kink, which sqrt(a² + b² + c²) does not: kept away from it here.)
    fn: (x, y) => Math.atan2(y, x + 3) + Math.hypot(x + 3, y, 1),
    shapes: ["num", "num"],
    generic: (S, [x, y]) => S.add(S.atan2(y, S.add(x, 3)), S.hypot(S.hypot(S.add(x, 3), y), 1)),
  },
  { name: "expm1 and log2", fn: (x) => Math.expm1(x) + Math.log2(x), shapes: ["num"], domain: [0.1, 3] },
  {
    name: "compound assignment",
    fn: (x, y) => {
      let s = x;
      s += y;
      s *= x;
      s -= 1;
      s /= 2;
      s **= 2;
      return s;
    },
    shapes: ["num", "num"],
  },
  {
    name: "reassignment",
    fn: (x) => {
      let a = x * 2;
      a = a * a;
      a = Math.sin(a) + a;
      return a;
    },
    shapes: ["num"],
  },
  { name: "unary operators", fn: (x, y) => -x * +y - -(x - y), shapes: ["num", "num"] },
  { name: "modulo", fn: (x, y) => (x * 3) % (y + 5), shapes: ["num", "num"], domain: [0.1, 1.5], kinks: true },
  { name: "constants", fn: (x) => k * x * x + Math.PI * offset, shapes: ["num"], options: { constants: { k: 2, offset: 0.5 } } },
  { name: "Math constants", fn: (x) => Math.E ** x + Math.SQRT2 * x, shapes: ["num"] },
  // ── branches ──
  { name: "ternary", fn: (x, y) => (x > y ? x * y : x + y * y), shapes: ["num", "num"], kinks: true },
  {
    name: "if / else if / else",
    fn: function (x) {
      let r;
      if (x > 0.5) {
        r = Math.exp(x);
      } else if (x < -0.5) {
        r = -x * x;
      } else {
        r = x;
      }
      return r;
    },
    shapes: ["num"],
    kinks: true,
  },
  {
    name: "early return",
    fn: function (x, y) {
      if (x < 0) return x * y;
      const z = x + y;
      if (z > 1) return z * z;
      return Math.sin(z);
    },
    shapes: ["num", "num"],
    kinks: true,
  },
  { name: "&& and ||", fn: (x, y) => ((x > 0 && y > 0) || x < -1 ? x * y : x - y), shapes: ["num", "num"], kinks: true },
  {
    name: "abs, min, max",
    fn: (x, y) => Math.abs(x) * Math.max(x, y) + Math.min(x, 2 * y),
    shapes: ["num", "num"],
    kinks: true,
    generic: (S, [x, y]) => S.add(S.mul(S.abs(x), S.max(x, y)), S.min(x, S.mul(2, y))),
  },
  { name: "floor and sign carry no derivative", fn: (x) => Math.floor(x * 2) * x + Math.sign(x), shapes: ["num"], kinks: true },
  // ── loops ──
  {
    name: "sum of squares",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i] * x[i];
      return s;
    },
    shapes: [5],
    generic: (S, xs) => sumOver(S, xs, (x) => S.mul(x, x)),
  },
  {
    name: "dot product",
    fn: (a, b) => {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += a[i] * b[i];
      return s;
    },
    shapes: [3, 3],
    generic: (S, xs) => sumOver(S, xs.slice(0, 3), (a, i) => S.mul(a, xs[3 + i])),
  },
  {
    name: "while with a data-dependent trip count",
    fn: (x) => {
      let y = x;
      let n = 0;
      while (y < 10 && n < 20) {
        y = y * 1.5 + 1;
        n++;
      }
      return y;
    },
    shapes: ["num"],
    kinks: true,
  },
  {
    name: "do-while",
    fn: (x) => {
      let p = 1;
      let i = 0;
      do {
        p = p * Math.cos(x + i);
        i++;
      } while (i < 4);
      return p;
    },
    shapes: ["num"],
  },
  {
    name: "nested loops",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        for (let j = 0; j < x.length; j++) {
          s += Math.sin(x[i] * x[j]) / (1 + j);
        }
      }
      return s;
    },
    shapes: [3],
    generic: (S, xs) => sumOver(S, xs, (a) => sumOver(S, xs, (b, j) => S.div(S.sin(S.mul(a, b)), 1 + j))),
  },
  {
    name: "break and continue",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        if (x[i] < -1.5) break;
        if (x[i] < 0) continue;
        s += Math.exp(x[i]) * i;
      }
      return s;
    },
    shapes: [5],
    kinks: true,
  },
  {
    name: "return inside a loop",
    fn: (x) => {
      for (let i = 0; i < x.length; i++) {
        if (x[i] > 1.5) return x[i] * x[i];
      }
      return x[0] * 2;
    },
    shapes: [4],
    kinks: true,
  },
  {
    name: "continue in a do-while",
    fn: (x) => {
      let s = 0;
      let i = 0;
      do {
        i++;
        if (x[i - 1] < 0) continue;
        s += x[i - 1] * x[i - 1] * i;
      } while (i < x.length);
      return s;
    },
    shapes: [5],
    kinks: true,
  },
  {
    name: "return from a nested loop",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        for (let j = 0; j < x.length; j++) {
          s += x[i] * x[j];
          if (s > 3) return s * x[j];
        }
        s = s * 0.5;
      }
      return -s;
    },
    shapes: [3],
    kinks: true,
  },
  {
    name: "break out of the inner loop only",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        let p = 1;
        for (let j = 0; j < x.length; j++) {
          if (j > i) break;
          p *= x[j];
        }
        s += p;
      }
      return s;
    },
    shapes: [4],
  },
  {
    name: "for-of product",
    fn: (x) => {
      let p = 1;
      for (const v of x) p *= v;
      return p;
    },
    shapes: [4],
    generic: (S, xs) => xs.reduce((p, x) => S.mul(p, x), S.from(1)),
  },
  {
    name: "Horner with a counting-down loop",
    fn: (x, c) => {
      let y = 0;
      for (let i = c.length - 1; i >= 0; i--) y = y * x + c[i];
      return y;
    },
    shapes: ["num", 4],
  },
  {
    name: "logistic map recurrence",
    fn: (r, x0) => {
      let x = x0;
      for (let i = 0; i < 10; i++) x = (2 + r) * x * (1 - x);
      return x;
    },
    shapes: ["num", "num"],
    domain: [0.2, 0.8],
  },
  {
    name: "swapping two values in a loop",
    fn: (x, y) => {
      let a = x;
      let b = y;
      for (let i = 0; i < 5; i++) {
        const t = a;
        a = b * 0.5 + Math.sin(t);
        b = t;
      }
      return a * b;
    },
    shapes: ["num", "num"],
  },
  {
    name: "temporaries that read a value reassigned later in the body",
    fn: (x) => {
      let s = 1;
      for (let i = 0; i < x.length; i++) {
        const a = x[i] * s;
        const b = a - s;
        s = s + a * b * 0.1;
        s = s * (1 + x[i] * 0.01);
      }
      return s;
    },
    shapes: [4],
  },
  {
    name: "index arithmetic and a counter stepping by two",
    fn: (x) => {
      let s = 0;
      for (let i = 1; i + 1 < x.length; i += 2) {
        const j = i - 1;
        s += x[j] * x[i + 1] - x[i] / (2 + x[j + 1] * x[j + 1]);
      }
      return s;
    },
    shapes: [7],
  },
  {
    name: "nested loops sharing an accumulator array",
    fn: (x) => {
      const acc = new Float64Array(3);
      for (let k = 0; k < 3; k++) {
        for (let i = 0; i < x.length; i++) acc[k] = acc[k] * 0.5 + x[i] * (k + 1);
      }
      let s = 0;
      for (let k = 0; k < 3; k++) s += acc[k] * acc[k] * x[k];
      return s;
    },
    shapes: [4],
  },
  // ── arrays ──
  {
    name: "local Float64Array",
    fn: (x) => {
      const y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = Math.sin(x[i]);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i] * x[i];
      return s;
    },
    shapes: [4],
  },
  {
    name: "overwriting array elements read later",
    fn: (x) => {
      const a = [x, 2 * x, 3];
      for (let i = 0; i < 3; i++) {
        a[i] = a[i] * a[(i + 1) % 3];
      }
      return a[0] + a[1] * a[2];
    },
    shapes: ["num"],
  },
  {
    name: "in-place prefix recurrence on a copy",
    fn: (x) => {
      const y = x.slice();
      for (let i = 1; i < y.length; i++) y[i] = y[i] + y[i - 1] * 0.5;
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i] * y[i];
      return s;
    },
    shapes: [5],
  },
  {
    name: "writing to the input array",
    fn: (x) => {
      for (let i = 0; i < x.length; i++) x[i] = x[i] * x[i];
      let s = 0;
      for (const v of x) s += v;
      return s;
    },
    shapes: [3],
  },
  {
    name: "new Array(n).fill(0)",
    fn: (x) => {
      const a = new Array(4).fill(0);
      for (let i = 0; i < 4; i++) a[i] = x * i;
      let s = 0;
      for (let i = 0; i < 4; i++) s += a[i] * a[i];
      return Math.sqrt(s + 1);
    },
    shapes: ["num"],
  },
  {
    name: "log-sum-exp",
    fn: (x) => {
      let m = -Infinity;
      for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
      let s = 0;
      for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - m);
      return Math.log(s) + m;
    },
    shapes: [4],
    generic: (S, xs) => S.log(sumOver(S, xs, (x) => S.exp(x))),
  },
  {
    name: "matrix-vector norm",
    fn: (A, v) => {
      let s = 0;
      for (let i = 0; i < 2; i++) {
        let r = 0;
        for (let j = 0; j < 2; j++) r += A[i * 2 + j] * v[j];
        s += r * r;
      }
      return s;
    },
    shapes: [4, 2],
  },
  {
    name: "a neuron: arrays and a number",
    fn: (x, w, b) => {
      let s = b;
      for (let i = 0; i < x.length; i++) s += w[i] * x[i];
      return Math.tanh(s);
    },
    shapes: [3, 3, "num"],
  },
  // ── reduction loops: fused into one sweep where the sum's adjoint is a constant (fuse.ts) ──
  {
    name: "fused: the scalar benchmark's chain",
    fn: (x) => {
      let acc = 0;
      for (let i = 0; i < x.length - 1; i++) acc += Math.sin(x[i]) * x[i + 1] + x[i] * x[i];
      return acc;
    },
    shapes: [5],
    generic: (S, xs) => xs.slice(0, -1).reduce((s, x, i) => S.add(s, S.add(S.mul(S.sin(x), xs[i + 1]), S.mul(x, x))), S.from(0)),
    fused: true,
  },
  {
    name: "fused: a sum started from a parameter, reading it, halved",
    fn: (x, y) => {
      let s = y * y;
      for (let i = 0; i < x.length; i++) s += Math.exp(x[i] * y) - x[i];
      return 0.5 * s;
    },
    shapes: [4, "num"],
    domain: [-1, 1],
    generic: (S, xs) => {
      const y = xs[4];
      return S.mul(
        0.5,
        xs.slice(0, 4).reduce((s, x) => S.add(s, S.sub(S.exp(S.mul(x, y)), x)), S.mul(y, y)),
      );
    },
    fused: true,
  },
  {
    name: "fused: two sums with different constant adjoints",
    fn: (x) => {
      let a = 0;
      let b = 0;
      for (let i = 0; i < x.length; i++) {
        a += Math.cos(x[i]);
        b -= x[i] * x[i] * x[i];
      }
      return a - 2 * b + 1;
    },
    shapes: [4],
    generic: (S, xs) => {
      const a = xs.reduce((s, x) => S.add(s, S.cos(x)), S.from(0));
      const b = xs.reduce((s, x) => S.sub(s, S.mul(S.mul(x, x), x)), S.from(0));
      return S.add(S.sub(a, S.mul(2, b)), 1);
    },
    fused: true,
  },
  {
    name: "fused: a branch on values inside the body",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        const t = x[i] > 0 ? Math.log1p(x[i]) : x[i] * x[i];
        s += t * x[(i + 1) % x.length];
      }
      return s;
    },
    shapes: [5],
    kinks: true,
    fused: true,
  },
  {
    name: "fused: constants array, a stride of two and code after the loop",
    fn: (x, y) => {
      let s = 0;
      for (let i = 0; i + 1 < x.length; i += 2) s += W[i] * x[i] * x[i + 1];
      const m = s / 4;
      return m - y + Math.sin(y);
    },
    shapes: [6, "num"],
    options: { constants: { W: [1, -2, 3, 0.5, 2, 1] } },
    fused: true,
  },
  {
    name: "fused: a defineDerivative call in the body",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += soft(x[i] * 2) * x[i];
      return s;
    },
    shapes: [4],
    options: {
      functions: {
        soft: defineDerivative(
          (t: number) => Math.log(1 + Math.exp(t)),
          (t: number) => 1 / (1 + Math.exp(-t)),
        ),
      },
    },
    fused: true,
  },
  {
    name: "fused: a sum of a number parameter's powers, and the counter read after the loop",
    fn: (x, p) => {
      let s = 0;
      let i = 0;
      for (; i < x.length; i++) s += Math.pow(x[i], p);
      return s + i;
    },
    shapes: [3, "num"],
    domain: [0.5, 2],
    fused: true,
  },
  {
    name: "fused and scaled: the sum squared after the loop",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += Math.sin(x[i]);
      return s * s;
    },
    shapes: [4],
    generic: (S, xs) => {
      const s = xs.reduce((a, x) => S.add(a, S.sin(x)), S.from(0));
      return S.mul(s, s);
    },
    fused: true,
  },
  {
    name: "fused and scaled: a mean over the length",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += (x[i] - 1) ** 2;
      return s / x.length;
    },
    shapes: [5],
    fused: true,
  },
  {
    name: "fused and scaled: log-sum-exp with a temperature parameter",
    fn: (x, t) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += Math.exp(x[i] / t);
      return t * Math.log(s);
    },
    shapes: [4, "num"],
    domain: [0.5, 2],
    fused: true,
  },
  {
    name: "fused and scaled: a norm, zero at the origin",
    fn: (x, y) => {
      let s = y * y;
      for (let i = 0; i < x.length; i++) s += x[i] * x[i] * y;
      return Math.sqrt(s + 1);
    },
    shapes: [3, "num"],
    domain: [0.2, 2],
    fused: true,
  },
  {
    name: "not fused: two sums under a nonlinear function",
    fn: (x) => {
      let a = 0;
      let b = 0;
      for (let i = 0; i < x.length; i++) {
        a += x[i];
        b += x[i] * x[i];
      }
      return Math.sqrt(b - (a * a) / x.length + 1);
    },
    shapes: [4],
    fused: false,
  },
  {
    name: "not fused: a scaled sum whose array is read again after the loop",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += Math.cos(x[i]);
      return Math.exp(s) * x[0];
    },
    shapes: [3],
    fused: false,
  },
  {
    name: "not fused: a product",
    fn: (x) => {
      let p = 1;
      for (let i = 0; i < x.length; i++) p *= 1 + x[i] * x[i];
      return p;
    },
    shapes: [4],
    fused: false,
  },
  {
    name: "not fused: the sum read inside the body",
    fn: (x) => {
      let s = 1;
      for (let i = 0; i < x.length; i++) s += s * x[i] * 0.5;
      return s;
    },
    shapes: [4],
    fused: false,
  },
  {
    name: "not fused: the array written after the loop",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i] * x[i];
      x[0] = s;
      return x[0] * x[1];
    },
    shapes: [3],
    fused: false,
  },
  {
    name: "not fused: a sum assigned in a branch",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        if (x[i] > 0) s += x[i] * x[i];
        else s -= Math.sin(x[i]);
      }
      return s;
    },
    shapes: [4],
    kinks: true,
    fused: false,
  },
  // ── arrays created inside loops: a fresh one each iteration ──
  {
    name: "a temporary vector per iteration",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        const v = [x[i], x[i] * x[i], Math.sin(x[i])];
        s += v[0] * v[1] + v[2] * v[2];
      }
      return s;
    },
    shapes: [4],
    generic: (S, xs) => sumOver(S, xs, (x) => S.add(S.mul(x, S.mul(x, x)), S.mul(S.sin(x), S.sin(x)))),
  },
  {
    name: "an array whose size changes with the iteration, filled and read back",
    fn: (x) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        const w = new Float64Array(i + 1);
        for (let j = 0; j <= i; j++) w[j] = x[j] * x[i];
        let t = 0;
        for (let j = 0; j <= i; j++) t += w[j] * w[j];
        s += Math.sqrt(t + 1);
      }
      return s;
    },
    shapes: [4],
  },
  {
    name: "a helper that makes an array, called in a loop",
    fn: function (x, y) {
      function rotate(a: number, b: number, t: number) {
        const r = [a * Math.cos(t) - b * Math.sin(t), a * Math.sin(t) + b * Math.cos(t)];
        return r[0] * r[1];
      }
      let s = 0;
      for (let i = 0; i + 1 < x.length; i++) s += rotate(x[i], x[i + 1], y * i);
      return s;
    },
    shapes: [4, "num"],
  },
  {
    name: "a copy of the input made and changed in each iteration of a branch",
    fn: (x) => {
      let s = 0;
      for (let k = 0; k < 3; k++) {
        if (x[k] > 0) {
          const c = x.slice();
          c[k] = c[k] * c[k];
          s += c[k] * c[0] + c[1];
        } else s -= x[k];
      }
      return s;
    },
    shapes: [3],
    kinks: true,
  },
  // ── calls ──
  {
    name: "local function declaration and arrow",
    fn: function (x, y) {
      function sq(t: number) {
        return t * t;
      }
      const cube = (t: number) => t * sq(t);
      return sq(x) + cube(y) + sq(x * y);
    },
    shapes: ["num", "num"],
  },
  {
    name: "function from options.functions",
    fn: (x, y) => norm2(x, y) * 2,
    shapes: ["num", "num"],
    options: { functions: { norm2: (a: number, b: number) => Math.sqrt(a * a + b * b + 1) } },
  },
  {
    name: "calling a differentiated function",
    fn: (x) => inner(x) * x,
    shapes: ["num"],
    options: { functions: { inner: differentiate((t: number) => Math.exp(-t * t)) } },
  },
  {
    name: "defineDerivative",
    fn: (x, y) => soft(x * y) + y,
    shapes: ["num", "num"],
    options: {
      functions: {
        soft: defineDerivative(
          (t: number) => Math.log(1 + Math.exp(t)),
          (t: number) => 1 / (1 + Math.exp(-t)),
        ),
      },
    },
  },
  {
    name: "helper over an array",
    fn: function (x) {
      function sum(a: number[]) {
        let s = 0;
        for (let i = 0; i < a.length; i++) s += a[i];
        return s;
      }
      return sum(x) * sum(x);
    },
    shapes: [3],
  },
  {
    name: "closure reading an outer const",
    fn: (x) => {
      const a = 3;
      const f = (t: number) => a * t;
      return f(x) + f(x * x);
    },
    shapes: ["num"],
  },
  {
    name: "helper with an early return in a loop",
    fn: function (x) {
      function firstAbove(a: number[], t: number) {
        for (let i = 0; i < a.length; i++) {
          if (a[i] > t) return a[i];
        }
        return 0;
      }
      return firstAbove(x, 0.5) * x[0] + firstAbove(x, 1);
    },
    shapes: [4],
    kinks: true,
  },
];

// Free names the corpus functions above use; the transform resolves them from options, never from here.
declare const k: number, offset: number, W: number[], inner: (t: number) => number, soft: (t: number) => number;
declare function norm2(a: number, b: number): number;
