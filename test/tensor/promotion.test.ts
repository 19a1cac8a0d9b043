/**
 * Dtype promotion (src/tensor/dtype.ts `resultType`, `weakResultType`) and the dtypes of ops on
 * int32/bool, against PyTorch's answers kept as golden data (test/golden/promotion.py made
 * promotion.json). adjoint has no int64: where PyTorch answers int64 we answer int32.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as ops from "../../src/tensor/index.js";
import { add, cumsum, div, eq, floorDiv, grad, lt, maximum, minimum, mul, neg, prod, rng, sub, sum, tensor, type Tensor, where } from "../../src/tensor/index.js";
import { type DType, DTYPES, resultType } from "../../src/tensor/dtype.js";
import { errorCode } from "../support/errorCode.js";
import { expectJvpMatchesVjp, expectVjpMatches, f64, flat } from "../support/tensors.js";

interface Golden {
  tensorTensor: Record<string, Record<string, string>>;
  tensorScalar: Record<string, Record<"bool" | "int" | "float", string>>;
  cat: Record<string, Record<string, string>>;
  ops: Record<string, Record<string, string>>;
  floorDivide: { int32: [number, number, number][]; float64: [number, number, number | string][] };
}
const golden = JSON.parse(readFileSync(new URL("../golden/promotion.json", import.meta.url), "utf8")) as Golden;

/** PyTorch's dtype in adjoint's lattice. */
// int16 (uint8 with int8) is int32 here too: the narrowest integer type adjoint has that holds both.
const ours = (torchDType: string): string => (torchDType === "int64" || torchDType === "int16" ? "int32" : torchDType);
const sample = (dtype: DType): Tensor =>
  tensor(
    [
      [1, 2],
      [3, 1],
    ],
    { dtype },
  );
const pairs: [DType, DType][] = DTYPES.flatMap((a) => DTYPES.map((b): [DType, DType] => [a, b]));

describe("the promotion lattice against PyTorch's result_type", () => {
  it.each(pairs)("%s with %s", (a, b) => {
    const expected = ours(golden.tensorTensor[a][b]);
    expect(resultType(a, b)).toBe(expected);
    for (const op of [add, sub, mul, maximum, minimum]) expect(op(sample(a), sample(b)).dtype, op.name).toBe(expected);
    expect(where(lt(sample(a), 2), sample(a), sample(b)).dtype).toBe(expected);
    expect(lt(sample(a), sample(b)).dtype).toBe("bool");
    expect(eq(sample(a), sample(b)).dtype).toBe("bool");
  });

  it.each(pairs)("concat and stack of %s and %s (torch.cat's dtype)", (a, b) => {
    const expected = ours(golden.cat[a][b]);
    expect(ops.concat([sample(a), sample(b)], 0).dtype).toBe(expected);
    expect(ops.stack([sample(a), sample(b)], 0).dtype).toBe(expected);
    expect(flat(ops.concat([sample(a), sample(b)], 1))).toEqual(flat(ops.concat([ops.cast(sample(a), expected as DType), ops.cast(sample(b), expected as DType)], 1)));
  });

  it("concat's gradient reaches the float input, in its own dtype, and stops at the int one", () => {
    const i = tensor([7, 8], { dtype: "int32" });
    const gx = grad((x: Tensor) => sum(mul(ops.concat([x, i], 0), tensor([1, 2, 3, 4], { dtype: "float64" }))))(tensor([1, 2])) as Tensor;
    expect([gx.dtype, ...flat(gx)]).toEqual(["float32", 1, 2]);
  });

  it.each(DTYPES)("a %s tensor with a weakly typed number (an integer value is Python's int, a fractional one Python's float)", (d) => {
    for (const [kind, value] of [
      ["int", 2],
      ["float", 2.5],
    ] as const) {
      const expected = ours(golden.tensorScalar[d][kind]);
      expect(add(sample(d), value).dtype, `${d} + ${value}`).toBe(expected);
      expect(add(value, sample(d)).dtype, `${value} + ${d}`).toBe(expected);
      expect(mul(sample(d), value).dtype, `${d} × ${value}`).toBe(expected);
    }
  });

  it("a number keeps its value: int32 + 2.5 and int32 × 0.5 are float32, int32 + 2 stays int32", () => {
    const i = tensor([1, 2, 3], { dtype: "int32" });
    expect(flat(add(i, 2.5))).toEqual([3.5, 4.5, 5.5]);
    expect(flat(mul(i, 0.5))).toEqual([0.5, 1, 1.5]);
    expect([add(i, 2).dtype, ...flat(add(i, 2))]).toEqual(["int32", 3, 4, 5]);
    expect(add(i, NaN).dtype).toBe("float32");
    expect(add(i, 2 ** 40).dtype).toBe("float32");
    expect(flat(add(tensor([true, false]), 1))).toEqual([2, 1]);
  });

  it("operands of one dtype pass through with no cast: the result of a matching op has no extra node", () => {
    const x = tensor([1, 2]).requireGrad();
    expect(add(x, x).node?.inputs).toEqual([x, x]);
    expect(add(x, 2).node?.inputs[0]).toBe(x);
  });
});

describe("gradients through promotion", () => {
  it("flow back to the float input in its own dtype (float32 · float64 → float64; the VJP and JVP check out)", () => {
    const g = rng(14);
    const y = f64([0.5, -1, 2], [3]);
    expectVjpMatches((x) => mul(x, y), [f64([1, 2, 3], [3])], g);
    const x32 = tensor([1, 2, 3]);
    const gx = grad((x: Tensor) => sum(mul(x, y)))(x32) as Tensor;
    expect([gx.dtype, ...flat(gx)]).toEqual(["float32", 0.5, -1, 2]);
    expectJvpMatchesVjp((a) => add(a, tensor([1, 2, 3], { dtype: "int32" })), [f64([1, 2, 3], [3])], g);
  });

  it("stop at an int input (it gets no gradient) and still reach the float one", () => {
    const i = tensor([1, 2, 3], { dtype: "int32" });
    const gx = grad((x: Tensor) => sum(mul(x, i)))(f64([4, 5, 6], [3])) as Tensor;
    expect(flat(gx)).toEqual([1, 2, 3]);
    expect(mul(f64([1, 2, 3], [3]).requireGrad(), i).node?.inputs[1].requiresGrad).toBe(false);
  });
});

describe("true division and floor division", () => {
  it.each(DTYPES)("div of %s gives PyTorch's dtype", (d) => {
    expect(div(sample(d), sample(d)).dtype).toBe(ours(golden.ops.div[d]));
  });

  it("int32 / int32 is true division in float32", () => {
    expect(flat(div(tensor([1, 7, -7], { dtype: "int32" }), 2))).toEqual([0.5, 3.5, -3.5]);
  });

  it.each(DTYPES)("floorDiv of %s gives PyTorch's dtype or a DTypeMismatch where PyTorch refuses", (d) => {
    const expected = golden.ops.floor_divide[d];
    if (expected.startsWith("error")) expect(errorCode(() => floorDiv(sample(d), sample(d)))).toBe("DTypeMismatch");
    else expect(floorDiv(sample(d), sample(d)).dtype).toBe(ours(expected));
  });

  it("floorDiv's values are PyTorch's floor_divide (int32 and float64, signs, fractions, zero divisors)", () => {
    for (const [a, b, q] of golden.floorDivide.int32) expect(floorDiv(tensor([a], { dtype: "int32" }), tensor([b], { dtype: "int32" })).item(), `${a} // ${b}`).toBe(q);
    for (const [a, b, q] of golden.floorDivide.float64) expect(floorDiv(f64([a], [1]), f64([b], [1])).item(), `${a} // ${b}`).toBe(typeof q === "string" ? Number(q) : q);
  });

  it("floorDiv agrees with floor of the exact quotient on generated ints", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: -50, max: 50 }).filter((b) => b !== 0),
        (a, b) => {
          expect(floorDiv(tensor([a], { dtype: "int32" }), b).item()).toBe(Math.floor(a / b) + 0);
        },
      ),
    );
  });

  it("floorDiv has a zero gradient", () => {
    const gx = grad((x: Tensor) => sum(floorDiv(x, 0.7)))(f64([1, 2.5, -3], [3])) as Tensor;
    expect(flat(gx)).toEqual([0, 0, 0]);
  });
});

/** Each op of the golden table, called as test/golden/promotion.py calls PyTorch's. */
const OPS: Record<string, (x: Tensor) => Tensor> = {
  sum: (x) => ops.sum(x),
  prod: (x) => ops.prod(x),
  cumsum: (x) => ops.cumsum(x, 0),
  mean: (x) => ops.mean(x),
  matmul: (x) => ops.matmul(x, x),
  abs: (x) => ops.abs(x),
  neg: (x) => ops.neg(x),
  relu: (x) => ops.relu(x),
  sign: (x) => ops.sign(x),
  exp: (x) => ops.exp(x),
  log: (x) => ops.log(x),
  sin: (x) => ops.sin(x),
  cos: (x) => ops.cos(x),
  tanh: (x) => ops.tanh(x),
  sqrt: (x) => ops.sqrt(x),
  rsqrt: (x) => ops.rsqrt(x),
  sigmoid: (x) => ops.sigmoid(x),
  softplus: (x) => ops.softplus(x),
  erf: (x) => ops.erf(x),
  gelu: (x) => ops.gelu(x),
  pow: (x) => ops.pow(x, x),
  softmax: (x) => ops.softmax(x, -1),
  log_softmax: (x) => ops.logSoftmax(x, -1),
  logsumexp: (x) => ops.logsumexp(x, -1),
  div: (x) => ops.div(x, x),
  floor_divide: (x) => ops.floorDiv(x, x),
  max: (x) => ops.max(x),
  min: (x) => ops.min(x),
  maximum: (x) => ops.maximum(x, x),
  lt: (x) => ops.lt(x, x),
  eq: (x) => ops.eq(x, x),
  where: (x) => ops.where(ops.gt(x, 1), x, x),
};

/** Where adjoint answers differently from PyTorch: pow refuses the integer dtypes (no integer kernel yet), where PyTorch keeps them. */
const REFUSED: Record<string, readonly DType[]> = { pow: ["int32", "uint8", "int8"] };
/** The op name adjoint's AdError gives, where it is not the golden table's. */
const OUR_NAME: Record<string, string> = { floor_divide: "floorDiv", log_softmax: "logSoftmax" };

describe("ops on int32 and bool against PyTorch's output dtypes", () => {
  const cases = Object.keys(OPS).flatMap((op) => DTYPES.map((d): [string, DType] => [op, d]));
  it("the golden table covers every op tested here", () => expect(Object.keys(golden.ops).sort()).toEqual(Object.keys(OPS).sort()));

  it.each(cases)("%s of %s", (op, d) => {
    // The golden torch's CPU lacks many float16 kernels (newer ones and CUDA have them): adjoint computes them in float32.
    const expected = d === "float16" && golden.ops[op][d].includes("not implemented for 'Half'") ? "float16" : golden.ops[op][d];
    if (expected.startsWith("error") || REFUSED[op]?.includes(d)) {
      let caught: unknown;
      try {
        OPS[op](sample(d));
      } catch (e) {
        caught = e;
      }
      expect(caught, `${op}(${d}) should be refused`).toMatchObject({ code: "DTypeMismatch", details: { op: OUR_NAME[op] ?? op } });
    } else {
      expect(OPS[op](sample(d)).dtype).toBe(ours(expected));
    }
  });

  it("int32 values: sums, products, running sums and abs/neg/relu/sign as PyTorch computes them", () => {
    const i = tensor(
      [
        [3, -2],
        [-4, 5],
      ],
      { dtype: "int32" },
    );
    expect(flat(sum(i, 0))).toEqual([-1, 3]);
    expect(flat(prod(i, 1))).toEqual([-6, -20]);
    expect(flat(cumsum(i, 1))).toEqual([3, 1, -4, 1]);
    expect(flat(ops.abs(i))).toEqual([3, 2, 4, 5]);
    expect(flat(neg(i))).toEqual([-3, 2, 4, -5]);
    expect(flat(ops.relu(i))).toEqual([3, 0, 0, 5]);
    expect(flat(ops.sign(i))).toEqual([1, -1, -1, 1]);
    expect(flat(sum(tensor([true, true, false])))).toEqual([2]);
    expect(flat(cumsum(tensor([true, false, true]), 0))).toEqual([1, 1, 2]);
  });

  it("exp, log, …, logsumexp of int32/bool compute in float32; the int input gets no gradient", () => {
    const i = tensor([0, 1, 4], { dtype: "int32" });
    expect(flat(ops.exp(i))).toEqual(flat(ops.exp(tensor([0, 1, 4]))));
    expect(flat(ops.sqrt(i))).toEqual([0, 1, 2]);
    expect(flat(ops.sin(tensor([false, true])))).toEqual([0, Math.fround(Math.sin(1))]);
    expect(ops.logsumexp(i).item()).toBeCloseTo(Math.log(1 + Math.E + Math.exp(4)), 5);
    // x·exp(k) with k an int32 constant: d/dx = exp(k), and k's cast carries no gradient.
    const gx = grad((x: Tensor) => sum(mul(x, ops.exp(i))))(f64([1, 1, 1], [3])) as Tensor;
    expect(flat(gx)).toEqual(flat(ops.exp(tensor([0, 1, 4], { dtype: "float32" }))).map(Number));
  });

  it("int32 matmul, dot and outer are exact on generated ints, and wrap modulo 2³² past int32", () => {
    const ints = fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 6, maxLength: 6 });
    fc.assert(
      fc.property(ints, ints, (a, b) => {
        const y = ops.matmul(tensor(a, { shape: [2, 3], dtype: "int32" }), tensor(b, { shape: [3, 2], dtype: "int32" }));
        const exact = ops.matmul(f64(a, [2, 3]), f64(b, [3, 2]));
        expect(y.dtype).toBe("int32");
        expect(flat(y)).toEqual(flat(exact));
        expect(ops.dot(tensor(a, { dtype: "int32" }), tensor(b, { dtype: "int32" })).item()).toBe(a.reduce((s, x, i) => s + x * b[i], 0));
      }),
    );
    expect(flat(ops.outer(tensor([2, -3], { dtype: "int32" }), tensor([4, 5], { dtype: "int32" })))).toEqual([8, 10, -12, -15]);
    // Products past 2⁵³ too, where a float64 product would already have lost the low bits.
    const [p, q] = [2 ** 31 - 1, -(2 ** 30) - 7];
    const big = tensor([p, q], { shape: [1, 2], dtype: "int32" });
    const wrapped = Number(BigInt.asIntN(32, BigInt(p) * BigInt(p) + BigInt(q) * BigInt(q)));
    expect(ops.matmul(big, tensor([p, q], { shape: [2, 1], dtype: "int32" })).item()).toBe(wrapped);
  });

  it("int32 · float matmul promotes, and the gradient reaches the float operand", () => {
    const i = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: "int32" },
    );
    const w = f64([1, 0.5, -1, 2], [2, 2]);
    expect(flat(ops.matmul(i, w))).toEqual(flat(ops.matmul(f64([1, 2, 3, 4], [2, 2]), w)));
    const gw = grad((x: Tensor) => sum(ops.matmul(i, x)))(w) as Tensor;
    expect([gw.dtype, ...flat(gw)]).toEqual(["float64", 4, 4, 6, 6]);
    expect(ops.dot(tensor([1, 2], { dtype: "int32" }), tensor([0.5, 0.25])).item()).toBe(1);
  });

  it("an int32 sum past 2³¹ wraps modulo 2³², as int32 arithmetic does", () => {
    const big = tensor([2 ** 31 - 1, 1, 2 ** 31 - 1, 2], { dtype: "int32" });
    expect(sum(big).item()).toBe((2 ** 31 - 1 + 1 + 2 ** 31 - 1 + 2) | 0);
    expect(flat(cumsum(big, 0))).toEqual([2 ** 31 - 1, -(2 ** 31), -1, 1]);
  });
});
