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

  it("tensors, PyTorch style and JAX style", () => {
    const { tensor, randn, rng, sum, mul, sin, exp, grad, jvp, jacfwd, jacrev, hessian, noGrad } = T;
    const w = randn([3, 2], { rng: rng(0), dtype: "float64" }).requireGrad();
    const x = tensor([[1, 2, 3]], { dtype: "float64" });
    const loss = sum(mul(sin(x.transpose()), w));
    loss.backward();
    expect((w.grad as T.Tensor).toArray()).toEqual([1, 2, 3].map((v) => [Math.sin(v), Math.sin(v)]));
    expect(noGrad(() => mul(w, 2)).requiresGrad).toBe(false);
    const f = (t: T.Tensor) => sum(mul(exp(t), t));
    const g = (grad(f)(x) as T.Tensor).toArray() as number[][];
    g[0].forEach((v, i) => close(v, (i + 2) * Math.exp(i + 1)));
    const g2 = (grad((t: T.Tensor) => sum(grad(f)(t) as T.Tensor))(x) as T.Tensor).toArray() as number[][];
    g2[0].forEach((v, i) => close(v, (i + 3) * Math.exp(i + 1)));
    const [, tangent] = jvp(f, [x], [tensor([[1, 0, 0]], { dtype: "float64" })]);
    close(tangent.item(), 2 * Math.E);
    expect(jacfwd((t) => sin(t))(x).shape).toEqual([1, 3, 1, 3]);
    const jr = Array.from(jacrev((t) => sin(t))(x).data());
    Array.from(jacfwd((t) => sin(t))(x).data()).forEach((v, i) => close(v, jr[i]));
    const h = hessian(f)(x).toArray() as number[][][][];
    close(h[0][1][0][1], 4 * Math.exp(2));
    close(h[0][1][0][2], 0);
  });
});
