/**
 * `trace`: the typed IR of a tensor function — printed like a jaxpr, evaluated again like the
 * original, composed with grad/vjp/jvp, and refusing to read values it does not have.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { abstract, add, grad, rand, rng, jvp, mul, sin, sum, tensor, trace, vjp, type Tensor } from "../../src/tensor/index.js";

const bits = (t: Tensor): number[] => Array.from(t.data());

describe("trace", () => {
  it("prints a program of typed equations and evaluates it again", () => {
    const c = tensor([1, 2, 3]);
    const p = trace((a: Tensor, b: Tensor) => sum(add(mul(a, b), c)))(abstract([2, 3]), { shape: [3], dtype: "float32" });
    expect(p.toString()).toBe(
      [
        "{ lambda a:f32[3] ; b:f32[2,3] c:f32[3] . let",
        "    d:f32[2,3] = mul b c",
        "    e:f32[2,3] = add d a",
        "    f:f32[] = sum[axes=(0,1), keepDims=false] e",
        "  in (f) }",
      ].join("\n"),
    );
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const y = tensor([1, 0, 2]);
    expect((p.evaluate(x, y) as Tensor).item()).toBe(sum(add(mul(x, y), c)).item());
  });

  it("works with the method style, concrete inputs and pytrees in and out", () => {
    const p = trace((ps: { w: Tensor; b: Tensor }, x: Tensor) => ({ y: x.matmul(ps.w).add(ps.b).tanh(), n: ps.w.sum() }))(
      { w: abstract([3, 2], "float64"), b: { shape: [2], dtype: "float64" } },
      tensor([[1, 2, 3]], { dtype: "float64" }),
    );
    expect(p.inputs.map((v) => v.shape)).toEqual([[3, 2], [2], [1, 3]]);
    expect(p.toString()).toContain("matmul");
    const w = tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { dtype: "float64" },
    );
    const b = tensor([0.5, -1], { dtype: "float64" });
    const x = tensor([[0.1, -0.2, 0.3]], { dtype: "float64" });
    const out = p.evaluate(w, b, x) as { y: Tensor; n: Tensor };
    expect(bits(out.y)).toEqual(bits(x.matmul(w).add(b).tanh()));
    expect(out.n.item()).toBe(21);
  });

  it("traces grad, vjp and jvp into their derivative programs", () => {
    const f = (x: Tensor) => sum(mul(sin(x), x));
    const x = tensor([0.5, 1, 2]);
    const g = trace(grad(f))(abstract([3]));
    expect(g.toString()).toContain("cos");
    expect(bits(g.evaluate(x) as Tensor)).toEqual(bits(grad(f)(x) as Tensor));

    const v = trace((x: Tensor, c: Tensor) => vjp((u: Tensor) => sin(u), x)[1](c))(abstract([3]), abstract([3]));
    const c = tensor([1, -2, 3]);
    expect(bits((v.evaluate(x, c) as Tensor[])[0])).toEqual(bits((vjp((u: Tensor) => sin(u), x)[1](c) as Tensor[])[0]));

    const j = trace((x: Tensor, t: Tensor) => jvp((u: Tensor) => sin(u), [x], [t]))(abstract([3]), abstract([3]));
    expect(j.toString()).toMatch(/= cos /);
    const [y, dy] = j.evaluate(x, c) as Tensor[];
    const [ey, edy] = jvp((u: Tensor) => sin(u), [x], [c]);
    expect([bits(y), bits(dy)]).toEqual([bits(ey), bits(edy)]);
  });

  it("reading a value of an abstract tensor is UnsupportedOp naming the read", () => {
    const read = (f: (x: Tensor) => unknown, name: string) => {
      let caught: unknown;
      try {
        trace(f)(abstract([2]));
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(AdError);
      expect((caught as AdError).code).toBe("UnsupportedOp");
      expect((caught as AdError).details.op).toBe(name);
      expect((caught as AdError).message).toMatch(/cannot read values/);
    };
    read((x) => x.sum().item(), "Tensor.item");
    read((x) => x.exp().data(), "Tensor.data");
    read((x) => x.toArray(), "Tensor.toArray");
    read((x) => x.at(0), "Tensor.at");
    read((x) => ((x.sum() as unknown as number) > 0 ? x : x.neg()), "Tensor.valueOf");
    // After the trace, concrete tensors read as always.
    expect(tensor([1, 2]).sum().item()).toBe(3);
  });

  it("rejects bad inputs with AdErrors", () => {
    expect(() => trace((x: Tensor) => x)(42)).toThrow(AdError);
    expect(() => abstract([2, -1])).toThrow(AdError);
    const p = trace((x: Tensor) => x.exp())(abstract([2]));
    expect(() => p.evaluate(tensor([1, 2, 3]))).toThrow(/shape/);
    expect(() => p.evaluate(tensor([1, 2], { dtype: "float64" }))).toThrow(/float64/);
    expect(() => p.evaluate()).toThrow(AdError);
  });
});

describe("trace of composites", () => {
  it("softmax's shift is traced, not frozen at the placeholder's values", () => {
    const x = tensor([1000, 1001, 999]);
    const p = trace((u: Tensor) => u.softmax())(abstract([3]));
    expect(bits(p.evaluate(x) as Tensor)).toEqual(bits(x.softmax()));
  });

  it("traces PyTorch-style backward: the program returns the leaf's gradient", () => {
    const p = trace((w: Tensor) => {
      const loss = w.mul(w).sin().sum();
      loss.backward();
      return w.grad as Tensor;
    })(tensor([1, 2, 3]).requireGrad());
    const w = tensor([0.5, -1, 2]).requireGrad();
    w.mul(w).sin().sum().backward();
    expect(bits(p.evaluate(tensor([0.5, -1, 2])) as Tensor)).toEqual(bits(w.grad as Tensor));
  });

  it("property: a broadcasting chain evaluates again to the eager result, bit for bit", () => {
    const dim = fc.integer({ min: 1, max: 4 });
    fc.assert(
      fc.property(fc.tuple(dim, dim), fc.boolean(), fc.nat(1000), ([m, n], keepRow, seed) => {
        const g = rng(seed);
        const x = rand([m, n], { rng: g, dtype: "float64" });
        const y = rand(keepRow ? [1, n] : [m, 1], { rng: g, dtype: "float64" });
        const f = (a: Tensor, b: Tensor) => a.mul(b).add(a.exp()).sub(b).sum(1).tanh();
        const p = trace(f)(abstract([m, n], "float64"), abstract([...y.shape], "float64"));
        expect(bits(p.evaluate(x, y) as Tensor)).toEqual(bits(f(x, y)));
      }),
    );
  });
});
