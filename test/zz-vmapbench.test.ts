import { it } from "vitest";
import * as ops from "../src/tensor/index.js";
import { grad, vmap, type Tensor } from "../src/tensor/index.js";
import { jit } from "../src/jit/index.js";

it("bench", () => {
  const g = ops.rng(1);
  const p = { w1: ops.mul(ops.randn([784, 256], { rng: g }), 0.05), b1: ops.zeros([256]), w2: ops.mul(ops.randn([256, 10], { rng: g }), 0.05), b2: ops.zeros([10]) };
  const x = ops.rand([128, 784], { rng: g });
  const y = ops.oneHot(ops.randint(0, 10, [128], { rng: g }), 10, "float32");
  const net = (q: typeof p, x: Tensor, y: Tensor) => ops.neg(ops.sum(ops.mul(ops.logSoftmax(ops.add(ops.matmul(ops.relu(ops.add(ops.matmul(x, q.w1), q.b1)), q.w2), q.b2), -1), y)));
  const batch = grad((q: typeof p) => net(q, x, y));
  const per = vmap(grad(net), { inAxes: [null, 0, 0] });
  const perJit = jit(per);
  const time = (name: string, f: () => unknown) => {
    for (let i = 0; i < 3; i++) f();
    const ts: number[] = [];
    for (let i = 0; i < 10; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); }
    ts.sort((a, b) => a - b);
    console.log(name, "min", ts[0].toFixed(2), "median", ts[5].toFixed(2), "max", ts[9].toFixed(2), "ms");
    return ts[5];
  };
  const a = time("batch grad", () => batch(p));
  const b = time("vmap(grad)", () => per(p, x, y));
  const c = time("jit(vmap(grad))", () => perJit(p, x, y));
  console.log("ratio vmap/batch", (b / a).toFixed(2), "jit ratio", (c / a).toFixed(2));
}, 120000);
