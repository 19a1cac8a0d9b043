/**
 * `npm start`: derivatives of a few functions computed by every mode adjoint has, each checked
 * against a closed form or finite differences. Exits with status 1 if any check fails.
 */
import {
  Dual,
  Tape,
  attempt,
  checkGradient,
  derivative,
  derivatives,
  directionalDerivative,
  dualScalar,
  gradient,
  hessian,
  hessianVectorProduct,
  jacobian,
  jacobianForward,
  numberScalar,
  type Scalar,
} from "../src/index.js";
import * as T from "../src/tensor/index.js";

let failures = 0;

function row(label: string, got: number | readonly number[], expected: number | readonly number[], tol = 1e-9): void {
  const g = typeof got === "number" ? [got] : got;
  const e = typeof expected === "number" ? [expected] : expected;
  const ok = g.length === e.length && g.every((v, i) => Math.abs(v - e[i]) <= tol * Math.max(1, Math.abs(e[i])));
  if (!ok) failures++;
  const fmt = (xs: readonly number[]) => (xs.length === 1 ? fmtNum(xs[0]) : `[${xs.map(fmtNum).join(", ")}]`);
  console.log(`  ${ok ? "✓" : "✗"} ${label.padEnd(44)} ${fmt(g).padEnd(40)} expected ${fmt(e)}`);
}

function fmtNum(x: number): string {
  return Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(10).replace(/0+$/, "").replace(/\.$/, "") : x.toExponential(6);
}

// ── 1. One function, every domain ────────────────────────────────────────────────────────────────
console.log("\n1. f(x) = (x + 1)·sin(x) at x = 2, written once as <T>(S: Scalar<T>, x: T) => T\n");
const f = <T>(S: Scalar<T>, x: T): T => S.mul(S.add(x, 1), S.sin(x));
const x0 = 2;
// Closed forms: f' = sin x + (x+1) cos x, f'' = 2 cos x − (x+1) sin x, f''' = −3 sin x − (x+1) cos x,
// f'''' = −4 cos x + (x+1) sin x.
const [s, c] = [Math.sin(x0), Math.cos(x0)];
const exact = [(x0 + 1) * s, s + (x0 + 1) * c, 2 * c - (x0 + 1) * s, -3 * s - (x0 + 1) * c, -4 * c + (x0 + 1) * s];

row("f(x) on plain numbers (numberScalar)", f(numberScalar, x0), exact[0]);
row("f'(x) forward mode, Dual", f(dualScalar, Dual.variable(x0)).dx, exact[1]);
row("f'(x) forward mode, derivative((x) => …)", derivative((x) => x.add(1).mul(x.sin()), x0).derivative, exact[1]);
row(
  "f'(x) reverse mode, tape",
  Tape.with((tape) => {
    const x = tape.variable(x0);
    return tape.backward(f(tape.scalar, x)).wrt(x);
  }),
  exact[1],
);
row("f, f', f'', f''', f'''' by nested duals", derivatives((x, S) => f(S, x), x0, 4), exact);

// ── 2. Gradients of a function of several variables ─────────────────────────────────────────────
console.log("\n2. Rosenbrock r(a, b) = (1 − a)² + 100 (b − a²)² at (−1.2, 1)\n");
const rosenbrockNumbers = ([a, b]: number[]) => (1 - a) ** 2 + 100 * (b - a * a) ** 2;
const point = [-1.2, 1];
const [a, b] = point;
const exactGrad = [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)];
const exactHess = [
  [2 - 400 * (b - 3 * a * a), -400 * a],
  [-400 * a, 200],
];

const explicit = Tape.with((tape) => {
  const [p, q] = tape.variables(point);
  const one = tape.sub(1, p);
  const r = tape.add(tape.mul(one, one), tape.mul(100, tape.pow(tape.sub(q, tape.mul(p, p)), 2)));
  return tape.backward(r).wrt([p, q]);
});
row("∇r, tape, explicit context tape.mul(a, b)", explicit, exactGrad);
const methods = Tape.with((tape) => {
  const [p, q] = tape.variables(point);
  const r = p.neg().add(1).pow(2).add(q.sub(p.mul(p)).pow(2).mul(100));
  return tape.backward(r).all();
});
row("∇r, tape, methods p.neg().add(1).pow(2)…", methods, exactGrad);
const rosenbrock = <T>(S: Scalar<T>, [p, q]: readonly T[]): T =>
  S.add(S.pow(S.sub(1, p), 2), S.mul(100, S.pow(S.sub(q, S.mul(p, p)), 2)));
row("∇r, gradient((xs, S) => …)", gradient((xs, S) => rosenbrock(S, xs), point), exactGrad);
row(
  "∇r·(1, 2), forward mode, one pass",
  directionalDerivative((xs, S) => rosenbrock(S, xs), point, [1, 2]).derivative,
  exactGrad[0] + 2 * exactGrad[1],
);
row("Hessian, forward over reverse, row 1", hessian((xs, S) => rosenbrock(S, xs), point)[0], exactHess[0]);
row("Hessian, forward over reverse, row 2", hessian((xs, S) => rosenbrock(S, xs), point)[1], exactHess[1]);
row("H·(1, −1), one forward-over-reverse pass", hessianVectorProduct((xs, S) => rosenbrock(S, xs), point, [1, -1]), [
  exactHess[0][0] - exactHess[0][1],
  exactHess[1][0] - exactHess[1][1],
]);
const report = checkGradient(rosenbrockNumbers, point, { gradient: explicit });
console.log(`  ${report.ok ? "✓" : "✗"} checkGradient: ${report.summary}`);
if (!report.ok) failures++;

// ── 3. Jacobians: reverse (one backward per output) and forward (one pass per input) ─────────────
console.log("\n3. Polar to Cartesian (r, θ) ↦ (r cos θ, r sin θ) at (2, π/6)\n");
const polar = <T>(S: Scalar<T>, [r, t]: readonly T[]): T[] => [S.mul(r, S.cos(t)), S.mul(r, S.sin(t))];
const [r0, t0] = [2, Math.PI / 6];
const exactJ = [
  [Math.cos(t0), -r0 * Math.sin(t0)],
  [Math.sin(t0), r0 * Math.cos(t0)],
];
const reverseJ = jacobian((xs, S) => polar(S, xs), [r0, t0]).jacobian;
const forwardJ = jacobianForward((xs, S) => polar(S, xs), [r0, t0]).jacobian;
row("Jacobian row 1, reverse", reverseJ[0], exactJ[0]);
row("Jacobian row 2, reverse", reverseJ[1], exactJ[1]);
row("Jacobian row 1, forward", forwardJ[0], exactJ[0]);
row("Jacobian row 2, forward", forwardJ[1], exactJ[1]);

// ── 4. Errors are values you can branch on ───────────────────────────────────────────────────────
console.log("\n4. Typed errors\n");
const foreign = attempt(() =>
  Tape.with((t1) => {
    const x = t1.variable(1);
    return Tape.with((t2) => t2.sin(x as never).value); // the cast defeats the compile-time check on purpose
  }),
);
console.log(`  ${!foreign.ok && foreign.error.code === "ForeignVariable" ? "✓" : "✗"} a variable from another tape: ${foreign.ok ? "no error!" : `${foreign.error.code} — ${foreign.error.message}`}`);
if (foreign.ok || foreign.error.code !== "ForeignVariable") failures++;
const nonFinite = attempt(() =>
  Tape.with(
    (tape) => {
      const x = tape.variable(0);
      return tape.backward(tape.mul(tape.log(x), 2)).wrt(x);
    },
    { checkFinite: true },
  ),
);
console.log(`  ${!nonFinite.ok && nonFinite.error.code === "NonFinite" ? "✓" : "✗"} log(0) with checkFinite: ${nonFinite.ok ? "no error!" : `${nonFinite.error.code} — ${nonFinite.error.message}`}`);
if (nonFinite.ok || nonFinite.error.code !== "NonFinite") failures++;

// ── 5. Tensors: one engine, two styles ───────────────────────────────────────────────────────────
console.log("\n5. Tensors: a 2-16-2 MLP learning XOR, and its gradients by every tensor mode\n");
{
  const { tensor, randn, rng, zeros, matmul, add, relu, logSoftmax, mul, sum, neg, mean, sub, oneHot, noGrad, valueAndGrad, vjp, jvp } = T;
  const r = rng(0);
  const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]], { dtype: "float64" });
  const y = oneHot(tensor([0, 1, 1, 0], { dtype: "int32" }), 2, "float64");
  type Params = { w1: T.Tensor; b1: T.Tensor; w2: T.Tensor; b2: T.Tensor };
  const lossOf = (p: Params) => neg(mean(sum(mul(logSoftmax(add(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), p.b2)), y), -1)));
  // Small random biases: with b1 = 0 the input [0, 0] would sit exactly on every relu's kink, where
  // finite differences straddle it and disagree with the (one-sided) derivative.
  const init = (): Params => ({
    w1: randn([2, 16], { rng: r, dtype: "float64" }),
    b1: mul(randn([16], { rng: r, dtype: "float64" }), 0.1),
    w2: randn([16, 2], { rng: r, dtype: "float64" }),
    b2: zeros([2], { dtype: "float64" }),
  });
  const p0 = init();
  const names = ["w1", "b1", "w2", "b2"] as const;

  // JAX style gradient against PyTorch style backward, and against finite differences of the loss.
  const [loss0, g] = valueAndGrad(lossOf)(p0) as [T.Tensor, Params];
  const leaves = Object.fromEntries(names.map((k) => [k, p0[k].detach().requireGrad()])) as Params;
  lossOf(leaves).backward();
  const flat = (q: Params) => names.flatMap((k) => Array.from(q[k].data()));
  row("loss at the start", loss0.item(), lossOf(p0).item());
  const viaBackward = flat(Object.fromEntries(names.map((k) => [k, leaves[k].grad as T.Tensor])) as Params);
  const gap = flat(g).reduce((m, v, i) => Math.max(m, Math.abs(v - viaBackward[i])), 0);
  row(`valueAndGrad vs backward(): largest gap of ${viaBackward.length}`, gap, 0, 1e-12);
  const fromFlat = (v: readonly number[]): Params => {
    let at = 0;
    return Object.fromEntries(names.map((k) => {
      const n = p0[k].size;
      const t = tensor(Float64Array.from(v.slice(at, at + n)), { dtype: "float64", shape: p0[k].shape });
      at += n;
      return [k, t];
    })) as Params;
  };
  const fd = checkGradient((v) => lossOf(fromFlat(v)).item(), flat(p0), { gradient: flat(g) });
  console.log(`  ${fd.ok ? "✓" : "✗"} checkGradient of the tensor gradient: ${fd.summary}`);
  if (!fd.ok) failures++;
  // Forward mode through the JVP rules and reverse mode through the VJP rules agree: ⟨c, J t⟩ = ⟨Jᵀ c, t⟩.
  const t = init();
  const [, jt] = jvp(lossOf, [p0], [t]);
  const [, pullback] = vjp(lossOf, p0);
  const [jtc] = pullback(tensor(1, { dtype: "float64" })) as Params[];
  const dot = (a: Params, b: Params) => names.reduce((acc, k) => acc + sum(mul(a[k], b[k])).item(), 0);
  row("jvp (forward) = vjp (reverse) along a direction", jt.item(), dot(jtc, t), 1e-12);

  // Training, PyTorch style: backward, then an in-place update under noGrad.
  const w = Object.fromEntries(names.map((k) => [k, p0[k].detach().requireGrad()])) as Params;
  let loss = Infinity;
  for (let step = 0; step < 300; step++) {
    const l = lossOf(w);
    l.backward();
    loss = l.item();
    noGrad(() => {
      for (const k of names) {
        w[k].assign(sub(w[k], mul(w[k].grad as T.Tensor, 0.5)));
        w[k].zeroGrad();
      }
    });
  }
  const logits = add(matmul(relu(add(matmul(x, w.w1), w.b1)), w.w2), w.b2);
  row(`XOR learned in 300 steps (loss ${loss.toFixed(4)}), predictions`, Array.from(logits.argmax(-1).data()), [0, 1, 1, 0]);
}

console.log(failures === 0 ? "\nAll derivatives check out.\n" : `\n${failures} check(s) failed.\n`);
process.exitCode = failures === 0 ? 0 : 1;
