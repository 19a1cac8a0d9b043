import { it } from "vitest";
import * as ops from "../src/tensor/index.js";
it("bench2", () => {
  const g = ops.rng(1);
  const time = (name: string, f: () => unknown) => {
    for (let i = 0; i < 2; i++) f();
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); }
    ts.sort((a, b) => a - b);
    console.log(name, "min", ts[0].toFixed(2), "median", ts[2].toFixed(2));
  };
  const a = ops.rand([128, 784, 1], { rng: g }), b = ops.rand([128, 1, 256], { rng: g });
  time("outer batched", () => ops.matmul(a, b));
  const x = ops.rand([128, 1, 784], { rng: g }), w = ops.rand([784, 256], { rng: g });
  time("bcast matmul", () => ops.matmul(x, w));
  const x2 = ops.rand([128, 784], { rng: g });
  time("flat matmul", () => ops.matmul(x2, w));
  const big = ops.rand([128, 784, 256], { rng: g });
  time("mul big", () => ops.mul(big, 2));
  time("mul bcast outer", () => ops.mul(a, b));
}, 120000);
