/**
 * Forward mode where only some inputs of a broadcasting op carry a tangent (issue 14): the tangent
 * must still have the output's shape. The issue's own examples, and the nn layers whose bias is the
 * only input with a tangent; the table over every primitive is test/tensor/jvpPerInput.test.ts.
 */
import { describe, expect, it } from "vitest";
import { BatchNorm1d, BatchNorm2d, Conv2d, LayerNorm, Linear, type Module, type ParameterTree } from "../../src/nn/index.js";
import { add, cast, customJvp, hessian, jacfwd, jacrev, jvp, mul, ones, rng, randn, sum, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";
import { close, f64, flat } from "../support/tensors.js";

const x = f64([0.5, -1, 2], [3, 1]);
const y = f64([1, 2, 3, 4], [1, 4]);

describe("forward mode through a broadcasting add with one tangent", () => {
  it("jvp of sum(x + y) along ones is 12 for x [3, 1], y [1, 4]", () => {
    const [, t] = jvp((u: Tensor) => sum(add(u, y)), [x], [ones([3, 1], { dtype: "float64" })]);
    expect(t.item()).toBe(12);
    // And with the tangent on y only: 3 rows see each of the 4 entries.
    const [, ty] = jvp((v: Tensor) => sum(add(x, v)), [y], [ones([1, 4], { dtype: "float64" })]);
    expect(ty.item()).toBe(12);
  });

  it("jvp of x + y has the output's shape [3, 4]", () => {
    const [out, t] = jvp((u: Tensor) => add(u, y), [x], [f64([1, 2, 3], [3, 1])]);
    expect(t.shape).toEqual(out.shape);
    expect(flat(t)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it("hessian of (sum(x + y))² is 32 in every entry", () => {
    const H = hessian((u: Tensor) => {
      const s = sum(add(u, y));
      return mul(s, s);
    })(x);
    expect(H.shape).toEqual([3, 1, 3, 1]);
    expect(flat(H)).toEqual(new Array(9).fill(32));
  });

  it("jacfwd of a broadcasting add equals jacrev", () => {
    const J = jacfwd((u: Tensor) => add(u, y))(x);
    expect(J.shape).toEqual([3, 4, 3, 1]);
    expect(flat(J)).toEqual(flat(jacrev((u: Tensor) => add(u, y))(x)));
    const Jy = jacfwd((v: Tensor) => add(x, v))(y);
    expect(Jy.shape).toEqual([3, 4, 1, 4]);
    expect(flat(Jy)).toEqual(flat(jacrev((v: Tensor) => add(x, v))(y)));
  });
});

describe("nn layers with only the bias carrying a tangent", () => {
  const r = rng(14);
  /** The layer's output as a function of its bias, the other parameters fixed. */
  const ofBias = (layer: Module, input: Tensor) => {
    const params = layer.parameterTree();
    return (b: Tensor) => layer.call({ ...params, bias: b } as ParameterTree, input);
  };

  const cases: [string, () => [Module, Tensor]][] = [
    ["Linear", () => [new Linear(3, 2, { rng: r, dtype: "float64" }), randn([4, 3], { rng: r, dtype: "float64" })]],
    ["Linear on a rank-3 input", () => [new Linear(3, 2, { rng: r, dtype: "float64" }), randn([2, 4, 3], { rng: r, dtype: "float64" })]],
    ["Conv2d", () => [new Conv2d(2, 3, 2, { rng: r, dtype: "float64" }), randn([2, 2, 4, 4], { rng: r, dtype: "float64" })]],
    ["LayerNorm", () => [new LayerNorm(4, { dtype: "float64" }), randn([3, 4], { rng: r, dtype: "float64" })]],
    ["BatchNorm1d", () => [new BatchNorm1d(3, { dtype: "float64" }), randn([4, 3], { rng: r, dtype: "float64" })]],
    ["BatchNorm2d (eval)", () => [new BatchNorm2d(2, { dtype: "float64" }).eval(), randn([2, 2, 3, 3], { rng: r, dtype: "float64" })]],
  ];

  it.each(cases)("%s: the tangent has the output's shape and is the bias tangent broadcast", (_, make) => {
    const [layer, input] = make();
    const f = ofBias(layer, input);
    const b = (layer.parameterTree() as { bias: Tensor }).bias;
    const tb = randn(b.shape, { rng: r, dtype: "float64" });
    const [out, t] = jvp(f, [b], [tb]);
    expect(t.shape).toEqual(out.shape);
    // The output is affine in the bias: f(b + tb) − f(b) is the directional derivative.
    close(
      flat(t),
      flat(f(add(b, tb))).map((v, i) => v - flat(out)[i]),
      1e-12,
    );
  });
});

describe("the engine's check of every JVP rule's tangent", () => {
  // customJvp lets a rule be wrong on purpose; the same check guards the built-in rules.
  const plus = (rule: (primals: readonly Tensor[], tangents: readonly (Tensor | null)[]) => Tensor) => customJvp((a: Tensor, b: Tensor) => add(a, b), rule);

  it("a tangent of the wrong shape is a ShapeMismatch naming the op, not expanded: only broadcasting primitives are", () => {
    // The lone input-shaped tangent that add's rule may return is an error from a rule that is not add's.
    const e = thrown(() => jvp((u: Tensor) => plus((_, [ta]) => ta as Tensor)(u, y), [x], [ones([3, 1], { dtype: "float64" })]));
    expect(e.code).toBe("ShapeMismatch");
    expect(e.details.op).toBe("customJvp(f)");
    expect(e.details.shapes).toEqual([
      [3, 1],
      [3, 4],
    ]);
  });

  it("a tangent of the wrong dtype is a DTypeMismatch naming the op", () => {
    const e = thrown(() => jvp((u: Tensor) => plus((_, [ta]) => cast(add(ta as Tensor, y), "float32"))(u, y), [x], [ones([3, 1], { dtype: "float64" })]));
    expect(e.code).toBe("DTypeMismatch");
    expect(e.details.op).toBe("customJvp(f)");
  });

  it("a rule whose tangent has the output's shape passes unchanged", () => {
    const [, t] = jvp((u: Tensor) => plus((_, [ta]) => add(ta as Tensor, mul(y, 0)))(u, y), [x], [ones([3, 1], { dtype: "float64" })]);
    expect(sum(t).item()).toBe(12);
  });
});
