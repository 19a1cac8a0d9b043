/**
 * jit composes both ways with the transforms: outside them (grad(jit(f)), jvp, hessian) the jitted
 * call replays its program's primitives, inside them (jit(grad(f))) the trace is the derivative
 * program. Every result is checked against eager bit for bit (the same kernels run).
 */
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import { add, customVjp, exp, grad, hessian, jvp, log, matmul, mul, rand, relu, rng, sigmoid, sin, sum, tanh, tensor, valueAndGrad, type Tensor } from "../../src/tensor/index.js";

const bits = (t: unknown): number[] => Array.from((t as Tensor).data());
const f64 = (values: number[]): Tensor => tensor(new Float64Array(values));

const chain = (x: Tensor, y: Tensor) => sum(add(mul(sin(x), y), mul(x, x)));
const mlp = (p: { w: Tensor; b: Tensor }, x: Tensor) => sum(tanh(add(matmul(x, p.w), p.b)));

describe("jit composes with the transforms", () => {
  const x = rand([6], { rng: rng(1) });
  const y = rand([6], { rng: rng(2) });
  const p = { w: rand([3, 2], { rng: rng(3) }), b: rand([2], { rng: rng(4) }) };
  const xb = rand([4, 3], { rng: rng(5) });

  it("grad(jit(f)) equals grad(f), over a pytree too", () => {
    const g = grad(jit(chain), { argnums: [0, 1] }) as (x: Tensor, y: Tensor) => Tensor[];
    const ref = grad(chain, { argnums: [0, 1] })(x, y) as Tensor[];
    g(x, y).forEach((t, i) => expect(bits(t)).toEqual(bits(ref[i])));
    const gp = grad(jit(mlp))(p, xb) as { w: Tensor; b: Tensor };
    const rp = grad(mlp)(p, xb) as { w: Tensor; b: Tensor };
    expect(bits(gp.w)).toEqual(bits(rp.w));
    expect(bits(gp.b)).toEqual(bits(rp.b));
  });

  it("jit(grad(f)) and jit(valueAndGrad(f)) equal eager, and trace once", () => {
    const jg = jit(grad(mlp));
    const ref = grad(mlp)(p, xb) as { w: Tensor; b: Tensor };
    for (let i = 0; i < 2; i++) {
      const out = jg(p, xb) as { w: Tensor; b: Tensor };
      expect(bits(out.w)).toEqual(bits(ref.w));
      expect(bits(out.b)).toEqual(bits(ref.b));
    }
    expect(jg.traces).toBe(1);
    const jvg = jit(valueAndGrad(chain));
    const [v, gx] = jvg(x, y);
    const [rv, rgx] = valueAndGrad(chain)(x, y);
    expect(bits(v)).toEqual(bits(rv));
    expect(bits(gx)).toEqual(bits(rgx));
  });

  it("jvp(jit(f)) and hessian(jit(f)) equal eager", () => {
    const t = rand([6], { rng: rng(6) });
    const [out, tan] = jvp(jit(chain), [x, y], [t, t]);
    const [rout, rtan] = jvp(chain, [x, y], [t, t]);
    expect(bits(out)).toEqual(bits(rout));
    expect(bits(tan)).toEqual(bits(rtan));
    const f = (v: Tensor) => sum(mul(sin(v), mul(v, v)));
    const v = f64([0.5, -1, 2]);
    expect(bits(hessian(jit(f))(v))).toEqual(bits(hessian(f)(v)));
    // jit of the Hessian too, and grad of grad through jit.
    expect(bits(jit(hessian(f))(v))).toEqual(bits(hessian(f)(v)));
    const gg = (u: Tensor) => sum(grad(jit(f))(u) as Tensor);
    expect(bits(grad(gg)(v))).toEqual(bits(grad((u: Tensor) => sum(grad(f)(u) as Tensor))(v)));
  });

  it("a customVjp inside keeps its rule under grad(jit(f)) and jit(grad(f))", () => {
    // log(1 + eˣ), whose own gradient is NaN at x = 1000; the custom rule is σ(x).
    const naive = (t: Tensor) => log(add(exp(t), 1));
    const stable = customVjp(
      naive,
      (t) => [naive(t), t] as const,
      (t, g) => [mul(g, sigmoid(t))],
    );
    const loss = (t: Tensor) => sum(stable(t));
    const at = f64([0, 2, 1000]);
    const ref = bits(grad(loss)(at));
    expect(ref[2]).toBe(1);
    expect(bits(grad(jit(loss))(at))).toEqual(ref);
    expect(bits(jit(grad(loss))(at))).toEqual(ref);
    expect(bits(jit(loss)(at))).toEqual(bits(loss(at)));
  });

  it("jit inside jit inlines the inner program", () => {
    const inner = jit((t: Tensor) => relu(sin(t)));
    const outer = jit((t: Tensor) => sum(mul(inner(t), t)));
    expect(bits(outer(x))).toEqual(bits(sum(mul(relu(sin(x)), x))));
    expect(String(outer.lower(x))).toContain("relu");
  });
});

describe("a customVjp traced into a program", () => {
  const cube = customVjp(
    (t: Tensor) => mul(mul(t, t), t),
    (t) => [mul(mul(t, t), t), t] as const,
    (t, g) => [mul(g, mul(mul(t, t), 3))],
  );

  it("computes its residuals in the traced backward program (trace of grad)", () => {
    const loss = (t: Tensor) => sum(cube(t));
    const at = f64([1, 2]);
    expect(bits(jit(grad(loss))(at))).toEqual([3, 12]);
  });

  it("keeps each evaluation's residuals apart when one program runs twice in one graph", () => {
    const j = jit((t: Tensor) => sum(cube(t)));
    const loss = (t: Tensor) => add(j(t), j(mul(t, 2)));
    // d/dt [t³ + (2t)³] = 3t² + 24t²
    expect(bits(grad(loss)(f64([1, 2])))).toEqual([27, 108]);
  });
});
