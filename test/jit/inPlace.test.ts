/**
 * Updates in place over donated inputs (passes/inPlace.ts): a fused group that last reads a donated
 * input of its shape and dtype writes over that input's storage. Held on the IR text (`inPlace=j`),
 * on the storage the returned tensors hold, and on the values: the same as the step without
 * donation, bit for bit, step after step, and where an overwrite would be wrong (a donated storage
 * shared with another argument, a donated value read later through a view) it does not happen.
 */
import { afterEach, describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import { adam, applyUpdates, type AdamState } from "../../src/optim/index.js";
import { add, getBackend, mul, randn, reshape, rng, setBackend, sin, sum, type BackendName, type Storage, type Tensor } from "../../src/tensor/index.js";

type Params = { w: Tensor; b: Tensor };

function init(seed: number): Params {
  const r = rng(seed);
  return { w: randn([40, 30], { rng: r }), b: randn([30], { rng: r }) };
}

const opt = adam({ lr: 0.05 });
/** An Adam step on the loss Σ sin(x·w + b)² (elementwise and broadcast: enough for groups of each kind). */
const step = (p: Params, s: AdamState, x: Tensor): [Params, AdamState] => {
  const g = { w: mul(x, mul(p.w, 2)), b: mul(p.b, 2) };
  const { updates, state } = opt.update(g, s, p);
  return [applyUpdates(p, updates), state];
};

const values = (p: Params, s: AdamState) => [p.w, p.b, s.count, ...s.m, ...s.v].map((t) => Array.from(t.data()));
const storages = (p: Params, s: AdamState) => [p.w, p.b, ...s.m, ...s.v].map((t) => t.storage as Storage);

const before = getBackend();
afterEach(() => setBackend(before));

describe.each(["cpu", "wasm"] as BackendName[])("updates in place over donated inputs (%s backend)", (backend) => {
  it("the state's and parameters' updates write over the donated ones (IR text); without donation nothing does", () => {
    setBackend(backend);
    const p = init(1);
    const s = opt.init(p);
    const x = randn([40, 30], { rng: rng(2) });
    const donated = String(jit(step, { donate: [0, 1] }).lower(p, s, x));
    // m and v of both parameters over their old values (input 0 of their groups), and w over the old w.
    expect(donated.match(/inPlace=0\]/g)?.length).toBe(4);
    expect(donated).toMatch(/f32\[40,30\] = fused\[ops=\([a-z,]+\)(, code=wasm)?, inPlace=\d\]/);
    expect(String(jit(step).lower(p, s, x))).not.toContain("inPlace");
  });

  it("in steady state the returned parameters and state hold the storage of the donated ones, and equal the undonated step's bits", () => {
    setBackend(backend);
    const x = randn([40, 30], { rng: rng(3) });
    const donated = jit(step, { donate: [0, 1] });
    const plain = jit(step);
    let [pd, sd] = [init(4), opt.init(init(4))];
    let [pp, sp] = [init(4), opt.init(init(4))];
    const held: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      const given = storages(pd, sd);
      [pd, sd] = donated(pd, sd, x);
      [pp, sp] = plain(pp, sp, x);
      held.push(storages(pd, sd).every((storage, k) => storage === given[k]));
      expect(values(pd, sd)).toEqual(values(pp, sp));
    }
    // On wasm the first steps move the state into the wasm memory (through the free list) first.
    expect(held.slice(3)).toEqual([true, true, true]);
    expect(values(pd, sd)).not.toEqual(values(init(4), opt.init(init(4))));
  });

  it("a donated storage shared with another argument is never written over", () => {
    setBackend(backend);
    const f = jit((a: Tensor, b: Tensor) => [mul(add(a, 1), 2), sum(b)], { donate: [0] });
    const g = (a: Tensor, b: Tensor) => [mul(add(a, 1), 2), sum(b)];
    expect(String(f.lower(randn([300]), randn([300])))).toContain("inPlace=0");
    let a: Tensor = randn([300], { rng: rng(5) });
    for (let i = 0; i < 5; i++) {
      // b is a view of a's storage that the caller keeps: writing a's result over a would change b.
      const b = reshape(a, [300]);
      const kept = Array.from(b.data());
      const want = g(a, b).map((t) => Array.from(t.data()));
      const got = f(a, b);
      expect(got.map((t) => Array.from(t.data()))).toEqual(want);
      expect(Array.from(b.data())).toEqual(kept);
      a = mul(got[0], 0.5);
    }
  });

  it("a donated value read later through a view, or by a sin group (whose wasm code may decline after writing), is not written over", () => {
    setBackend(backend);
    const x = randn([300]);
    const viaView = jit((a: Tensor) => [mul(a, 2), sum(reshape(a, [10, 30]))], { donate: [0] });
    expect(String(viaView.lower(x))).not.toContain("inPlace");
    const viaSin = jit((a: Tensor) => mul(sin(a), 2), { donate: [0] });
    expect(String(viaSin.lower(x))).not.toContain("inPlace");
  });
});
