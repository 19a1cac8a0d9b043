/**
 * The README's examples, run as written (imports from the package root), with the values their
 * comments claim. If an example changes, change it here too.
 */
import { describe, expect, it } from "vitest";
import {
  attempt,
  derivative,
  derivatives,
  directionalDerivative,
  Dual,
  dualScalar,
  gradient,
  hessian,
  hessianVectorProduct,
  jacobian,
  jacobianForward,
  nthDerivative,
  numberScalar,
  Tape,
  type Scalar,
} from "../src/index.js";
import { checkGradient } from "../src/testing/index.js";
import { defineDerivative, differentiate, transformHessian } from "../src/index.js";
import * as T from "../src/tensor/index.js";

const close = (a: number, b: number, tol = 1e-9) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe("README examples", () => {
  it("forward mode", () => {
    const x = Dual.variable(2);
    const y = x.add(1).mul(x.sin());
    close(y.x, 3 * Math.sin(2));
    close(y.dx, Math.sin(2) + 3 * Math.cos(2));
    const d = derivative((x) => x.add(1).mul(x.sin()), 2);
    close(d.derivative, -0.3391430828, 1e-9);
    // (e^x sin x)'''' = −4 e^x sin x
    close(nthDerivative((x) => x.exp().mul(x.sin()), 0.5, 4), -4 * Math.exp(0.5) * Math.sin(0.5));
    expect(derivatives((x) => x.pow(3), 2, 3)).toEqual([8, 12, 12, 6]);
    expect(directionalDerivative((xs) => xs[0].mul(xs[1]), [2, 3], [1, 0])).toEqual({ value: 6, derivative: 3 });
  });

  it("handles that allocate nothing", () => {
    const [gx, gy] = Tape.with((tape) => {
      const h = tape.handles;
      const x = h.variable(2),
        y = h.variable(3);
      const z = h.add(h.mul(x, y), h.sin(x));
      h.backward(z);
      return [h.gradient(x), h.gradient(y)];
    });
    close(gx, 3 + Math.cos(2));
    expect(gy).toBe(2);
  });

  it("record once, replay", () => {
    const rec = Tape.record((xs, S) => S.mul(S.sin(xs[0]), xs[1]), [1, 2]);
    const r = rec.valueAndGradient([0.5, 3]);
    close(r.value, 3 * Math.sin(0.5));
    close(r.gradient[0], 3 * Math.cos(0.5));
    close(r.gradient[1], Math.sin(0.5));
    const hv = rec.hessianVectorProduct([0.5, 3], [1, 0]);
    close(hv[0], -3 * Math.sin(0.5));
    close(hv[1], Math.cos(0.5));
  });

  it("nested forward mode", () => {
    expect(derivative((x: Dual) => x.mul(derivative((y: Dual) => x.add(y), 1).derivative), 2)).toEqual({ value: 2, derivative: 1 });
    expect(derivative((x: Dual) => x.mul(derivative((y: Dual) => x.mul(y), 1).derivative), 2)).toEqual({ value: 4, derivative: 4 });
  });

  it("one numeric interface", () => {
    const model = <T>(S: Scalar<T>, x: T) => S.mul(S.add(x, 1), S.sin(x));
    close(model(numberScalar, 2), 2.7278922805);
    close(model(dualScalar, Dual.variable(2)).dx, -0.3391430828);
    const r = Tape.with((tape) => {
      const x = tape.variable(2);
      return tape.backward(model(tape.scalar, x)).wrt(x);
    });
    close(r, -0.3391430828);
  });

  it("reverse mode, both styles on one arena", () => {
    const [gx, gy, all, gw] = Tape.with((tape) => {
      const x = tape.variable(2),
        y = tape.variable(3);
      const z = tape.add(tape.mul(x, y), tape.sin(x));
      const w = x.mul(y).add(x.sin());
      const g = tape.backward(z);
      return [g.wrt(x), g.wrt(y), g.all(), tape.backward(w).all()] as const;
    });
    close(gx, 3 + Math.cos(2));
    close(gy, 2);
    expect(all).toEqual([gx, gy]);
    expect(gw).toEqual(all);
  });

  it("checkpoint in a long loop", () => {
    const steps = 10_000;
    const [g, size] = Tape.with((tape) => {
      const [q0, p0] = tape.variables([1, 0]);
      let [q, p] = [q0, p0];
      for (let step = 0; step < steps; step++) {
        [q, p] = tape.checkpoint((s) => [s[0].add(s[1].mul(0.001)), s[1].sub(s[0].sin().mul(0.001))], [q, p]);
      }
      return [tape.backward(q).wrt([q0, p0]), tape.size] as const;
    });
    expect(size).toBe(2 + 2 * steps);
    // The same loop on duals, one direction per initial condition.
    const euler = (q: Dual, p: Dual) => {
      for (let step = 0; step < steps; step++) [q, p] = [q.add(p.mul(0.001)), p.sub(q.sin().mul(0.001))];
      return q.dx;
    };
    close(g[0], euler(Dual.variable(1), Dual.constant(0)), 1e-10);
    close(g[1], euler(Dual.constant(1), Dual.variable(0)), 1e-10);
  });

  it("functionals", () => {
    const rosenbrock = <T>(S: Scalar<T>, [a, b]: readonly T[]) => S.add(S.pow(S.sub(1, a), 2), S.mul(100, S.pow(S.sub(b, S.mul(a, a)), 2)));
    const g = gradient((xs, S) => rosenbrock(S, xs), [-1.2, 1]);
    close(g[0], -215.6);
    close(g[1], -88);
    const h = hessian((xs, S) => rosenbrock(S, xs), [-1.2, 1]);
    close(h[0][0], 1330);
    close(h[0][1], 480);
    close(h[1][1], 200);
    const hv = hessianVectorProduct((xs, S) => rosenbrock(S, xs), [-1.2, 1], [1, 0]);
    close(hv[0], 1330);
    close(hv[1], 480);
    const jr = jacobian((xs) => [xs[0].mul(xs[1]), xs[0].sin()], [2, 3]).jacobian;
    const jf = jacobianForward((xs) => [xs[0].mul(xs[1]), xs[0].sin()], [2, 3]).jacobian;
    expect(jr).toEqual([
      [3, 2],
      [Math.cos(2), 0],
    ]);
    expect(jf).toEqual(jr);
  });

  it("source transformation", () => {
    const df = differentiate((x: number, y: number) => (x + 1) * Math.sin(x) * y);
    const r = df(2, 3);
    close(r.value, 8.18367684, 1e-8);
    close(r.gradient[0] as number, 3 * (Math.sin(2) + 3 * Math.cos(2)));
    close(r.gradient[1] as number, 3 * Math.sin(2));
    expect(df.source).toMatch(/function f_gradient\(x, y\)/);
    expect(df.source).toMatch(/x_adj = x_adj \+ \w+;/);
    const loss = differentiate(
      (w: number[], x: number[]) => {
        let s = 0;
        for (let i = 0; i < w.length; i++) s += (w[i] * x[i] - target) ** 2;
        return s;
      },
      { constants: { target: 1 } },
    );
    expect(Array.from(loss([1, 2], [3, 4]).gradient[0] as Float64Array)).toEqual([12, 56]);
    const w = new Float64Array([1, 2]);
    const x = new Float64Array([3, 4]);
    const gw = new Float64Array(2);
    const gx = new Float64Array(2);
    expect(loss.into([gw, gx], w, x).gradient[0]).toBe(gw);
    expect(Array.from(gw)).toEqual([12, 56]);
    for (let step = 0; step < 100; step++) {
      loss.into([gw, gx], w, x);
      for (let i = 0; i < w.length; i++) w[i] -= 0.01 * gw[i];
    }
    close(w[0], 1 / 3, 1e-7);
    close(w[1], 1 / 4, 1e-7);
    expect(differentiate((x: number) => Math.exp(x), { mode: "forward" })([0], [1])).toEqual({ value: 1, tangent: 1 });
    expect(transformHessian((x: number, y: number) => x * x * y)(2, 3).hessian).toEqual([
      [6, 4],
      [4, 0],
    ]);
    const softplus = defineDerivative(
      (t: number) => Math.log1p(Math.exp(t)),
      (t: number) => 1 / (1 + Math.exp(-t)),
    );
    expect(differentiate((x: number) => softplus(2 * x), { functions: { softplus } })(0).gradient).toEqual([1]);
  });

  it("errors as values", () => {
    const r = attempt(() => derivative((x) => x.log(), "two" as never));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe("InvalidArgument");
      expect(r.error.details.op).toBe("derivative");
    }
  });

  it("checkGradient", () => {
    const report = checkGradient(([a, b]) => a * Math.sin(b), [2, 3], { gradient: [Math.sin(3), 2 * Math.cos(3)] });
    expect(report.ok).toBe(true);
    const bad = checkGradient(([a, b]) => a * Math.sin(b), [2, 3], { gradient: [Math.sin(3), 2 * Math.cos(3) + 1e-3] });
    expect(bad.ok).toBe(false);
  });

  it("tensors, PyTorch style: an XOR net trained with backward and assign", () => {
    const { tensor, randn, rng, zeros, matmul, add, relu, logSoftmax, mul, sum, neg, mean, sub, oneHot, noGrad } = T;
    const r = rng(0);
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = oneHot(tensor([0, 1, 1, 0], { dtype: "int32" }), 2);
    const w1 = randn([2, 16], { rng: r }).requireGrad(), b1 = zeros([16]).requireGrad();
    const w2 = randn([16, 2], { rng: r }).requireGrad(), b2 = zeros([2]).requireGrad();
    const model = (x: T.Tensor) => add(matmul(relu(add(matmul(x, w1), b1)), w2), b2);
    const losses: number[] = [];
    for (let step = 0; step < 200; step++) {
      const loss = neg(mean(sum(mul(logSoftmax(model(x)), y), -1)));
      losses.push(loss.item());
      loss.backward();
      noGrad(() => {
        for (const p of [w1, b1, w2, b2]) {
          p.assign(sub(p, mul(p.grad!, 0.5)));
          p.zeroGrad();
        }
      });
    }
    close(losses[0], 1.22, 0.01);
    expect(losses[199]).toBeLessThan(0.02);
    expect(model(x).argmax(-1).toArray()).toEqual([0, 1, 1, 0]);
    expect(noGrad(() => mul(w1, 2)).requiresGrad).toBe(false);
  });

  it("tensors, JAX style: trees of parameters, argnums, composable transforms, customVjp", () => {
    const { tensor, randn, rng, zeros, matmul, add, relu, logSoftmax, mul, sum, neg, mean, sub, oneHot, grad, valueAndGrad, vjp, jvp, jacfwd, jacrev, hessian, exp, sin, customVjp, clip, tanh } = T;
    const r = rng(0);
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = oneHot(tensor([0, 1, 1, 0], { dtype: "int32" }), 2);
    type Params = { w1: T.Tensor; b1: T.Tensor; w2: T.Tensor; b2: T.Tensor };
    const lossOf = (p: Params, x: T.Tensor, y: T.Tensor) => neg(mean(sum(mul(logSoftmax(add(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), p.b2)), y), -1)));
    let p: Params = { w1: randn([2, 16], { rng: r }), b1: zeros([16]), w2: randn([16, 2], { rng: r }), b2: zeros([2]) };
    const step = valueAndGrad(lossOf);
    let last = Infinity;
    for (let i = 0; i < 200; i++) {
      const [loss, g] = step(p, x, y) as [T.Tensor, Params];
      last = loss.item();
      p = { w1: sub(p.w1, mul(g.w1, 0.5)), b1: sub(p.b1, mul(g.b1, 0.5)), w2: sub(p.w2, mul(g.w2, 0.5)), b2: sub(p.b2, mul(g.b2, 0.5)) };
    }
    expect(last).toBeLessThan(0.05);
    const [gp, gx] = grad(lossOf, { argnums: [0, 1] })(p, x, y) as [Params, T.Tensor];
    expect(Object.keys(gp)).toEqual(["w1", "b1", "w2", "b2"]);
    expect(gx.shape).toEqual([4, 2]);

    const t = tensor([[1, 2, 3]], { dtype: "float64" });
    const f = (u: T.Tensor) => sum(mul(exp(u), u));
    const g = (grad(f)(t) as T.Tensor).toArray() as number[][];
    g[0].forEach((v, i) => close(v, (i + 2) * Math.exp(i + 1)));
    const g2 = (grad((u: T.Tensor) => sum(grad(f)(u) as T.Tensor))(t) as T.Tensor).toArray() as number[][];
    g2[0].forEach((v, i) => close(v, (i + 3) * Math.exp(i + 1)));
    const [, tangent] = jvp(f, [t], [tensor([[1, 0, 0]], { dtype: "float64" })]);
    close(tangent.item(), 2 * Math.E);
    const [value, pullback] = vjp(f, t);
    close(value.item(), Math.E + 2 * Math.exp(2) + 3 * Math.exp(3));
    close((pullback(tensor(1, { dtype: "float64" }))[0].toArray() as number[][])[0][2], 4 * Math.exp(3));
    expect(jacfwd(sin)(t).shape).toEqual([1, 3, 1, 3]);
    const jr = Array.from(jacrev(sin)(t).data());
    Array.from(jacfwd(sin)(t).data()).forEach((v, i) => close(v, jr[i]));
    const h = hessian(f)(t).toArray() as number[][][][];
    close(h[0][1][0][1], 4 * Math.exp(2));
    close(h[0][1][0][2], 0);

    const clippedTanh = customVjp(
      (u: T.Tensor) => tanh(u),
      (u: T.Tensor) => {
        const yy = tanh(u);
        return [yy, yy] as const;
      },
      (yy, gg) => [clip(mul(gg, sub(1, mul(yy, yy))), -0.1, 0.1)],
    );
    const gc = (grad((u: T.Tensor) => sum(mul(clippedTanh(u), 10)))(tensor([0, 3])) as T.Tensor).toArray() as number[];
    close(gc[0], 0.1, 1e-6);
    close(gc[1], 10 * (1 - Math.tanh(3) ** 2), 1e-5);
  });

  it("trimMemory gives the wasm scratch memory back", () => {
    T.matmul(T.randn([512, 512]), T.randn([512, 512]));
    const freed = T.trimMemory();
    if (T.getBackend() === "wasm") expect(freed).toBeGreaterThanOrEqual(5e6); // the cpu backend has none
    expect(T.trimMemory()).toBe(0);
  });
});

declare const target: number;
