/**
 * The composition matrix of issue 16: every well-typed composition of depth 2, and those of depth 3
 * over jit, grad, jvp and vmap (with hessian only innermost or under an outer jit), applied to one function of each
 * kind: elementwise, matmul, reduction, scan, cond and whileLoop. Each is checked one layer at a time
 * against a reference that does not use the outermost transformation: jit dropped, vmap a loop over
 * the examples, grad/jvp/hessian central differences in float64 of the inner composition (itself a
 * case of the matrix one level down, so by induction every layer is checked against an oracle).
 *
 * A composition the library refuses is listed in REFUSED with its AdError code and `details.op`, so
 * a change in either direction fails here.
 */
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { jit } from "../../src/jit/index.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { expectAllClose } from "../support/allclose.js";

type F = (x: Tensor) => Tensor;
const f64 = (values: number[], shape: number[]): Tensor => ops.reshape(ops.tensor(new Float64Array(values)), shape);
const values = (t: Tensor): number[] => Array.from(t.data());

const W = f64([0.5, -1.2, 0.3, 0.8, 0.1, -0.4, -0.6, 0.9, 1.1], [3, 3]);
const FUNCTIONS: Readonly<Record<string, F>> = {
  elementwise: (x) => ops.sum(ops.add(ops.mul(ops.sin(x), x), ops.mul(x, x))),
  matmul: (x) => ops.sum(ops.tanh(ops.matmul(W, ops.reshape(x, [3, 1])))),
  reduction: (x) => ops.add(ops.log(ops.sum(ops.exp(x))), ops.max(x)),
  scan: (x) => {
    const [last, ys] = ops.scan((c: Tensor, xi: Tensor) => [ops.add(ops.mul(c, ops.cos(xi)), xi), ops.mul(c, xi)] as const, f64([0.5], []), x);
    return ops.add(last, ops.sum(ys));
  },
  cond: (x) =>
    ops.cond(
      ops.gt(ops.sum(x), 0),
      (u: Tensor) => ops.sum(ops.mul(ops.exp(u), u)),
      (u: Tensor) => ops.sum(ops.cos(u)),
      x,
    ),
  whileLoop: (x) => {
    const [, v] = ops.whileLoop(
      ([i]: Tensor[]) => ops.lt(i, 3),
      ([i, v]: Tensor[]) => [ops.add(i, 1), ops.add(ops.mul(ops.sin(v), 1.5), 0.2)],
      [f64([0], []), x],
    );
    return ops.sum(v);
  },
};

/** A fixed tangent for an input of `shape`. */
const tangentOf = (shape: readonly number[]): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return f64(
    Array.from({ length: n }, (_, k) => Math.sin(3 * k + 1)),
    [...shape],
  );
};

/** g evaluated at x + h·e_k for each flat position k of x (h per call). */
const shifted = (g: F, x: Tensor, k: number, h: number): Tensor => {
  const v = values(x);
  v[k] += h;
  return g(f64(v, [...x.shape]));
};

/** Central differences of a scalar g: the gradient (h = 1e-6). */
function fdGrad(g: F, x: Tensor): Tensor {
  const h = 1e-6;
  const n = values(x).length;
  const d = Array.from({ length: n }, (_, k) => (shifted(g, x, k, h).item() - shifted(g, x, k, -h).item()) / (2 * h));
  return f64(d, [...x.shape]);
}

/** Second central differences of a scalar g: the Hessian (h = 1e-4). */
function fdHessian(g: F, x: Tensor): Tensor {
  const h = 1e-4;
  const n = values(x).length;
  const at = (i: number, a: number, j: number, b: number) => {
    const v = values(x);
    v[i] += a;
    v[j] += b;
    return g(f64(v, [...x.shape])).item();
  };
  const H: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H.push((at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h)) / (4 * h * h));
  return f64(H, [...x.shape, ...x.shape]);
}

/** A transformation: the library's, its reference, and what it needs of and does to the function's type. */
interface Transform {
  readonly lib: (g: F) => F;
  readonly ref: (g: F) => F;
  /** Needs a scalar output (grad, hessian). */
  readonly scalarIn?: boolean;
  /** Whether the output is scalar, given the inner one's. */
  readonly scalarOut: (inner: boolean) => boolean;
  /** Adds a batch axis to the input. */
  readonly batches?: boolean;
  readonly rtol: number;
}

const BATCH = 2;
const TRANSFORMS: Readonly<Record<string, Transform>> = {
  jit: { lib: (g) => jit(g), ref: (g) => g, scalarOut: (s) => s, rtol: 1e-12 },
  grad: { lib: (g) => ops.grad(g) as F, ref: (g) => (x) => fdGrad(g, x), scalarIn: true, scalarOut: () => false, rtol: 1e-6 },
  jvp: {
    lib: (g) => (x) => ops.jvp(g, [x], [tangentOf(x.shape)])[1],
    ref: (g) => (x) => {
      const h = 1e-6;
      const t = ops.mul(tangentOf(x.shape), h);
      return ops.div(ops.sub(g(ops.add(x, t)), g(ops.sub(x, t))), 2 * h);
    },
    scalarOut: (s) => s,
    rtol: 1e-6,
  },
  hessian: { lib: (g) => ops.hessian(g) as F, ref: (g) => (x) => fdHessian(g, x), scalarIn: true, scalarOut: () => false, rtol: 1e-4 },
  vmap: {
    lib: (g) => ops.vmap(g),
    ref: (g) => (xs) => ops.stack(Array.from({ length: xs.shape[0] }, (_, b) => g(ops.slice(xs, [b])))),
    scalarOut: () => false,
    batches: true,
    rtol: 1e-12,
  },
};
type Name = keyof typeof TRANSFORMS & string;

/** The compositions, innermost first, whose every grad and hessian gets a scalar function. */
function compositions(): Name[][] {
  const names = Object.keys(TRANSFORMS) as Name[];
  const typed = (chain: readonly Name[]) => {
    let scalar = true;
    for (const n of chain) {
      if (TRANSFORMS[n].scalarIn === true && !scalar) return false;
      scalar = TRANSFORMS[n].scalarOut(scalar);
    }
    return true;
  };
  const two = names.flatMap((a) => names.map((b) => [a, b]));
  const three = two.flatMap((c) => names.map((d) => [...c, d])).filter((c) => !c.includes("hessian") || c[2] === "jit" || c[0] === "hessian");
  return [...two, ...three].filter(typed);
}

const label = (chain: readonly Name[]) => chain.reduceRight((inner, n) => `${n}(${inner})`, "f");

/** `${function}: ${composition}` → "code op" for what the library refuses (nothing, today). */
const REFUSED: Readonly<Record<string, string>> = {};

/** The input: x, and per vmap a batch of it and a multiple of opposite sign (cond takes both branches). */
function inputFor(chain: readonly Name[]): Tensor {
  let x = f64([0.7, -0.3, 0.4], [3]);
  for (const n of chain) if (TRANSFORMS[n].batches === true) x = ops.stack([x, ops.mul(x, -0.5)].slice(0, BATCH));
  return x;
}

describe("the composition matrix: jit × grad × jvp × vmap × hessian over every kind of function", () => {
  const chains = compositions();
  for (const [fname, f] of Object.entries(FUNCTIONS)) {
    for (const chain of chains) {
      const name = `${fname}: ${label(chain)}`;
      it(name, () => {
        const inner = chain.slice(0, -1).reduce((g, n) => TRANSFORMS[n].lib(g), f);
        const outer = TRANSFORMS[chain[chain.length - 1]];
        const x = inputFor(chain);
        let got: Tensor;
        try {
          got = outer.lib(inner)(x);
        } catch (e) {
          if (!(e instanceof AdError)) throw e;
          expect(`${e.code} ${String(e.details.op)}`, `${name}: ${e.message}`).toBe(REFUSED[name]);
          return;
        }
        expect(REFUSED[name], `${name} runs now: remove it from REFUSED`).toBeUndefined();
        const want = outer.ref(inner)(x);
        expect([...got.shape]).toEqual([...want.shape]);
        expectAllClose(values(got), values(want), outer.rtol, outer.rtol, name);
      });
    }
  }
});
