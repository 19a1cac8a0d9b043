/**
 * Explicit tapes nested in explicit tapes (`tape.nest`): nested reverse mode. Each tape is its own
 * level: an outer variable is a constant of the inner tape unless lifted, and the outer tape sees
 * how the inner results depend on its variables. Siskind & Pearlmutter's perturbation-confusion
 * cases written with tapes, a third level, and Hessians against the `hessian` functional (forward
 * over reverse, another mode) at random points; the scope's brand and staleness.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hessian } from "../../src/scalar/functionals.js";
import type { MultivariateFn } from "../../src/scalar/scalar.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import { expectClose, expectMatrixClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";

const point = fc.double({ min: -3, max: 3, noNaN: true }).map((x) => x + 0);

describe("perturbation confusion with explicit tapes", () => {
  it("d/dx [x · (d/dy (x + y))(1)] = 1 for every x: the outer x is a constant of the inner tape", () => {
    fc.assert(
      fc.property(point, (x0) =>
        Tape.with((t) => {
          const x = t.variable(x0);
          const dy = t.nest((u) => {
            const y = u.variable(1);
            return u.backward(u.add(x, y)).wrt(y);
          });
          const z = x.mul(dy);
          expect(z.value).toBe(x0);
          expect(t.backward(z).wrt(x)).toBe(1);
        }),
      ),
    );
  });

  it("d/dx [x · (d/dy (x · y))(3)] = 2x: the outer tape sees the inner gradient's dependence on x", () => {
    fc.assert(
      fc.property(point, (x0) =>
        Tape.with((t) => {
          const x = t.variable(x0);
          const dy = t.nest((u) => {
            const y = u.variable(3);
            return u.backward(y.mul(x)).wrt(y);
          });
          expect(t.backward(x.mul(dy)).wrt(x)).toBe(2 * x0);
        }),
      ),
    );
  });

  it("an inner variable started at x's value is not x: d/dx [(d/dy (x · y))(x)] = 1", () => {
    fc.assert(
      fc.property(point, (x0) =>
        Tape.with((t) => {
          const x = t.variable(x0);
          const dy = t.nest((u) => {
            const y = u.variable(x);
            return u.backward(u.mul(x, y)).wrt(y);
          });
          expect(t.backward(dy).wrt(x)).toBe(1);
        }),
      ),
    );
  });

  it("lifted or not: ∂/∂y (x·y + x²) = x gives d/dx 1; with x lifted, ∂/∂x (x·y + x²) = y + 2x gives 2", () => {
    fc.assert(
      fc.property(point, point, (x0, y0) =>
        Tape.with((t) => {
          const x = t.variable(x0);
          const [gyConst, gxLifted] = t.nest((u) => {
            const [xl, y] = u.variables([x, y0]);
            const gyConst = u.backward(u.add(u.mul(x, y), u.mul(x, x))).wrt(y);
            const gxLifted = u.backward(xl.mul(y).add(xl.mul(xl))).wrt(xl);
            return [gyConst, gxLifted];
          });
          expect(gyConst.value).toBe(x0);
          expectClose(gxLifted.value, y0 + 2 * x0, 1e-15, 1e-15, "∂/∂x inner");
          expect(t.backward(gyConst).wrt(x)).toBe(1);
          expect(t.backward(gxLifted).wrt(x)).toBe(2);
        }),
      ),
    );
  });

  it("three levels: the third derivative of x⁴ is 24x", () => {
    fc.assert(
      fc.property(point, (x0) =>
        Tape.with((t) => {
          const x = t.variable(x0);
          const d2 = t.nest((u) => {
            const xu = u.variable(x);
            const d1 = u.nest((v) => {
              const xv = v.variable(xu);
              return v.backward(xv.pow(4)).wrt(xv);
            });
            return u.backward(d1).wrt(xu);
          });
          expectClose(d2.value, 12 * x0 * x0, 1e-14, 1e-14, "d²/dx²");
          expectClose(t.backward(d2).wrt(x), 24 * x0, 1e-14, 1e-14, "d³/dx³");
        }),
      ),
    );
  });
});

describe("Hessians by nested tapes agree with the hessian functional", () => {
  const f: MultivariateFn = ([a, b, c], S) => S.add(S.mul(S.sin(S.mul(a, b)), c), S.div(S.exp(S.mul(b, 0.5)), S.add(S.mul(c, c), 1)));

  it("Hᵢⱼ = ∂/∂xⱼ of the inner tape's ∂f/∂xᵢ, at random points", () => {
    fc.assert(
      fc.property(point, point, point, (a, b, c) => {
        const H = Tape.with((t) => {
          const xs = t.variables([a, b, c]);
          const g = t.nest((u) => {
            const lifted = u.variables(xs);
            return u.backward(f(lifted, u.scalar)).wrt(lifted);
          });
          return g.map((gi) => t.backward(gi).wrt(xs));
        });
        expectMatrixClose(H, hessian(f, [a, b, c]), 1e-12, 1e-12, "nested tapes vs hessian");
      }),
    );
  });
});

describe("safety of nested tapes", () => {
  it("a nested tape's variables are stale once nest returns", () => {
    Tape.with((t) => {
      const x = t.variable(2);
      // The brand keeps them from escaping in the types; at run time they are stale.
      const [y, u] = t.nest((u) => [u.variable(x), u] as never) as [{ mul(n: number): unknown }, { backward(y: unknown): unknown }];
      const e = thrown(() => y.mul(2));
      expect(e.code).toBe("StaleVariable");
      expect(e.details.op).toBe("NestedTape.mul");
      expect(thrown(() => u.backward(y)).code).toBe("StaleVariable");
      // Escaped into the outer tape, it is another derivative's value.
      expect(thrown(() => t.mul(x, y as never)).code).toBe("ForeignVariable");
    });
  });

  it("an unrelated tape is still refused: Tape.with inside, and a sibling tape's variable in a nested op", () => {
    Tape.with((t) => {
      const x = t.variable(1);
      // @ts-expect-error: Var<B1> is not Var<B2>
      expect(thrown(() => Tape.with((t2) => t2.sin(x))).code).toBe("ForeignVariable");
      Tape.with((other) => {
        const z = other.variable(3);
        // @ts-expect-error: another tape's Var is no value of this nested tape's enclosing tape
        expect(thrown(() => t.nest((u) => u.mul(u.variable(x), z))).code).toBe("ForeignVariable");
        // @ts-expect-error: and cannot be lifted
        expect(thrown(() => t.nest((u) => u.variable(z))).code).toBe("ForeignVariable");
      });
    });
  });

  it("two scopes' variables do not mix, in the types and at run time", () => {
    Tape.with((t) => {
      t.nest((u) => {
        const y = u.variable(1);
        t.nest((w) => {
          // @ts-expect-error: a NestedVar of scope u is not one of scope w
          const e = thrown(() => w.backward(w.variable(2)).wrt(y));
          expect(e.code).toBe("InvalidArgument");
          expect(e.details.op).toBe("NestedGradient.wrt");
        });
      });
    });
  });

  it("junk is InvalidArgument naming the nested op", () => {
    Tape.with((t) => {
      t.nest((u) => {
        const y = u.variable(1);
        expect(thrown(() => u.variable(y as never)).details.op).toBe("NestedTape.variable");
        expect(thrown(() => u.variables("ab" as never)).details.op).toBe("NestedTape.variables");
      });
      expect(thrown(() => t.nest(3 as never)).details.op).toBe("Tape.nest");
    });
  });
});
