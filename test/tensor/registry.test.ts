/**
 * The registry meta-test: every primitive the engine has is listed (src/tensor/primitives/registry.ts),
 * and every listed primitive with rules is checked here the same way — its VJP against central finite
 * differences, its JVP against its VJP by ⟨c, J·t⟩ = ⟨Jᵀ·c, t⟩.
 *
 * The specs are calls of the public API. Each is recorded, then differentiated with `createGraph`,
 * so the graph also holds the primitives that only appear inside rules (conv2dInputGrad, unslice,
 * maxPool2dGrad, prodOthers, …). Every node found is a test case: its primitive is re-applied with
 * `bind` to the node's own inputs and parameters, differentiable in its float inputs (indices and
 * conditions stay fixed). The family suites test each op in depth (shapes, views, edge values);
 * this suite proves that none is left out.
 */
import { describe, expect, it } from "vitest";
import type { Node } from "../../src/tensor/autograd/node.js";
import * as ops from "../../src/tensor/index.js";
import { bind } from "../../src/tensor/primitive.js";
import * as arithmetic from "../../src/tensor/primitives/arithmetic.js";
import * as cast from "../../src/tensor/primitives/cast.js";
import * as compare from "../../src/tensor/primitives/compare.js";
import * as conv from "../../src/tensor/primitives/conv.js";
import * as gather from "../../src/tensor/primitives/gather.js";
import * as join from "../../src/tensor/primitives/join.js";
import * as matmul from "../../src/tensor/primitives/matmul.js";
import * as pool from "../../src/tensor/primitives/pool.js";
import * as reduce from "../../src/tensor/primitives/reduce.js";
import * as select from "../../src/tensor/primitives/select.js";
import * as shape from "../../src/tensor/primitives/shape.js";
import * as transfer from "../../src/tensor/primitives/to.js";
import * as unary from "../../src/tensor/primitives/unary.js";
import * as rounding from "../../src/tensor/primitives/rounding.js";
import * as binaryMath from "../../src/tensor/primitives/binaryMath.js";
import * as triangularSolve from "../../src/tensor/primitives/triangularSolve.js";
import * as cholesky from "../../src/tensor/primitives/cholesky.js";
import * as qr from "../../src/tensor/primitives/qr.js";
import * as eigh from "../../src/tensor/primitives/eigh.js";
import * as svd from "../../src/tensor/primitives/svd.js";
import * as lu from "../../src/tensor/primitives/lu.js";
import * as linalg from "../../src/linalg/index.js";
import { constantPrimitives, primitives, type PrimitiveName } from "../../src/tensor/primitives/registry.js";
import { countingDevice } from "../support/countingDevice.js";
import { expectJvpMatchesVjp, expectVjpMatches } from "../support/tensors.js";
import type { Tensor } from "../../src/tensor/index.js";

const g = ops.rng(20261201);
/** A float64 leaf of `shape` with values in [lo, hi), requiring a gradient. */
const leaf = (shape: number[], lo = -1, hi = 1): Tensor => ops.add(ops.mul(ops.rand(shape, { rng: g, dtype: "float64" }), hi - lo), lo).requireGrad();
/** A second device; it reads only asynchronously, so `to` is checked on a round trip that ends on the host. */
const counting = countingDevice();
const ints = (values: number[], shape?: number[]): Tensor => ops.tensor(values, { dtype: "int32", ...(shape ? { shape } : {}) });

/** Calls of the public API whose graphs (forward and backward) reach every primitive. */
const SPECS: Record<string, () => Tensor> = {
  "add, sub, mul, div, neg with broadcasting": () => ops.neg(ops.div(ops.mul(ops.sub(ops.add(leaf([2, 3]), leaf([3])), leaf([2, 1])), leaf([1, 3])), leaf([2, 3], 1, 2))),
  // Piecewise constant (zero rules), recorded directly: max's rules apply it to detached inputs.
  "tieShare": () => ops.add(bind(primitives.tieShare, [leaf([2, 3])], { axes: [1], extreme: "max" }), leaf([2, 3])),
  "floorDiv": () => ops.add(ops.floorDiv(leaf([3], 1, 2), 0.7), leaf([3])),
  "pow": () => ops.pow(leaf([2, 3], 0.5, 2), leaf([3], -1, 2)),
  "exp log sin cos tanh": () => ops.tanh(ops.cos(ops.sin(ops.log(ops.exp(leaf([2, 3])))))),
  "sqrt rsqrt": () => ops.add(ops.sqrt(leaf([4], 0.5, 2)), ops.rsqrt(leaf([4], 0.5, 2))),
  "abs sign relu": () => ops.mul(ops.add(ops.abs(leaf([5], 0.1, 1)), ops.relu(leaf([5], 0.1, 1))), ops.sign(leaf([5], 0.1, 1))),
  "sigmoid softplus erf": () => ops.erf(ops.softplus(ops.sigmoid(leaf([2, 2], -2, 2)))),
  "gelu, exact and tanh": () => ops.add(ops.gelu(leaf([3], -2, 2)), ops.gelu(leaf([3], -2, 2), { approximate: "tanh" })),
  "cbrt expm1 log1p log2 tan atan sinh cosh asinh": () => ops.asinh(ops.cosh(ops.sinh(ops.atan(ops.tan(ops.log2(ops.log1p(ops.expm1(ops.cbrt(leaf([2, 3], 0.5, 1)))))))))),
  "log10": () => ops.log10(leaf([3], 0.5, 2)),
  "asin acos atanh acosh": () =>
    ops.add(ops.add(ops.asin(leaf([3], -0.9, 0.9)), ops.acos(leaf([3], -0.9, 0.9))), ops.add(ops.atanh(leaf([3], -0.9, 0.9)), ops.acosh(leaf([3], 1.5, 3)))),
  "floor ceil round trunc": () => ops.add(ops.add(ops.floor(leaf([3], -3, 3)), ops.ceil(leaf([3], -3, 3))), ops.add(ops.round(leaf([3], -3, 3)), ops.trunc(leaf([3], -3, 3)))),
  "fmod remainder": () => ops.add(ops.fmod(leaf([2, 3], -0.4, 0.4), leaf([3], 0.5, 2)), ops.remainder(leaf([2, 3], -0.4, 0.4), leaf([3], 0.5, 2))),
  "atan2 hypot logaddexp": () =>
    ops.add(ops.add(ops.atan2(leaf([2, 3], 0.5, 1), leaf([3], 0.5, 1)), ops.hypot(leaf([2, 3], 0.5, 1), leaf([3], 0.5, 1))), ops.logaddexp(leaf([2, 3]), leaf([3]))),
  "comparisons": () => ops.where(ops.lt(leaf([4]), 0), ops.cast(ops.eq(leaf([4]), 2), "float64"), ops.cast(ops.ge(leaf([4]), 0), "float64")),
  "more comparisons": () => ops.cast(ops.ne(ops.cast(ops.gt(leaf([2]), 0), "float64"), ops.cast(ops.le(leaf([2]), 0), "float64")), "float64"),
  "where, maximum, minimum, clip": () => ops.where(ops.gt(leaf([2, 3]), 0), ops.maximum(leaf([2, 3]), leaf([3])), ops.clip(leaf([2, 3], -2, 2), -0.9, 0.9)),
  "cast between float dtypes": () => ops.cast(ops.cast(leaf([3]), "float32"), "float64"),
  "sum, max, min, prod, cumsum": () =>
    ops.add(ops.add(ops.sum(leaf([2, 3]), 1), ops.max(leaf([2, 3]), 1)), ops.add(ops.min(leaf([2, 3]), 1), ops.prod(ops.cumsum(leaf([2, 3], 0.5, 1.5), 1), 1))),
  "argmax": () => ops.cast(ops.argmax(leaf([2, 3]), 1), "float64"),
  "matmul, batched and broadcast": () => ops.matmul(leaf([2, 3, 4]), leaf([4, 2])),
  "conv2d with stride, padding and dilation": () => ops.conv2d(leaf([1, 2, 5, 5]), leaf([2, 2, 3, 3]), { stride: 2, padding: 1, dilation: [1, 2] }),
  "maxPool2d, avgPool2d": () => ops.add(ops.maxPool2d(leaf([1, 1, 4, 4]), { kernel: 2 }), ops.avgPool2d(leaf([1, 1, 4, 4]), { kernel: 2 })),
  // Forward mode records the tangent rules' own primitives: maxPool2d's JVP is maxPool2dSelect.
  "maxPool2d's tangent": () => ops.jvp((u: Tensor) => ops.maxPool2d(u, { kernel: 2, stride: 1 }), [leaf([1, 1, 3, 3])], [leaf([1, 1, 3, 3])])[1],
  "concat, stack, split, pad": () =>
    ops.pad(
      ops.concat([ops.stack([leaf([2]), leaf([2])]), ...ops.split(leaf([4, 2]), 2)]),
      [
        [1, 0],
        [0, 2],
      ],
      0.5,
    ),
  "gather, indexSelect, scatterAdd": () =>
    ops.add(ops.gather(leaf([3, 2]), 0, ints([2, 0, 1, 1], [2, 2])), ops.scatterAdd(leaf([2, 2]), 1, ints([1, 0, 0, 0], [2, 2]), ops.indexSelect(leaf([3, 2]), 0, ints([2, 1])))),
  "reshape, expand, permute, transpose, slice, squeeze, unsqueeze, contiguous": () =>
    ops.contiguous(ops.unsqueeze(ops.squeeze(ops.transpose(ops.permute(ops.expand(ops.reshape(leaf([6]), [1, 2, 3]), [2, 2, 3]), [2, 0, 1]).slice(null, [1, 2])), 2), 0)),
  // Matrices made well conditioned (a dominant diagonal, B·Bᵀ + 3·I), so finite differences at the recorded nodes stay accurate.
  "solve (lu, triangularSolve), det": () =>
    ops.add(
      linalg.solve(ops.add(leaf([2, 3, 3]), ops.mul(ops.eye(3, 3, { dtype: "float64" }), 3)), leaf([2, 3, 1])),
      linalg.det(ops.add(leaf([3, 3]), ops.mul(ops.eye(3, 3, { dtype: "float64" }), 3))).reshape([1]),
    ),
  "cholesky": () => {
    const b = leaf([3, 3]);
    return linalg.cholesky(ops.add(ops.matmul(b, ops.transpose(b)), ops.mul(ops.eye(3, 3, { dtype: "float64" }), 3)));
  },
  "qr, eigh, svd": () => {
    const b = leaf([3, 3]);
    const q = linalg.qr(ops.add(leaf([4, 3]), ops.mul(ops.eye(4, 3, { dtype: "float64" }), 3))).Q;
    const spread = ops.add(ops.add(b, ops.transpose(b)), ops.mul(ops.eye(3, 3, { dtype: "float64" }), ops.tensor([0, 4, 8], { dtype: "float64" })));
    const u = linalg.svd(ops.add(leaf([4, 3]), ops.mul(ops.eye(4, 3, { dtype: "float64" }), ops.tensor([3, 6, 9], { dtype: "float64" })))).U;
    return ops.add(ops.add(ops.sum(q), ops.sum(linalg.eigh(spread).eigenvectors)), ops.sum(u));
  },
  "to, there and back": () => ops.to(ops.mul(ops.to(leaf([2, 3]), counting), ops.to(leaf([3]), counting)), "cpu"),
};

/** Every node in the graphs of `roots`. */
function nodesOf(roots: readonly Tensor[]): Node[] {
  const seen = new Set<Node>();
  const stack = roots.flatMap((r) => (r.node === null ? [] : [r.node]));
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const x of n.inputs) if (x.node !== null) stack.push(x.node);
  }
  return [...seen];
}

/** One recorded node of each primitive: from the spec's forward graph and from its backward graph. */
function cases(): Map<string, Node> {
  const found = new Map<string, Node>();
  for (const spec of Object.values(SPECS)) {
    const y = spec();
    const roots = [y];
    if (y.dtype === "float64" && y.requiresGrad) {
      const leaves = nodesOf([y]).flatMap((n) => n.inputs.filter((x) => x.node === null && x.requiresGrad));
      // The seed requires a gradient too, so every step of the backward pass is recorded (even the linear ones).
      const w = leaf([...y.shape]);
      const loss = ops.sum(ops.mul(w, y));
      ops.backward(loss, { createGraph: true });
      for (const l of leaves) if (l.grad !== null) roots.push(l.grad);
    }
    for (const n of nodesOf(roots)) if (!found.has(n.prim.name)) found.set(n.prim.name, n);
  }
  return found;
}

const isFloat = (t: Tensor): boolean => t.dtype === "float64" || t.dtype === "float32";

describe("the primitive registry", () => {
  it("lists every primitive the family files export, under its own name", () => {
    const listed = new Set<unknown>(Object.values(primitives));
    const families = {
      ...arithmetic,
      ...cast,
      ...compare,
      ...conv,
      ...gather,
      ...join,
      ...matmul,
      ...pool,
      ...reduce,
      ...select,
      ...shape,
      ...transfer,
      ...unary,
      ...rounding,
      ...binaryMath,
      ...triangularSolve,
      ...cholesky,
      ...lu,
      ...qr,
      ...eigh,
      ...svd,
    };
    const exported = Object.entries(families).filter(([k, v]) => k.endsWith("P") && typeof v === "object" && v !== null && "impl" in v);
    expect(exported.length).toBeGreaterThan(40);
    for (const [k, v] of exported) expect(listed.has(v), `${k} is not in the registry`).toBe(true);
    for (const [k, p] of Object.entries(primitives)) expect(p.name).toBe(k);
  });

  it("the primitives without rules are exactly the declared constants", () => {
    const ruleless = Object.entries(primitives)
      .filter(([, p]) => p.vjp === undefined || p.jvp === undefined)
      .map(([k]) => k);
    expect(ruleless.sort()).toEqual([...constantPrimitives].sort());
  });

  it("every primitive with rules: VJP = finite differences, JVP = VJP, at a recorded node", () => {
    const found = cases();
    const checked: string[] = [];
    for (const name of Object.keys(primitives) as PrimitiveName[]) {
      if (constantPrimitives.includes(name)) continue;
      if (name === "oneHot") {
        // Its one input is int indices, so it is never recorded and no cotangent flows: check the rules say so.
        const y = bind(primitives.oneHot, [ints([2, 0])], { depth: 3, dtype: "float64" });
        expect(y.toArray()).toEqual([
          [0, 0, 1],
          [1, 0, 0],
        ]);
        const rules = primitives.oneHot;
        expect(rules.vjp?.({ inputs: [ints([2, 0])], output: y, cotangent: y, params: { depth: 3, dtype: "float64" }, needs: [false] })).toEqual([null]);
        checked.push(name);
        continue;
      }
      if (name === "stopGradient") {
        // The cut: zero rules by definition, so no finite difference (its forward is the identity) checks them. Bound directly,
        // as a replayed jit program binds it: a view of x that passes no cotangent back and carries no tangent.
        const x = leaf([2, 3]);
        const y = bind(primitives.stopGradient, [x], undefined);
        expect(y.storage).toBe(x.storage);
        expect(
          ops
            .vjp((u: Tensor) => ops.mul(bind(primitives.stopGradient, [u], undefined), u), x)[1](ops.ones([2, 3], { dtype: "float64" }))[0]
            .toArray(),
        ).toEqual(x.toArray());
        expect(ops.jvp((u: Tensor) => bind(primitives.stopGradient, [u], undefined), [x], [x])[1].toArray()).toEqual([
          [0, 0, 0],
          [0, 0, 0],
        ]);
        checked.push(name);
        continue;
      }
      if (name === "to") {
        // Values on the counting device are read only asynchronously: each leg of host → counting → host is to's rules.
        expect(found.has(name), "no spec reaches to").toBe(true);
        const roundTrip = (x: Tensor) => bind(primitives.to, [ops.mul(bind(primitives.to, [x], { device: counting }), 3)], { device: ops.getDevice("cpu") });
        const x = leaf([2, 3]).detach();
        expectVjpMatches(roundTrip, [x], g);
        expectJvpMatchesVjp(roundTrip, [x], g);
        checked.push(name);
        continue;
      }
      const node = found.get(name);
      expect(node, `no spec reaches ${name}: add a call that records it to SPECS`).toBeDefined();
      if (node === undefined) continue;
      const inputs = node.inputs.map((x) => x.detach());
      const free = inputs.flatMap((x, i) => (x.dtype === "float64" ? [i] : []));
      const f = (...xs: Tensor[]) =>
        bind(
          node.prim,
          inputs.map((x, i) => (free.includes(i) ? xs[free.indexOf(i)] : x)),
          node.params,
        );
      const args = free.map((i) => inputs[i]);
      const out = f(...args);
      if (!isFloat(out) || args.length === 0) {
        // Comparisons and one-hot from int indices: no float input or no float output, so nothing flows.
        checked.push(`${name} (no float path)`);
        continue;
      }
      // A float32 output (a cast) is compared through a float64 cast back, so finite differences stay exact.
      const f64 = out.dtype === "float64" ? f : (...xs: Tensor[]) => ops.cast(f(...xs), "float64");
      try {
        expectVjpMatches(f64, args, g);
        expectJvpMatchesVjp(f64, args, g);
      } catch (e) {
        throw new Error(`${name} at inputs of shapes ${inputs.map((x) => `[${x.shape.join(", ")}]`).join(", ")}: ${(e as Error).message}`);
      }
      checked.push(name);
    }
    expect(checked.length).toBe(Object.keys(primitives).length - constantPrimitives.length);
  });

  it("differentiating through a constant primitive is MissingDerivative", () => {
    const x = leaf([2, 3]);
    const idx = ops.argmax(x, 1);
    expect(idx.requiresGrad).toBe(false);
    const bound = () =>
      ops.jvp((t: Tensor) => bind(primitives.argExtreme, [t], { axes: [1], keepDims: false, extreme: "max" }), [x.detach()], [ops.ones([2, 3], { dtype: "float64" })]);
    expect(() => bound()).toThrow(/argExtreme has no JVP rule/);
  });
});
