/**
 * Matmul epilogues (src/jit/passes/epilogue.ts): on the wasm backend a product read by one fused
 * group runs that group as its epilogue (one equation, IR text), in the forward (bias + activation)
 * and the backward (relu's gradient); the jitted program gives eager's bits; on the cpu backend, or
 * where a product is returned or read twice, the product and the group stay apart.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import { add, gelu, matmul, mul, relu, sum, tanh, tensor, valueAndGrad, type Tensor } from "../../src/tensor/index.js";
import { onBackend } from "../support/backends.js";

/** Deterministic values in [−1, 1) (float32). */
function values(seed: number, n: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
const matrix = (seed: number, r: number, c: number) => tensor(values(seed, r * c), { shape: [r, c] });

const layer = (x: Tensor, w: Tensor, b: Tensor) => relu(add(matmul(x, w), b));
const [x, w, b] = [matrix(1, 32, 48), matrix(2, 48, 40), tensor(values(3, 40))];

describe("matmul epilogues", () => {
  it("a bias add and an activation after a product become one equation on wasm (IR text)", () => {
    const text = onBackend("wasm", () => String(jit(layer).lower(x, w, b)));
    expect(text).toMatch(/f32\[32,40\] = fused\[ops=\(matmul,add,relu\), code=wasm\] a b c\n/);
    expect(text).not.toMatch(/= matmul /);
  });

  it("relu's gradient after the backward's product is that product's epilogue (IR text)", () => {
    const loss = (p: { w: Tensor; b: Tensor; v: Tensor }) => sum(mul(matmul(relu(add(matmul(x, p.w), p.b)), p.v), 0.5));
    const text = onBackend("wasm", () => String(jit(valueAndGrad(loss)).lower({ w, b, v: matrix(4, 40, 8) })));
    expect(text).toContain("fused[ops=(matmul,add), code=wasm");
    expect(text).toContain("fused[ops=(matmul,reluGrad), code=wasm");
  });

  it("stays apart on the cpu backend, and where the product is returned or read twice", () => {
    const cpu = onBackend("cpu", () => String(jit(layer).lower(x, w, b)));
    expect(cpu).toMatch(/= matmul a b\n/);
    const returned = onBackend("wasm", () => String(jit((x: Tensor, w: Tensor, b: Tensor) => [matmul(x, w), relu(add(matmul(x, w), b))]).lower(x, w, b)));
    expect(returned).not.toContain("ops=(matmul");
    const twice = onBackend("wasm", () => String(jit((x: Tensor, w: Tensor) => add(tanh(matmul(x, w)), sum(matmul(x, w)))).lower(x, w)));
    expect(twice).not.toContain("ops=(matmul");
    // Read twice inside one group is read once: the group is still the epilogue.
    const inGroup = onBackend("wasm", () => String(jit((x: Tensor, w: Tensor) => add(tanh(matmul(x, w)), mul(matmul(x, w), 2))).lower(x, w)));
    expect(inGroup).toContain("fused[ops=(matmul,tanh,mul,add), code=wasm]");
  });

  it("jit ≡ eager bit for bit on wasm: forward, value and gradients (generated shapes and epilogues)", () => {
    const acts = [relu, tanh, gelu, (t: Tensor) => mul(t, t)];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), fc.nat(3), fc.nat(1000), (m, k, n, a, seed) => {
        const act = acts[a];
        const [xs, ws, bs] = [matrix(seed, m, k), matrix(seed + 1, k, n), tensor(values(seed + 2, n))];
        const f = (x: Tensor, w: Tensor, b: Tensor) => act(add(matmul(x, w), b));
        const g = (p: { w: Tensor; b: Tensor }) => sum(mul(relu(add(matmul(xs, p.w), p.b)), 0.25));
        onBackend("wasm", () => {
          expect(Array.from(jit(f)(xs, ws, bs).data())).toEqual(Array.from(f(xs, ws, bs).data()));
          const [value, grads] = jit(valueAndGrad(g))({ w: ws, b: bs }) as [Tensor, { w: Tensor; b: Tensor }];
          const [v0, g0] = valueAndGrad(g)({ w: ws, b: bs }) as [Tensor, { w: Tensor; b: Tensor }];
          expect(value.item()).toBe(v0.item());
          expect(Array.from(grads.w.data())).toEqual(Array.from(g0.w.data()));
          expect(Array.from(grads.b.data())).toEqual(Array.from(g0.b.data()));
        });
      }),
      { numRuns: 25 },
    );
  });

  it("a second call reuses the program's buffer and still gives eager's bits", () => {
    onBackend("wasm", () => {
      const g = jit((x: Tensor, w: Tensor, b: Tensor) => mul(layer(x, w, b), 3));
      const first = Array.from(g(x, w, b).data());
      const x2 = matrix(9, 32, 48);
      expect(Array.from(g(x2, w, b).data())).toEqual(Array.from(mul(layer(x2, w, b), 3).data()));
      expect(Array.from(g(x, w, b).data())).toEqual(first);
    });
  });
});
