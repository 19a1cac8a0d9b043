/**
 * The sorting-based and data-dependent ops against PyTorch (golden data from test/golden/sort18.py):
 * every output (values, int32 indices, inverse, counts) and the gradient of sum(w · values) in
 * float64 to 1e-10, the values and indices again from float32 inputs to 1e-5, with the cases for
 * ties, NaN and empty tensors that PyTorch documents.
 */
import { describe, expect, it } from "vitest";
import * as ops from "../../src/tensor/index.js";
import { grad, mul, sum, tensor, type Tensor } from "../../src/tensor/index.js";
import { f64, flat } from "../support/tensors.js";
import { decode, expectGolden, loadGolden, type Encoded } from "../support/golden.js";

interface Output {
  readonly data: Encoded[];
  readonly shape: number[];
  readonly int: boolean;
}
interface Case {
  readonly op: string;
  readonly input: Encoded[];
  readonly shape: number[];
  readonly options: Record<string, unknown>;
  /** topk's k, maskedSelect's mask, searchsorted's values. */
  readonly extra: number | Encoded[] | null;
  readonly outputs: Record<string, Output>;
  readonly weight?: number[];
  readonly grad?: Encoded[];
}

const golden = loadGolden<{ cases: Record<string, Case> }>("sort18");
/** The shape of a nested list as the script wrote it (a flat list for 1-D extras). */
const shapeOf = (v: Encoded): number[] => (Array.isArray(v) ? [v.length, ...(v.length > 0 ? shapeOf(v[0]) : [])] : []);

/** Each op as adjoint spells it, returning its outputs by PyTorch's names. */
function run(c: Case, x: Tensor): Record<string, Tensor> {
  const o = c.options as never;
  const extra = c.extra;
  const like = (v: Encoded[]) => tensor(new (x.dtype === "float32" ? Float32Array : Float64Array)(decode(v)), { shape: shapeOf(v) });
  switch (c.op) {
    case "sort":
      return { ...ops.sort(x, o) };
    case "argsort":
      return { indices: ops.argsort(x, o) };
    case "topk":
      return { ...ops.topk(x, extra as number, o) };
    case "median": {
      const r = ops.median(x, o);
      return r instanceof ops.Tensor ? { values: r } : { ...r };
    }
    case "cummax":
      return { ...ops.cummax(x, (c.options as { axis: number }).axis) };
    case "cummin":
      return { ...ops.cummin(x, (c.options as { axis: number }).axis) };
    case "searchsorted":
      return { indices: ops.searchsorted(x, like(extra as Encoded[]), o) };
    case "unique": {
      const r = ops.unique(x, o);
      return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Record<string, Tensor>;
    }
    case "nonzero":
      return { indices: ops.nonzero(x) };
    case "argwhere":
      return { indices: ops.argwhere(x) };
    case "maskedSelect": {
      const mask = extra as Encoded[];
      const shape = mask.length === 0 ? x.shape : shapeOf(mask);
      return { values: ops.maskedSelect(x, tensor(Uint8Array.from(decode(mask)), { dtype: "bool", shape })) };
    }
  }
  throw new Error(`no op ${c.op}`);
}

function checkOutputs(c: Case, outs: Record<string, Tensor>, rtol: number): void {
  expect(Object.keys(outs).sort()).toEqual(Object.keys(c.outputs).sort());
  for (const [name, want] of Object.entries(c.outputs)) {
    const got = outs[name];
    expect(got.shape, name).toEqual(want.shape);
    if (want.int) {
      expect(got.dtype, name).toBe("int32");
      expect(flat(got), name).toEqual(decode(want.data));
    } else expectGolden(flat(got), decode(want.data), rtol);
  }
}

describe("sorting-based and data-dependent ops against PyTorch (float64)", () => {
  for (const [name, c] of Object.entries(golden.cases)) {
    it(name, () => {
      const x = f64(decode(c.input), c.shape);
      checkOutputs(c, run(c, x), 1e-10);
      if (c.grad !== undefined) {
        const w = f64(c.weight!, c.outputs.values.shape);
        const g = grad((t: Tensor) => sum(mul(w, run(c, t).values)))(x) as Tensor;
        expectGolden(flat(g), decode(c.grad), 1e-10);
      }
    });
  }
});

describe("from float32 inputs (to 1e-5)", () => {
  for (const [name, c] of Object.entries(golden.cases)) {
    it(name, () => {
      const x = tensor(new Float32Array(decode(c.input)), { shape: c.shape });
      const outs = run(c, x);
      if (outs.values !== undefined) expect(outs.values.dtype).toBe("float32");
      const rounded: Case = {
        ...c,
        outputs: Object.fromEntries(Object.entries(c.outputs).map(([k, o]) => [k, o.int ? o : { ...o, data: decode(o.data).map(Math.fround) }])),
      };
      checkOutputs(rounded, outs, 1e-5);
    });
  }
});
