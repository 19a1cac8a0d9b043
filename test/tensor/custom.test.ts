/** customVjp, customJvp and checkpoint: one node each, the user's rule used where it should be. */
import { describe, expect, it } from "vitest";
import { checkpoint, customJvp, customVjp } from "../../src/tensor/autograd/custom.js";
import { abstract, add, clip, exp, grad, jvp, log, mul, sigmoid, sin, sum, tensor, trace, type Tensor } from "../../src/tensor/index.js";
import { errorCode } from "../support/errorCode.js";

const f64 = (values: number[], shape: readonly number[] = [values.length]): Tensor => tensor(new Float64Array(values), { shape });
const flat = (t: Tensor): number[] => Array.from(t.data());

describe("customVjp", () => {
  // log(1 + eˣ) whose own gradient overflows to NaN at x = 1000; the custom rule is σ(x).
  const naive = (x: Tensor) => log(add(exp(x), 1));
  const stable = customVjp(
    naive,
    (x) => [naive(x), x] as const,
    (x, g) => [mul(g, sigmoid(x))],
  );

  it("reverse mode uses bwd, so the gradient is finite where f's own is NaN", () => {
    const x = f64([0, 2, 1000]);
    expect(Number.isNaN(flat(grad((t: Tensor) => sum(naive(t)))(x) as Tensor)[2])).toBe(true);
    const g = flat(grad((t: Tensor) => sum(stable(t)))(x) as Tensor);
    expect(g[0]).toBeCloseTo(0.5, 15);
    expect(g[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(g[2]).toBe(1);
    // Outside differentiation it is f.
    expect(flat(stable(f64([0])))[0]).toBeCloseTo(Math.LN2, 15);
  });

  it("a gradient-clipping rule, and grad of grad through bwd", () => {
    const clipped = customVjp(
      (x: Tensor) => mul(x, 1),
      (x) => [mul(x, 1), null] as const,
      (_r, g) => [clip(g, -1, 1)],
    );
    expect(flat(grad((t: Tensor) => sum(mul(clipped(t), 5)))(f64([1, 2])) as Tensor)).toEqual([1, 1]);
    const cube = customVjp(
      (x: Tensor) => mul(mul(x, x), x),
      (x) => [mul(mul(x, x), x), x] as const,
      (x, g) => [mul(g, mul(mul(x, x), 3))],
    );
    const second = grad((t: Tensor) => sum(grad((u: Tensor) => sum(cube(u)))(t) as Tensor))(f64([2, -1]));
    expect(flat(second as Tensor)).toEqual([12, -6]);
  });

  it("bad rules are AdErrors naming customVjp", () => {
    const wrongCount = customVjp(
      (x: Tensor) => mul(x, 2),
      (x) => [mul(x, 2), null] as const,
      () => [],
    );
    expect(errorCode(() => grad((t: Tensor) => sum(wrongCount(t)))(f64([1])))).toBe("InvalidArgument");
    const wrongShape = customVjp(
      (x: Tensor) => mul(x, 2),
      (x) => [mul(x, 2), null] as const,
      () => [f64([1, 2, 3])],
    );
    expect(errorCode(() => grad((t: Tensor) => sum(wrongShape(t)))(f64([1])))).toBe("ShapeMismatch");
    expect(errorCode(() => customVjp(1 as never, 2 as never, 3 as never))).toBe("InvalidArgument");
  });
});

describe("customJvp", () => {
  it("forward mode uses the rule; reverse mode differentiates f", () => {
    // A deliberately different rule proves which one is used.
    const cube = customJvp(
      (x: Tensor) => mul(mul(x, x), x),
      ([x], [t]) => mul(t as Tensor, mul(x, 42)),
    );
    const x = f64([2]);
    const [, tangent] = jvp(cube, [x], [f64([1])]);
    expect(tangent.item()).toBe(84);
    expect((grad((u: Tensor) => sum(cube(u)))(x) as Tensor).item()).toBe(12);
  });
});

describe("checkpoint", () => {
  const body = (x: Tensor, w: Tensor) => sin(mul(add(mul(x, w), 1), exp(w)));

  it("one node, the same gradients as the plain function, to second order and in forward mode", () => {
    const cp = checkpoint(body);
    const x = f64([0.3, -0.7]);
    const w = f64([1.1, 0.4]);
    const out = cp(x.detach().requireGrad(), w);
    expect(out.node?.prim.name).toBe("checkpoint(body)");
    expect(out.node?.inputs.length).toBe(2);
    const plain = grad((a: Tensor, b: Tensor) => sum(body(a, b)), { argnums: [0, 1] })(x, w) as Tensor[];
    const viaCp = grad((a: Tensor, b: Tensor) => sum(cp(a, b)), { argnums: [0, 1] })(x, w) as Tensor[];
    flat(viaCp[0]).forEach((g, i) => expect(g).toBeCloseTo(flat(plain[0])[i], 14));
    flat(viaCp[1]).forEach((g, i) => expect(g).toBeCloseTo(flat(plain[1])[i], 14));
    const second = (f: (a: Tensor, b: Tensor) => Tensor) => flat(grad((a: Tensor) => sum(grad((u: Tensor) => sum(f(u, w)))(a) as Tensor))(x) as Tensor);
    second(cp).forEach((g, i) => expect(g).toBeCloseTo(second(body)[i], 12));
    const [, t1] = jvp((a: Tensor) => cp(a, w), [x], [f64([1, 2])]);
    const [, t2] = jvp((a: Tensor) => body(a, w), [x], [f64([1, 2])]);
    flat(t1).forEach((g, i) => expect(g).toBeCloseTo(flat(t2)[i], 14));
  });
});

describe("a custom function that reads values", () => {
  // Eagerly f runs on real values and may read them (a scale chosen from the data); only a trace
  // needs f's abstract type, and there reading is refused.
  const scaled = (x: Tensor) => mul(x, x.max().item() > 1 ? 0.5 : 2);
  it("works eagerly under customVjp, customJvp and checkpoint, and is refused only under trace", () => {
    const v = customVjp(
      scaled,
      (x: Tensor) => [scaled(x), x] as const,
      (x, g) => [mul(g, x.max().item() > 1 ? 0.5 : 2)],
    );
    const j = customJvp(scaled, ([x], [dx]) => mul(dx as Tensor, x.max().item() > 1 ? 0.5 : 2));
    const c = checkpoint(scaled);
    for (const f of [v, j, c]) {
      expect(f(tensor([0.25, 0.5])).toArray()).toEqual([0.5, 1]);
      expect((grad((x: Tensor) => sum(f(x)))(tensor([0.25, 0.5])) as Tensor).toArray()).toEqual([2, 2]);
      expect(errorCode(() => trace((x: Tensor) => f(x))(abstract([2])))).toBe("UnsupportedOp");
    }
  });
});
