/**
 * How a recording's sweeps run: generated JavaScript with the trace's loops rolled up again, or the
 * interpreted fallback (too large, or `new Function` forbidden). Both must give bit for bit what a
 * fresh recording gives, on loops (random bodies repeated) and on code that repeats nowhere.
 */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { valueAndGradient } from "../../src/scalar/functionals.js";
import type { BinaryOp, MultivariateFn, Scalar, UnaryOp } from "../../src/scalar/scalar.js";
import { Program } from "../../src/scalar/tape/program.js";
import type { Recording } from "../../src/scalar/tape/replay.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import { thrown } from "../support/errorCode.js";

function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    expect(a === e || (a !== a && e !== e), `${label}[${i}]: ${a} vs ${e}`).toBe(true);
  }
}

const chain: MultivariateFn = (xs, S) => {
  let acc = S.from(0);
  for (let i = 0; i < xs.length - 1; i++) acc = S.add(acc, S.add(S.mul(S.sin(xs[i]), xs[i + 1]), S.mul(xs[i], xs[i])));
  return acc;
};

/** The generated forward sweep's source (internal), to see that a loop was rolled up. */
function forwardSource(recording: Recording): string {
  return String((recording as unknown as { program: Program }).program.generated?.forward);
}

const coordinate = fc.double({ min: -2, max: 2, noNaN: true }).map((x) => x + 0);

describe("generated sweeps", () => {
  it("the benchmark's loop is rolled up: the code does not grow with n (one sin), and equals a fresh recording", () => {
    const small = Tape.record(chain, new Float64Array(50).fill(0.5));
    const large = Tape.record(chain, new Float64Array(5000).fill(0.5));
    expect(small.sweeps).toBe("generated");
    expect(large.sweeps).toBe("generated");
    const lines = (r: Recording) => forwardSource(r).split("\n").length;
    expect(lines(large)).toBe(lines(small));
    expect(forwardSource(large).match(/Math\.sin/g)).toHaveLength(1);
    const x = Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i));
    const fresh = valueAndGradient(chain, Array.from(x));
    const replay = large.valueAndGradient(x);
    expectSame([replay.value, ...replay.gradient], [fresh.value, ...fresh.gradient], "chain");
  });

  it("the benchmark's loop keeps its intermediate nodes and its accumulator in locals and reads its inputs in place: no arena access indexed by the loop counter", () => {
    const recording = Tape.record(chain, new Float64Array(50).fill(0.5));
    const source = forwardSource(recording);
    expect(source).toMatch(/for \(let r = /);
    // Values and adjoints written to the arena at an index that moves with r would be one node per repetition.
    expect(source).not.toMatch(/(v|adj)\[[^\]]*r\] =/);
    // The inputs are read from the caller's array and their adjoints written into the gradient: no copies through the arena.
    expect(source).toMatch(/X\[0 \+ r\]/);
    expect(source).not.toMatch(/v\[0 \+ r\]/);
    const backward = String((recording as unknown as { program: Program }).program.generated?.backward);
    expect(backward).toMatch(/G\[1 \+ r\] \+=/);
    expect(backward).not.toMatch(/adj\.fill|(v|adj)\[[^\]]*\* r\] \+=/);
  });

  it("a Float64Array with a non-finite element or the wrong length gets the same errors as an array", () => {
    const recording = Tape.record(chain, [1, 2, 3]);
    expect(thrown(() => recording.gradient(Float64Array.of(1, NaN, 3))).details).toMatchObject({ op: "Recording.valueAndGradient", argument: "x", index: 1 });
    expect(thrown(() => recording.gradient(Float64Array.of(1, 2))).code).toBe("ShapeMismatch");
    expect(recording.gradient(Float64Array.of(1, 2, 3))).toEqual(recording.gradient([1, 2, 3]));
  });

  it("a non-finite element is refused, naming it, whether the sweeps check x as they read it or x is checked before", () => {
    const recording = Tape.record(chain, new Float64Array(6).fill(0.5));
    expect((recording as unknown as { program: Program }).program.checksInputs).toBe(true);
    // f ignores its last input: the sweeps never read it, so x is checked before.
    const ignoring: MultivariateFn = (xs, S) => chain(xs.slice(0, -1), S);
    const partial = Tape.record(ignoring, new Float64Array(6).fill(0.5));
    expect((partial as unknown as { program: Program }).program.checksInputs).toBe(false);
    for (const r of [recording, partial]) {
      for (const [k, bad] of [
        [0, NaN],
        [3, Infinity],
        [5, -Infinity],
      ]) {
        const x = new Float64Array(6).fill(0.25);
        x[k] = bad;
        expect(thrown(() => r.into(new Float64Array(6), x)).details).toMatchObject({ op: "Recording.into", argument: "x", index: k });
      }
      expect(r.into(new Float64Array(6), new Float64Array(6).fill(0.25)).value).toBe(r.valueAndGradient(new Array(6).fill(0.25)).value);
    }
  });

  it("where `new Function` is forbidden (a Content-Security-Policy), the sweeps are interpreted", () => {
    vi.stubGlobal("Function", function forbidden() {
      throw new EvalError("Refused to evaluate a string as JavaScript because 'unsafe-eval' is not allowed");
    });
    try {
      const recording = Tape.record(chain, [1, 2, 3]);
      expect(recording.sweeps).toBe("interpreted");
      expect(recording.valueAndGradient([0.5, -1, 2])).toEqual(valueAndGradient(chain, [0.5, -1, 2]));
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("code that repeats nowhere and is too large to generate is interpreted, with the same result", () => {
    // Each step's op depends on i², so no body of ≤ 64 instructions repeats.
    const ops: readonly UnaryOp[] = ["sin", "cos", "exp", "tanh", "atan", "neg", "sqrt"];
    const f: MultivariateFn = (xs, S) => {
      let y = xs[0];
      for (let i = 0; i < 2000; i++) y = S.add(S[ops[(i * i + (i >> 3)) % ops.length]](S.mul(y, 0.001)), xs[i % xs.length]);
      return y;
    };
    const recording = Tape.record(f, [0.1, 0.2]);
    expect(recording.sweeps).toBe("interpreted");
    const fresh = valueAndGradient(f, [0.3, -0.4]);
    const replay = recording.valueAndGradient([0.3, -0.4]);
    expectSame([replay.value, ...replay.gradient], [fresh.value, ...fresh.gradient], "interpreted");
  });
});

// ── Random loops: a random body repeated, its operands counted back from the newest register ───────

const UNARY: readonly UnaryOp[] = ["neg", "sin", "cos", "tanh", "exp", "log", "sqrt", "sigmoid", "abs", "erf"];
const BINARY: readonly BinaryOp[] = ["add", "sub", "mul", "div", "max", "hypot", "atan2", "pow"];

type Step = { kind: "unary"; op: UnaryOp; a: number } | { kind: "binary"; op: BinaryOp; a: number; b: number } | { kind: "sum"; a: number; b: number };

const back = fc.nat(7);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("unary" as const), op: fc.constantFrom(...UNARY), a: back }),
  fc.record({ kind: fc.constant("binary" as const), op: fc.constantFrom(...BINARY), a: back, b: back }),
  fc.record({ kind: fc.constant("sum" as const), a: back, b: back }),
);

/** `body` run `times` times over registers that start as the inputs; operands are the k-th newest. */
function loop(body: readonly Step[], times: number): MultivariateFn {
  const run = <T>(xs: readonly T[], S: Scalar<T>): T => {
    const r: T[] = [...xs];
    const at = (k: number) => r[r.length - 1 - (k % r.length)];
    for (let t = 0; t < times; t++) {
      for (const s of body) {
        if (s.kind === "unary") r.push(S[s.op](at(s.a)));
        else if (s.kind === "binary") r.push(S[s.op](at(s.a), at(s.b)));
        else r.push((S as unknown as Tape).sum([at(s.a) as never, 2, at(s.b) as never]) as T);
      }
    }
    return r[r.length - 1];
  };
  return run as MultivariateFn;
}

describe("generated sweeps on random loops", () => {
  const inputs = fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.array(coordinate, { minLength: n, maxLength: n }), fc.array(coordinate, { minLength: n, maxLength: n })));

  it("generated, interpreted and a fresh recording agree bit for bit (values and gradients)", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 40 }), inputs, (body, times, [x0, x]) => {
        const f = loop(body, times);
        const recording = Tape.record(f, x0);
        expect(recording.sweeps).toBe("generated");
        const fresh = valueAndGradient(f, x);
        const replay = recording.valueAndGradient(x);
        expectSame([replay.value, ...replay.gradient], [fresh.value, ...fresh.gradient], "generated");

        const { arena, output, inputs: nodes } = (recording as unknown as { trace: { arena: Program["arena"]; output: number; inputs: Int32Array } }).trace;
        if (output < 0) return;
        const interpreted = new Program(arena, output, [], undefined, false);
        expect(interpreted.generated).toBeUndefined();
        for (let k = 0; k < nodes.length; k++) [arena.value[nodes[k]], arena.adj[nodes[k]]] = [x[k], 0];
        const unused = new Float64Array(0);
        interpreted.forward(unused);
        interpreted.backward(output, unused, unused);
        const gradient = Array.from(nodes, (i) => (i <= output ? arena.adj[i] : 0));
        expectSame([arena.value[output], ...gradient], [fresh.value, ...fresh.gradient], "interpreted");
      }),
      { numRuns: 150 },
    );
  });
});

describe("generated sweeps with guards inside a loop", () => {
  // Each iteration reads the sign of the accumulator (a guard): the guarded nodes must reach the arena.
  const damped: MultivariateFn = (xs, S) => {
    let acc = xs[0];
    for (let i = 0; i < 30; i++) acc = S.value(S.sign(acc)) > 0 ? S.add(S.mul(acc, 0.9), S.sin(xs[1])) : S.sub(acc, xs[1]);
    return acc;
  };

  it("replays where every guard reads the same, and refuses (or retraces) where one differs", () => {
    const recording = Tape.record(damped, [1, 0.5]);
    expect(recording.sweeps).toBe("generated");
    expect(recording.guardCount).toBe(30);
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 2, noNaN: true }), fc.double({ min: 0.1, max: 1, noNaN: true }), (a, b) => {
        const fresh = valueAndGradient(damped, [a, b]);
        const replay = recording.valueAndGradient(Float64Array.of(a, b));
        expectSame([replay.value, ...replay.gradient], [fresh.value, ...fresh.gradient], "same branches");
      }),
    );
    expect(thrown(() => recording.gradient([-1, 0.5])).code).toBe("InvalidArgument");
    const retracing = Tape.record(damped, [1, 0.5], { onBranch: "retrace" });
    const fresh = valueAndGradient(damped, [-1, 0.5]);
    const again = retracing.valueAndGradient([-1, 0.5]);
    expectSame([again.value, ...again.gradient], [fresh.value, ...fresh.gradient], "retraced");
  });
});

describe("Recording.into", () => {
  it("writes the gradient into your Float64Array and returns it, as valueAndGradient computes it", () => {
    const recording = Tape.record(chain, [1, 2, 3, 4]);
    const gradient = new Float64Array(4).fill(7);
    const x = Float64Array.of(0.5, -1, 2, 0.25);
    const out = recording.into(gradient, x);
    expect(out.gradient).toBe(gradient);
    const expected = recording.valueAndGradient(x);
    expect(out.value).toBe(expected.value);
    expectSame(gradient, expected.gradient, "into");
    // An input the output does not depend on gets 0, not what the array held.
    const constant = Tape.record((_xs, S) => S.exp(S.from(1)), [1, 2]);
    expect(constant.into(Float64Array.of(5, 5), [3, 4])).toEqual({ value: Math.E, gradient: Float64Array.of(0, 0) });
  });

  it("x and the gradient may be the same array (the sweeps read x while they write the gradient)", () => {
    const recording = Tape.record(chain, [1, 2, 3, 4]);
    const x = Float64Array.of(0.5, -1, 2, 0.25);
    const expected = recording.valueAndGradient(x);
    const both = Float64Array.from(x);
    expect(recording.into(both, both).value).toBe(expected.value);
    expectSame(both, expected.gradient, "aliased");
    const buffer = new Float64Array(8);
    buffer.set(x, 2);
    const overlapping = recording.into(buffer.subarray(0, 4), buffer.subarray(2, 6));
    expect(overlapping.value).toBe(expected.value);
    expectSame(overlapping.gradient, expected.gradient, "overlapping");
  });

  it("refuses a gradient that is not a Float64Array of one entry per input", () => {
    const recording = Tape.record(chain, [1, 2]);
    expect(thrown(() => recording.into([0, 0] as never, [1, 2])).details).toMatchObject({ op: "Recording.into", argument: "gradient" });
    expect(thrown(() => recording.into(new Float64Array(3), [1, 2])).code).toBe("ShapeMismatch");
    expect(thrown(() => recording.into(new Float64Array(2), [1, Infinity])).details).toMatchObject({ op: "Recording.into", argument: "x", index: 1 });
  });
});
