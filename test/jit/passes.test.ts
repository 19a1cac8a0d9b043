/**
 * The jit's passes on IR text (DCE, CSE, fusion), and the fused kernels against eager: bit for bit
 * on the reference (cpu) backend for every op of the expression table, dtype and layout, and within
 * float rounding against the wasm backend's own SIMD math.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BINARY_EXPRESSIONS, UNARY_EXPRESSIONS } from "../../src/backends/expressions.js";
import { jit } from "../../src/jit/index.js";
import { eliminateCommonSubexpressions } from "../../src/jit/passes/cse.js";
import { eliminateDeadCode } from "../../src/jit/passes/dce.js";
import { fuseElementwise } from "../../src/jit/passes/fuse.js";
import { bind, type Primitive } from "../../src/tensor/primitive.js";
import { primitives } from "../../src/tensor/primitives/registry.js";
import {
  abstract,
  add,
  cast,
  cos,
  exp,
  grad,
  gt,
  matmul,
  mul,
  neg,
  sin,
  slice,
  sqrt,
  sub,
  sum,
  tanh,
  tensor,
  trace,
  transpose,
  where,
  type Tensor,
} from "../../src/tensor/index.js";
import { onBackend } from "../support/backends.js";

const bits = (t: unknown): number[] => Array.from((t as Tensor).data());
const f64 = (values: number[], shape = [values.length]): Tensor => tensor(new Float64Array(values), { shape });

describe("passes on IR text", () => {
  it("dead-code elimination drops what the outputs do not need", () => {
    const p = trace((x: Tensor) => {
      sin(x);
      return cos(x);
    })(abstract([3]));
    expect(p.toString()).toContain("sin");
    expect(eliminateDeadCode(p).toString()).toBe(["{ lambda ; a:f32[3] . let", "    b:f32[3] = cos a", "  in (b) }"].join("\n"));
  });

  it("common-subexpression elimination merges equal equations", () => {
    const p = trace((x: Tensor) => add(mul(sin(x), sin(x)), sum(x, 0)))(abstract([3]));
    expect(eliminateDeadCode(eliminateCommonSubexpressions(p)).toString()).toBe(
      ["{ lambda ; a:f32[3] . let", "    b:f32[3] = sin a", "    c:f32[3] = mul b b", "    d:f32[] = sum[axes=(0), keepDims=false] a", "    e:f32[3] = add c d", "  in (e) }"].join(
        "\n",
      ),
    );
  });

  it("fusion makes one equation of each elementwise chain; a value used twice or by a reduction is stored", () => {
    const p = trace((x: Tensor, y: Tensor) => sum(add(mul(sin(x), y), mul(x, x))))(abstract([5]), abstract([5]));
    expect(fuseElementwise(p, "cpu").toString()).toBe(["{ lambda ; a:f32[5] b:f32[5] . let", "    c:f32[] = fused[ops=(sin,mul,mul,add,sum)] a b", "  in (c) }"].join("\n"));
    // The sum of a chain that is also returned is not folded.
    const both = trace((x: Tensor) => {
      const y = mul(sin(x), x);
      return [y, sum(y)];
    })(abstract([3]));
    expect(fuseElementwise(both, "cpu").toString()).toContain("sum[axes=(0)");
    const q = trace((x: Tensor, w: Tensor) => {
      const h = tanh(add(x, 1));
      return add(matmul(h, w), exp(h));
    })(abstract([2, 3]), abstract([3, 3]));
    const text = fuseElementwise(q, "cpu").toString();
    // h feeds the matmul and exp: stored once (its own fused add+tanh), read twice.
    expect(text).toContain("fused[ops=(add,tanh)]");
    expect(text).toContain("matmul");
    expect(text.match(/fused/g)?.length).toBe(2);
  });
});

describe("fusion of a sum over some axes (row sums, a bias gradient)", () => {
  it("folds the sum into the chain's loop on IR text: one equation, the chain never stored", () => {
    const rows = trace((x: Tensor, m: Tensor) => sum(exp(sub(x, m)), -1))(abstract([4, 5]), abstract([4, 1]));
    expect(fuseElementwise(rows, "cpu").toString()).toBe(["{ lambda ; a:f32[4,5] b:f32[4,1] . let", "    c:f32[4] = fused[ops=(sub,exp,sum)] a b", "  in (c) }"].join("\n"));
    const bias = trace((g: Tensor, h: Tensor) => sum(mul(g, gt(h, 0)), 0, true))(abstract([3, 2]), abstract([3, 2]));
    expect(fuseElementwise(bias, "cpu").toString()).toContain("d:f32[1,2] = fused[ops=(gt,cast,mul,sum)] c a b");
    // A sum alone (no chain before it) stays the reduction kernel.
    expect(fuseElementwise(trace((x: Tensor) => sum(x, 0))(abstract([2, 3])), "cpu").toString()).toContain("= sum[axes=(0)");
  });

  it("equals eager bit for bit: odd sizes, every subset of axes, keepDims, broadcast and strided inputs, float32 and float64", () => {
    const shape = [5, 7, 3];
    const values = Array.from({ length: 105 }, (_, i) => Math.sin(i * 1.7) * 4);
    const subsets = [[0], [1], [2], [0, 1], [0, 2], [1, 2], [-1]];
    for (const dtype of ["float32", "float64"] as const) {
      const x = cast(tensor(values, { shape }), dtype);
      const y = cast(tensor(values.slice(0, 21), { shape: [7, 3] }), dtype);
      for (const axes of subsets) {
        for (const keepDims of [false, true]) {
          const f = (a: Tensor, b: Tensor) => sum(add(mul(tanh(a), b), exp(neg(a))), axes, keepDims);
          const strided = (a: Tensor, b: Tensor) => f(transpose(a, 0, 2), transpose(b));
          onBackend("cpu", () => {
            expect(jit(f).lower(x, y).toString()).toContain("sum)]");
            expect(bits(jit(f)(x, y))).toEqual(bits(f(x, y)));
            const xt = cast(tensor(values, { shape: [3, 7, 5] }), dtype);
            const yt = cast(tensor(values.slice(0, 21), { shape: [3, 7] }), dtype);
            expect(bits(jit(strided)(xt, yt))).toEqual(bits(strided(xt, yt)));
          });
        }
      }
    }
  });

  it("on wasm, a chain its SIMD code compiles keeps the reduction kernel after it (and its bits)", () => {
    const x = tensor(
      Float32Array.from({ length: 64 * 33 }, (_, i) => Math.cos(i) * 3),
      { shape: [64, 33] },
    );
    const f = (a: Tensor) => sum(exp(mul(a, a)), -1);
    const text = onBackend("wasm", () => jit(f).lower(x).toString());
    expect(text).toContain("fused[ops=(mul,exp), code=wasm");
    expect(text).toContain("= sum[axes=(1)");
    expect(onBackend("wasm", () => bits(jit(f)(x)))).toEqual(onBackend("wasm", () => bits(f(x))));
    // One op and its sum: no chain to keep, so the sum is folded into the JS loop.
    const g = (a: Tensor) => sum(neg(a), -1);
    expect(onBackend("wasm", () => jit(g).lower(x).toString())).toContain("fused[ops=(neg,sum)");
    expect(onBackend("wasm", () => bits(jit(g)(x)))).toEqual(onBackend("wasm", () => bits(g(x))));
  });
});

describe("fused kernels", () => {
  const chain = (x: Tensor, y: Tensor) => sqrt(add(mul(sin(x), y), mul(x, x)));

  it("equal eager bit for bit on the reference backend, float32 and float64 (generated inputs)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.boolean(), (values, single) => {
        const x = cast(f64(values), single ? "float32" : "float64");
        const y = cast(f64(values.map((v) => v * 0.5 + 1)), single ? "float32" : "float64");
        onBackend("cpu", () => expect(bits(jit(chain)(x, y))).toEqual(bits(chain(x, y))));
      }),
    );
  });

  it("fold a sum into the chain's loop: the reference kernels' bits, and within float32 rounding of wasm's SIMD sum", () => {
    const f = (a: Tensor, b: Tensor) => sum(add(mul(a, b), mul(a, a)));
    const n = 4099;
    const x = tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3));
    const y = tensor(Float32Array.from({ length: n }, (_, i) => Math.cos(i)));
    expect(onBackend("cpu", () => jit(f).lower(x, y).toString())).toContain("fused[ops=(mul,mul,add,sum)]");
    expect(onBackend("wasm", () => jit(f).lower(x, y).toString())).toContain("fused[ops=(mul,mul,add,sum), code=wasm]");
    onBackend("cpu", () => expect(bits(jit(f)(x, y))).toEqual(bits(f(x, y))));
    const got = onBackend("wasm", () => jit(f)(x, y).item());
    const want = onBackend("wasm", () => f(x, y).item());
    expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.abs(want) * 1e-6);
  });

  it("read an unslice through a window instead of storing its zeros (the gradient of a slice)", () => {
    const f = (x: Tensor) =>
      sum(
        mul(
          sin(
            slice(x, [
              [1, 3],
              [0, 3],
            ]),
          ),
          slice(x, [
            [0, 2],
            [1, 4],
          ]),
        ),
      );
    const p = trace(grad(f))(abstract([3, 4], "float64"));
    const text = fuseElementwise(eliminateDeadCode(p), "cpu").toString();
    expect(text).toContain("fused[ops=(unslice,unslice,add)]");
    expect(text).not.toContain("= unslice");
    const x = tensor(new Float64Array([0.5, -1, 2, 3, -0.25, 1.5, 4, -2, 0, 1, -3, 2.5]), { shape: [3, 4] });
    onBackend("cpu", () => expect(bits(jit(grad(f))(x))).toEqual(bits(grad(f)(x))));
    // A stepped window is not a box: that unslice stays an equation of its own.
    const stepped = trace(grad((x: Tensor) => sum(mul(slice(x, [[0, 4, 2]]), slice(x, [[1, 3]])))))(abstract([4], "float64"));
    expect(fuseElementwise(eliminateDeadCode(stepped), "cpu").toString()).toContain("= unslice");
    const v = tensor(new Float64Array([1, 2, 3, 4]));
    const g = grad((x: Tensor) => sum(mul(slice(x, [[0, 4, 2]]), slice(x, [[1, 3]]))));
    onBackend("cpu", () => expect(bits(jit(g)(v))).toEqual(bits(g(v))));
  });

  it("equal the wasm backend bit for bit: its SIMD math fuses with the arithmetic around it into one wasm kernel", () => {
    const n = 4096;
    const x = tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3));
    const y = tensor(Float32Array.from({ length: n }, (_, i) => Math.cos(i)));
    const noSqrt = (a: Tensor, b: Tensor) => add(mul(sin(a), b), mul(a, a));
    const got = onBackend("wasm", () => jit(noSqrt)(x, y));
    const want = onBackend("wasm", () => noSqrt(x, y));
    expect(bits(got)).toEqual(bits(want));
    const text = onBackend("wasm", () => String(jit(noSqrt).lower(x, y)));
    expect(text).not.toContain("= sin a");
    expect(text).toContain("fused[ops=(sin,mul,mul,add), code=wasm]");
  });

  it("read broadcast, strided and offset views, and int32/bool chains", () => {
    const f = (a: Tensor, b: Tensor) => where(gt(a, b), neg(add(a, b)), mul(a, cast(gt(b, 0), "float32")));
    const a = transpose(
      tensor([
        [1, -2, 3],
        [4, 5, -6],
      ]),
    );
    const b = tensor([[0.5, -1]]);
    const g = jit(f);
    expect(g.lower(a, b).toString()).toContain("fused");
    onBackend("cpu", () => expect(bits(g(a, b))).toEqual(bits(f(a, b))));
    const i = (x: Tensor) => mul(add(cast(x, "int32"), 7), cast(x, "int32"));
    const xi = tensor([1.5, -2.5, 3e9, NaN]);
    expect(bits(jit(i)(xi))).toEqual(bits(i(xi)));
  });

  it("cover every op of the expression table that a primitive runs", () => {
    const values = [0, -0, 1, -1, 0.5, -2.5, 3, 1e10, -1e-10, Infinity, -Infinity, NaN];
    const x = f64(values);
    const y = f64([...values].reverse());
    const run = (name: string, arity: number) => {
      const prim = primitives[name as keyof typeof primitives] as Primitive<unknown>;
      const f = (a: Tensor, b: Tensor) => bind(prim, arity === 1 ? [neg(a)] : [neg(a), mul(b, 1)], undefined);
      const g = jit(f);
      expect(g.lower(x, y).toString(), name).toContain("fused");
      onBackend("cpu", () => expect(bits(g(x, y)), name).toEqual(bits(f(x, y))));
    };
    const unary = Object.keys(UNARY_EXPRESSIONS).filter((n) => n in primitives);
    const binary = Object.keys(BINARY_EXPRESSIONS).filter((n) => n in primitives);
    expect(unary.length + binary.length).toBeGreaterThanOrEqual(33);
    for (const name of unary) run(name, 1);
    for (const name of binary) run(name, 2);
  });
});

describe("without code generation (a strict Content-Security-Policy)", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("falls back to the equations one by one, with the same results", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    vi.stubGlobal("Function", function refused() {
      throw new EvalError("Code generation from strings disallowed for this context");
    });
    const f = (x: Tensor) => sum(mul(add(x, 1), x));
    const g = jit(f);
    const x = tensor([0.5, 1, 2]);
    const text = g.lower(x).toString();
    vi.unstubAllGlobals();
    expect(text).not.toContain("fused");
    expect(text).toContain("add");
    expect(bits(g(x))).toEqual(bits(f(x)));
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it("fuse: false keeps the equations as they are", () => {
    expect(
      jit((x: Tensor) => sin(cos(x)), { fuse: false })
        .lower(tensor([1]))
        .toString(),
    ).not.toContain("fused");
  });
});
