/**
 * conv2d, maxPool2d and avgPool2d (NCHW) in float64: forward values against a shift-and-add
 * formulation built from slices, VJPs against central differences on random shapes, strides,
 * paddings and dilations (with non-contiguous inputs), JVPs against the VJP by the adjoint identity,
 * grad of grad, and the argument errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { conv2d, type Conv2dOptions } from "../../src/tensor/primitives/conv.js";
import { avgPool2d, maxPool2d } from "../../src/tensor/primitives/pool.js";
import { centralDifference } from "../../src/testing/checkGradient.js";
import { add, grad, jvp, mul, randn, rng, sin, sum, vjp, zeros, type Tensor } from "../../src/tensor/index.js";
import { errorCode } from "../support/errorCode.js";
import { close, expectGradientMatches as expectGradientMatchesAt, f64, flat, layoutArb, type Layout } from "../support/tensors.js";

/** Checks the gradient of F(v) = f(v as a tensor of at's shape).item() at `at` against central differences; `analytic` must have that shape. */
function expectGradientMatches(f: (x: Tensor) => Tensor, at: Tensor, analytic: Tensor): void {
  expect(analytic.shape).toEqual(at.shape);
  expectGradientMatchesAt(f, flat(at), at.shape, flat(analytic));
}

/** The leaf's shape for a layout, and the view that turns it into an [N, C, H, W] tensor. */
function layout(kind: Layout, shape: readonly number[]): { leaf: number[]; view: (t: Tensor) => Tensor } {
  const [n, c, h, w] = shape;
  switch (kind) {
    case "contiguous":
      return { leaf: [n, c, h, w], view: (t) => t };
    case "transposed":
      return { leaf: [n, c, w, h], view: (t) => t.transpose(2, 3) };
    case "reversed":
      return { leaf: [n, c, h, w], view: (t) => t.slice(null, [null, null, -1], null, [null, null, -1]) };
  }
}

interface ConvCase {
  readonly n: number;
  readonly c: number;
  readonly f: number;
  readonly size: [number, number];
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly layout: Layout;
  readonly seed: number;
}

const pairArb = (min: number, max: number) => fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }));
const outSize = (size: number, k: number, s: number, p: number, d: number) => Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

const convCaseArb: fc.Arbitrary<ConvCase> = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 2 }),
    f: fc.integer({ min: 1, max: 2 }),
    size: pairArb(1, 6),
    kernel: pairArb(1, 3),
    stride: pairArb(1, 3),
    padding: pairArb(0, 2),
    dilation: pairArb(1, 2),
    layout: layoutArb,
    seed: fc.integer(),
  })
  .filter((k) => [0, 1].every((a) => outSize(k.size[a], k.kernel[a], k.stride[a], k.padding[a], k.dilation[a]) >= 1));

function convSetup(k: ConvCase) {
  const g = rng(k.seed);
  const { leaf, view } = layout(k.layout, [k.n, k.c, ...k.size]);
  const x = randn(leaf, { rng: g, dtype: "float64" });
  const w = randn([k.f, k.c, ...k.kernel], { rng: g, dtype: "float64" });
  const opts: Conv2dOptions = { stride: k.stride, padding: k.padding, dilation: k.dilation };
  const outShape = [k.n, k.f, ...[0, 1].map((a) => outSize(k.size[a], k.kernel[a], k.stride[a], k.padding[a], k.dilation[a]))];
  const ct = randn(outShape, { rng: g, dtype: "float64" });
  return { g, x, w, view, opts, outShape, ct };
}

/**
 * conv2d as a sum over kernel taps of strided slices of the zero-padded input times one weight
 * column each: a different formulation from the kernel's loops, made of existing primitives.
 */
function shiftAndAdd(x: Tensor, w: Tensor, k: ConvCase): Tensor {
  const [N, C, H, W] = x.shape;
  const [ph, pw] = k.padding;
  const Hp = H + 2 * ph;
  const Wp = W + 2 * pw;
  const src = flat(x);
  const padded = new Float64Array(N * C * Hp * Wp);
  for (let p = 0; p < N * C; p++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) padded[(p * Hp + i + ph) * Wp + j + pw] = src[(p * H + i) * W + j];
  const xp = f64(padded, [N, C, Hp, Wp]);
  const [, , KH, KW] = w.shape;
  const OH = outSize(H, KH, k.stride[0], ph, k.dilation[0]);
  const OW = outSize(W, KW, k.stride[1], pw, k.dilation[1]);
  let y: Tensor | null = null;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const r0 = kh * k.dilation[0];
      const c0 = kw * k.dilation[1];
      const window = xp.slice(null, null, [r0, r0 + k.stride[0] * (OH - 1) + 1, k.stride[0]], [c0, c0 + k.stride[1] * (OW - 1) + 1, k.stride[1]]);
      const tap = w.slice(null, null, [kh, kh + 1], [kw, kw + 1]);
      const term = sum(mul(window.unsqueeze(1), tap.unsqueeze(0)), 2);
      y = y === null ? term : add(y, term);
    }
  }
  return y as Tensor;
}

describe("conv2d", () => {
  it("equals a shift-and-add of strided slices of the padded input (random stride, padding, dilation, layouts)", () => {
    fc.assert(
      fc.property(convCaseArb, (k) => {
        const { x, w, view, opts, outShape } = convSetup(k);
        const y = conv2d(view(x), w, opts);
        expect(y.shape).toEqual(outShape);
        close(flat(y), flat(shiftAndAdd(view(x), w, k)), 1e-12);
      }),
      { numRuns: 40 },
    );
  });

  it("VJP w.r.t. x and w matches finite differences", () => {
    fc.assert(
      fc.property(convCaseArb, (k) => {
        const { x, w, view, opts, ct } = convSetup(k);
        const loss = (a: Tensor, b: Tensor) => sum(mul(ct, sin(conv2d(view(a), b, opts))));
        const [gx, gw] = grad(loss, { argnums: [0, 1] })(x, w) as Tensor[];
        expectGradientMatches((a) => loss(a, w), x, gx);
        expectGradientMatches((b) => loss(x, b), w, gw);
      }),
      { numRuns: 15 },
    );
  });

  it("JVP = conv2d(dx, w) + conv2d(x, dw) agrees with the VJP and with finite differences", () => {
    fc.assert(
      fc.property(convCaseArb, (k) => {
        const { g, x, w, view, opts, ct } = convSetup(k);
        const dx = randn(x.shape, { rng: g, dtype: "float64" });
        const dw = randn(w.shape, { rng: g, dtype: "float64" });
        const f = (a: Tensor, b: Tensor) => conv2d(view(a), b, opts);
        const [y, t] = jvp(f, [x, w], [dx, dw]);
        expect(flat(y)).toEqual(flat(f(x, w)));
        const forward = sum(mul(ct, t)).item();
        const [, pullback] = vjp(f, x, w);
        const [cx, cw] = pullback(ct);
        close([forward], [sum(mul(cx, dx)).item() + sum(mul(cw, dw)).item()], 1e-12);
        const along = (s: number[]) => sum(mul(ct, f(add(x, mul(dx, s[0])), add(w, mul(dw, s[0]))))).item();
        close([forward], [centralDifference(along, [0], 0)], 1e-7);
      }),
      { numRuns: 20 },
    );
  });

  it("grad of grad: the input- and weight-gradient primitives differentiate again (reverse over reverse, forward over reverse)", () => {
    fc.assert(
      fc.property(convCaseArb, (k) => {
        const { g, x, w, view, opts, ct } = convSetup(k);
        const loss = (a: Tensor, b: Tensor) => sum(mul(ct, sin(conv2d(view(a), b, opts))));
        const rx = randn(x.shape, { rng: g, dtype: "float64" });
        const rw = randn(w.shape, { rng: g, dtype: "float64" });
        // h(a, b) = ⟨rx, ∇ₓ loss⟩ + ⟨rw, ∇_w loss⟩: its gradient is a Hessian-vector product.
        const h = (a: Tensor, b: Tensor) => {
          const [ga, gb] = grad(loss, { argnums: [0, 1] })(a, b) as Tensor[];
          return add(sum(mul(rx, ga)), sum(mul(rw, gb)));
        };
        const [hx, hw] = grad(h, { argnums: [0, 1] })(x, w) as Tensor[];
        expectGradientMatches((a) => h(a, w), x, hx);
        expectGradientMatches((b) => h(x, b), w, hw);
        // Forward over reverse gives the same Hessian-vector product.
        const [, hvx] = jvp((a: Tensor, b: Tensor) => (grad(loss, { argnums: [0, 1] })(a, b) as Tensor[])[0], [x, w], [rx, rw]);
        const [, hvw] = jvp((a: Tensor, b: Tensor) => (grad(loss, { argnums: [0, 1] })(a, b) as Tensor[])[1], [x, w], [rx, rw]);
        close([sum(mul(hvx, rx)).item() + sum(mul(hvw, rw)).item()], [sum(mul(hx, rx)).item() + sum(mul(hw, rw)).item()], 1e-10);
      }),
      { numRuns: 6 },
    );
  });

  it("a number is used for both axes; a batch of 0 gives an empty output and zero gradients; float32 works", () => {
    const x = randn([1, 2, 5, 4], { rng: rng(1), dtype: "float64" });
    const w = randn([3, 2, 2, 2], { rng: rng(2), dtype: "float64" });
    expect(flat(conv2d(x, w, { stride: 2, padding: 1, dilation: 2 }))).toEqual(flat(conv2d(x, w, { stride: [2, 2], padding: [1, 1], dilation: [2, 2] })));
    expect(conv2d(x, w).shape).toEqual([1, 3, 4, 3]);
    const empty = zeros([0, 2, 5, 4], { dtype: "float64" });
    expect(conv2d(empty, w).shape).toEqual([0, 3, 4, 3]);
    expect(flat(grad((b: Tensor) => sum(conv2d(empty, b)))(w) as Tensor)).toEqual(new Array(24).fill(0));
    const y32 = conv2d(randn([1, 1, 3, 3]), randn([1, 1, 2, 2]));
    expect(y32.dtype).toBe("float32");
    // A 1×1 kernel is a per-pixel matrix product over channels.
    const one = f64([2, -1], [1, 2, 1, 1]);
    close(flat(conv2d(x, one)), flat(add(mul(x.slice(null, [0, 1]), 2), mul(x.slice(null, [1, 2]), -1))), 1e-15);
  });

  it("bad arguments are AdErrors: wrong rank, channel mismatch, empty output, bad stride/padding/dilation, dtypes", () => {
    const x: Tensor = zeros([1, 2, 4, 4], { dtype: "float64" }); // widened: a literal channel mismatch is a compile error, checked in test/types
    const w = zeros([3, 2, 3, 3], { dtype: "float64" });
    expect(errorCode(() => conv2d(zeros([2, 4, 4], { dtype: "float64" }), w))).toBe("ShapeMismatch");
    expect(errorCode(() => conv2d(x, zeros([2, 3, 3], { dtype: "float64" })))).toBe("ShapeMismatch");
    expect(errorCode(() => conv2d(x, zeros([3, 1, 3, 3], { dtype: "float64" })))).toBe("ShapeMismatch");
    expect(() => conv2d(x, zeros([3, 1, 3, 3], { dtype: "float64" }))).toThrow(/\[1, 2, 4, 4\].*\[3, 1, 3, 3\]/);
    expect(errorCode(() => conv2d(x, zeros([3, 2, 5, 3], { dtype: "float64" })))).toBe("ShapeMismatch");
    expect(() => conv2d(x, w, { dilation: 3 })).toThrow(/empty.*\[1, 2, 4, 4\].*\[3, 2, 3, 3\]/);
    expect(errorCode(() => conv2d(x, zeros([3, 2, 0, 3], { dtype: "float64" })))).toBe("ShapeMismatch");
    for (const stride of [0, -1, 1.5, [1], [1, 0], "2", NaN, Infinity]) expect(errorCode(() => conv2d(x, w, { stride } as never))).toBe("InvalidArgument");
    for (const padding of [-1, 0.5, [0, -1]]) expect(errorCode(() => conv2d(x, w, { padding } as never))).toBe("InvalidArgument");
    for (const dilation of [0, -2, [1, 0]]) expect(errorCode(() => conv2d(x, w, { dilation } as never))).toBe("InvalidArgument");
    expect(errorCode(() => conv2d(x, w, 3 as never))).toBe("InvalidArgument");
    expect(errorCode(() => conv2d([1, 2] as never, w))).toBe("InvalidArgument");
    expect(errorCode(() => conv2d(x, zeros([3, 2, 3, 3])))).toBe("DTypeMismatch");
    expect(errorCode(() => conv2d(zeros([1, 2, 4, 4], { dtype: "int32" }), zeros([3, 2, 3, 3], { dtype: "int32" })))).toBe("DTypeMismatch");
  });
});

interface PoolCase {
  readonly n: number;
  readonly c: number;
  readonly size: [number, number];
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly layout: Layout;
  readonly seed: number;
}

const poolCaseArb: fc.Arbitrary<PoolCase> = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 2 }),
    size: pairArb(1, 6),
    kernel: pairArb(1, 3),
    stride: pairArb(1, 3),
    padding: pairArb(0, 1),
    layout: layoutArb,
    seed: fc.integer(),
  })
  .filter((k) => [0, 1].every((a) => 2 * k.padding[a] <= k.kernel[a] && outSize(k.size[a], k.kernel[a], k.stride[a], k.padding[a], 1) >= 1));

/** Distinct values 0.1 apart in random order, so no window has a near-tie a finite difference could flip. */
function spacedValues(shape: readonly number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const order = flat(randn([n], { rng: rng(seed), dtype: "float64" }))
    .map((v, i) => [v, i] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, i]) => i);
  const values = new Float64Array(n);
  order.forEach((i, rank) => (values[i] = (rank - n / 2) * 0.1));
  return f64(values, shape);
}

function poolSetup(k: PoolCase) {
  const { leaf, view } = layout(k.layout, [k.n, k.c, ...k.size]);
  const x = spacedValues(leaf, k.seed);
  const opts = { kernel: k.kernel, stride: k.stride, padding: k.padding };
  const outShape = [k.n, k.c, ...[0, 1].map((a) => outSize(k.size[a], k.kernel[a], k.stride[a], k.padding[a], 1))];
  const g = rng(k.seed + 1);
  const ct = randn(outShape, { rng: g, dtype: "float64" });
  return { g, x, view, opts, outShape, ct };
}

describe("maxPool2d", () => {
  it("each output is the largest input in its window (padding never wins)", () => {
    fc.assert(
      fc.property(poolCaseArb, (k) => {
        const { x, view, opts, outShape } = poolSetup(k);
        const xv = view(x);
        const y = maxPool2d(xv, opts);
        expect(y.shape).toEqual(outShape);
        const [, , OH, OW] = outShape;
        const expected: number[] = [];
        for (let n = 0; n < k.n; n++)
          for (let c = 0; c < k.c; c++)
            for (let oh = 0; oh < OH; oh++)
              for (let ow = 0; ow < OW; ow++) {
                const inside: number[] = [];
                for (let i = oh * k.stride[0] - k.padding[0]; i < oh * k.stride[0] - k.padding[0] + k.kernel[0]; i++)
                  for (let j = ow * k.stride[1] - k.padding[1]; j < ow * k.stride[1] - k.padding[1] + k.kernel[1]; j++)
                    if (i >= 0 && i < k.size[0] && j >= 0 && j < k.size[1]) inside.push(xv.at(n, c, i, j));
                expected.push(Math.max(...inside));
              }
        expect(flat(y)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it("VJP matches finite differences; JVP agrees with the VJP; grad of grad matches finite differences", () => {
    fc.assert(
      fc.property(poolCaseArb, (k) => {
        const { g, x, view, opts, ct } = poolSetup(k);
        const loss = (a: Tensor) => {
          const y = maxPool2d(view(a), opts);
          return sum(mul(ct, mul(y, y)));
        };
        const gx = grad(loss)(x) as Tensor;
        expectGradientMatches(loss, x, gx);
        const dx = randn(x.shape, { rng: g, dtype: "float64" });
        const f = (a: Tensor) => maxPool2d(view(a), opts);
        const [, t] = jvp(f, [x], [dx]);
        const [, pullback] = vjp(f, x);
        close([sum(mul(ct, t)).item()], [sum(mul(pullback(ct)[0], dx)).item()], 1e-12);
        const r = randn(x.shape, { rng: g, dtype: "float64" });
        const h = (a: Tensor) => sum(mul(r, grad(loss)(a) as Tensor));
        expectGradientMatches(h, x, grad(h)(x) as Tensor);
        // Forward over reverse through maxPool2dGrad and maxPool2dSelect.
        const [, hv] = jvp((a: Tensor) => grad(loss)(a) as Tensor, [x], [r]);
        close([sum(mul(hv, r)).item()], [sum(mul(grad(h)(x) as Tensor, r)).item()], 1e-10);
      }),
      { numRuns: 15 },
    );
  });

  it("on ties the gradient goes to the first element of the window in row-major order", () => {
    const x = f64(new Array(16).fill(1), [1, 1, 4, 4]);
    const g = grad((t: Tensor) => sum(maxPool2d(t, { kernel: 2 })))(x) as Tensor;
    expect(flat(g)).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    // Overlapping windows (stride 1): each window's first element collects its window's gradient.
    const g1 = grad((t: Tensor) => sum(maxPool2d(t, { kernel: [1, 2], stride: 1 })))(f64([5, 5, 5], [1, 1, 1, 3])) as Tensor;
    expect(flat(g1)).toEqual([1, 1, 0]);
  });

  it("padding counts as −∞; a NaN is the maximum of its window", () => {
    const x = f64([-1, -2, -3, -4], [1, 1, 2, 2]);
    expect(flat(maxPool2d(x, { kernel: 2, stride: 1, padding: 1 }))).toEqual([-1, -1, -2, -1, -1, -2, -3, -3, -4]);
    expect(flat(maxPool2d(f64([1, NaN, 3, 2], [1, 1, 2, 2]), { kernel: 2 }))[0]).toBeNaN();
  });

  it("bad arguments are AdErrors", () => {
    const x = zeros([1, 1, 4, 4], { dtype: "float64" });
    expect(errorCode(() => maxPool2d(zeros([4, 4], { dtype: "float64" }), { kernel: 2 }))).toBe("ShapeMismatch");
    expect(errorCode(() => maxPool2d(x, { kernel: 5 }))).toBe("ShapeMismatch");
    expect(errorCode(() => maxPool2d(x, {} as never))).toBe("InvalidArgument");
    expect(errorCode(() => maxPool2d(x, undefined as never))).toBe("InvalidArgument");
    for (const bad of [{ kernel: 0 }, { kernel: 2, stride: 0 }, { kernel: 2, stride: -1 }, { kernel: 2, padding: 2 }, { kernel: 2, padding: -1 }, { kernel: [2, 2, 2] }])
      expect(errorCode(() => maxPool2d(x, bad as never))).toBe("InvalidArgument");
    expect(errorCode(() => maxPool2d(zeros([1, 1, 4, 4], { dtype: "int32" }), { kernel: 2 }))).toBe("DTypeMismatch");
  });
});

describe("avgPool2d", () => {
  it("padding counts as zeros and stays in the divisor (count_include_pad)", () => {
    const ones = f64(new Array(9).fill(1), [1, 1, 3, 3]);
    close(
      flat(avgPool2d(ones, { kernel: 3, stride: 1, padding: 1 })),
      [4, 6, 4, 6, 9, 6, 4, 6, 4].map((v) => v / 9),
      1e-15,
    );
    close(flat(avgPool2d(f64([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]), { kernel: 2 })), [2.5, 6.5], 1e-15);
    expect(avgPool2d(zeros([2, 3, 5, 5]), { kernel: [2, 3], stride: [1, 2] }).shape).toEqual([2, 3, 4, 2]);
  });

  it("VJP matches finite differences; JVP agrees with the VJP; grad of grad", () => {
    fc.assert(
      fc.property(poolCaseArb, (k) => {
        const { g, x, view, opts, ct } = poolSetup(k);
        const loss = (a: Tensor) => sum(mul(ct, sin(avgPool2d(view(a), opts))));
        expectGradientMatches(loss, x, grad(loss)(x) as Tensor);
        const dx = randn(x.shape, { rng: g, dtype: "float64" });
        const f = (a: Tensor) => avgPool2d(view(a), opts);
        const [, t] = jvp(f, [x], [dx]);
        const [, pullback] = vjp(f, x);
        close([sum(mul(ct, t)).item()], [sum(mul(pullback(ct)[0], dx)).item()], 1e-12);
        const h = (a: Tensor) => sum(mul(dx, grad(loss)(a) as Tensor));
        expectGradientMatches(h, x, grad(h)(x) as Tensor);
      }),
      { numRuns: 10 },
    );
  });

  it("bad arguments are AdErrors", () => {
    const x = zeros([1, 1, 4, 4], { dtype: "float64" });
    expect(errorCode(() => avgPool2d(zeros([1, 4, 4], { dtype: "float64" }), { kernel: 2 }))).toBe("ShapeMismatch");
    expect(errorCode(() => avgPool2d(x, { kernel: 2, stride: 0 }))).toBe("InvalidArgument");
    expect(errorCode(() => avgPool2d(x, { kernel: [5, 1] }))).toBe("ShapeMismatch");
  });
});
