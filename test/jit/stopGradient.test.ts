/**
 * `detach()` and `stopGradient` under a trace: both record the `stopGradient` primitive, so a
 * transform outside `jit` (which replays the traced program) cuts the derivative where eager does.
 * Before, a trace dropped `detach()` and `grad(jit(x => sum(mul(x.detach(), x))))` gave 2x, not x.
 * Each composition is compared with the same composition without `jit` (eager, the oracle), for
 * `detach()` and for `stopGradient` alike; a control-flow body (traced as a program too) as well.
 */
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { expectAllClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";

type F = (x: Tensor) => Tensor;
const f64 = (values: number[], shape: number[] = [values.length]): Tensor => ops.reshape(ops.tensor(new Float64Array(values)), shape);
const values = (t: unknown): number[] => Array.from((t as Tensor).data());
const close = (actual: number[], expected: number[]): void => expectAllClose(actual, expected, 1e-12, 1e-12, "derivative");

const STOPS: Readonly<Record<string, (x: Tensor) => Tensor>> = {
  "detach()": (x) => x.detach(),
  "stopGradient": (x) => ops.stopGradient(x),
};

/** Functions whose derivative is cut somewhere inside (each differs from its uncut derivative). */
const FUNCTIONS = (stop: (x: Tensor) => Tensor): Readonly<Record<string, F>> => ({
  "x·stop(x)": (x) => ops.sum(ops.mul(stop(x), x)),
  "sin(x)·stop(x²)·x": (x) => ops.sum(ops.mul(ops.mul(ops.sin(x), stop(ops.mul(x, x))), x)),
  // A straight-through estimator: round forward, identity backward.
  "straight-through round": (x) => ops.sum(ops.mul(ops.add(x, stop(ops.sub(ops.round(x), x))), ops.exp(x))),
  "cond branch": (x) =>
    ops.cond(
      ops.gt(ops.sum(x), 0),
      (u: Tensor) => ops.sum(ops.mul(ops.exp(stop(u)), ops.mul(u, u))),
      (u: Tensor) => ops.sum(ops.cos(u)),
      x,
    ),
  "scan body": (x) => {
    const [last, ys] = ops.scan((c: Tensor, xi: Tensor) => [ops.add(ops.mul(stop(c), xi), ops.sin(xi)), ops.mul(c, stop(xi))] as const, f64([0.5], []), x);
    return ops.add(last, ops.sum(ys));
  },
});

const x = f64([0.3, -0.7, 1.2]);
const xs = f64([0.3, -0.7, 1.2, 0.9, 0.1, -1.4], [2, 3]);
const t = f64([0.5, -1, 2]);

describe.each(Object.entries(STOPS))("%s under jit, against eager", (_, stop) => {
  describe.each(Object.entries(FUNCTIONS(stop)))("%s", (_name, f) => {
    it("grad(jit(f)) and jit(grad(f))", () => {
      const eager = values(ops.grad(f)(x));
      close(values(ops.grad(jit(f))(x)), eager);
      close(values(jit(ops.grad(f))(x)), eager);
    });

    it("jvp(jit(f))", () => {
      const [y, dy] = ops.jvp(f, [x], [t]);
      const [jy, jdy] = ops.jvp(jit(f), [x], [t]);
      close(values(jy), values(y));
      close(values(jdy), values(dy));
    });

    it("vmap(grad(jit(f)))", () => {
      const eager = values(ops.vmap(ops.grad(f))(xs));
      close(values(ops.vmap(ops.grad(jit(f)))(xs)), eager);
    });

    it("hessian(jit(f))", () => {
      const eager = values(ops.hessian(f)(x));
      close(values(ops.hessian(jit(f))(x)), eager);
    });
  });
});

describe("eagerly, detach() and stopGradient are a view cut from the graph", () => {
  it("share the storage, give a leaf that may require a gradient again, and carry no tangent", () => {
    const w = f64([1, 2, 3]).requireGrad();
    const y = ops.mul(w, 2);
    for (const d of [y.detach(), ops.stopGradient(y)]) {
      expect(d.storage).toBe(y.storage);
      expect([d.requiresGrad, d.node]).toEqual([false, null]);
      expect(d.requireGrad().requiresGrad).toBe(true);
    }
    expect(values(ops.jvp((u: Tensor) => ops.add(ops.stopGradient(u), u), [x], [t])[1])).toEqual(values(t));
  });

  it("refuse a non-tensor (InvalidArgument) and a disposed tensor (StaleVariable), naming the call", () => {
    const failure = (call: () => unknown) => [thrown(call).code, thrown(call).details.op];
    expect(failure(() => ops.stopGradient([1, 2] as unknown as Tensor))).toEqual(["InvalidArgument", "stopGradient"]);
    const gone = f64([1, 2]);
    gone.dispose();
    expect(failure(() => gone.detach())).toEqual(["StaleVariable", "Tensor.detach"]);
    expect(failure(() => ops.stopGradient(gone))).toEqual(["StaleVariable", "stopGradient"]);
  });
});

describe("the cut is where eager puts it", () => {
  it("grad(jit(x ↦ Σ x·stop(x))) is x, not 2x", () => {
    for (const stop of Object.values(STOPS)) {
      const f = (u: Tensor) => ops.sum(ops.mul(stop(u), u));
      expect(values(ops.grad(jit(f))(x))).toEqual(values(x));
      expect(values(ops.jvp(jit(f), [x], [t])[1])).toEqual([ops.sum(ops.mul(x, t)).item()]);
    }
  });

  it("a scan body's cut is the unrolled loop's", () => {
    const body = (c: Tensor, xi: Tensor) => [ops.add(ops.mul(c.detach(), xi), ops.sin(xi)), ops.mul(c, xi.detach())] as const;
    const scanned = (u: Tensor) => {
      const [last, ys] = ops.scan(body, f64([0.5], []), u);
      return ops.add(last, ops.sum(ys));
    };
    const unrolled = (u: Tensor) => {
      let c = f64([0.5], []);
      let total = f64([0], []);
      for (const xi of ops.unbind(u)) {
        const [next, y] = body(c, xi);
        total = ops.add(total, y);
        c = next;
      }
      return ops.add(c, total);
    };
    const expected = values(ops.grad(unrolled)(x));
    close(values(ops.grad(scanned)(x)), expected);
    close(values(ops.grad(jit(scanned))(x)), expected);
  });

  it("an unwatched jitted call runs a program with no stopGradient left (the passes drop it)", () => {
    const f = jit((u: Tensor) => ops.sum(ops.mul(ops.sin(u).detach(), ops.stopGradient(ops.exp(u)))));
    const names = f.lower(x).equations.map((e) => e.primitive.name);
    // The chain through both cuts is one fused loop.
    expect(names).toHaveLength(1);
    expect(values(f(x))).toEqual(values(ops.sum(ops.mul(ops.sin(x), ops.exp(x)))));
  });

  it("a returned cut stays: the call returns a tensor of its own, over its input's storage", () => {
    const f = jit((u: Tensor) => [ops.exp(u).detach(), u.detach()]);
    const [a, b] = f(x) as Tensor[];
    expect(values(a)).toEqual(values(ops.exp(x)));
    expect(b).not.toBe(x);
    expect(b.storage).toBe(x.storage);
  });
});

describe("checkpoint and customVjp keep their rules around a cut", () => {
  const f = (u: Tensor) => ops.sum(ops.mul(ops.sin(u).detach(), ops.mul(u, u)));

  it("checkpoint(f) under grad and grad∘jit gives f's eager gradient", () => {
    const eager = values(ops.grad(f)(x));
    close(values(ops.grad(ops.checkpoint(f))(x)), eager);
    close(values(ops.grad(jit(ops.checkpoint(f)))(x)), eager);
  });

  it("customVjp's bwd is used under grad∘jit, whatever f detaches", () => {
    const twice = ops.customVjp(
      f,
      (u: Tensor) => [f(u), u] as const,
      (_u: Tensor, g: Tensor) => [ops.mul(ops.ones([3], { dtype: "float64" }), ops.mul(g, 2))],
    );
    expect(values(ops.grad(twice)(x))).toEqual([2, 2, 2]);
    expect(values(ops.grad(jit(twice))(x))).toEqual([2, 2, 2]);
  });
});
