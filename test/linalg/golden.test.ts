/**
 * adjoint/linalg against PyTorch: values and gradients of sum(w · f(inputs)) for fixed batched
 * float64 inputs, generated once by test/golden/linalg.py (torch is not a test dependency; the JSON
 * is committed). Agreement to 1e−10.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as linalg from "../../src/linalg/index.js";
import { grad, mul, sum, type Tensor } from "../../src/tensor/index.js";
import { f64, flat } from "../support/tensors.js";

type Nested = number | Nested[];
interface Case {
  readonly inputs: Record<string, Nested>;
  readonly weight: Nested;
  readonly value: Nested;
  readonly grads: Record<string, Nested>;
}
const golden = JSON.parse(readFileSync(new URL("../golden/linalg.json", import.meta.url), "utf8")) as { cases: Record<string, Case> };

const shapeOf = (x: Nested): number[] => (Array.isArray(x) ? [x.length, ...shapeOf(x[0])] : []);
const flatten = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flatten) : [x]);
const tensorOf = (x: Nested): Tensor => f64(flatten(x), shapeOf(x));

/** The functions under the cases' names, each of the inputs named as the script names them. */
const FUNCTIONS: Record<string, (inputs: Record<string, Tensor>) => Tensor> = {
  "solve": ({ a, b }) => linalg.solve(a, b),
  "inv": ({ a }) => linalg.inv(a),
  "det": ({ a }) => linalg.det(a),
  "slogdet.logabsdet": ({ a }) => linalg.slogdet(a).logabsdet,
  "slogdet.sign": ({ a }) => linalg.slogdet(a).sign,
  "cholesky": ({ a }) => linalg.cholesky(a),
  "lu.L": ({ a }) => linalg.lu(a).L,
  "lu.U": ({ a }) => linalg.lu(a).U,
  "lu.P": ({ a }) => linalg.lu(a).P,
  "triangularSolve.upper": ({ a, b }) => linalg.triangularSolve(a, b),
  "triangularSolve.lower.unit": ({ a, b }) => linalg.triangularSolve(a, b, { lower: true, unitDiagonal: true }),
  "triangularSolve.upper.transpose": ({ a, b }) => linalg.triangularSolve(a, b, { transpose: true }),
  "trace": ({ a }) => linalg.trace(a),
  "diagonal.1": ({ a }) => linalg.diagonal(a, 1),
  "tril.-1": ({ a }) => linalg.tril(a, -1),
  "triu.1": ({ a }) => linalg.triu(a, 1),
  "qr.Q.tall": ({ a }) => linalg.qr(a).Q,
  "qr.R.tall": ({ a }) => linalg.qr(a).R,
  "qr.Q.wide": ({ a }) => linalg.qr(a).Q,
  "qr.R.wide": ({ a }) => linalg.qr(a).R,
  "qr.Q.complete": ({ a }) => linalg.qr(a, { mode: "complete" }).Q,
  "eigh.eigenvalues": ({ a }) => linalg.eigh(a).eigenvalues,
  "eigh.eigenvectors": ({ a }) => linalg.eigh(a).eigenvectors,
  "svd.S": ({ a }) => linalg.svd(a).S,
  "svd.U.tall": ({ a }) => linalg.svd(a).U,
  "svd.Vh.tall": ({ a }) => linalg.svd(a).Vh,
  "svd.U.wide": ({ a }) => linalg.svd(a).U,
  "svd.Vh.wide": ({ a }) => linalg.svd(a).Vh,
  "svdvals": ({ a }) => linalg.svdvals(a),
  "pinv.tall": ({ a }) => linalg.pinv(a),
  "pinv.wide": ({ a }) => linalg.pinv(a),
  "lstsq.tall": ({ a, b }) => linalg.lstsq(a, b),
  "matrixPower.3": ({ a }) => linalg.matrixPower(a, 3),
  "matrixPower.-2": ({ a }) => linalg.matrixPower(a, -2),
  "norm.vector.3": ({ a }) => linalg.vectorNorm(a, { ord: 3, axis: -1 }),
  "norm.fro": ({ a }) => linalg.matrixNorm(a),
  "norm.nuc": ({ a }) => linalg.matrixNorm(a, { ord: "nuc" }),
  "norm.2": ({ a }) => linalg.matrixNorm(a, { ord: 2 }),
  "norm.-2": ({ a }) => linalg.matrixNorm(a, { ord: -2 }),
  "norm.inf": ({ a }) => linalg.matrixNorm(a, { ord: Infinity }),
  "kron": ({ a, b }) => linalg.kron(a, b),
  "cross": ({ a, b }) => linalg.cross(a, b),
  "einsum.batched": ({ a, b }) => linalg.einsum("bij,bjk->bik", a, b),
  "einsum.chain": ({ a, b, c }) => linalg.einsum("...ij,...jk,...kl->...il", a, b, c),
  "einsum.trace": ({ a }) => linalg.einsum("bii->b", a),
  "einsum.implicit": ({ a, b }) => linalg.einsum("bij,bkj", a, b),
};

const near = (actual: number[], expected: number[]): void => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]), `element ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(expected[i]))));
};

describe("linalg against PyTorch (test/golden/linalg.json)", () => {
  it("every golden case has a function here, and every function a case", () => {
    expect(Object.keys(golden.cases).sort()).toEqual(Object.keys(FUNCTIONS).sort());
  });

  it.each(Object.keys(FUNCTIONS))("%s: value and gradient", (name) => {
    const c = golden.cases[name];
    const names = Object.keys(c.inputs);
    const inputs = names.map((k) => tensorOf(c.inputs[k]));
    const f = (...xs: Tensor[]) => FUNCTIONS[name](Object.fromEntries(names.map((k, i) => [k, xs[i]])));
    const y = f(...inputs);
    expect(y.shape).toEqual(shapeOf(c.value));
    near(flat(y), flatten(c.value));
    const w = tensorOf(c.weight);
    const grads = grad((...xs: Tensor[]) => sum(mul(w, f(...xs))), { argnums: names.map((_, i) => i) })(...inputs) as Tensor[];
    names.forEach((k, i) => near(flat(grads[i]), flatten(c.grads[k])));
  });
});
