/**
 * Devices on tensors (issue 14 item 2), tested with a second device (test/support/countingDevice.ts):
 * creation on a device, DeviceMismatch, `to` in both directions with its gradient, asynchronous reads
 * and the synchronous readers' UnsupportedOp, dispose and `using`.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  abs,
  add,
  avgPool2d,
  backwardAsync,
  registerDevice,
  arange,
  concat,
  cumsum,
  defaultDevice,
  devices,
  div,
  eye,
  full,
  getDevice,
  grad,
  gt,
  hessian,
  jacfwd,
  jacrev,
  jvp,
  linspace,
  logSoftmax,
  matmul,
  max,
  mul,
  ones,
  pad,
  prod,
  rand,
  randint,
  randn,
  rng,
  setDefaultDevice,
  sin,
  softmax,
  sum,
  tensor,
  to,
  toAsync,
  where,
  zeros,
  type DeviceBuffer,
  type Tensor,
} from "../../src/tensor/index.js";
import { mseLoss } from "../../src/nn/index.js";
import { checkGradient } from "../../src/testing/checkGradient.js";
import { countingDevice } from "../support/countingDevice.js";
import { errorCode, thrown } from "../support/errorCode.js";
import type { Storage } from "../../src/backends/dtype.js";

const counting = countingDevice();
const cpu = getDevice("cpu");
const dev = { device: "counting" } as const;

describe("the device slot", () => {
  it("every tensor has a device; the default is the host device cpu, visible and settable", () => {
    expect(defaultDevice()).toBe(cpu);
    expect(devices().map((d) => d.name)).toEqual(["cpu", "counting"]);
    expect(tensor([1, 2]).device).toBe(cpu);
    expect(add(tensor([1]), 1).device).toBe(cpu);
    setDefaultDevice("counting");
    try {
      expect(zeros([2]).device).toBe(counting);
    } finally {
      setDefaultDevice(cpu);
    }
    expect(thrown(() => setDefaultDevice("tpu")).details).toMatchObject({ op: "setDefaultDevice", device: '"tpu"' });
    expect(thrown(() => registerDevice({ ...counting })).details).toMatchObject({ op: "registerDevice", device: "counting" });
  });

  it("every creation function takes { device } (a device or its name)", async () => {
    const made: Tensor[] = [
      tensor([1, 2], dev),
      full([2], 3, dev),
      zeros([2], dev),
      ones([2], { device: counting }),
      arange(0, 2, 1, dev),
      linspace(0, 1, 2, dev),
      eye(2, 2, dev),
      rand([2], dev),
      randn([2], dev),
      randint(0, 3, [2], dev),
    ];
    for (const t of made) expect(t.device).toBe(counting);
    expect(await full([2], 3, dev).array()).toEqual([3, 3]);
    const error = thrown(() => zeros([2], { device: "tpu" }));
    expect(error.code).toBe("InvalidArgument");
    expect(error.details).toMatchObject({ op: "zeros", device: '"tpu"' });
    expect(errorCode(() => zeros([2], { device: {} as never }))).toBe("InvalidArgument");
  });
});

describe("ops on a second device", () => {
  it("run there: outputs on the device, one kernel launch and one allocation each", async () => {
    const x = tensor([1, 2, 3], dev);
    counting.reset();
    const y = sum(mul(add(x, 1), x));
    expect(y.device).toBe(counting);
    expect(Object.fromEntries(counting.launches)).toEqual({ add: 1, mul: 1, sum: 1 });
    expect(counting.allocations).toBe(4); // the lifted 1, and the three outputs
    expect(await y.read()).toEqual(new Float32Array([2 + 6 + 12]));
  });

  it("mixing devices in one op is a DeviceMismatch naming the op and both devices", () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[1, 2]], dev);
    const cases: [string, () => unknown, string[]][] = [
      ["add", () => add(a, b), ["cpu", "counting"]],
      ["mul", () => mul(b, a), ["counting", "cpu"]],
      ["matmul", () => matmul(a, b.transpose()), ["cpu", "counting"]],
      ["concat", () => concat([a, b]), ["cpu", "counting"]],
    ];
    for (const [op, f, names] of cases) {
      const error = thrown(f);
      expect(error.code).toBe("DeviceMismatch");
      expect(error.details).toMatchObject({ op, devices: names });
      expect(error.message).toContain(`${names[0]} and ${names[1]}`);
    }
    expect(thrown(() => where(tensor([true]), tensor([1], dev), tensor([2], dev))).details).toMatchObject({ op: "where", devices: ["cpu", "counting", "counting"] });
  });

  it("reads asynchronously; the synchronous readers are UnsupportedOp naming the asynchronous call", async () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      dev,
    );
    expect(await x.array()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(await x.transpose().read()).toEqual(new Float32Array([1, 3, 2, 4]));
    const readers: [string, () => unknown, string][] = [
      ["Tensor.data", () => x.data(), "await t.read()"],
      ["Tensor.toArray", () => x.toArray(), "await t.array()"],
      ["Tensor.item", () => sum(x).item(), "(await t.read())[0]"],
      ["Tensor.at", () => x.at(0, 0), "await t.read()"],
    ];
    for (const [op, f, instead] of readers) {
      const error = thrown(f);
      expect(error.code).toBe("UnsupportedOp");
      expect(error.details).toMatchObject({ op, device: "counting", instead });
      expect(error.message).toContain(instead);
    }
    // The host answers both ways.
    expect(await tensor([5]).read()).toEqual(new Float32Array([5]));
    expect(await tensor([[true]]).array()).toEqual([[true]]);
  });
});

describe("to(device)", () => {
  it("copies both ways, keeping values, dtype and shape (strided views included)", async () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: "float64" },
    );
    const there = x.transpose().to("counting");
    expect(there.device).toBe(counting);
    expect(there.dtype).toBe("float64");
    expect(await there.array()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    const back = to(there, cpu);
    expect(back.device).toBe(cpu);
    expect(back.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(to(back, "cpu")).toBe(back);
    expect(thrown(() => x.to("tpu")).details).toMatchObject({ op: "Tensor.to" });
  });

  it("is differentiable: the cotangent is copied back (checkGradient), in both directions and forward mode", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 5 }), (v) => {
        // cpu → counting → (work there) → cpu: the gradient crosses `to` twice.
        const f = (x: Tensor) => to(sum(mul(sin(to(x, counting)), to(x, counting))), cpu);
        const at = (u: number[]) => f(tensor(new Float64Array(u))).item();
        const g = grad(f)(tensor(new Float64Array(v))) as Tensor;
        expect(g.device).toBe(cpu);
        const report = checkGradient(at, v, { gradient: g.data(), rtol: 1e-6, atol: 1e-8 });
        expect(report.ok, report.summary).toBe(true);
        const [y, dy] = jvp(f, [tensor(new Float64Array(v))], [ones([v.length], { dtype: "float64" })]);
        expect(dy.device).toBe(y.device);
        expect(dy.item()).toBeCloseTo(
          Array.from(g.data()).reduce((s, d) => s + d, 0),
          10,
        );
      }),
    );
  });

  it("backward from a root on the device fills the host leaf's grad", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.to("counting");
    sum(mul(y, y)).backward();
    expect(x.grad?.device).toBe(cpu);
    expect(x.grad?.toArray()).toEqual([2, 4, 6]);
  });
});

describe("toAsync(device) and backwardAsync", () => {
  it("copies off a device without synchronous reads, differentiably: the cotangent goes back to it", async () => {
    const x = tensor([1, -2, 3], { ...dev, requiresGrad: true });
    const y = await toAsync(mul(x, x).transpose(), "cpu");
    expect(y.device).toBe(cpu);
    expect(y.toArray()).toEqual([1, 4, 9]);
    sum(mul(y, 3)).backward();
    expect(x.grad?.device).toBe(counting);
    expect(await x.grad!.read()).toEqual(new Float32Array([6, -12, 18]));
    const same = tensor([1], dev);
    expect(await same.toAsync("counting")).toBe(same);
    await expect(toAsync(same, "tpu")).rejects.toMatchObject({ code: "InvalidArgument", details: { op: "toAsync" } });
    await expect(same.toAsync("tpu")).rejects.toMatchObject({ details: { op: "Tensor.toAsync" } });
  });

  it("backwardAsync fills the same gradients as backward", async () => {
    const leaves = () => [tensor([1, 2, 3], { requiresGrad: true }), tensor([0.5, -1, 2], { ...dev, requiresGrad: true })];
    const loss = ([a, b]: Tensor[]) => sum(mul(sin(a.to("counting")), b));
    const [p, q] = leaves();
    loss([p, q]).backward();
    const [r, s] = leaves();
    await loss([r, s]).backwardAsync();
    expect(r.grad?.toArray()).toEqual(p.grad?.toArray());
    expect(await s.grad!.read()).toEqual(await q.grad!.read());
    await expect(backwardAsync(tensor([1]))).rejects.toMatchObject({ code: "InvalidArgument", details: { op: "backwardAsync" } });
  });
});

describe("a whole computation on the device", () => {
  // Rules that make constants (the derivative table's, a backward seed, kernels that copy) make them
  // on their inputs' device: no DeviceMismatch inside a backward or forward-mode pass.
  const cases: Record<string, (a: Tensor) => Tensor> = {
    softmax: (a) => sum(mul(softmax(a, -1), a)),
    logSoftmax: (a) => sum(logSoftmax(a)),
    prod: (a) => prod(a),
    max: (a) => max(a),
    matmul: (a) => sum(matmul(a, a.transpose())),
    cumsum: (a) => sum(cumsum(a, 1)),
    where: (a) => sum(where(gt(a, 0), a, 0)),
    divide: (a) => sum(div(1, add(abs(a), 1))),
    pad: (a) =>
      sum(
        pad(a, [
          [1, 1],
          [0, 0],
        ]),
      ),
    mseLoss: (a) => mseLoss(a, zeros([2, 3], { dtype: "float64", device: a.device })),
  };
  it.each(Object.keys(cases))("%s: grad and jvp stay on the device and equal the host's", async (name) => {
    const f = cases[name];
    const host = randn([2, 3], { dtype: "float64", rng: rng(7) });
    const there = host.to("counting");
    const g = grad(f)(there) as Tensor;
    expect(g.device).toBe(counting);
    expect(await g.read()).toEqual((grad(f)(host) as Tensor).data());
    const [, dy] = jvp(f, [there], [ones([2, 3], { dtype: "float64", device: "counting" })]);
    expect(dy.device).toBe(counting);
  });
});

describe("host code writes into no device buffer", () => {
  // Every buffer the device takes over (write, adopt) is snapshotted at that moment; none may change
  // afterwards, as one did when backward's seed or a Jacobian's basis was a host write into zeros.
  // Constants that rules build (prod's pair products, avgPool2d's weights) are made on the device.
  const cases: Record<string, (a: Tensor) => unknown> = {
    "backward's seed": (a) => sum(mul(a, a)).backward(),
    "grad's seed": (a) => grad((b: Tensor) => sum(sin(b)))(a),
    "jacrev's basis": (a) => jacrev((b: Tensor) => sin(b))(a),
    "jacfwd's basis": (a) => jacfwd((b: Tensor) => sin(b))(a),
    "prod's second derivative": (a) => hessian((b: Tensor) => prod(b))(a),
    "avgPool2d": (a) => grad((b: Tensor) => sum(avgPool2d(b.reshape([1, 1, 2, 3]), { kernel: 2, stride: 1 })))(a),
  };
  it.each(Object.keys(cases))("%s", (name) => {
    const handed: [DeviceBuffer, number[]][] = [];
    const { write, adopt } = counting;
    counting.write = (data) => {
      const buffer = write(data);
      handed.push([buffer, Array.from(buffer as Storage)]);
      return buffer;
    };
    counting.adopt = (buffer) => {
      handed.push([adopt(buffer), Array.from(buffer as Storage)]);
      return buffer;
    };
    try {
      const a = randn([2, 3], { dtype: "float64", rng: rng(3), device: "counting" }).requireGrad();
      handed.length = 0;
      cases[name](a);
    } finally {
      counting.write = write;
      counting.adopt = adopt;
    }
    expect(handed.length).toBeGreaterThan(0);
    for (const [buffer, snapshot] of handed) expect(Array.from(buffer as Storage)).toEqual(snapshot);
  });
});

describe("dispose and using", () => {
  it("frees the device buffer at once; using the tensor again is a StaleVariable; a second dispose does nothing", () => {
    const x = tensor([1, 2], dev);
    const buffer = x.storage;
    counting.reset();
    x.dispose();
    expect(counting.frees).toBe(1);
    expect(counting.isFreed(buffer)).toBe(true);
    x.dispose();
    expect(counting.frees).toBe(1);
    const error = thrown(() => add(x, 1));
    expect(error.code).toBe("StaleVariable");
    expect(error.details).toMatchObject({ op: "add", device: "counting", shape: [2] });
    expect(thrown(() => x.to("cpu")).details).toMatchObject({ op: "to" });
    return expect(x.read()).rejects.toMatchObject({ code: "StaleVariable", details: { op: "Tensor.read" } });
  });

  it("on the host too: every reader and op refuses a disposed tensor", () => {
    const x = tensor([[1, 2]]);
    x.dispose();
    for (const [op, f] of [
      ["Tensor.data", () => x.data()],
      ["Tensor.toArray", () => x.toArray()],
      ["Tensor.item", () => x.item()],
      ["Tensor.at", () => x.at(0, 0)],
      ["mul", () => mul(x, x)],
      ["reshape", () => x.reshape([2])],
    ] as const) {
      expect(thrown(f).details).toMatchObject({ op });
      expect(errorCode(f)).toBe("StaleVariable");
    }
  });

  it("views share a buffer: disposing one leaves the others readable, and the last dispose frees it", async () => {
    const x = tensor([1, 2, 3, 4, 5, 6], dev);
    const rows = x.reshape([2, 3]);
    const column = rows.slice(null, [1, 2]);
    const buffer = x.storage;
    expect(rows.storage).toBe(buffer);
    x.dispose();
    rows.dispose();
    expect(counting.isFreed(buffer)).toBe(false);
    expect(Array.from(await column.read())).toEqual([2, 5]);
    column.dispose();
    expect(counting.isFreed(buffer)).toBe(true);
  });

  it("on the host, disposing a view leaves its siblings readable", () => {
    const x = tensor([1, 2, 3, 4]);
    const t = x.reshape([2, 2]).transpose();
    x.dispose();
    expect(Array.from(t.data())).toEqual([1, 3, 2, 4]);
  });

  it("Symbol.dispose (what `using` calls) disposes", () => {
    const x = tensor([1], dev);
    counting.reset();
    x[Symbol.dispose]();
    expect(counting.frees).toBe(1);
    expect(errorCode(() => x.data())).toBe("StaleVariable");
  });

  it("`using` disposes at the end of its block", () => {
    let escaped: Tensor | undefined;
    counting.reset();
    {
      using x = tensor([1, 2], dev);
      escaped = x;
      expect(counting.frees).toBe(0);
    }
    expect(counting.frees).toBe(1);
    expect(errorCode(() => escaped.data())).toBe("StaleVariable");
  });
});
