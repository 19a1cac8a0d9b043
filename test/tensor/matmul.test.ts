/**
 * matmul (NumPy semantics: 1-D promotion, broadcast batch axes), dot and outer: values against a
 * naive loop, the VJP against central differences in float64 over random shapes (size-1 and size-0
 * axes, broadcast batches, transposed and reversed operands), the JVP against the VJP by the adjoint
 * identity, grad of grad against finite differences of the gradient, and the errors.
 */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { kernels } from "../../src/backends/backend.js";
import { AdError } from "../../src/errors.js";
import { dot, matmul, outer } from "../../src/tensor/primitives/matmul.js";
import { add, grad, hessian, mul, randn, rng, sin, sum, tensor, type Rng, type Tensor } from "../../src/tensor/index.js";
import { checkGradient } from "../../src/testing/checkGradient.js";
import { errorCode } from "../support/errorCode.js";
import { close, expectJvpMatchesVjp, expectVjpMatches, f64, flat, layoutArb, type Layout } from "../support/tensors.js";

/** A float64 tensor of `shape`, laid out as a transpose or a reversed slice of another when asked. */
function operand(g: Rng, shape: readonly number[], layout: Layout): Tensor {
  if (layout === "transposed" && shape.length >= 2) {
    const swapped = [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
    return randn(swapped, { rng: g, dtype: "float64" }).transpose();
  }
  if (layout === "reversed" && shape.length >= 1) {
    return randn(shape, { rng: g, dtype: "float64" }).slice(...shape.map((_, i) => (i === shape.length - 1 ? ([null, null, -1] as const) : null)));
  }
  return randn(shape, { rng: g, dtype: "float64" });
}

/** NumPy's matmul by definition: promote, broadcast the batch, Σ over the contracted axis. */
function reference(a: Tensor, b: Tensor): number[] {
  const a2 = a.rank === 1 ? a.reshape([1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? b.reshape([b.shape[0], 1]) : b;
  const [m, k] = a2.shape.slice(-2);
  const n = b2.shape[b2.rank - 1];
  const ba = a2.shape.slice(0, -2);
  const bb = b2.shape.slice(0, -2);
  const rank = Math.max(ba.length, bb.length);
  const batch = Array.from({ length: rank }, (_, i) => Math.max(ba[ba.length - rank + i] ?? 1, bb[bb.length - rank + i] ?? 1));
  const A = a2.expand([...batch, m, k]);
  const B = b2.expand([...batch, k, n]);
  const out: number[] = [];
  const count = batch.reduce((p, d) => p * d, 1);
  for (let p = 0; p < count; p++) {
    const idx: number[] = [];
    for (let i = rank - 1, r = p; i >= 0; i--) {
      idx.unshift(r % batch[i]);
      r = Math.floor(r / batch[i]);
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += A.at(...idx, i, q) * B.at(...idx, q, j);
        out.push(s);
      }
    }
  }
  return out;
}

/** Shapes for a and b: a shared batch with axes set to 1 or dropped on either side, and 1-D operands. */
const caseArb = fc.record({
  m: fc.integer({ min: 0, max: 3 }),
  k: fc.integer({ min: 0, max: 3 }),
  n: fc.integer({ min: 0, max: 3 }),
  batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
  onesA: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  onesB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  dropA: fc.integer({ min: 0, max: 2 }),
  dropB: fc.integer({ min: 0, max: 2 }),
  vecA: fc.boolean(),
  vecB: fc.boolean(),
  layoutA: layoutArb,
  layoutB: layoutArb,
  seed: fc.integer(),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function shapesOf(c: Case): [number[], number[]] {
  const batchA = c.batch.map((d, i) => (c.onesA[i] ? 1 : d)).slice(Math.min(c.dropA, c.batch.length));
  const batchB = c.batch.map((d, i) => (c.onesB[i] ? 1 : d)).slice(Math.min(c.dropB, c.batch.length));
  return [c.vecA ? [c.k] : [...batchA, c.m, c.k], c.vecB ? [c.k] : [...batchB, c.k, c.n]];
}

describe("matmul values", () => {
  it("match the definition for random shapes, batch broadcasting, 1-D operands, size-0 axes and strided operands", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const g = rng(c.seed);
        const [sa, sb] = shapesOf(c);
        const a = operand(g, sa, c.layoutA);
        const b = operand(g, sb, c.layoutB);
        const y = matmul(a, b);
        const expected = reference(a, b);
        close(flat(y), expected, 1e-12);
        // NumPy's result shape: the promoted axes are removed again.
        const a2 = sa.length === 1 ? [1, ...sa] : sa;
        const b2 = sb.length === 1 ? [...sb, 1] : sb;
        const ba = a2.slice(0, -2);
        const bb = b2.slice(0, -2);
        const rank = Math.max(ba.length, bb.length);
        const batch = Array.from({ length: rank }, (_, i) => Math.max(ba[ba.length - rank + i] ?? 1, bb[bb.length - rank + i] ?? 1));
        expect(y.shape).toEqual([...batch, ...(sa.length > 1 ? [sa[sa.length - 2]] : []), ...(sb.length > 1 ? [sb[sb.length - 1]] : [])]);
      }),
      { numRuns: 150 },
    );
  });

  it("float32 operands give float32; known small products; dot and outer", () => {
    const y = matmul(
      tensor([
        [1, 2],
        [3, 4],
      ]),
      tensor([
        [5, 6],
        [7, 8],
      ]),
    );
    expect(y.dtype).toBe("float32");
    expect(y.toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(
      matmul(
        tensor([1, 2]),
        tensor([
          [1, 0, 1],
          [0, 1, 1],
        ]),
      ).toArray(),
    ).toEqual([1, 2, 3]);
    expect(
      matmul(
        tensor([
          [1, 0, 1],
          [0, 1, 1],
        ]),
        tensor([1, 2, 3]),
      ).toArray(),
    ).toEqual([4, 5]);
    const d = dot(tensor([1, 2, 3]), tensor([4, 5, 6]));
    expect(d.shape).toEqual([]);
    expect(d.item()).toBe(32);
    expect(outer(tensor([1, 2]), tensor([3, 4, 5])).toArray()).toEqual([
      [3, 4, 5],
      [6, 8, 10],
    ]);
    // NaN propagates even against zeros (no zero-skipping in the kernel).
    expect(Number.isNaN(matmul(tensor([[0, 1]]), tensor([[NaN], [1]])).item())).toBe(true);
    // Contracting over 0 elements gives zeros.
    expect(matmul(tensor(new Float64Array(0), { shape: [2, 0] }), tensor(new Float64Array(0), { shape: [0, 3] })).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });
});

describe("matmul derivatives", () => {
  it("VJP (g·bᵀ, aᵀ·g, reduced to each batch shape) matches central differences", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const g = rng(c.seed);
        const [sa, sb] = shapesOf(c);
        expectVjpMatches(matmul, [operand(g, sa, c.layoutA), operand(g, sb, c.layoutB)], g);
      }),
      { numRuns: 60 },
    );
  });

  it("JVP matches the VJP by the adjoint identity", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const g = rng(c.seed);
        const [sa, sb] = shapesOf(c);
        expectJvpMatchesVjp(matmul, [operand(g, sa, c.layoutA), operand(g, sb, c.layoutB)], g);
      }),
      { numRuns: 60 },
    );
  });

  it("grad of grad matches central differences of the gradient (broadcast batch, transposed operand)", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const g = rng(seed);
        const a = operand(g, [2, 3, 2], "transposed");
        const b = operand(g, [1, 2, 4], "contiguous");
        const w = randn([2, 3, 4], { rng: g, dtype: "float64" });
        const va = randn(a.shape, { rng: g, dtype: "float64" });
        const vb = randn(b.shape, { rng: g, dtype: "float64" });
        const loss = (x: Tensor, y: Tensor) => sum(mul(w, sin(matmul(x, y))));
        // h(a, b) = ⟨va, ∂L/∂a⟩ + ⟨vb, ∂L/∂b⟩, itself differentiated.
        const h = (x: Tensor, y: Tensor) => {
          const [ga, gb] = grad(loss, { argnums: [0, 1] })(x, y) as Tensor[];
          return add(sum(mul(va, ga)), sum(mul(vb, gb)));
        };
        const [ha, hb] = grad(h, { argnums: [0, 1] })(a, b) as Tensor[];
        const ra = checkGradient((v) => h(f64(v, a.shape), b).item(), flat(a), { gradient: flat(ha), rtol: 1e-6, atol: 1e-8 });
        expect(ra.ok, ra.summary).toBe(true);
        const rb = checkGradient((v) => h(a, f64(v, b.shape)).item(), flat(b), { gradient: flat(hb), rtol: 1e-6, atol: 1e-8 });
        expect(rb.ok, rb.summary).toBe(true);
      }),
      { numRuns: 10 },
    );
  });

  it("the Hessian of the bilinear form xᵀAx is A + Aᵀ (forward over reverse through matmul)", () => {
    const A = randn([3, 3], { rng: rng(5), dtype: "float64" });
    const x = randn([3], { rng: rng(6), dtype: "float64" });
    const H = hessian((t: Tensor) => dot(t, matmul(A, t)))(x);
    close(flat(H), flat(add(A, A.transpose())), 1e-12);
  });

  it("dot and outer carry gradients", () => {
    const g = rng(11);
    expectVjpMatches(dot, [operand(g, [4], "reversed"), operand(g, [4], "contiguous")], g);
    expectVjpMatches(outer, [operand(g, [3], "reversed"), operand(g, [2], "contiguous")], g);
    expectJvpMatchesVjp(outer, [operand(g, [3], "contiguous"), operand(g, [1], "contiguous")], g);
  });
});

describe("matmul errors", () => {
  it("inner dims that differ are a ShapeMismatch naming both shapes and the contracted dims", () => {
    const a = tensor(new Float64Array(6), { shape: [2, 3] });
    const b = tensor(new Float64Array(20), { shape: [4, 5] });
    let error: unknown;
    try {
      matmul(a, b);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AdError);
    const e = error as AdError;
    expect(e.code).toBe("ShapeMismatch");
    expect(e.message).toContain("[2, 3]");
    expect(e.message).toContain("[4, 5]");
    expect(e.message).toMatch(/contracted dims 3 .* 4/);
    expect(e.details).toMatchObject({
      op: "matmul",
      shapes: [
        [2, 3],
        [4, 5],
      ],
      contracted: [3, 4],
    });
    // 1-D operands are named by their own shapes.
    expect(
      (() => {
        try {
          matmul(tensor([1, 2, 3]), tensor([1, 2]));
        } catch (x) {
          return (x as AdError).message;
        }
      })(),
    ).toContain("[3] by [2]");
  });

  it("batch shapes that do not broadcast, scalars, bool operands and non-tensors", () => {
    const z = (shape: number[], dtype: "float32" | "float64" | "int32" = "float64") => tensor(new Float64Array(shape.reduce((p, d) => p * d, 1)), { shape, dtype });
    expect(errorCode(() => matmul(z([2, 2, 3]), z([3, 3, 4])))).toBe("ShapeMismatch");
    expect(errorCode(() => matmul(z([]), z([3])))).toBe("InvalidArgument");
    expect(errorCode(() => matmul(z([3]), z([])))).toBe("InvalidArgument");
    expect(errorCode(() => matmul(tensor([[true]]), tensor([[true]])))).toBe("DTypeMismatch");
    expect(errorCode(() => matmul([[1]] as never, z([1, 1])))).toBe("InvalidArgument");
    expect(errorCode(() => matmul(z([1, 1]), null as never))).toBe("InvalidArgument");
    expect(errorCode(() => dot(z([2]), z([3])))).toBe("ShapeMismatch");
    expect(errorCode(() => dot(z([2, 1]), z([2])))).toBe("ShapeMismatch");
    expect(errorCode(() => outer(z([2, 1]), z([2])))).toBe("ShapeMismatch");
    expect(errorCode(() => outer(z([2]), 3 as never))).toBe("InvalidArgument");
  });
});

describe("matmul's VJP computes only the cotangents that are needed", () => {
  it("x·W with data x: the backward pass runs one product (xᵀ·g), not two", () => {
    const x = randn([6, 5], { rng: rng(1), dtype: "float64" });
    const w = randn([5, 4], { rng: rng(2), dtype: "float64" }).requireGrad();
    const spy = vi.spyOn(kernels(), "matmul");
    try {
      const y = sum(matmul(x, w));
      expect(spy).toHaveBeenCalledTimes(1);
      y.backward();
      expect(spy).toHaveBeenCalledTimes(2);
      // ∂/∂W Σ x·W = xᵀ·1
      const colSums = [0, 1, 2, 3, 4].map((i) => [0, 1, 2, 3, 4, 5].reduce((acc, r) => acc + (x.data()[r * 5 + i] as number), 0));
      close(
        flat(w.grad!),
        colSums.flatMap((c) => [c, c, c, c]),
        1e-12,
      );
    } finally {
      spy.mockRestore();
    }
  });
});
