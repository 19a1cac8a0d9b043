/**
 * One derivative table: the unary tensor primitives with a scalar counterpart take their local
 * derivative from `scalar/elementary.ts`, as Dual, the tape and the transform do. Checked three
 * ways: the registry's primitives named like a table entry are the table-ruled ones (none is
 * hand-written); their gradients, first and second order, agree with nested duals running the same
 * table on plain numbers; and reading the table costs no ops over the hand-written rules it replaced.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { derivative, gradient } from "../../src/scalar/index.js";
import { differentiate } from "../../src/transform/index.js";
import { dualScalarOver, NestedDual } from "../../src/scalar/nestedDual.js";
import { numberScalar } from "../../src/scalar/number.js";
import { unaryRules, type UnaryRule } from "../../src/scalar/elementary.js";
import { UNARY_OPS, type UnaryOp } from "../../src/scalar/scalar.js";
import type { Node } from "../../src/tensor/autograd/node.js";
import * as ops from "../../src/tensor/index.js";
import { primitives } from "../../src/tensor/primitives/registry.js";
import { tableRuled } from "../../src/tensor/primitives/unary.js";
import type { Tensor } from "../../src/tensor/index.js";

/** Tensor functions named like a table entry, with the points where each is smooth. */
const DOMAINS: Partial<Record<UnaryOp, { fn: (x: Tensor) => Tensor; lo: number; hi: number }>> = {
  exp: { fn: ops.exp, lo: -3, hi: 3 },
  log: { fn: ops.log, lo: 0.1, hi: 5 },
  sin: { fn: ops.sin, lo: -4, hi: 4 },
  cos: { fn: ops.cos, lo: -4, hi: 4 },
  tanh: { fn: ops.tanh, lo: -3, hi: 3 },
  sqrt: { fn: ops.sqrt, lo: 0.1, hi: 5 },
  abs: { fn: ops.abs, lo: -3, hi: 3 },
  sigmoid: { fn: ops.sigmoid, lo: -6, hi: 6 },
  softplus: { fn: ops.softplus, lo: -6, hi: 6 },
  erf: { fn: ops.erf, lo: -2, hi: 2 },
  cbrt: { fn: ops.cbrt, lo: 0.2, hi: 5 },
  expm1: { fn: ops.expm1, lo: -3, hi: 3 },
  log1p: { fn: ops.log1p, lo: -0.8, hi: 5 },
  log2: { fn: ops.log2, lo: 0.1, hi: 5 },
  tan: { fn: ops.tan, lo: -1.2, hi: 1.2 },
  asin: { fn: ops.asin, lo: -0.9, hi: 0.9 },
  acos: { fn: ops.acos, lo: -0.9, hi: 0.9 },
  atan: { fn: ops.atan, lo: -4, hi: 4 },
  sinh: { fn: ops.sinh, lo: -3, hi: 3 },
  cosh: { fn: ops.cosh, lo: -3, hi: 3 },
  asinh: { fn: ops.asinh, lo: -4, hi: 4 },
  acosh: { fn: ops.acosh, lo: 1.1, hi: 5 },
  atanh: { fn: ops.atanh, lo: -0.9, hi: 0.9 },
};

const tableNamed = Object.values(primitives).filter((p) => (UNARY_OPS as readonly string[]).includes(p.name) && p.name !== "neg");

describe("the tensor engine reads the scalar derivative table", () => {
  it("every unary primitive with a table entry takes its rule from the table (sign: the table's constant 0 is the symbolic zero)", () => {
    for (const prim of tableNamed) {
      if (prim.name === "sign") {
        expect((unaryRules.sign as UnaryRule).df(numberScalar, 0.3, 1)).toBe(0);
        expect(prim.vjp?.({ cotangent: ops.ones([2]), inputs: [ops.ones([2])], output: ops.ones([2]), params: undefined, needs: [true] } as never)).toEqual([null]);
        continue;
      }
      expect(tableRuled.has(prim as never), prim.name).toBe(true);
      expect(DOMAINS[prim.name as UnaryOp], prim.name).toBeDefined();
    }
  });

  for (const [name, { fn, lo, hi }] of Object.entries(DOMAINS)) {
    it(`${name}: first and second derivatives equal nested duals over the same table`, () => {
      fc.assert(
        fc.property(fc.double({ min: lo, max: hi, noNaN: true }), (v) => {
          if (name === "abs" && Math.abs(v) < 1e-3) return;
          const d1 = (x: Tensor) => ops.grad((y: Tensor) => ops.sum(fn(y)))(x) as Tensor;
          const d2 = (x: Tensor) => ops.grad((y: Tensor) => ops.sum(d1(y)))(x) as Tensor;
          const x = ops.tensor([v], { dtype: "float64" });
          // f(v + ε₁ + ε₂): the ε₁ε₂ coefficient is f''(v), ε₁'s is f'(v), both from the table on numbers.
          const D1 = dualScalarOver(numberScalar);
          const out = new NestedDual(D1, new NestedDual(numberScalar, v, 1), D1.from(1))[name as UnaryOp]();
          expect(d1(x).item()).toBeCloseTo(out.dx.x, 12);
          expect(d2(x).item()).toBeCloseTo(out.dx.dx, 10);
        }),
        { numRuns: 20 },
      );
    });
  }

  it("abs at ±0: every mode gives the table's sign(x), 0 at ±0", () => {
    // The sign of a zero gradient is not compared (+ 0 folds it): the tape accumulates from +0.
    for (const v of [0, -0, 2, -2]) {
      const want = Math.sign(v) + 0;
      const tensorGrad = (ops.grad((x: Tensor) => ops.sum(ops.abs(x)))(ops.tensor([v], { dtype: "float64" })) as Tensor).item();
      expect(tensorGrad + 0, `tensor at ${v}`).toBe(want);
      expect(derivative((x) => x.abs(), v).derivative + 0, `dual at ${v}`).toBe(want);
      expect(gradient((xs) => xs[0]!.abs(), [v])[0]! + 0, `tape at ${v}`).toBe(want);
      expect((differentiate((x: number) => Math.abs(x))(v).gradient[0] as number) + 0, `transform at ${v}`).toBe(want);
    }
  });

  /** The nodes a backward pass with createGraph records between the gradient and the leaf. */
  function backwardOps(fn: (x: Tensor) => Tensor): number {
    const x = ops.tensor([0.5, -0.25, 1.5], { dtype: "float64" }).requireGrad();
    const y = ops.sum(fn(x));
    const forward = new Set<Node>();
    collect(y, forward, new Set());
    const all = new Set<Node>();
    ops.backward(y, { createGraph: true });
    collect(x.grad as Tensor, all, new Set());
    return [...all].filter((n) => !forward.has(n)).length;
  }
  function collect(t: Tensor, into: Set<Node>, seen: Set<Tensor>): void {
    const node = t.node as Node | null | undefined;
    if (!node || seen.has(t)) return;
    seen.add(t);
    into.add(node);
    for (const input of node.inputs) collect(input, into, seen);
  }

  it("reading the table adds no ops to the hot functions' backward pass (counts of the hand-written rules it replaced)", () => {
    const counts = Object.fromEntries((["exp", "log", "tanh", "sigmoid", "relu"] as const).map((name) => [name, backwardOps(name === "relu" ? ops.relu : DOMAINS[name]!.fn)]));
    expect(counts).toEqual(BEFORE);
  });
});

/** Measured on the hand-written rules (commit 0554c6f), the same way. */
const BEFORE = { exp: 1, log: 2, tanh: 3, sigmoid: 3, relu: 1 };
