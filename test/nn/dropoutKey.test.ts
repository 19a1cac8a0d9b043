/**
 * Dropout with a key: the mask is a pure function of the key, so a jitted step is reproducible and
 * equals eager bit for bit, and vmap over keys equals a loop; the eager rng path is unchanged.
 */
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import { Dropout, dropout, Linear } from "../../src/nn/index.js";
import { grad, random, randn, rng, slice, sum, tensor, vmap, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";

const values = (t: Tensor): number[] => Array.from(t.data());

describe("dropout with a key", () => {
  const x = randn([100, 100], { rng: rng(0) });

  it("zeroes about p of the elements, scales the rest by 1/(1 − p), the same for the same key", () => {
    const k = random.key(1);
    const y = values(dropout(x, 0.3, { key: k }));
    expect(Math.abs(y.filter((v) => v === 0).length / y.length - 0.3)).toBeLessThan(0.02);
    values(x).forEach((v, i) => {
      if (y[i] !== 0) expect(y[i]).toBe(Math.fround(v * Math.fround(1 / 0.7)));
    });
    expect(values(dropout(x, 0.3, { key: k }))).toEqual(y);
    expect(values(dropout(x, 0.3, { key: random.key(2) }))).not.toEqual(y);
    // The layer with a key per call draws the functional form's mask.
    expect(values(new Dropout(0.3).forward(x, k))).toEqual(y);
    expect(values(new Dropout(0.3, { rng: rng(5) }).forward(x, k))).toEqual(y);
  });

  it("a jitted training step with dropout: reproducible, and ≡ eager bit for bit", () => {
    const layer = new Linear(4, 3, { rng: rng(1) });
    const drop = new Dropout(0.5);
    const step = (w: Tensor, key: Tensor, input: Tensor): Tensor =>
      grad((v: Tensor) => sum(drop.forward(layer.call({ weight: v, bias: layer.bias as Tensor }, input), key)))(w) as Tensor;
    const input = randn([8, 4], { rng: rng(2) });
    const compiled = jit(step);
    const k = random.key(7);
    const eager = values(step(layer.weight, k, input));
    expect(values(compiled(layer.weight, k, input))).toEqual(eager);
    expect(values(compiled(layer.weight, k, input))).toEqual(eager);
    expect(values(compiled(layer.weight, random.key(8), input))).not.toEqual(eager);
    expect(compiled.traces).toBe(1);
  });

  it("vmap over keys ≡ a loop: each example its own mask", () => {
    const keys = random.split(random.key(3), 4);
    const row = tensor([1, 2, 3, 4, 5, 6, 7, 8]);
    const batched = vmap((key: Tensor) => dropout(row, 0.5, { key }))(keys) as Tensor;
    const looped = [0, 1, 2, 3].map((i) => values(dropout(row, 0.5, { key: slice(keys, [i]) })));
    expect(values(batched)).toEqual(looped.flat());
    expect(new Set(looped.map((l) => l.join())).size).toBe(4);
  });

  it("bad keys, options and a layer with neither rng nor key are AdErrors naming the op", () => {
    const e = thrown(() => dropout(x, 0.5, { key: tensor([1, 2]) }));
    expect([e.code, e.details.op, e.details.argument]).toEqual(["InvalidArgument", "dropout", "key"]);
    expect(thrown(() => dropout(x, 0.5, { key: random.key(0), seed: 1 } as never)).details.op).toBe("dropout");
    expect(thrown(() => dropout(x, 0.5, undefined as never)).details.op).toBe("dropout");
    expect(thrown(() => dropout(x, 1, { key: random.key(0) })).details).toMatchObject({ op: "dropout", argument: "p" });
    expect(thrown(() => new Dropout(0.5).forward(x)).details).toMatchObject({ op: "Dropout.forward", argument: "key" });
    expect(thrown(() => new Dropout(0.5).forward(x, tensor([0, 1, 2], { dtype: "int32" }))).details).toMatchObject({ op: "Dropout.forward", shape: [3] });
    expect(thrown(() => dropout(tensor([1, 2], { dtype: "int32" }), 0.5, { key: random.key(0) })).code).toBe("DTypeMismatch");
  });
});
