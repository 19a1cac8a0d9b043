/**
 * Graph lifetime, seen by the garbage collector: a graph is kept alive only by the tensors computed
 * in it. Dropping the result of a computation (without calling backward) frees its whole graph, and
 * backward frees the graph even while the result is still held. Runs the built package in a child
 * `node --expose-gc` (npm test builds first) so the test can force collections.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const root = new URL("..", new URL("..", import.meta.url));

function run(script: string): unknown {
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop() as string);
}

describe("graph memory", () => {
  it("a dropped result frees its graph; backward frees it while the result is held; leaves keep nothing", () => {
    const result = run(`
      import { add, matmul, mul, randn, relu, rng, sum } from "adjoint/tensor";
      const g = rng(1);
      const w = randn([64, 64], { rng: g }).requireGrad();
      const x = randn([8, 64], { rng: g });
      const collect = async () => { for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 0)); } };
      // An intermediate's WeakRef tells whether the graph that holds it is still alive.
      const record = () => { const h = relu(matmul(x, w)); const loss = sum(mul(add(h, 1), h)); return { loss, hidden: new WeakRef(h) }; };
      let dropped = record();
      const hiddenOfDropped = dropped.hidden;
      dropped = null;
      const held = record();
      const heldBeforeBackward = record();
      held.loss.backward();
      await collect();
      console.log(JSON.stringify({
        dropped: hiddenOfDropped.deref() === undefined,
        afterBackward: held.hidden.deref() === undefined,
        heldWithoutBackward: heldBeforeBackward.hidden.deref() !== undefined,
        leafHasGrad: w.grad !== null && w.node === null,
      }));
    `);
    expect(result).toEqual({ dropped: true, afterBackward: true, heldWithoutBackward: true, leafHasGrad: true });
  });
});
