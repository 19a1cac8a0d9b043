/**
 * `Tape.record`: a trace replayed at new inputs gives what a fresh recording gives there — on the
 * benchmark's function, on random programs (fast-check) with and without branches, for gradients and
 * Hessian-vector products — and a replay whose guard reads a different value refuses (or retraces).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hessianVectorProduct, valueAndGradient } from "../../src/scalar/functionals.js";
import type { BinaryOp, MultivariateFn, Scalar, UnaryOp } from "../../src/scalar/scalar.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import type { Var } from "../../src/scalar/tape/variable.js";
import { thrown } from "../support/errorCode.js";

/** Equal as numbers, NaN equal to NaN (replay and a fresh recording do the same arithmetic). */
function expectSame(actual: number[], expected: number[], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  actual.forEach((a, i) => expect(a === expected[i] || (a !== a && expected[i] !== expected[i]), `${label}[${i}]: ${a} vs ${expected[i]}`).toBe(true));
}

const chain: MultivariateFn = (xs, S) => {
  let acc = S.from(0);
  for (let i = 0; i < xs.length - 1; i++) acc = S.add(acc, S.add(S.mul(S.sin(xs[i]), xs[i + 1]), S.mul(xs[i], xs[i])));
  return acc;
};

const coordinate = fc.double({ min: -2, max: 2, noNaN: true }).map((x) => x + 0);

describe("Tape.record", () => {
  it("replays the benchmark's function at new points exactly as a fresh recording computes it", () => {
    const recording = Tape.record(chain, [0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(recording.inputs).toBe(5);
    expect(recording.guardCount).toBe(0);
    fc.assert(
      fc.property(fc.array(coordinate, { minLength: 5, maxLength: 5 }), (x) => {
        const fresh = valueAndGradient(chain, x);
        const replay = recording.valueAndGradient(x);
        expectSame([replay.value], [fresh.value], "value");
        expectSame(replay.gradient, fresh.gradient, "gradient");
      }),
    );
  });

  it("replays Hessian-vector products through the tangent sweep", () => {
    const f: MultivariateFn = (xs, S) => S.add(S.mul(S.exp(S.mul(xs[0], xs[1])), S.pow(xs[1], 3)), S.div(S.atan2(xs[0], 2), S.hypot(xs[1], 1)));
    const recording = Tape.record(f, [0.3, 0.7]);
    fc.assert(
      fc.property(fc.array(coordinate, { minLength: 2, maxLength: 2 }), fc.array(coordinate, { minLength: 2, maxLength: 2 }), (x, v) => {
        const fresh = hessianVectorProduct(f, x, v);
        recording.hessianVectorProduct(x, v).forEach((h, i) => expect(Math.abs(h - fresh[i])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(fresh[i]))));
      }),
    );
  });

  it("constants, sums and constant outputs replay too", () => {
    // `sum` is the tape's own (one node, many edges), so f is written for tape variables.
    const f = ((xs: readonly Var[], tape: Tape) => tape.sum([xs[0], 3, tape.mul(tape.from(2), xs[1]), tape.sin(tape.from(1))])) as unknown as MultivariateFn;
    const recording = Tape.record(f, [1, 2]);
    expect(recording.valueAndGradient([5, 7])).toEqual(valueAndGradient(f, [5, 7]));
    const constant = Tape.record((_xs, S) => S.exp(S.from(1)), [1]);
    expect(constant.valueAndGradient([4])).toEqual({ value: Math.E, gradient: [0] });
  });

  it("a branch on a read value: the replay refuses a point where the value read differs, naming the guard", () => {
    const f: MultivariateFn = (xs, S) => (S.value(xs[0]) > 0 ? S.mul(xs[0], xs[0]) : S.neg(xs[0]));
    const recording = Tape.record(f, [1]);
    expect(recording.guardCount).toBe(1);
    expect(recording.valueAndGradient([1])).toEqual({ value: 1, gradient: [2] });
    const e = thrown(() => recording.valueAndGradient([-3]));
    expect(e.code).toBe("InvalidArgument");
    expect(e.details).toMatchObject({ op: "Recording.valueAndGradient", argument: "x", producedBy: "variable", recorded: 1, now: -3 });
  });

  it("branching on a sign makes the guard the comparison's outcome; { onBranch: 'retrace' } follows a new branch", () => {
    const f: MultivariateFn = (xs, S) => (S.value(S.sign(S.sub(xs[0], 0.5))) > 0 ? S.mul(xs[0], xs[0]) : S.neg(xs[0]));
    const recording = Tape.record(f, [1]);
    expect(recording.valueAndGradient([3])).toEqual({ value: 9, gradient: [6] });
    expect(thrown(() => recording.gradient([0])).details).toMatchObject({ producedBy: "sign", recorded: 1, now: -1 });
    const retracing = Tape.record(f, [1], { onBranch: "retrace" });
    expect(retracing.valueAndGradient([0])).toEqual({ value: -0, gradient: [-1] });
    expect(retracing.valueAndGradient([-4])).toEqual({ value: 4, gradient: [-1] });
    expect(retracing.valueAndGradient([2])).toEqual({ value: 4, gradient: [4] });
  });

  it("a value read and turned into a constant is guarded too (it would be stale on replay)", () => {
    const f: MultivariateFn = (xs, S) => S.mul(xs[0], S.from(S.value(xs[0])));
    const recording = Tape.record(f, [2]);
    expect(thrown(() => recording.gradient([3])).code).toBe("InvalidArgument");
    expect(Tape.record(f, [2], { onBranch: "retrace" }).valueAndGradient([3])).toEqual({ value: 9, gradient: [3] });
  });

  it("refuses what it cannot replay or read: a checkpoint, wrong lengths, junk", () => {
    const withCheckpoint: MultivariateFn = (xs, S) => (S as unknown as Tape).checkpoint((s) => s[0].sin(), xs as never)[0] as never;
    expect(thrown(() => Tape.record(withCheckpoint, [1])).details).toMatchObject({ op: "Tape.checkpoint" });
    expect(thrown(() => Tape.record(withCheckpoint, [1])).code).toBe("UnsupportedOp");
    const recording = Tape.record(chain, [1, 2]);
    expect(thrown(() => recording.gradient([1])).code).toBe("ShapeMismatch");
    expect(thrown(() => recording.hessianVectorProduct([1, 2], [1])).code).toBe("ShapeMismatch");
    expect(thrown(() => recording.gradient([1, NaN])).code).toBe("InvalidArgument");
    expect(thrown(() => Tape.record(chain, [1], { onBranch: "maybe" as never })).details).toMatchObject({ op: "Tape.record", argument: "onBranch" });
    expect(thrown(() => Tape.record((() => "y") as never, [1])).details).toMatchObject({ op: "Tape.record", argument: "f" });
    expect(thrown(() => Tape.record(3 as never, [1])).code).toBe("InvalidArgument");
  });
});

// ── Random programs ────────────────────────────────────────────────────────────────────────────────

const UNARY: readonly UnaryOp[] = ["neg", "sin", "cos", "tanh", "sigmoid", "atan", "softplus", "erf", "abs", "exp", "sqrt", "log1p"];
const BINARY: readonly BinaryOp[] = ["add", "sub", "mul", "div", "max", "min", "hypot", "atan2", "pow"];

type Instr =
  | { kind: "unary"; op: UnaryOp; a: number }
  | { kind: "binary"; op: BinaryOp; a: number; b: number }
  | { kind: "constant"; op: BinaryOp; a: number; c: number }
  | { kind: "branch"; a: number; c: number; then: number; otherwise: number };

const index = fc.nat(50);
const instr: fc.Arbitrary<Instr> = fc.oneof(
  fc.record({ kind: fc.constant("unary" as const), op: fc.constantFrom(...UNARY), a: index }),
  fc.record({ kind: fc.constant("binary" as const), op: fc.constantFrom(...BINARY), a: index, b: index }),
  fc.record({ kind: fc.constant("constant" as const), op: fc.constantFrom(...BINARY), a: index, c: fc.double({ min: -3, max: 3, noNaN: true }) }),
  fc.record({ kind: fc.constant("branch" as const), a: index, c: fc.double({ min: -1, max: 1, noNaN: true }), then: index, otherwise: index }),
);

/** The program as a generic function: registers start as the inputs; each instruction adds one. */
function program(code: readonly Instr[]): MultivariateFn {
  const run = <T>(xs: readonly T[], S: Scalar<T>): T => {
    const r: T[] = [...xs];
    const at = (k: number) => r[k % r.length];
    for (const ins of code) {
      if (ins.kind === "unary") r.push(S[ins.op](at(ins.a)));
      else if (ins.kind === "binary") r.push(S[ins.op](at(ins.a), at(ins.b)));
      else if (ins.kind === "constant") r.push(S[ins.op](at(ins.a), ins.c));
      else r.push(S.value(at(ins.a)) > ins.c ? S.mul(at(ins.then), at(ins.then)) : S.sin(at(ins.otherwise)));
    }
    return r[r.length - 1];
  };
  return run as MultivariateFn;
}

describe("Tape.record on random programs", () => {
  const inputs = fc
    .integer({ min: 1, max: 3 })
    .chain((n) => fc.tuple(fc.array(coordinate, { minLength: n, maxLength: n }), fc.array(fc.array(coordinate, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 4 })));

  it("a replay equals a fresh recording, or (after a guard changed) refuses; retracing always equals it", () => {
    let refused = 0;
    let replayed = 0;
    fc.assert(
      fc.property(fc.array(instr, { minLength: 1, maxLength: 12 }), inputs, (code, [x0, points]) => {
        const f = program(code);
        const strict = Tape.record(f, x0);
        const retracing = Tape.record(f, x0, { onBranch: "retrace" });
        const branches = code.some((ins) => ins.kind === "branch");
        for (const x of points) {
          const fresh = valueAndGradient(f, x);
          const again = retracing.valueAndGradient(x);
          expectSame([again.value, ...again.gradient], [fresh.value, ...fresh.gradient], "retraced");
          let replay: { value: number; gradient: number[] } | undefined;
          try {
            replay = strict.valueAndGradient(x);
          } catch (e) {
            expect(branches, "only a program that reads a value can refuse").toBe(true);
            expect((e as { code?: string }).code).toBe("InvalidArgument");
            refused++;
          }
          if (replay !== undefined) {
            expectSame([replay.value, ...replay.gradient], [fresh.value, ...fresh.gradient], "replayed");
            replayed++;
          }
        }
      }),
      { numRuns: 200 },
    );
    // Both outcomes were exercised (200 programs, about half with branches).
    expect(refused).toBeGreaterThan(0);
    expect(replayed).toBeGreaterThan(0);
  });
});
