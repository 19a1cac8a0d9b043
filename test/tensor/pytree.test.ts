/** grad / valueAndGrad / vjp over trees of tensors: parameters as one structured argument. */
import { describe, expect, it } from "vitest";
import { add, grad, jvp, matmul, mul, relu, sum, tensor, valueAndGrad, vjp, type Tensor } from "../../src/tensor/index.js";
import { errorCode } from "../support/errorCode.js";

const f64 = (values: number[], shape: readonly number[] = [values.length]): Tensor => tensor(new Float64Array(values), { shape });
const flat = (t: unknown): number[] => Array.from((t as Tensor).data());

describe("pytrees", () => {
  const x = f64([1, -2], [1, 2]);
  const params = { layers: [{ w: f64([1, 2, 3, 4], [2, 2]), b: f64([0.5, -0.5]) }], scale: f64([3]), name: "mlp" };
  type Params = typeof params;
  const loss = (p: Params) => mul(sum(relu(add(matmul(x, p.layers[0].w), p.layers[0].b))), p.scale);

  it("the gradient comes back in the argument's structure, non-tensor leaves kept", () => {
    const g = grad(loss)(params) as unknown as Params;
    expect(g.name).toBe("mlp");
    // h = x·w + b = [1·1 − 2·3 + 0.5, 1·2 − 2·4 − 0.5] = [−4.5, −6.5]: relu kills both, so only scale sees Σ = 0.
    expect(flat(g.layers[0].w)).toEqual([0, 0, 0, 0]);
    expect(flat(g.scale)).toEqual([0]);
    const p2 = { ...params, layers: [{ w: f64([1, 0, 0, 1], [2, 2]), b: f64([3, 3]) }] };
    const g2 = grad(loss)(p2) as unknown as Params;
    // h = [1 + 3, −2 + 3] = [4, 1] > 0: ∂/∂w = scale·xᵀ·1, ∂/∂b = scale, ∂/∂scale = Σh = 5.
    expect(flat(g2.layers[0].w)).toEqual([3, 3, -6, -6]);
    expect(flat(g2.layers[0].b)).toEqual([3, 3]);
    expect(flat(g2.scale)).toEqual([5]);
  });

  it("valueAndGrad with argnums over a tree and a tensor; vjp over a list", () => {
    const [v, [gp, gx]] = valueAndGrad((p: { a: Tensor }, y: Tensor) => sum(mul(p.a, y)), { argnums: [0, 1] })({ a: f64([2, 3]) }, f64([5, 7])) as unknown as [
      Tensor,
      [{ a: Tensor }, Tensor],
    ];
    expect(v.item()).toBe(31);
    expect(flat(gp.a)).toEqual([5, 7]);
    expect(flat(gx)).toEqual([2, 3]);
    const [y, pullback] = vjp((ts: Tensor[]) => mul(ts[0], ts[1]), [f64([2]), f64([3])]);
    expect(y.item()).toBe(6);
    const [g] = pullback(f64([1])) as unknown as [Tensor[]];
    expect(g.map((t) => t.item())).toEqual([3, 2]);
  });

  it("trees without tensors, cycles and int leaves are AdErrors", () => {
    expect(errorCode(() => grad((p: unknown) => sum(p as Tensor))({ a: 1 }))).toBe("InvalidArgument");
    const cyclic: Record<string, unknown> = { t: f64([1]) };
    cyclic.self = cyclic;
    expect(errorCode(() => grad((p: unknown) => sum((p as { t: Tensor }).t))(cyclic))).toBe("InvalidArgument");
    expect(errorCode(() => grad((p: unknown) => sum((p as Tensor[])[0]))([tensor([1], { dtype: "int32" })]))).toBe("DTypeMismatch");
  });

  it("an array Proxy that lies about its length is an AdError, not a TypeError", () => {
    for (const length of [Symbol("n"), -1, 1.5, "2"]) {
      const lying = new Proxy([f64([1])], { get: (t, k) => (k === "length" ? length : Reflect.get(t, k)) });
      expect(errorCode(() => vjp((p: unknown) => sum((p as Tensor[])[0]), lying))).toBe("InvalidArgument");
    }
  });
});

describe("jvp over trees", () => {
  it("primals and tangents as trees of the same structure", () => {
    const f = (p: { a: Tensor; b: Tensor[] }) => sum(mul(p.a, add(p.b[0], p.b[1])));
    const primal = { a: f64([1, 2]), b: [f64([3, 4]), f64([5, 6])] };
    const tangent = { a: f64([1, 0]), b: [f64([0, 1]), f64([0, 0])] };
    const [y, t] = jvp(f, [primal], [tangent]);
    expect(y.item()).toBe(1 * 8 + 2 * 10);
    // d = Σ (ȧ·(b0+b1) + a·(ḃ0+ḃ1)) = 1·8 + 2·1
    expect(t.item()).toBe(10);
    expect(errorCode(() => jvp(f, [primal], [{ a: f64([1, 0]), b: [f64([0, 1])] }]))).toBe("ShapeMismatch");
  });
});
