/**
 * Abstract evaluation: a primitive with an abstract rule is traced from shapes and dtypes alone (no
 * kernel, no storage of the operands' size), and its rule rejects bad input before any kernel runs.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { AdError } from "../../src/errors.js";
import * as dtype from "../../src/tensor/dtype.js";
import { kernels } from "../../src/backends/backend.js";
import * as ops from "../../src/tensor/index.js";
import { abstract, matmul, tensor, trace, type Tensor } from "../../src/tensor/index.js";
import { bind } from "../../src/tensor/primitive.js";
import { matmulP } from "../../src/tensor/primitives/matmul.js";

afterEach(() => vi.restoreAllMocks());

describe("abstract rules", () => {
  // The largest operands a shape may have (< 2³¹ elements each): 8 GB of float32 apiece, 8 GB out.
  it("traces a 10⁵×(2·10⁴) by (2·10⁴)×(2·10⁴) matmul without running a kernel or allocating anything big", () => {
    const allocate = vi.spyOn(dtype, "allocate");
    const kernel = vi.spyOn(kernels(), "matmul");
    const [m, k] = [100_000, 20_000];
    const program = trace((a: Tensor, b: Tensor) => matmul(a, b))(abstract([m, k]), abstract([k, k]));
    expect(program.outputs[0].shape).toEqual([m, k]);
    expect(program.toString()).toContain("matmul");
    expect(kernel).not.toHaveBeenCalled();
    for (const [, size] of allocate.mock.calls) expect(size).toBe(0);
  });

  it("matmul's rule gives the eager output's shape and dtype", () => {
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: "float64" },
    );
    const b = tensor([[1], [2], [3]], { dtype: "float64" });
    const y = matmul(a, b);
    expect(matmulP.abstract([a, b], undefined)).toEqual({ shape: [...y.shape], dtype: y.dtype });
  });

  it("matmul's rule raises the shape error before the kernel runs (eager and traced)", () => {
    const kernel = vi.spyOn(kernels(), "matmul");
    const a = tensor([[1, 2, 3]]);
    const b = tensor([[1, 2]]);
    expect(() => matmulP.abstract([a, b], undefined)).toThrow(AdError);
    expect(() => trace((x: Tensor, y: Tensor) => matmul(x, y))(abstract([1, 3]), abstract([1, 2]))).toThrow(/contracted dims 3/);
    expect(kernel).not.toHaveBeenCalled();
  });

  // The primitive (not the public matmul, which reshapes vectors and promotes) takes matrices of one
  // dtype; a VJP rule or a program run again binds it directly, so its rule says so.
  it("matmul's rule refuses operands of rank < 2 and of two dtypes", () => {
    const kernel = vi.spyOn(kernels(), "matmul");
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    const errorOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof AdError ? { code: e.code, op: e.details.op } : e;
      }
    };
    expect(errorOf(() => bind(matmulP, [tensor([1, 2]), m], undefined))).toEqual({ code: "ShapeMismatch", op: "matmul" });
    expect(errorOf(() => bind(matmulP, [m, tensor([[1], [2]], { dtype: "float64" })], undefined))).toEqual({ code: "DTypeMismatch", op: "matmul" });
    expect(kernel).not.toHaveBeenCalled();
  });
});

/*
 * Checks that moved from the public functions and kernels into the rules: bad input is the same
 * AdError (code and op) eager and traced on abstract values of the same types, and no kernel runs.
 */
describe("rules reject bad input, eager and traced alike", () => {
  const errorOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof AdError ? { code: e.code, op: e.details.op } : e;
    }
    return "no error";
  };
  const ints = (shape: number[]) => ops.zeros(shape, { dtype: "int32" });
  const cases: [string, Tensor[], (...xs: Tensor[]) => unknown, string][] = [
    ["concat off-axis mismatch", [ops.zeros([2, 3]), ops.zeros([2, 4])], (a, b) => ops.concat([a, b]), "ShapeMismatch"],
    ["pad widths of the wrong rank", [ops.zeros([2, 3])], (a) => ops.pad(a, [[1, 1]]), "ShapeMismatch"],
    ["gather float indices", [ops.zeros([2, 3]), ops.zeros([2, 3])], (x, i) => ops.gather(x, 1, i), "InvalidArgument"],
    ["gather indices too large", [ops.zeros([2, 3]), ints([3, 3])], (x, i) => ops.gather(x, 1, i), "ShapeMismatch"],
    ["scatterAdd src of another dtype", [ops.zeros([2, 3]), ints([2, 3]), ops.zeros([2, 3], { dtype: "float64" })], (x, i, u) => ops.scatterAdd(x, 1, i, u), "DTypeMismatch"],
    ["conv2d channel mismatch", [ops.zeros([1, 2, 5, 5]), ops.zeros([4, 3, 3, 3])], (x, w) => ops.conv2d(x, w), "ShapeMismatch"],
    ["conv2d empty output", [ops.zeros([1, 2, 2, 2]), ops.zeros([4, 2, 3, 3])], (x, w) => ops.conv2d(x, w), "ShapeMismatch"],
    ["conv2d dtypes differ", [ops.zeros([1, 2, 5, 5]), ops.zeros([4, 2, 3, 3], { dtype: "float64" })], (x, w) => ops.conv2d(x, w), "DTypeMismatch"],
    ["reshape to another size", [ops.zeros([2, 3])], (a) => ops.reshape(a, [4, 2]), "ShapeMismatch"],
    ["expand a non-1 axis", [ops.zeros([2, 3])], (a) => ops.expand(a, [2, 4]), "ShapeMismatch"],
    ["permute with a repeated axis", [ops.zeros([2, 3])], (a) => ops.permute(a, [0, 0]), "InvalidArgument"],
    ["slice index out of range", [ops.zeros([2, 3])], (a) => ops.slice(a, [5]), "InvalidArgument"],
    ["maxPool2d of int32", [ints([1, 1, 4, 4])], (x) => ops.maxPool2d(x, { kernel: 2 }), "DTypeMismatch"],
  ];
  for (const [title, inputs, f, code] of cases) {
    it(title, () => {
      const backend = kernels() as unknown as Record<string, () => unknown>;
      const spies = Object.keys(backend)
        .filter((k) => typeof backend[k] === "function")
        .map((k) => vi.spyOn(backend, k));
      const op = (errorOf(() => f(...inputs)) as { op: string }).op;
      expect(errorOf(() => f(...inputs))).toEqual({ code, op });
      expect(errorOf(() => trace(f)(...inputs.map((x) => abstract(x.shape, x.dtype))))).toEqual({ code, op });
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    });
  }
});

/*
 * Whole programs traced on abstract inputs: every primitive has a rule, so no kernel of the backend
 * runs (each is replaced by one that throws) and nothing of more than one element is allocated: the
 * abstract values have empty buffers, and the program's only concrete constants are the numbers
 * lifted into it and backward's seed, one element each.
 */
describe("tracing runs no kernel", () => {
  const spyAll = () => {
    const backend = kernels() as unknown as Record<string, unknown>;
    const calls: string[] = [];
    for (const name of Object.keys(backend)) {
      if (typeof backend[name] === "function")
        vi.spyOn(backend as Record<string, () => unknown>, name).mockImplementation(() => {
          calls.push(name);
          throw new Error(`kernel ${name} ran under trace`);
        });
    }
    return { calls, allocate: vi.spyOn(dtype, "allocate") };
  };
  const bigAllocations = (allocate: ReturnType<typeof spyAll>["allocate"]) => allocate.mock.calls.map(([, size]) => size).filter((size) => size > 1);

  it("a conv net's loss and its gradient with respect to every weight", () => {
    const { calls, allocate } = spyAll();
    const net = (x: Tensor, w1: Tensor, w2: Tensor, w3: Tensor, b3: Tensor) => {
      const h = ops.maxPool2d(ops.relu(ops.conv2d(x, w1, { padding: 1 })), { kernel: 2 });
      const k = ops.relu(ops.conv2d(h, w2, { stride: 2 }));
      const logits = ops.add(ops.matmul(ops.reshape(k, [k.shape[0], -1]), w3), b3);
      return ops.neg(ops.sum(ops.logSoftmax(logits, -1)));
    };
    const step = (...args: Tensor[]) => ops.grad((...ws: Tensor[]) => net(args[0], ...(ws as [Tensor, Tensor, Tensor, Tensor])), { argnums: [0, 1, 2, 3] })(...args.slice(1));
    const shapes = [[64, 3, 32, 32], [16, 3, 3, 3], [32, 16, 3, 3], [32 * 7 * 7, 10], [10]];
    const program = trace(step)(...shapes.map((s) => abstract(s)));
    expect(program.outputs.map((v) => v.shape)).toEqual(shapes.slice(1));
    const text = program.toString();
    for (const name of ["conv2d", "conv2dInputGrad", "conv2dWeightGrad", "maxPool2d", "maxPool2dGrad", "matmul"]) expect(text).toContain(`= ${name}`);
    expect(calls).toEqual([]);
    expect(bigAllocations(allocate)).toEqual([]);
  });

  it("an MLP training step (loss, grad, SGD update) on abstract data and weights", () => {
    const { calls, allocate } = spyAll();
    const loss = (x: Tensor, y: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => {
      const h = ops.tanh(ops.add(ops.matmul(x, w1), b1));
      const d = ops.sub(ops.add(ops.matmul(h, w2), b2), y);
      return ops.mean(ops.mul(d, d));
    };
    const step = (...args: Tensor[]) => {
      const [x, y, ...ws] = args;
      const gs = ops.grad((...p: Tensor[]) => loss(x, y, ...(p as [Tensor, Tensor, Tensor, Tensor])), { argnums: [0, 1, 2, 3] })(...ws) as Tensor[];
      return ws.map((w, i) => ops.sub(w, ops.mul(gs[i], 0.01)));
    };
    const shapes = [[256, 784], [256, 10], [784, 128], [128], [128, 10], [10]];
    const program = trace(step)(...shapes.map((s) => abstract(s)));
    expect(program.outputs.map((v) => v.shape)).toEqual(shapes.slice(2));
    expect(calls).toEqual([]);
    expect(bigAllocations(allocate)).toEqual([]);
    // The program is a real one: evaluated on concrete inputs it equals the eager step.
    const inputs = shapes.map((s, i) => ops.rand(s, { rng: ops.rng(i + 1) }));
    vi.restoreAllMocks();
    const eager = step(...inputs);
    const again = program.evaluate(...inputs) as Tensor[];
    again.forEach((t, i) => expect(Array.from(t.data())).toEqual(Array.from(eager[i].data())));
  });
});

describe("primitives made of a user's function", () => {
  // Their rule traces f on abstract values (thrown away): the trace holds one equation for the call.
  it("checkpoint(f) traces as one equation, runs no kernel, and evaluates to the eager result", () => {
    const f = ops.checkpoint(function block(x: Tensor) {
      return ops.sum(ops.tanh(ops.matmul(x, x)), 1);
    });
    const backend = kernels() as unknown as Record<string, () => unknown>;
    const spies = Object.keys(backend)
      .filter((k) => typeof backend[k] === "function")
      .map((k) => vi.spyOn(backend, k));
    const program = trace(f)(abstract([3, 3], "float64"));
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    expect(program.equations.map((eq) => eq.primitive.name)).toEqual(["checkpoint(block)"]);
    expect(program.outputs.map((v) => [v.shape, v.dtype])).toEqual([[[3], "float64"]]);
    vi.restoreAllMocks();
    const x = tensor(
      [
        [1, 2, 0],
        [0, 1, 0],
        [1, 0, -1],
      ],
      { dtype: "float64" },
    );
    expect(Array.from((program.evaluate(x) as Tensor).data())).toEqual(Array.from(f(x).data()));
  });
});
