/**
 * Dual ops stay small enough for V8 to inline them into a user's loop and keep the duals that do not
 * leave an iteration in registers (scalar replacement). Measured as young-generation bytes per loop
 * iteration once the loop is optimised, never as time: a check that V8 can see through the ops
 * (an `instanceof Dual` or `!= null` operand check made every dual of the loop an allocation). Once
 * here, on the sources as vitest loads them, and once on the built package in a child `node` (npm
 * test builds first): the inlining budget is counted in bytecode, which differs between the two.
 */
import { execFileSync } from "node:child_process";
import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { Dual } from "../../src/scalar/dual.js";

v8.setFlagsFromString("--expose-gc");
v8.setFlagsFromString("--allow-natives-syntax");
const gc = vm.runInNewContext("gc") as () => void;
const haveSameMap = new Function("a", "b", "return %HaveSameMap(a, b)") as (a: object, b: object) => boolean;

/** The benchmark's loop (bench/chain.ts `chainDual`): Σ sin(xᵢ)·xᵢ₊₁ + xᵢ² along (1, …, 1). */
function chainDual(x: Float64Array): number {
  let acc = Dual.constant(0);
  let xi = Dual.variable(x[0]);
  for (let i = 0; i < x.length - 1; i++) {
    const next = Dual.variable(x[i + 1]);
    acc = acc.add(xi.sin().mul(next).add(xi.mul(xi)));
    xi = next;
  }
  return acc.dx;
}

/** The same measurement in a child `node` on the built package: bytes per element, the least of 5 calls. */
const CHILD = `
import v8 from "node:v8";
import { Dual } from "adjoint/scalar";
function chainDual(x) {
  let acc = Dual.constant(0);
  let xi = Dual.variable(x[0]);
  for (let i = 0; i < x.length - 1; i++) {
    const next = Dual.variable(x[i + 1]);
    acc = acc.add(xi.sin().mul(next).add(xi.mul(xi)));
    xi = next;
  }
  return acc.dx;
}
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_used_size;
const x = new Float64Array(1000).map((_, i) => Math.sin(i));
for (let round = 0; round < 300; round++) chainDual(x);
const per = [];
for (let round = 0; round < 5; round++) { gc(); const before = newSpace(); chainDual(x); per.push((newSpace() - before) / x.length); }
console.log(Math.min(...per));
`;
/** `derivative` of a 3-op f in a loop, in a child `node` on the built package: bytes per call, the least of 5 loops. */
const DERIVATIVE_CHILD = `
import v8 from "node:v8";
import { derivative } from "adjoint/scalar";
const small = (x) => x.add(1).mul(x.sin());
const calls = 1000;
function run() {
  let s = 0;
  for (let i = 0; i < calls; i++) s += derivative(small, 0.5 + i * 1e-7).derivative;
  return s;
}
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_used_size;
for (let round = 0; round < 300; round++) run();
const per = [];
for (let round = 0; round < 5; round++) { gc(); const before = newSpace(); run(); per.push((newSpace() - before) / calls); }
console.log(Math.min(...per));
`;
const root = new URL("../..", import.meta.url);

function newSpaceBytes(): number {
  return (v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space") as v8.HeapSpaceInfo).space_used_size;
}

describe("Dual in a loop", () => {
  it("allocates only the duals carried from one iteration to the next (acc, xᵢ₊₁), not the six of each iteration", () => {
    // Small enough that one call never fills the young generation (a scavenge would hide bytes).
    const x = new Float64Array(1000).map((_, i) => Math.sin(i));
    for (let round = 0; round < 300; round++) chainDual(x);
    const perElement: number[] = [];
    for (let round = 0; round < 5; round++) {
      gc();
      const before = newSpaceBytes();
      chainDual(x);
      perElement.push((newSpaceBytes() - before) / x.length);
    }
    // Two carried duals, each an object and two heap numbers: ~160 bytes. Every dual allocated: ~1100.
    expect(Math.min(...perElement)).toBeLessThan(400);
  });

  it("in the built package too: every op of the loop fits V8's inlining budget (one operand check left out allocated what it was given)", () => {
    const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", CHILD], { cwd: root, encoding: "utf8" });
    // ~160 bytes when everything is inlined; ~330 with one isDualOf left out; ~700–1100 with instanceof.
    expect(Number(out.trim().split("\n").pop())).toBeLessThan(250);
  });

  it("in the built package, derivative of a small f in a loop allocates about half of what it did: its checks and rare paths out of line, its result built after the finally", () => {
    // One compilation at a time: concurrent compilation makes the inlining, and so the bytes, vary.
    const out = execFileSync(process.execPath, ["--expose-gc", "--no-concurrent-recompilation", "--input-type=module", "-e", DERIVATIVE_CHILD], { cwd: root, encoding: "utf8" });
    // 170 bytes per call measured (f's duals are kept in registers; what is left leaves through the
    // try/finally that closes the call's tag); 354 before, with the checks, the nested-call path and
    // the result inside \`derivative\`'s inlining budget and its try.
    expect(Number(out.trim().split("\n").pop())).toBeLessThan(260);
  });

  it("has one hidden class however a dual is made (the public constructor, Dual.variable, an op), so the ops' reads stay monomorphic", () => {
    const fromOp = Dual.variable(1).add(2);
    expect(haveSameMap(new Dual(1, 2, 3), fromOp)).toBe(true);
    expect(haveSameMap(new Dual(1, 2), fromOp)).toBe(true);
    expect(haveSameMap(Dual.constant(1), fromOp)).toBe(true);
  });
});
