/**
 * einsum against a naive loop over every assignment of the labels (fast-check over values and
 * sizes), against PyTorch (golden.test.ts), its derivatives against finite differences and JVP
 * against VJP per operand, the contraction plan's result independent of operand order, and the
 * errors naming the subscripts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as linalg from "../../src/linalg/index.js";
import { rng, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";
import { close, expectJvpMatchesVjp, expectVjpMatches, f64, flat, sizeOf } from "../support/tensors.js";

const g = rng(20261210);

/** Σ over the labels not in the output of ∏ operands, by brute force (explicit output, no ellipsis). */
function naive(spec: string, operands: { values: number[]; shape: number[] }[]): { values: number[]; shape: number[] } {
  const [lhs, rhs] = spec.split("->");
  const sides = lhs.split(",");
  const size = new Map<string, number>();
  sides.forEach((s, i) => [...s].forEach((l, k) => size.set(l, operands[i].shape[k])));
  const all = [...size.keys()];
  const out = [...rhs];
  const shape = out.map((l) => size.get(l) as number);
  const values = new Array<number>(sizeOf(shape)).fill(0);
  const at = new Map<string, number>();
  const flatIndex = (labels: string[], dims: number[]): number => labels.reduce((idx, l, k) => idx * dims[k] + (at.get(l) as number), 0);
  const visit = (k: number): void => {
    if (k === all.length) {
      let p = 1;
      sides.forEach((s, i) => (p *= operands[i].values[flatIndex([...s], operands[i].shape)]));
      values[flatIndex(out, shape)] += p;
      return;
    }
    for (let v = 0; v < (size.get(all[k]) as number); v++) {
      at.set(all[k], v);
      visit(k + 1);
    }
  };
  visit(0);
  return { values, shape };
}

const SPECS = [
  "ij,jk->ik",
  "ii->",
  "ii->i",
  "ij->ji",
  "ij->",
  "i,j->ij",
  "bij,bjk->bik",
  "ij,jk,kl->il",
  "ab,bc,cd,da->",
  "iij,jk->ik",
  "ij,ij->i",
  "i,i->",
  "abc,cb->a",
  "ij,kl->ijkl",
];

describe("einsum against a loop over every label assignment", () => {
  it.each(SPECS)("%s", (spec) => {
    const labels = [...new Set(spec.replace(/[^a-z]/g, ""))];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: labels.length, maxLength: labels.length }), fc.integer({ min: 0, max: 1000 }), (dims, seed) => {
        const size = new Map(labels.map((l, i) => [l, dims[i]]));
        const operands = spec
          .split("->")[0]
          .split(",")
          .map((s, i) => {
            const shape = [...s].map((l) => size.get(l) as number);
            return { shape, values: Array.from({ length: sizeOf(shape) }, (_, k) => Math.sin(seed + 7 * i + k * 1.3)) };
          });
        const expected = naive(spec, operands);
        const actual = linalg.einsum(spec, ...operands.map((o) => f64(o.values, o.shape)));
        expect(actual.shape).toEqual(expected.shape);
        close(flat(actual), expected.values, 1e-12);
      }),
      { numRuns: 8 },
    );
  });

  it("implicit output: the labels seen once, alphabetically; ellipses broadcast and lead", () => {
    const a = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = f64([1, 0, 2, 1, 0, 3], [3, 2]);
    expect(flat(linalg.einsum("ij,jk", a, b))).toEqual(flat(linalg.einsum("ij,jk->ik", a, b)));
    expect(linalg.einsum("ba", a).shape).toEqual([3, 2]);
    const batch = f64(
      Array.from({ length: 12 }, (_, k) => k),
      [2, 2, 3],
    );
    const one = f64(
      Array.from({ length: 6 }, (_, k) => k - 2),
      [1, 3, 2],
    );
    const result = linalg.einsum("...ij,...jk->...ik", batch, one);
    expect(result.shape).toEqual([2, 2, 2]);
    close(flat(result.slice([1, 2])), flat(linalg.einsum("ij,jk->ik", batch.slice([1, 2]).reshape([2, 3]), one.reshape([3, 2]))), 1e-12);
    expect(
      linalg.einsum(
        "...ii->...i",
        f64(
          Array.from({ length: 8 }, (_, k) => k),
          [2, 2, 2],
        ),
      ).shape,
    ).toEqual([2, 2]);
    expect(linalg.einsum("i...", f64([1, 2, 3, 4, 5, 6], [2, 3])).shape).toEqual([3, 2]);
  });

  it("the contraction order does not change the result (operands permuted)", () => {
    const x = f64(
      Array.from({ length: 6 }, (_, k) => Math.cos(k)),
      [2, 3],
    );
    const y = f64(
      Array.from({ length: 12 }, (_, k) => Math.sin(k)),
      [3, 4],
    );
    const z = f64(
      Array.from({ length: 8 }, (_, k) => k / 7),
      [4, 2],
    );
    close(flat(linalg.einsum("ab,bc,cd->ad", x, y, z)), flat(linalg.einsum("cd,ab,bc->ad", z, x, y)), 1e-12);
  });
});

describe("einsum derivatives: VJP = finite differences, JVP = VJP, in every operand", () => {
  it.each(["ij,jk,kl->il", "ii->i", "bij,bjk->bik", "...ij,...j->...i", "ij,ij->"])("%s", (spec) => {
    const shapes: Record<string, number[][]> = {
      "ij,jk,kl->il": [
        [2, 3],
        [3, 2],
        [2, 4],
      ],
      "ii->i": [[3, 3]],
      "bij,bjk->bik": [
        [2, 2, 3],
        [2, 3, 2],
      ],
      "...ij,...j->...i": [
        [2, 2, 3],
        [1, 3],
      ],
      "ij,ij->": [
        [2, 3],
        [2, 3],
      ],
    };
    const args = shapes[spec].map((s, i) =>
      f64(
        Array.from({ length: sizeOf(s) }, (_, k) => Math.sin(3 * i + k)),
        s,
      ),
    );
    expectVjpMatches((...xs) => linalg.einsum(spec, ...xs), args, g);
    expectJvpMatchesVjp((...xs) => linalg.einsum(spec, ...xs), args, g);
  });
});

describe("einsum errors name the subscripts", () => {
  const a = f64([1, 2, 3, 4, 5, 6], [2, 3]);
  const cases: [string, () => Tensor, string][] = [
    ["ij,jk->ik", () => linalg.einsum("ij,jk->ik", a), "InvalidArgument"],
    ["i1->i", () => linalg.einsum("i1->i", a), "InvalidArgument"],
    ["ij->ii", () => linalg.einsum("ij->ii", a), "InvalidArgument"],
    ["ij->k", () => linalg.einsum("ij->k", a), "InvalidArgument"],
    ["ij->i->j", () => linalg.einsum("ij->i->j", a), "InvalidArgument"],
    ["i...j...", () => linalg.einsum("i...j...", a), "InvalidArgument"],
    ["ijk", () => linalg.einsum("ijk", a), "ShapeMismatch"],
    ["ij,ij->i", () => linalg.einsum("ij,ij->i", a, f64([1, 2, 3, 4, 5, 6], [3, 2])), "ShapeMismatch"],
    ["ii", () => linalg.einsum("ii", a), "ShapeMismatch"],
    ["...i->i", () => linalg.einsum("...i->i", a), "InvalidArgument"],
  ];
  it.each(cases)("%s", (subscripts, fn, code) => {
    const e = thrown(fn);
    expect(e.code).toBe(code);
    expect(e.details).toMatchObject({ op: "einsum", subscripts });
  });
});
