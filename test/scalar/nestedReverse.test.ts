/**
 * Reverse mode nested in reverse mode: a `gradient` inside another `gradient`'s `f` records on the
 * enclosing tape (reverse over reverse). The cases are Siskind & Pearlmutter's perturbation
 * confusion with gradient for derivative, a Hessian-vector product and a bilevel step, each against
 * its closed form and finite differences; an unrelated tape's variable is still refused.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Dual } from "../../src/scalar/dual.js";
import { derivative } from "../../src/scalar/forward.js";
import { gradient, hessian, hessianVectorProduct, jacobian, valueAndGradient } from "../../src/scalar/functionals.js";
import type { MultivariateFn } from "../../src/scalar/scalar.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import { centralDifference } from "../../src/testing/checkGradient.js";
import { expectAllClose, expectClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";

const point = fc.double({ min: -3, max: 3, noNaN: true }).map((x) => x + 0);

describe("gradient nested in gradient (perturbation confusion)", () => {
  it("d/dx [x · (d/dy (x + y))(1)] = 1 for every x", () => {
    fc.assert(
      fc.property(point, (x0) => {
        const r = valueAndGradient(([x]) => x.mul(gradient(([y]) => y.add(x as never), [1])[0]), [x0]);
        expect(r.gradient).toEqual([1]);
        expect(r.value).toBe(x0);
      }),
    );
  });

  it("d/dx [x · (d/dy (x · y))(2)] = 2x: the inner gradient depends on the outer variable", () => {
    fc.assert(
      fc.property(point, (x0) => {
        const f: MultivariateFn = ([x]) => x.mul(gradient(([y]) => y.mul(x as never), [2])[0]);
        expectClose(gradient(f, [x0])[0], 2 * x0, 1e-12, 1e-12, "d/dx");
      }),
    );
  });

  it("three levels: the third derivative of x⁴ is 24x", () => {
    const d =
      (f: MultivariateFn): MultivariateFn =>
      (xs) =>
        gradient(f, xs as never)[0] as never;
    fc.assert(
      fc.property(point, (x0) => {
        expectClose(gradient(d(d(([x]) => x.pow(4))), [x0])[0], 24 * x0, 1e-12, 1e-12, "d³/dx³");
      }),
    );
  });
});

describe("gradient of a function that calls gradient", () => {
  const g: MultivariateFn = ([a, b], S) => S.add(S.mul(S.mul(a, a), b), S.sin(S.mul(a, b)));

  it("∇(∇g · v) is the Hessian-vector product, against hessianVectorProduct and finite differences", () => {
    fc.assert(
      fc.property(point, point, point, point, (a, b, v0, v1) => {
        const f: MultivariateFn = (xs, S) => {
          const [ga, gb] = gradient(g, xs as never);
          return S.add(S.mul(ga as never, v0), S.mul(gb as never, v1));
        };
        const hv = gradient(f, [a, b]);
        expectAllClose(hv, hessianVectorProduct(g, [a, b], [v0, v1]), 1e-10, 1e-10, "H·v");
        for (const i of [0, 1]) {
          const fd = centralDifference(([t]) => gradient(g, [a + t * v0, b + t * v1])[i], [0], 0);
          expectClose(hv[i], fd, 1e-5, 1e-5, `H·v[${i}] by differences`);
        }
      }),
    );
  });

  it("a bilevel step: d/dθ of the loss after one inner gradient step, against its closed form and finite differences", () => {
    const lr = 0.1;
    // w₁ = w − lr·∂/∂w (w − θ)², outer loss w₁²: d/dθ = 2·w₁·2·lr.
    const afterStep = (w: number, theta: number) => w - lr * 2 * (w - theta);
    fc.assert(
      fc.property(point, point, (w, theta0) => {
        const outer: MultivariateFn = ([theta], S) => {
          const [dw] = gradient(([wv], T) => T.pow(T.sub(wv, theta as never), 2), [w]);
          const w1 = S.sub(w, S.mul(lr, dw as never));
          return S.mul(w1, w1);
        };
        const dTheta = gradient(outer, [theta0])[0];
        expectClose(dTheta, 4 * lr * afterStep(w, theta0), 1e-12, 1e-12, "d/dθ");
        expectClose(
          dTheta,
          centralDifference(([t]) => afterStep(w, t) ** 2, [theta0], 0),
          1e-6,
          1e-6,
          "d/dθ by differences",
        );
      }),
    );
  });
});

describe("forward and reverse mixed", () => {
  it("derivative inside gradient: d/dx [x · (d/dy (x · y))(2)] = 2x, and d/dx [sin(x) · (d/dy y·eˣʸ)(1)] by differences", () => {
    // d/dy y·eˣʸ at y = 1 is eˣ(1 + x).
    const h = (x: number) => Math.sin(x) * Math.exp(x) * (1 + x);
    fc.assert(
      fc.property(point, (x0) => {
        const r = valueAndGradient(([x]) => x.mul(derivative((y) => y.mul(x as never), 2).derivative), [x0]);
        expectClose(r.gradient[0], 2 * x0, 1e-12, 1e-12, "d/dx");
        expectClose(r.value, x0 * x0, 1e-12, 1e-12, "value");
        const [dh] = gradient(([x]) => x.sin().mul(derivative((y) => y.mul(y.mul(x as never).exp()), 1).derivative), [x0]);
        expectClose(
          dh,
          centralDifference(([t]) => h(t), [x0], 0),
          1e-6,
          1e-6,
          "d/dx by differences",
        );
      }),
    );
  });

  it("gradient inside derivative: d/dx [x · (d/dy (x + y))(1)] = 1 and d/dx [x · (d/dy (x · y))(2)] = 2x", () => {
    fc.assert(
      fc.property(point, (x0) => {
        expect(derivative((x: Dual) => x.mul(gradient(([y]) => y.add(x as never), [1])[0]), x0).derivative).toBe(1);
        const r = derivative((x: Dual) => x.mul(gradient(([y]) => y.mul(x as never), [2])[0]), x0);
        expectClose(r.derivative, 2 * x0, 1e-12, 1e-12, "d/dx");
      }),
    );
  });
});

describe("hessian, hessianVectorProduct and jacobian inside a derivative", () => {
  // q(y; x) = x·y₀²·y₁ + sin(x·y₁): its Hessian in y and its Jacobian depend on the outer x.
  const q =
    (x: unknown): MultivariateFn =>
    ([y0, y1], S) =>
      S.add(S.mul(S.mul(S.mul(x as never, y0), y0), y1), S.sin(S.mul(x as never, y1)));
  // At y = (1, 2): H = [[2x·y₁, 2x·y₀], [2x·y₀, −x² sin(x·y₁)]] = [[4x, 2x], [2x, −x² sin 2x]].
  const traceH = (x: number) => 4 * x - x * x * Math.sin(2 * x);

  it("d/dx trace H(x) by gradient, by derivative and by finite differences", () => {
    fc.assert(
      fc.property(point, (x0) => {
        const viaGradient = gradient(
          ([x], S) => {
            const H = hessian(q(x), [1, 2]) as unknown as unknown[][];
            return S.add(H[0][0] as never, H[1][1] as never);
          },
          [x0],
        )[0];
        const viaDerivative = derivative((x: Dual) => {
          const H = hessian(q(x), [1, 2]) as unknown as Dual[][];
          return H[0][0].add(H[1][1]);
        }, x0).derivative;
        const byDifferences = centralDifference(([t]) => traceH(t), [x0], 0);
        expectClose(viaGradient, byDifferences, 1e-6, 1e-6, "gradient");
        expectClose(viaDerivative, byDifferences, 1e-6, 1e-6, "derivative");
        expectClose(viaGradient, viaDerivative, 1e-12, 1e-12, "the two nestings");
      }),
    );
  });

  it("hessianVectorProduct inside gradient is the nested Hessian times v", () => {
    fc.assert(
      fc.property(point, point, point, (x0, v0, v1) => {
        const [viaHvp] = gradient(
          ([x], S) => {
            const hv = hessianVectorProduct(q(x), [1, 2], [v0, v1]) as unknown as unknown[];
            return S.add(hv[0] as never, hv[1] as never);
          },
          [x0],
        );
        // Σᵢ (H v)ᵢ = v₀(4x + 2x) + v₁(2x − x² sin 2x).
        const sumHv = (x: number) => v0 * 6 * x + v1 * (2 * x - x * x * Math.sin(2 * x));
        expectClose(
          viaHvp,
          centralDifference(([t]) => sumHv(t), [x0], 0),
          1e-6,
          1e-6,
          "d/dx Σ Hv",
        );
      }),
    );
  });

  it("jacobian inside gradient: d/dx Σ J(x) for f(y) = [x·y₀·y₁, sin(x·y₀)]", () => {
    fc.assert(
      fc.property(point, (x0) => {
        const [viaJacobian] = gradient(
          ([x], S) => {
            const { jacobian: J } = jacobian(([y0, y1], T) => [T.mul(T.mul(x as never, y0), y1), T.sin(T.mul(x as never, y0))], [1, 2]) as unknown as { jacobian: unknown[][] };
            return J.flat().reduce((a, b) => S.add(a as never, b as never)) as never;
          },
          [x0],
        );
        // J = [[x·y₁, x·y₀], [x cos(x·y₀), 0]] at (1, 2): Σ J = 2x + x + x cos x.
        const sumJ = (x: number) => 3 * x + x * Math.cos(x);
        expectClose(
          viaJacobian,
          centralDifference(([t]) => sumJ(t), [x0], 0),
          1e-6,
          1e-6,
          "d/dx Σ J",
        );
      }),
    );
  });
});

describe("edges of the derivative table inside a nested gradient", () => {
  it("a product with the constant 0 passes no adjoint, as on the flat tape: d/dy [0·√(x·y)] at x = 0 is 0, not 0·∞", () => {
    expect(gradient(([y]) => y.sqrt().mul(0), [0])).toEqual([0]);
    expect(
      gradient(
        ([x], S) =>
          S.mul(
            x,
            gradient(
              ([y]) =>
                y
                  .mul(x as never)
                  .sqrt()
                  .mul(0),
              [1],
            )[0] as never,
          ),
        [0],
      ),
    ).toEqual([0]);
    expect(derivative((x: Dual) => gradient(([y]) => y.sqrt().mul(0), [x as never])[0] as never, 0)).toEqual({ value: 0, derivative: 0 });
    expect(gradient(([x]) => gradient(([y]) => y.log().mul(0).add(y.mul(y)), [x as never])[0] as never, [0])).toEqual([2]);
  });
});

describe("safety is kept for genuine misuse", () => {
  it("an unrelated tape's variable inside a nested gradient is ForeignVariable", () => {
    const stranger = new Tape().variable(1);
    const e = thrown(() => gradient(([x]) => x.mul(gradient(([y]) => y.mul(stranger as never), [1])[0]), [2]));
    expect(e.code).toBe("ForeignVariable");
    expect(e.details.op).toBe("Tape.mul");
  });

  it("a nested f returning junk is InvalidArgument naming the nested call", () => {
    for (const [name, inner] of [
      ["gradient", () => gradient(() => "x" as never, [1])],
      ["derivative", () => derivative(() => undefined as never, 1)],
    ] as const) {
      const e = thrown(() => gradient(([x]) => x.mul(inner() as never), [2]));
      expect(e.code, name).toBe("InvalidArgument");
      expect(e.details.op, name).toBe(name);
    }
  });
});
