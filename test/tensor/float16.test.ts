/**
 * float16 on the host backends: stored as half bits, read back as numbers, computed in float32 and
 * rounded back (src/backends/halves.ts), as PyTorch's CPU half. The conversion itself is held to
 * torch.float16 in test/backends/float16.test.ts; here the dtype through the tensor API.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Float16Storage } from "../../src/backends/dtype.js";
import { roundHalf } from "../../src/backends/float16.js";
import { jit } from "../../src/jit/index.js";
import * as nn from "../../src/nn/index.js";
import { loadSafetensors, saveSafetensors } from "../../src/nn/index.js";
import * as optim from "../../src/optim/index.js";
import * as ops from "../../src/tensor/index.js";
import { availableBackends, getBackend, setBackend, type Tensor } from "../../src/tensor/index.js";

const initial = getBackend();
afterEach(() => setBackend(initial));

/** Values that are exact halves: a grid of multiples of 2⁻⁴ in ±64. */
const halves = (length: number) =>
  fc.array(
    fc.integer({ min: -1024, max: 1024 }).map((k) => k / 16),
    { minLength: length, maxLength: length },
  );
const values = (t: Tensor) => Array.from(t.data());

describe.each(availableBackends())("float16 on %s", (backend) => {
  it("tensor(…, { dtype: 'float16' }) rounds to the nearest half; reads give numbers", () => {
    setBackend(backend);
    const t = ops.tensor([0.1, 65504, 65520, -1e-8, 6e-8, 1 / 3, NaN, -Infinity], { dtype: "float16" });
    expect(t.dtype).toBe("float16");
    const want = [0.0999755859375, 65504, Infinity, -0, 2 ** -24, 0.333251953125, NaN, -Infinity];
    expect(values(t)).toEqual(want);
    expect(t.data()).toBeInstanceOf(Float32Array);
    expect(t.toArray()).toEqual(want);
    expect(ops.tensor([[1.5, 2]], { dtype: "float16" }).at(0, 0)).toBe(1.5);
    expect(ops.tensor(0.1, { dtype: "float16" }).item()).toBe(0.0999755859375);
    expect(ops.full([2], 70000, { dtype: "float16" }).data()).toEqual(new Float32Array([Infinity, Infinity]));
    // A float16 storage (bits) as data: its values, not its bits.
    expect(values(ops.tensor(Float16Storage.from([0x3c00, 0x8001])))).toEqual([1, -(2 ** -24)]);
    expect(values(ops.tensor(Float16Storage.from([0x3c00, 0x8001]), { dtype: "float32" }))).toEqual([1, -(2 ** -24)]);
  });

  it("cast between float16 and float32, float64, int32 and bool", () => {
    setBackend(backend);
    const x = ops.tensor([0.1, -2.5, 70000, 3.75]);
    const h = ops.cast(x, "float16");
    expect(h.dtype).toBe("float16");
    expect(values(h)).toEqual([0.0999755859375, -2.5, Infinity, 3.75]);
    expect(values(ops.cast(h, "float64"))).toEqual([0.0999755859375, -2.5, Infinity, 3.75]);
    expect(Array.from(ops.cast(h, "int32").data())).toEqual([0, -2, 0, 3]);
    expect(Array.from(ops.cast(h, "bool").data())).toEqual([1, 1, 1, 1]);
    expect(values(ops.cast(ops.tensor([7, -3], { dtype: "int32" }), "float16"))).toEqual([7, -3]);
  });

  it("elementwise ops compute in float32 and round once to float16", () => {
    setBackend(backend);
    fc.assert(
      fc.property(halves(5), halves(5), (a, b) => {
        const [x, y] = [ops.tensor(a, { dtype: "float16" }), ops.tensor(b, { dtype: "float16" })];
        const want = (f: (p: number, q: number) => number) => a.map((p, i) => roundHalf(Math.fround(f(p, b[i]))));
        for (const [op, f] of [
          [ops.add, (p: number, q: number) => p + q],
          [ops.mul, (p: number, q: number) => p * q],
          [ops.sub, (p: number, q: number) => p - q],
        ] as const) {
          const z = op(x, y);
          expect(z.dtype).toBe("float16");
          expect(values(z)).toEqual(want(f));
        }
        expect(values(ops.exp(x))).toEqual(values(ops.cast(ops.exp(ops.cast(x, "float32")), "float16")));
      }),
      { numRuns: 20 },
    );
  });

  it("promotes as PyTorch: float16 with float32 is float32, with int32 or a number float16", () => {
    setBackend(backend);
    const h = ops.tensor([1.5], { dtype: "float16" });
    expect(ops.add(h, ops.tensor([1])).dtype).toBe("float32");
    expect(ops.add(h, ops.tensor([1], { dtype: "float64" })).dtype).toBe("float64");
    expect(ops.add(h, ops.tensor([1], { dtype: "int32" })).dtype).toBe("float16");
    expect(ops.add(h, 0.1).dtype).toBe("float16");
    expect(values(ops.add(h, 0.1))).toEqual([roundHalf(1.5 + Math.fround(0.1))]);
  });

  it("matmul, reductions, views and indexing keep float16", () => {
    setBackend(backend);
    const a = ops.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: "float16" },
    );
    const m = ops.matmul(a, ops.transpose(a));
    expect([m.dtype, ...values(m)]).toEqual(["float16", 14, 32, 32, 77]);
    expect([ops.sum(a).dtype, ops.sum(a).item()]).toEqual(["float16", 21]);
    expect(values(ops.max(a, 1))).toEqual([3, 6]);
    expect(values(ops.transpose(a).contiguous())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(values(ops.concat([a, a], 0))).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect(
      values(
        ops.pad(
          a,
          [
            [0, 0],
            [1, 0],
          ],
          0.1,
        ),
      ),
    ).toEqual([0.0999755859375, 1, 2, 3, 0.0999755859375, 4, 5, 6]);
    expect(values(ops.gather(a, 1, ops.tensor([[2], [0]], { dtype: "int32" })))).toEqual([3, 4]);
    // A sum past the largest half overflows, as a float16 result must.
    expect(ops.sum(ops.full([3], 30000, { dtype: "float16" })).item()).toBe(Infinity);
  });

  it("gradients of float16 tensors are float16 (as PyTorch)", () => {
    setBackend(backend);
    const x = ops.tensor([0.5, -1.25, 3], { dtype: "float16", requiresGrad: true });
    ops.sum(ops.mul(x, x)).backward();
    expect(x.grad!.dtype).toBe("float16");
    expect(values(x.grad!)).toEqual([1, -2.5, 6]);
    const g = ops.grad((w: Tensor) => ops.sum(ops.tanh(w)))(ops.tensor([0.25], { dtype: "float16" })) as Tensor;
    expect(g.dtype).toBe("float16");
    expect(g.item()).toBeCloseTo(1 - Math.tanh(0.25) ** 2, 3);
  });

  it("assign into a float16 tensor (a strided in-place write)", () => {
    setBackend(backend);
    const t = ops.zeros([2, 3], { dtype: "float16" });
    ops.noGrad(() =>
      ops
        .slice(t, [
          [0, 2],
          [1, 2],
        ])
        .assign(ops.tensor([[0.1], [2]], { dtype: "float16" })),
    );
    expect(values(t)).toEqual([0, 0.0999755859375, 0, 0, 2, 0]);
  });

  it("a jitted float16 function equals eager (its ops stay unfused kernels)", () => {
    setBackend(backend);
    const f = (x: Tensor) => ops.sum(ops.mul(ops.add(x, 1), x));
    const x = ops.tensor([0.1, 0.2, 300], { dtype: "float16" });
    const jitted = jit(f)(x);
    expect([jitted.dtype, jitted.item()]).toEqual(["float16", f(x).item()]);
  });
});

describe("float16 through creation and nn", () => {
  it("rand, randn, oneHot and the nn initialisers make float16", () => {
    const r = ops.randn([4], { dtype: "float16", rng: ops.rng(1) });
    expect(r.dtype).toBe("float16");
    // Each value is a half: rounding it again changes nothing.
    expect(values(r).every((v) => roundHalf(v) === v)).toBe(true);
    expect(ops.rand([2], { dtype: "float16", rng: ops.rng(2) }).dtype).toBe("float16");
    expect(values(ops.oneHot(ops.tensor([1, 0], { dtype: "int32" }), 2, "float16"))).toEqual([0, 1, 1, 0]);
    expect(nn.normal([3], 0, 1, { dtype: "float16", rng: ops.rng(3) }).dtype).toBe("float16");
  });

  it("Dropout of a float16 input scales the kept elements by 1/(1 − p) in float16", () => {
    const y = new nn.Dropout(0.5, { rng: ops.rng(5) }).forward(ops.ones([64], { dtype: "float16" }));
    expect(y.dtype).toBe("float16");
    const v = values(y);
    expect(v.every((e) => e === 0 || e === 2)).toBe(true);
    expect(v.some((e) => e === 2)).toBe(true);
  });

  it("a float16 Linear layer trains: float16 parameters, gradients and updates", () => {
    const layer = new nn.Linear(3, 2, { dtype: "float16", rng: ops.rng(4) });
    expect(layer.weight.dtype).toBe("float16");
    const opt = new optim.SGD(layer.parameters(), { lr: 0.1 });
    const x = ops.tensor([[1, -1, 0.5]], { dtype: "float16" });
    const before = values(layer.weight);
    const loss = ops.sum(ops.mul(layer.forward(x), layer.forward(x)));
    loss.backward();
    expect(layer.weight.grad!.dtype).toBe("float16");
    opt.step();
    expect(layer.weight.dtype).toBe("float16");
    expect(values(layer.weight)).not.toEqual(before);
  });
});

describe("float16 in safetensors", () => {
  it("saves F16 as the halves' little-endian bits and loads them back", () => {
    const t = ops.tensor([1, -2, 0.1, Infinity], { dtype: "float16" });
    const bytes = saveSafetensors({ t });
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))));
    expect(JSON.parse(header).t.dtype).toBe("F16");
    expect(Array.from(new Uint16Array(bytes.slice(bytes.length - 8).buffer))).toEqual([0x3c00, 0xc000, 0x2e66, 0x7c00]);
    const back = loadSafetensors(bytes).t;
    expect([back.dtype, ...values(back)]).toEqual(["float16", 1, -2, 0.0999755859375, Infinity]);
  });
});
