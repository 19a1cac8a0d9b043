/**
 * The forward-mode functionals: derivative, derivatives/nthDerivative (nested duals), directional
 * derivatives, gradientForward and jacobianForward — against closed forms and against finite
 * differences (`centralDifference`, `checkGradient`), in method and generic style, and refusing junk
 * with the right `AdError` code.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { Dual, dualScalar } from "../../src/scalar/dual.js";
import { derivative, derivatives, directionalDerivative, gradientForward, jacobianForward, MAX_DERIVATIVE_ORDER, nthDerivative } from "../../src/scalar/forward.js";
import { NestedDual } from "../../src/scalar/nestedDual.js";
import { numberScalar } from "../../src/scalar/number.js";
import type { MultivariateFn, Scalar, UnivariateFn, VectorFn } from "../../src/scalar/scalar.js";
import { centralDifference, checkGradient } from "../../src/testing/checkGradient.js";
import { expectClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";

function expectAdError(fn: () => unknown, code: AdError["code"], op: string, argument?: string): AdError {
  const e = thrown(fn);
  expect(e.code, e.message).toBe(code);
  expect(e.details.op).toBe(op);
  if (argument !== undefined) expect(e.details.argument).toBe(argument);
  return e;
}

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
/** n·(n−1)·…·(n−k+1), for non-integer n too. */
const falling = (n: number, k: number): number => {
  let p = 1;
  for (let i = 0; i < k; i++) p *= n - i;
  return p;
};

/**
 * The functionals accept a plain number from f as a constant result (documented in forward.ts), but
 * `UnivariateFn`/`MultivariateFn`/`VectorFn` say f returns T: these casts mark plain numbers on purpose.
 */
const uni = (f: (x: never, S: never) => unknown): UnivariateFn => f as unknown as UnivariateFn;
const multi = (f: (xs: never, S: never) => unknown): MultivariateFn => f as unknown as MultivariateFn;
const vec = (f: (xs: never, S: never) => unknown): VectorFn => f as unknown as VectorFn;

/** x·sin x written once over Scalar<T>, for the generic style and for the plain-number oracle. */
const xSinX = <T>(S: Scalar<T>, x: T): T => S.mul(x, S.sin(x));

/** A finite number (never −0, so that exact comparisons of computed zeros are meaningful). */
const point = fc.double({ min: -5, max: 5, noNaN: true }).map((x) => x + 0);

describe("derivative", () => {
  it("method and generic style give the same value and derivative, matching x·sin x's closed form", () => {
    fc.assert(
      fc.property(point, (x) => {
        const method = derivative((t) => t.mul(t.sin()), x);
        const generic = derivative((t, S) => S.mul(t, S.sin(t)), x);
        expect(generic).toEqual(method);
        expect(method.value).toBe(x * Math.sin(x));
        expectClose(method.derivative, Math.sin(x) + x * Math.cos(x), 1e-13, 1e-15, `(x sin x)′ at ${x}`);
      }),
      { numRuns: 100 },
    );
  });

  it("matches central differences of the plain-number function", () => {
    const g = <T>(S: Scalar<T>, x: T): T => S.div(S.atan(S.mul(x, 3)), S.add(S.mul(x, x), 1.5));
    fc.assert(
      fc.property(point, (x) => {
        const numeric = centralDifference((v) => g(numberScalar, v[0]), [x], 0);
        const { value, derivative: d } = derivative((t, S) => g(S, t), x);
        expect(value).toBe(g(numberScalar, x));
        expectClose(d, numeric, 1e-8, 1e-10, `g′(${x})`);
      }),
      { numRuns: 100 },
    );
  });

  it("passes a Dual seeded with tangent 1, a fresh tag per call, and dualScalar", () => {
    const seen: unknown[][] = [];
    for (let k = 0; k < 2; k++) {
      derivative((t, S) => {
        seen.push([t, S]);
        return t;
      }, 2.5);
    }
    const [first, second] = seen.map(([t]) => t as Dual);
    expect(first).toMatchObject({ x: 2.5, dx: 1 });
    expect(first.tag).toBeGreaterThan(0);
    expect(second.tag).toBeGreaterThan(first.tag);
    expect(seen[0][1]).toBe(dualScalar);
  });

  it("a plain number returned by f is a constant: derivative 0", () => {
    expect(
      derivative(
        uni(() => 3),
        1,
      ),
    ).toEqual({ value: 3, derivative: 0 });
    // Reading the primal out drops the dependence on x: a constant as far as AD can tell.
    expect(
      derivative(
        uni((t: Dual) => t.value * 2),
        4,
      ),
    ).toEqual({ value: 8, derivative: 0 });
    expect(
      derivative(
        uni(() => Dual.constant(-1)),
        1,
      ),
    ).toEqual({ value: -1, derivative: 0 });
  });

  it("identity and affine maps", () => {
    fc.assert(
      fc.property(point, fc.double({ min: -10, max: 10, noNaN: true }), (x, c) => {
        expect(derivative((t) => t, x)).toEqual({ value: x, derivative: 1 });
        expect(derivative((t) => t.mul(c).add(1), x).derivative).toBe(c);
      }),
      { numRuns: 50 },
    );
  });

  it("coercing the Dual inside f surfaces as UnsupportedOp", () => {
    expectAdError(
      () =>
        derivative(
          uni((t: Dual) => (t as unknown as number) * 2),
          1,
        ),
      "UnsupportedOp",
      "Dual.toPrimitive",
    );
    expectAdError(
      () =>
        derivative(
          uni((t: Dual) => Math.sin(t as unknown as number)),
          1,
        ),
      "UnsupportedOp",
      "Dual.toPrimitive",
    );
  });
});

/** Closed forms for the k-th derivative, with the function in method style. */
const catalogue: { name: string; f: UnivariateFn; domain: [number, number]; dk: (x: number, k: number) => number }[] = [
  { name: "exp(2x)", f: (t) => t.mul(2).exp(), domain: [-3, 3], dk: (x, k) => 2 ** k * Math.exp(2 * x) },
  { name: "sin x", f: (t) => t.sin(), domain: [-6, 6], dk: (x, k) => Math.sin(x + (k * Math.PI) / 2) },
  { name: "cos x", f: (t, S) => S.cos(t), domain: [-6, 6], dk: (x, k) => Math.cos(x + (k * Math.PI) / 2) },
  {
    name: "log x",
    f: (t) => t.log(),
    domain: [0.3, 5],
    dk: (x, k) => (k === 0 ? Math.log(x) : ((-1) ** (k - 1) * factorial(k - 1)) / x ** k),
  },
  { name: "1/(1+x)", f: (t, S) => S.div(1, S.add(t, 1)), domain: [-0.5, 4], dk: (x, k) => ((-1) ** k * factorial(k)) / (1 + x) ** (k + 1) },
  { name: "x^2.5", f: (t) => t.pow(2.5), domain: [0.2, 4], dk: (x, k) => falling(2.5, k) * x ** (2.5 - k) },
  { name: "√x", f: (t) => t.sqrt(), domain: [0.2, 4], dk: (x, k) => falling(0.5, k) * x ** (0.5 - k) },
  { name: "x·eˣ", f: (t) => t.mul(t.exp()), domain: [-3, 3], dk: (x, k) => (x + k) * Math.exp(x) },
  { name: "sinh x", f: (t) => t.sinh(), domain: [-3, 3], dk: (x, k) => (k % 2 === 0 ? Math.sinh(x) : Math.cosh(x)) },
  { name: "2^x", f: (t, S) => S.pow(2, t), domain: [-3, 3], dk: (x, k) => Math.LN2 ** k * 2 ** x },
];

describe("derivatives and nthDerivative", () => {
  it.each(catalogue.map((c) => [c.name, c] as const))("%s: f, f′, …, f⁗ match the closed form", (_name, c) => {
    fc.assert(
      fc.property(fc.double({ min: c.domain[0], max: c.domain[1], noNaN: true }), (x) => {
        const ds = derivatives(c.f, x, 4);
        expect(ds).toHaveLength(5);
        ds.forEach((d, k) => expectClose(d, c.dk(x, k), 1e-11, 1e-12, `${c.name}^(${k}) at ${x}`));
        for (let n = 0; n <= 4; n++) expect(nthDerivative(c.f, x, n)).toBe(derivatives(c.f, x, n)[n]);
      }),
      { numRuns: 30 },
    );
  });

  it("order 6 on x⁶ (by pow and by repeated mul), a polynomial, and eˣ", () => {
    fc.assert(
      fc.property(fc.double({ min: -2, max: 2, noNaN: true }), (x) => {
        const byPow = derivatives((t) => t.pow(6), x, 6);
        const byMul = derivatives(
          (t) => {
            const t2 = t.mul(t);
            return t2.mul(t2).mul(t2);
          },
          x,
          6,
        );
        for (let k = 0; k <= 6; k++) {
          const exact = falling(6, k) * x ** (6 - k);
          expectClose(byPow[k], exact, 1e-12, 1e-12, `(x⁶)^(${k}) by pow at ${x}`);
          expectClose(byMul[k], exact, 1e-12, 1e-12, `(x⁶)^(${k}) by mul at ${x}`);
        }
        expect(byPow[6]).toBe(720);
        expect(byMul[6]).toBe(720);

        // p(x) = 3x⁵ − 2x³ + x − 7 by Horner; p⁽⁶⁾ = 0 exactly.
        const p = derivatives((t, S) => S.sub(S.mul(S.add(S.mul(S.sub(S.mul(S.mul(t, t), 3), 2), S.mul(t, t)), 1), t), 7), x, 6);
        const pk = [3 * x ** 5 - 2 * x ** 3 + x - 7, 15 * x ** 4 - 6 * x ** 2 + 1, 60 * x ** 3 - 12 * x, 180 * x ** 2 - 12, 360 * x, 360, 0];
        pk.forEach((e, k) => expectClose(p[k], e, 1e-12, 1e-11, `p^(${k}) at ${x}`));
        expect(p[6]).toBe(0);

        derivatives((t) => t.exp(), x, 6).forEach((d) => expectClose(d, Math.exp(x), 1e-13, 0, `exp^(k) at ${x}`));
      }),
      { numRuns: 30 },
    );
  });

  it("n = MAX_DERIVATIVE_ORDER is accepted", () => {
    const ds = derivatives((t) => t.mul(t).mul(t), 2, MAX_DERIVATIVE_ORDER);
    expect(ds).toEqual([8, 12, 12, 6, ...new Array<number>(MAX_DERIVATIVE_ORDER - 3).fill(0)]);
  });

  it("f‴ matches central differences of f″ (each order checked by the one below)", () => {
    const g = <T>(S: Scalar<T>, x: T): T => S.mul(S.tanh(x), S.log1p(S.mul(x, x)));
    fc.assert(
      fc.property(point, (x) => {
        const [, d1, d2, d3] = derivatives((t, S) => g(S, t), x, 3);
        expectClose(
          d1,
          centralDifference((v) => g(numberScalar, v[0]), [x], 0),
          1e-8,
          1e-10,
          `g′(${x})`,
        );
        expectClose(
          d2,
          centralDifference((v) => derivatives((t, S) => g(S, t), v[0], 1)[1], [x], 0),
          1e-8,
          1e-10,
          `g″(${x})`,
        );
        expectClose(
          d3,
          centralDifference((v) => derivatives((t, S) => g(S, t), v[0], 2)[2], [x], 0),
          1e-7,
          1e-9,
          `g‴(${x})`,
        );
      }),
      { numRuns: 40 },
    );
  });

  it("method and generic style agree exactly at every order", () => {
    fc.assert(
      fc.property(point, fc.integer({ min: 0, max: 4 }), (x, n) => {
        const method = derivatives((t) => t.mul(t.sin()), x, n);
        const generic = derivatives((t, S) => xSinX(S, t), x, n);
        expect(generic).toEqual(method);
        expect(method[0]).toBe(xSinX(numberScalar, x));
      }),
      { numRuns: 50 },
    );
  });

  it("a plain number returned by f has all derivatives 0; the identity has [x, 1, 0, …]", () => {
    for (let n = 0; n <= 5; n++) {
      expect(
        derivatives(
          uni(() => 3.5),
          1,
          n,
        ),
      ).toEqual([3.5, ...new Array<number>(n).fill(0)]);
      expect(derivatives((t) => t, -2, n)).toEqual([-2, 1, 0, 0, 0, 0].slice(0, n + 1));
    }
  });

  it("n = 0 gives [f(x)] and nthDerivative(f, x, 0) = f(x)", () => {
    expect(derivatives((t) => t.exp(), 1, 0)).toEqual([Math.E]);
    expect(nthDerivative((t) => t.exp(), 1, 0)).toBe(Math.E);
  });
});

describe("directionalDerivative", () => {
  /** f(x) = x₀x₁ + sin x₂ − e^(x₀)/(1 + x₁²), with ∇f by hand. */
  const f: MultivariateFn = ([a, b, c], S) => S.sub(S.add(S.mul(a, b), c.sin()), S.div(a.exp(), S.add(S.mul(b, b), 1)));
  const plain = ([a, b, c]: number[]) => a * b + Math.sin(c) - Math.exp(a) / (1 + b * b);
  const grad = ([a, b, c]: number[]) => [b - Math.exp(a) / (1 + b * b), a + (2 * b * Math.exp(a)) / (1 + b * b) ** 2, Math.cos(c)];
  const vec3 = fc.tuple(point, point, point);

  it("is ∇f·v, with the value f(x)", () => {
    fc.assert(
      fc.property(vec3, vec3, (x, v) => {
        const r = directionalDerivative(f, x, v);
        expect(r.value).toBe(plain(x));
        const g = grad(x);
        const terms = g.map((gi, i) => gi * v[i]);
        const scale = terms.reduce((s, t) => s + Math.abs(t), 0);
        expect(Math.abs(r.derivative - terms.reduce((s, t) => s + t, 0))).toBeLessThanOrEqual(1e-13 * scale + 1e-15);
      }),
      { numRuns: 100 },
    );
  });

  it("is linear in v and agrees with gradientForward, which passes checkGradient", () => {
    fc.assert(
      fc.property(vec3, vec3, vec3, (x, v, w) => {
        const { gradient } = gradientForward(f, x);
        const report = checkGradient(plain, x, { gradient, rtol: 1e-7, atol: 1e-9 });
        expect(report.ok, report.summary).toBe(true);
        const dv = directionalDerivative(f, x, v).derivative;
        const dw = directionalDerivative(f, x, w).derivative;
        const dsum = directionalDerivative(
          f,
          x,
          v.map((vi, i) => vi + 2 * w[i]),
        ).derivative;
        const scale = gradient.reduce((s, gi, i) => s + Math.abs(gi) * (Math.abs(v[i]) + 2 * Math.abs(w[i])), 0);
        expect(Math.abs(dsum - (dv + 2 * dw))).toBeLessThanOrEqual(1e-12 * scale + 1e-14);
        expect(Math.abs(dv - gradient.reduce((s, gi, i) => s + gi * v[i], 0))).toBeLessThanOrEqual(1e-12 * scale + 1e-14);
      }),
      { numRuns: 60 },
    );
  });

  it("along eᵢ it is the i-th partial; along 0 it is 0; typed arrays are accepted", () => {
    const x = [0.3, -1.2, 2];
    const g = grad(x);
    for (let i = 0; i < 3; i++) {
      const e = [0, 0, 0];
      e[i] = 1;
      expectClose(directionalDerivative(f, x, e).derivative, g[i], 1e-14, 0, `∂f/∂x${i}`);
    }
    expect(directionalDerivative(f, x, [0, 0, 0]).derivative).toBe(0);
    expect(directionalDerivative(f, Float64Array.from(x) as unknown as number[], Float64Array.from([1, 0, 0]) as unknown as number[]).derivative).toBe(
      directionalDerivative(f, x, [1, 0, 0]).derivative,
    );
  });

  it("an empty x and v: derivative 0", () => {
    expect(
      directionalDerivative(
        multi(() => 4),
        [],
        [],
      ),
    ).toEqual({ value: 4, derivative: 0 });
  });

  it("v of a different length is ShapeMismatch naming both lengths", () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 6 }), fc.array(point, { maxLength: 6 }), (x, v) => {
        fc.pre(x.length !== v.length);
        const e = expectAdError(
          () =>
            directionalDerivative(
              multi(() => 0),
              x,
              v,
            ),
          "ShapeMismatch",
          "directionalDerivative",
        );
        expect(e.details.xLength).toBe(x.length);
        expect(e.details.vLength).toBe(v.length);
        expect(e.message).toContain(String(x.length));
        expect(e.message).toContain(String(v.length));
      }),
      { numRuns: 50 },
    );
  });
});

describe("gradientForward", () => {
  /** Σᵢ sin(xᵢ)·xᵢ₊₁ + log1p(xᵢ²): a chain coupling neighbours, any length. */
  const chain = <T>(S: Scalar<T>, xs: readonly T[]): T => {
    let acc = S.from(0);
    for (let i = 0; i < xs.length; i++) {
      acc = S.add(acc, S.log1p(S.mul(xs[i], xs[i])));
      if (i + 1 < xs.length) acc = S.add(acc, S.mul(S.sin(xs[i]), xs[i + 1]));
    }
    return acc;
  };

  it("passes checkGradient for 1 to 6 inputs, and the value is f(x)", () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 6 }), (x) => {
        const r = gradientForward((xs, S) => chain(S, xs), x);
        expect(r.value).toBe(chain(numberScalar, x));
        expect(r.gradient).toHaveLength(x.length);
        const report = checkGradient((v) => chain(numberScalar, v), x, { gradient: r.gradient, rtol: 1e-7, atol: 1e-9 });
        expect(report.ok, report.summary).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("matches the closed form of x₀²x₁ + x₁/x₂ (method style)", () => {
    fc.assert(
      fc.property(point, point, fc.double({ min: 0.5, max: 5, noNaN: true }), (a, b, c) => {
        const r = gradientForward(([p, q, s]) => p.mul(p).mul(q).add(q.div(s)), [a, b, c]);
        expectClose(r.gradient[0], 2 * a * b, 1e-14, 1e-15, "∂/∂x₀");
        expectClose(r.gradient[1], a * a + 1 / c, 1e-14, 1e-15, "∂/∂x₁");
        expectClose(r.gradient[2], -b / (c * c), 1e-14, 1e-15, "∂/∂x₂");
      }),
      { numRuns: 60 },
    );
  });

  it("calls f once per input (once for an empty x), each time with one input seeded", () => {
    for (const n of [0, 1, 3, 5]) {
      const seeds: number[][] = [];
      const r = gradientForward((xs, S) => {
        seeds.push(xs.map((xi) => (xi as unknown as Dual).dx));
        expect(S).toBe(dualScalar);
        return S.add(xs.length > 0 ? xs[0] : 0, 1);
      }, new Array<number>(n).fill(0.5));
      expect(seeds).toHaveLength(Math.max(n, 1));
      if (n === 0) expect(seeds).toEqual([[]]);
      else seeds.forEach((s, j) => expect(s).toEqual(s.map((_, i) => (i === j ? 1 : 0))));
      expect(r.value).toBe(n === 0 ? 1 : 1.5);
    }
  });

  it("a constant f (plain number) has a zero gradient; an empty x an empty one", () => {
    expect(
      gradientForward(
        multi(() => 2),
        [1, 2, 3],
      ),
    ).toEqual({ value: 2, gradient: [0, 0, 0] });
    expect(
      gradientForward(
        multi(() => 2),
        [],
      ),
    ).toEqual({ value: 2, gradient: [] });
  });

  it("does not change its input", () => {
    const x = [1, 2, 3];
    gradientForward(([a, b, c]) => a.mul(b).mul(c), x);
    expect(x).toEqual([1, 2, 3]);
  });
});

describe("jacobianForward", () => {
  /** f(x) = [x₀x₁, sin x₂ + x₀², 5]: the last output is a constant. */
  const f: VectorFn = ([a, b, c], S) => [S.mul(a, b), S.add(S.sin(c), S.mul(a, a)), S.from(5)];
  const rows = [([a, b]: number[]) => a * b, ([a, , c]: number[]) => Math.sin(c) + a * a, () => 5];

  it("matches the closed form, and each row passes checkGradient", () => {
    fc.assert(
      fc.property(point, point, point, (a, b, c) => {
        const r = jacobianForward(f, [a, b, c]);
        expect(r.value).toEqual([a * b, Math.sin(c) + a * a, 5]);
        expect(r.jacobian).toEqual([
          [b, a, 0],
          [2 * a, 0, Math.cos(c)],
          [0, 0, 0],
        ]);
        rows.forEach((row, i) => {
          const report = checkGradient(row, [a, b, c], { gradient: r.jacobian[i], rtol: 1e-7, atol: 1e-9 });
          expect(report.ok, `row ${i}: ${report.summary}`).toBe(true);
        });
      }),
      { numRuns: 60 },
    );
  });

  it("each row equals gradientForward of that output (generic and method style)", () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 4 }), (x) => {
        const g: VectorFn = (xs) => [xs.reduce((acc, t) => acc.mul(t.cos()), xs[0].add(2)), xs[xs.length - 1].atan()];
        const J = jacobianForward(g, x).jacobian;
        expect(J[0]).toEqual(gradientForward((xs, S) => g(xs, S)[0], x).gradient);
        expect(J[1]).toEqual(gradientForward((xs, S) => g(xs, S)[1], x).gradient);
      }),
      { numRuns: 40 },
    );
  });

  it("plain-number outputs are constant rows; no outputs and no inputs are fine", () => {
    expect(
      jacobianForward(
        vec(([a]: Dual[]) => [1, a]),
        [3],
      ),
    ).toEqual({ value: [1, 3], jacobian: [[0], [1]] });
    expect(jacobianForward(() => [], [1, 2])).toEqual({ value: [], jacobian: [] });
    expect(
      jacobianForward(
        vec(() => [1, 2]),
        [],
      ),
    ).toEqual({ value: [1, 2], jacobian: [[], []] });
  });

  it("a different number of outputs in different passes is ShapeMismatch", () => {
    let calls = 0;
    const e = expectAdError(() => jacobianForward((xs) => (calls++ === 0 ? [xs[0]] : [xs[0], xs[1]]), [1, 2]), "ShapeMismatch", "jacobianForward");
    expect(e.details.firstLength).toBe(1);
    expect(e.details.laterLength).toBe(2);
  });

  it("f returning a non-array, or an array holding junk, is InvalidArgument", () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => !Array.isArray(v)),
        fc.anything().filter((v) => typeof v !== "number"),
        fc.integer({ min: 0, max: 2 }),
        (notArray, junk, index) => {
          expectAdError(() => jacobianForward(() => notArray as never, [1]), "InvalidArgument", "jacobianForward", "f");
          const out: unknown[] = [1, 2, 3];
          out[index] = junk;
          const e = expectAdError(() => jacobianForward(() => out as never, [1]), "InvalidArgument", "jacobianForward", "f");
          expect(e.details.index).toBe(index);
        },
      ),
      { numRuns: 100 },
    );
    const nested = new NestedDual(numberScalar, 1, 1);
    expectAdError(() => jacobianForward(() => [nested] as never, [1]), "InvalidArgument", "jacobianForward", "f");
  });
});

describe("junk arguments are AdErrors with the right code", () => {
  const notAFunction = fc.anything().filter((v) => typeof v !== "function");
  const notAFiniteNumber = fc.oneof(
    fc.constantFrom(NaN, Infinity, -Infinity, "1", undefined, null, 1n),
    fc.anything().filter((v) => !(typeof v === "number" && Number.isFinite(v))),
  );
  const badOrder = fc.oneof(
    fc.integer({ min: -1000, max: -1 }),
    fc.integer({ min: MAX_DERIVATIVE_ORDER + 1, max: 1000 }),
    fc.double({ min: -20, max: 20, noNaN: true }).filter((n) => !Number.isInteger(n)),
    fc.constantFrom(NaN, Infinity, -Infinity, "2", undefined, null),
    fc.anything().filter((v) => typeof v !== "number"),
  );
  const notAFiniteVector = fc.oneof(
    fc.constantFrom([NaN], [1, Infinity], ["1"], [1, undefined], "12", { length: 1, 0: 1 }),
    fc.anything().filter((v) => !(Array.isArray(v) && v.every((e) => typeof e === "number" && Number.isFinite(e)))),
  );
  /** What f might wrongly return for a univariate functional: anything but a number. */
  const notAResult = fc.anything().filter((v) => typeof v !== "number");
  const ok: UnivariateFn = (t) => t.sin();
  const okMulti: MultivariateFn = (xs, S) => S.add(xs[0], 1);
  const okVector: VectorFn = (xs) => [xs[0]];

  it("a non-function f", () => {
    fc.assert(
      fc.property(notAFunction, (f) => {
        const g = f as never;
        expectAdError(() => derivative(g, 1), "InvalidArgument", "derivative", "f");
        expectAdError(() => derivatives(g, 1, 2), "InvalidArgument", "derivatives", "f");
        expectAdError(() => nthDerivative(g, 1, 2), "InvalidArgument", "nthDerivative", "f");
        expectAdError(() => directionalDerivative(g, [1], [1]), "InvalidArgument", "directionalDerivative", "f");
        expectAdError(() => gradientForward(g, [1]), "InvalidArgument", "gradientForward", "f");
        expectAdError(() => jacobianForward(g, [1]), "InvalidArgument", "jacobianForward", "f");
      }),
      { numRuns: 100 },
    );
  });

  it("x that is not a finite number (NaN, ±Infinity, strings, anything)", () => {
    fc.assert(
      fc.property(notAFiniteNumber, (x) => {
        const y = x as number;
        expectAdError(() => derivative(ok, y), "InvalidArgument", "derivative", "x");
        expectAdError(() => derivatives(ok, y, 3), "InvalidArgument", "derivatives", "x");
        expectAdError(() => nthDerivative(ok, y, 1), "InvalidArgument", "nthDerivative", "x");
      }),
      { numRuns: 100 },
    );
  });

  it("n negative, non-integer, above MAX_DERIVATIVE_ORDER or not a number", () => {
    fc.assert(
      fc.property(badOrder, (n) => {
        expectAdError(() => derivatives(ok, 1, n as number), "InvalidArgument", "derivatives", "n");
        expectAdError(() => nthDerivative(ok, 1, n as number), "InvalidArgument", "nthDerivative", "n");
      }),
      { numRuns: 100 },
    );
    const e = expectAdError(() => derivatives(ok, 1, MAX_DERIVATIVE_ORDER + 1), "InvalidArgument", "derivatives", "n");
    expect(e.details.max).toBe(MAX_DERIVATIVE_ORDER);
  });

  it("x or v that is not an array of finite numbers", () => {
    fc.assert(
      fc.property(notAFiniteVector, (x) => {
        const v = x as number[];
        expectAdError(() => directionalDerivative(okMulti, v, [1]), "InvalidArgument", "directionalDerivative", "x");
        expectAdError(() => directionalDerivative(okMulti, [1], v), "InvalidArgument", "directionalDerivative", "v");
        expectAdError(() => gradientForward(okMulti, v), "InvalidArgument", "gradientForward", "x");
        expectAdError(() => jacobianForward(okVector, v), "InvalidArgument", "jacobianForward", "x");
      }),
      { numRuns: 100 },
    );
  });

  it("f returning something that is neither a number nor the value it computed", () => {
    fc.assert(
      fc.property(notAResult, fc.integer({ min: 0, max: 4 }), (junk, n) => {
        const bad = (() => junk) as never;
        expectAdError(() => derivative(bad, 1), "InvalidArgument", "derivative", "f");
        expectAdError(() => derivatives(bad, 1, n), "InvalidArgument", "derivatives", "f");
        expectAdError(() => directionalDerivative(bad, [1, 2], [0, 1]), "InvalidArgument", "directionalDerivative", "f");
        expectAdError(() => gradientForward(bad, [1, 2]), "InvalidArgument", "gradientForward", "f");
        expectAdError(() => gradientForward(bad, []), "InvalidArgument", "gradientForward", "f");
      }),
      { numRuns: 100 },
    );
  });

  it("f returning a value from the wrong level: a Dual where a nested dual is due, and vice versa", () => {
    // derivatives(f, x, n ≥ 2) runs f on nested duals: a plain Dual (or a lower level) is not its result.
    expectAdError(() => derivatives(() => Dual.variable(1) as never, 1, 2), "InvalidArgument", "derivatives", "f");
    expectAdError(() => derivatives(((t: NestedDual<unknown>) => t.x) as never, 1, 3), "InvalidArgument", "derivatives", "f");
    expectAdError(() => derivatives(((t: NestedDual<unknown>) => t.x) as never, 1, 2), "InvalidArgument", "derivatives", "f");
    // …and a nested dual is not a result of derivative, which runs f on plain Duals.
    const nested = new NestedDual(numberScalar, 1, 1);
    expectAdError(() => derivative(() => nested as never, 1), "InvalidArgument", "derivative", "f");
    expectAdError(() => derivatives(() => nested as never, 1, 1), "InvalidArgument", "derivatives", "f");
    // A NestedDual of the right level built by hand around junk: refused, not read as numbers.
    const hollow = (t: NestedDual<unknown>) => new NestedDual(t.S, "x" as never, {} as never);
    expectAdError(() => derivatives(hollow as never, 1, 2), "InvalidArgument", "derivatives", "f");
    expectAdError(() => nthDerivative(hollow as never, 1, 3), "InvalidArgument", "nthDerivative", "f");
    expectAdError(() => gradientForward(() => nested as never, [1]), "InvalidArgument", "gradientForward", "f");
  });

  it("a typed-array x is accepted (it is an array of numbers)", () => {
    const r = gradientForward(([a, b]) => a.mul(b), Float64Array.from([2, 3]) as unknown as number[]);
    expect(r).toEqual({ value: 6, gradient: [3, 2] });
  });
});
