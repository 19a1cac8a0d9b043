/**
 * `Tape`: reverse mode on the arena. Every unary and binary op's adjoint against Dual (tight) and
 * against the hand-written derivative and finite differences of the plain-number op, in both call
 * styles, every operand position, with number and `tape.constant` operands; random expression DAGs
 * against forward mode and finite differences; `backward`, `reset`, `sum`, arena growth,
 * `checkpoint`; and tangent tapes (forward over reverse) against nested duals and differences of
 * the gradient.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { Dual, dualScalar } from "../../src/scalar/dual.js";
import { gradientForward } from "../../src/scalar/forward.js";
import { numberScalar } from "../../src/scalar/number.js";
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type Numeric, type Scalar, type UnaryOp } from "../../src/scalar/scalar.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import type { Var } from "../../src/scalar/tape/variable.js";
import { centralDifference, checkGradient } from "../../src/testing/checkGradient.js";
import { expectAllClose, expectClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";
import {
  ANALYTIC_ATOL,
  ANALYTIC_RTOL,
  binaryPoint,
  binarySpecs,
  FD_ATOL,
  FD_RTOL,
  fdStep,
  unaryPoint,
  unarySpecs,
  type BinarySpec,
  type UnarySpec,
} from "../support/elementarySpecs.js";
import { hessianByNestedDual, type GenericFn } from "../support/expectAd.js";

/** Tape vs Dual: the same rules, evaluated in another order at most. */
const DUAL_RTOL = 1e-13;
const DUAL_ATOL = 1e-15;

const RUNS = 40;

// ── Every op ─────────────────────────────────────────────────────────────────────────────────────

describe("Tape: every unary op", () => {
  describe.each(UNARY_OPS.map((op) => [op] as const))("%s", (op: UnaryOp) => {
    const spec: UnarySpec = unarySpecs[op];

    it("explicit and method styles: value is the number op; adjoint matches Dual, the analytic derivative and finite differences", () => {
      fc.assert(
        fc.property(unaryPoint(op), (v) => {
          const expectedDual = Dual.variable(v)[op]().dx;
          const numeric = centralDifference((p) => numberScalar[op](p[0]), [v], 0, fdStep(v, spec.distance(v)));
          for (const style of ["explicit", "method"] as const) {
            const tape = new Tape({ capacity: 4 });
            const x = tape.variable(v);
            const y = style === "explicit" ? tape[op](x) : x[op]();
            expect(y.value).toBe(numberScalar[op](v));
            expect(tape.size).toBe(2);
            expect(tape.edges).toBe(1);
            const g = tape.backward(y).wrt(x);
            expectClose(g, expectedDual, DUAL_RTOL, DUAL_ATOL, `${style} ${op}'(${v}) vs Dual`);
            expectClose(g, spec.d1(v), ANALYTIC_RTOL, ANALYTIC_ATOL, `${style} ${op}'(${v}) vs analytic`);
            expectClose(g, numeric, FD_RTOL, FD_ATOL, `${style} ${op}'(${v}) vs finite differences`);
          }
        }),
        { numRuns: RUNS },
      );
    });

    it("a number or tape.constant operand records a passive node: no edge, no gradient to anything", () => {
      fc.assert(
        fc.property(unaryPoint(op), (v) => {
          const tape = new Tape({ capacity: 4 });
          const x = tape.variable(v);
          const c = tape.constant(v);
          const edges = tape.edges;
          const fromNumber = tape[op](v);
          const fromConstant = tape[op](c);
          const fromMethod = c[op]();
          for (const y of [fromNumber, fromConstant, fromMethod]) {
            expect(y.value).toBe(numberScalar[op](v));
            expect(tape.backward(y).all()).toEqual([0]);
          }
          expect(tape.edges).toBe(edges);
          // A passive value times a variable: the gradient flows to the variable only.
          // (+ 0: the adjoint sum turns a −0 partial into +0.)
          const z = tape.mul(x, fromConstant);
          expect(tape.backward(z).wrt(x)).toBe(numberScalar[op](v) + 0);
          expect(tape.backward(z).all()).toEqual([numberScalar[op](v) + 0]);
        }),
        { numRuns: 15 },
      );
    });
  });
});

describe("Tape: every binary op", () => {
  describe.each(BINARY_OPS.map((op) => [op] as const))("%s", (op: BinaryOp) => {
    const spec: BinarySpec = binarySpecs[op];
    const plain = (p: number[]) => numberScalar[op](p[0], p[1]);

    it("both operands variables, explicit and method styles: ∂/∂a and ∂/∂b match Dual, the analytic partials and finite differences", () => {
      fc.assert(
        fc.property(binaryPoint(op), ([a, b]) => {
          const dualA = Dual.variable(a)[op](Dual.constant(b)).dx;
          const dualB = Dual.constant(a)[op](Dual.variable(b)).dx;
          const d = spec.distance(a, b);
          const numA = centralDifference(plain, [a, b], 0, fdStep(a, d));
          const numB = centralDifference(plain, [a, b], 1, fdStep(b, d));
          for (const style of ["explicit", "method"] as const) {
            const tape = new Tape({ capacity: 4 });
            const [x, y] = tape.variables([a, b]);
            const z = style === "explicit" ? tape[op](x, y) : x[op](y);
            expect(z.value).toBe(plain([a, b]));
            expect(tape.edges).toBe(2);
            const [ga, gb] = tape.backward(z).wrt([x, y]);
            expectClose(ga, dualA, DUAL_RTOL, DUAL_ATOL, `${style} ∂${op}/∂a at (${a}, ${b}) vs Dual`);
            expectClose(gb, dualB, DUAL_RTOL, DUAL_ATOL, `${style} ∂${op}/∂b at (${a}, ${b}) vs Dual`);
            expectClose(ga, spec.da(a, b), ANALYTIC_RTOL, ANALYTIC_ATOL, `${style} ∂${op}/∂a at (${a}, ${b}) vs analytic`);
            expectClose(gb, spec.db(a, b), ANALYTIC_RTOL, ANALYTIC_ATOL, `${style} ∂${op}/∂b at (${a}, ${b}) vs analytic`);
            expectClose(ga, numA, FD_RTOL, FD_ATOL, `${style} ∂${op}/∂a at (${a}, ${b}) vs finite differences`);
            expectClose(gb, numB, FD_RTOL, FD_ATOL, `${style} ∂${op}/∂b at (${a}, ${b}) vs finite differences`);
          }
        }),
        { numRuns: RUNS },
      );
    });

    it("one operand a number or a tape.constant, in each position: one edge, gradient only to the variable", () => {
      fc.assert(
        fc.property(binaryPoint(op), ([a, b]) => {
          const expected = plain([a, b]);
          const dualA = Dual.variable(a)[op](b).dx;
          const dualB = dualScalar[op](a, Dual.variable(b)).dx;
          const tape = new Tape({ capacity: 4 });
          const x = tape.variable(a);
          const y = tape.variable(b);
          const ca = tape.constant(a);
          const cb = tape.constant(b);
          const wrtA: [string, () => Var][] = [
            ["tape.op(x, number)", () => tape[op](x, b)],
            ["x.op(number)", () => x[op](b)],
            ["tape.op(x, constant)", () => tape[op](x, cb)],
            ["x.op(constant)", () => x[op](cb)],
          ];
          const wrtB: [string, () => Var][] = [
            ["tape.op(number, y)", () => tape[op](a, y)],
            ["tape.op(constant, y)", () => tape[op](ca, y)],
            ["constant.op(y)", () => ca[op](y)],
          ];
          for (const [cases, variable, other, dual] of [
            [wrtA, x, y, dualA],
            [wrtB, y, x, dualB],
          ] as const) {
            for (const [label, record] of cases) {
              const edges = tape.edges;
              const z = record();
              expect(z.value, label).toBe(expected);
              expect(tape.edges - edges, `${label}: edges recorded`).toBe(1);
              const g = tape.backward(z);
              expectClose(g.wrt(variable), dual, DUAL_RTOL, DUAL_ATOL, `${label} at (${a}, ${b}) vs Dual`);
              expect(g.wrt(other), `${label}: the other variable`).toBe(0);
            }
          }
          // Both operands passive: a passive node, no edges.
          const edges = tape.edges;
          for (const z of [tape[op](a, b), tape[op](ca, cb), ca[op](cb), tape[op](ca, b), tape[op](a, cb)]) {
            expect(z.value).toBe(expected);
            expect(tape.backward(z).all()).toEqual([0, 0]);
          }
          expect(tape.edges).toBe(edges);
        }),
        { numRuns: RUNS },
      );
    });

    it("the same variable in both positions: the adjoints of the two edges accumulate", () => {
      // A point where x is in both operand domains and away from both kinks.
      const point = fc
        .double({ min: Math.max(spec.a[0], spec.b[0]), max: Math.min(spec.a[1], spec.b[1]), noNaN: true })
        .filter((v) => spec.distance(v, v) >= 1e-3 || op === "min" || op === "max");
      fc.assert(
        fc.property(point, (v) => {
          const tape = new Tape({ capacity: 4 });
          const x = tape.variable(v);
          const z = x[op](x);
          const expected = Dual.variable(v)[op](Dual.variable(v)).dx;
          expectClose(tape.backward(z).wrt(x), expected, DUAL_RTOL, DUAL_ATOL, `d/dx ${op}(x, x) at ${v}`);
          if (op !== "div" && op !== "sub") {
            // min/max at a tie split ½/½, so op(x, x) = x still has derivative 1 in total.
            const numeric = centralDifference((p) => numberScalar[op](p[0], p[0]), [v], 0, fdStep(v, op === "min" || op === "max" ? 1 : spec.distance(v, v)));
            expectClose(tape.backward(z).wrt(x), numeric, FD_RTOL, FD_ATOL, `d/dx ${op}(x, x) at ${v} vs finite differences`);
          } else {
            expect(Math.abs(tape.backward(z).wrt(x))).toBeLessThanOrEqual(1e-12);
          }
        }),
        { numRuns: 15 },
      );
    });
  });
});

// ── Random expression DAGs ───────────────────────────────────────────────────────────────────────

type Op = UnaryOp | BinaryOp;
const ALL_OPS: readonly Op[] = [...UNARY_OPS, ...BINARY_OPS];
const isUnary = (op: Op): op is UnaryOp => (UNARY_OPS as readonly string[]).includes(op);

/**
 * Where an argument is mapped before the op sees it: `undefined` passes it unchanged (the op is
 * defined and tame on all of ℝ); an interval maps it through lo + (hi − lo)(sin v + 1)/2, smooth and
 * strictly inside the op's domain. Kinks inside the interval are avoided by discarding the program.
 */
const INTERVALS: { readonly [K in Op]: readonly (readonly [number, number] | undefined)[] } = {
  neg: [undefined],
  sqrt: [[0.1, 10]],
  cbrt: [undefined],
  exp: [[-5, 5]],
  expm1: [[-5, 5]],
  log: [[0.1, 10]],
  log1p: [[-0.9, 10]],
  log2: [[0.1, 10]],
  sin: [undefined],
  cos: [undefined],
  tan: [[-1.3, 1.3]],
  asin: [[-0.9, 0.9]],
  acos: [[-0.9, 0.9]],
  atan: [undefined],
  sinh: [[-5, 5]],
  cosh: [[-5, 5]],
  tanh: [undefined],
  asinh: [undefined],
  acosh: [[1.1, 10]],
  atanh: [[-0.9, 0.9]],
  sigmoid: [undefined],
  softplus: [undefined],
  abs: [undefined],
  sign: [undefined],
  erf: [undefined],
  add: [undefined, undefined],
  sub: [undefined, undefined],
  mul: [undefined, undefined],
  div: [undefined, [-4, 4]],
  pow: [
    [0.2, 4],
    [-3, 3],
  ],
  atan2: [undefined, undefined],
  min: [undefined, undefined],
  max: [undefined, undefined],
  hypot: [undefined, undefined],
};

type Arg = { readonly ref: number; readonly recent: boolean } | { readonly num: number };
interface Step {
  readonly op: Op;
  readonly args: readonly [Arg, Arg];
}
interface Program {
  readonly inputs: readonly number[];
  readonly constants: readonly number[];
  readonly steps: readonly Step[];
}

const small = (r: number) => fc.double({ min: -r, max: r, noNaN: true });
const argArb: fc.Arbitrary<Arg> = fc.oneof({ weight: 4, arbitrary: fc.record({ ref: fc.nat(), recent: fc.boolean() }) }, { weight: 1, arbitrary: fc.record({ num: small(3) }) });
const programArb: fc.Arbitrary<Program> = fc.record({
  inputs: fc.array(small(2), { minLength: 1, maxLength: 4 }),
  constants: fc.array(small(3), { maxLength: 2 }),
  steps: fc.array(fc.record({ op: fc.constantFrom(...ALL_OPS), args: fc.tuple(argArb, argArb) }), { minLength: 1, maxLength: 14 }),
});

/** How far a program's op arguments must stay from kinks and domain edges, and the largest value allowed. */
const DAG_MARGIN = 0.05;
const DAG_MAX = 1e4;

type Style = "explicit" | "method";

/**
 * Runs the program in any domain: the pool holds the inputs, `S.from(c)` constants, then each step's
 * result; a step's argument is an earlier pool entry (half the time one of the last few, so values
 * are reused and adjoints accumulate) or an inline number. The output adds every value that no step
 * used to the last one, so every node influences it. `visit` sees each op's plain arguments and result.
 */
function runProgram<T>(S: Scalar<T>, xs: readonly T[], p: Program, style: Style, visit?: (op: Op, args: number[], y: number) => void): T {
  const pool: (T | number)[] = [...xs, ...p.constants.map((c) => S.from(c))];
  const used = new Set<number>();
  const first = pool.length;
  for (const step of p.steps) {
    const arity = isUnary(step.op) ? 1 : 2;
    const args: (T | number)[] = [];
    for (let k = 0; k < arity; k++) {
      const arg = step.args[k];
      let v: T | number;
      if ("num" in arg) v = arg.num;
      else {
        const j = arg.recent ? pool.length - 1 - (arg.ref % Math.min(pool.length, 3)) : arg.ref % pool.length;
        used.add(j);
        v = pool[j];
      }
      const interval = INTERVALS[step.op][k];
      if (interval !== undefined) {
        const [lo, hi] = interval;
        v = S.add((lo + hi) / 2, S.mul((hi - lo) / 2, S.sin(v)));
      }
      args.push(v);
    }
    const y = apply(S, style, step.op, args);
    visit?.(
      step.op,
      args.map((a) => S.value(a)),
      S.value(y),
    );
    pool.push(y);
  }
  let out = pool[pool.length - 1];
  for (let j = first; j < pool.length - 1; j++) if (!used.has(j)) out = S.add(out, pool[j]);
  return typeof out === "number" ? S.from(out) : out;
}

function apply<T>(S: Scalar<T>, style: Style, op: Op, args: readonly (T | number)[]): T {
  const [a, b] = args;
  // The method style needs a receiver: a number operand falls back to the explicit style.
  if (style === "method" && typeof a === "object" && a !== null) {
    const receiver = a as unknown as Numeric<T>;
    return isUnary(op) ? receiver[op]() : receiver[op](b);
  }
  return isUnary(op) ? S[op](a) : S[op](a, b);
}

/** Whether a program stays in the smooth, moderate region at its inputs (checked on plain numbers). */
function tame(p: Program, x: readonly number[] = p.inputs): boolean {
  let ok = true;
  const value = runProgram(numberScalar, x, p, "explicit", (op, args, y) => {
    const d = isUnary(op) ? (unarySpecs[op] as UnarySpec).distance(args[0]) : (binarySpecs[op] as BinarySpec).distance(args[0], args[1]);
    if (!(d >= DAG_MARGIN) || !(Math.abs(y) <= DAG_MAX)) ok = false;
  });
  return ok && Math.abs(value) <= DAG_MAX;
}

const asFn =
  (p: Program, style: Style = "explicit") =>
  <T extends Numeric<T>>(xs: readonly T[], S: Scalar<T>): T =>
    runProgram(S, xs, p, style);
const asGeneric =
  (p: Program): GenericFn =>
  <T>(S: Scalar<T>, xs: readonly T[]): T =>
    runProgram(S, xs, p, "explicit");

function tapeGradient(p: Program, style: Style, options: { capacity?: number } = {}): { value: number; gradient: number[]; tape: Tape } {
  const tape = new Tape(options);
  const xs = tape.variables(p.inputs);
  const y = runProgram(tape.scalar, xs, p, style);
  return { value: y.value, gradient: tape.backward(y).wrt(xs), tape };
}

/** |a − b| ≤ rtol · (1 + max‖·‖∞): the gradients are sums over paths, rounded in different orders. */
function expectGradientsClose(actual: readonly number[], expected: readonly number[], rtol: number, what: string): void {
  const scale = 1 + Math.max(0, ...actual.map(Math.abs), ...expected.map(Math.abs));
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(rtol * scale);
  }
}

describe("Tape: random expression DAGs", () => {
  it("the tape gradient matches forward mode and finite differences, in both styles", () => {
    let checked = 0;
    fc.assert(
      fc.property(programArb, (p) => {
        fc.pre(tame(p));
        const forward = gradientForward(asFn(p), p.inputs);
        // A steep program has steep higher derivatives too, beyond what finite differences resolve.
        fc.pre(forward.gradient.every((g) => Math.abs(g) <= 1e3));
        checked++;
        const explicit = tapeGradient(p, "explicit");
        const method = tapeGradient(p, "method");
        expect(explicit.value).toBe(runProgram(numberScalar, p.inputs, p, "explicit"));
        expect(method.value).toBe(explicit.value);
        expect(method.gradient).toEqual(explicit.gradient);
        expectGradientsClose(explicit.gradient, forward.gradient, 1e-12, "tape vs gradientForward");
        const report = checkGradient((x) => runProgram(numberScalar, x, p, "explicit"), p.inputs, {
          gradient: explicit.gradient,
          step: 1e-5,
          rtol: 1e-5,
          // Rounding in the differences grows with |f| / step.
          atol: 1e-7 * (1 + Math.max(...explicit.gradient.map(Math.abs))) + 1e-9 * Math.abs(explicit.value),
        });
        expect(report.ok, report.summary).toBe(true);
      }),
      { numRuns: 150 },
    );
    expect(checked).toBeGreaterThan(50);
  });

  it("constants and numbers in the program never get edges; passive subgraphs cost no edges", () => {
    fc.assert(
      fc.property(programArb, (p) => {
        const tape = new Tape({ capacity: 2 });
        const xs = tape.variables(p.inputs);
        runProgram(tape.scalar, xs, p, "explicit");
        // Every edge points from an active node: at most 2 per op plus one per add in the output.
        const constantsOnly: Program = { ...p, inputs: [], constants: [...p.inputs, ...p.constants] };
        const passive = new Tape({ capacity: 2 });
        runProgram(passive.scalar, [], constantsOnly, "explicit");
        expect(passive.edges).toBe(0);
        expect(tape.edges).toBeLessThanOrEqual(2 * (tape.size - xs.length));
      }),
      { numRuns: 30 },
    );
  });

  it("an arena growing from capacity 1 (or 0) gives exactly the gradients of a roomy one", () => {
    fc.assert(
      fc.property(programArb, (p) => {
        fc.pre(tame(p));
        const roomy = tapeGradient(p, "explicit", { capacity: 4096 });
        for (const capacity of [0, 1]) {
          const grown = tapeGradient(p, "explicit", { capacity });
          expect(grown.value).toBe(roomy.value);
          expect(grown.gradient).toEqual(roomy.gradient);
          expect(grown.tape.size).toBe(roomy.tape.size);
          expect(grown.tape.edges).toBe(roomy.tape.edges);
          expect(grown.tape.capacity).toBeGreaterThanOrEqual(grown.tape.size);
        }
      }),
      { numRuns: 40 },
    );
  });
});

// ── backward ─────────────────────────────────────────────────────────────────────────────────────

describe("Tape.backward", () => {
  const point = fc.tuple(fc.double({ min: 0.5, max: 3, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }));

  it("can be called again for other outputs and seeds; seed 2 doubles; values and earlier gradients are untouched", () => {
    fc.assert(
      fc.property(point, ([a, b]) => {
        const tape = new Tape();
        const [x, y] = tape.variables([a, b]);
        const u = x.mul(y).sin();
        const v = x.log().add(y.mul(y));
        const w = u.mul(v).add(x);
        const values = [x, y, u, v, w].map((t) => t.value);
        const size = tape.size;

        const gw = tape.backward(w);
        const gu = tape.backward(u);
        const gv = tape.backward(v);
        const gw2 = tape.backward(w, 2);
        const gwAgain = tape.backward(w);
        const gwNeg = tape.backward(w, -0.5);

        expect([x, y, u, v, w].map((t) => t.value)).toEqual(values);
        expect(tape.size).toBe(size);
        // Each output's gradient, by forward mode.
        const byDual = (f: (p: Dual[]) => Dual) => [f([Dual.variable(a), Dual.constant(b)]).dx, f([Dual.constant(a), Dual.variable(b)]).dx];
        const fu = ([p, q]: Dual[]) => p.mul(q).sin();
        const fv = ([p, q]: Dual[]) => p.log().add(q.mul(q));
        const fw = (d: Dual[]) => fu(d).mul(fv(d)).add(d[0]);
        expectAllClose(gu.wrt([x, y]), byDual(fu), DUAL_RTOL, DUAL_ATOL, "∇u");
        expectAllClose(gv.wrt([x, y]), byDual(fv), DUAL_RTOL, DUAL_ATOL, "∇v");
        expectAllClose(gw.wrt([x, y]), byDual(fw), 1e-12, DUAL_ATOL, "∇w");
        expect(gw2.all()).toEqual(gw.all().map((g) => 2 * g));
        expect(gwAgain.all()).toEqual(gw.all());
        expectAllClose(
          gwNeg.all(),
          gw.all().map((g) => -0.5 * g),
          1e-15,
          0,
          "seed −½",
        );
        // Gradients are copies: later sweeps did not change the first one.
        expectAllClose(gw.wrt([x, y]), byDual(fw), 1e-12, DUAL_ATOL, "∇w after more sweeps");
        // A seed of 0 gives zeros.
        expect(tape.backward(w, 0).all()).toEqual([0, 0]);
      }),
      { numRuns: 30 },
    );
  });

  it("variables created after the output get gradient 0, from all() and from wrt()", () => {
    const tape = new Tape();
    const x = tape.variable(2);
    const y = x.mul(x);
    const late = tape.variable(5);
    const after = late.mul(x); // recorded after y: cannot influence it
    // A sweep from a later output first leaves adjoints beyond y in the arena; they must not leak.
    expect(tape.backward(after).all()).toEqual([5, 2]);
    const g = tape.backward(y);
    expect(g.all()).toEqual([4, 0]);
    expect(g.wrt(late)).toBe(0);
    expect(g.wrt([x, late])).toEqual([4, 0]);
    // Recorded after the backward too.
    const later = tape.variable(7);
    expect(g.wrt(later)).toBe(0);
    expect(g.all()).toEqual([4, 0]);
    // A sweep from a later output does see `late`.
    expect(tape.backward(late.mul(x)).all()).toEqual([5, 2, 0]);
    expect(tape.backward(y).all()).toEqual([4, 0, 0]);
  });

  it("a passive output (number, constant, op on constants) gives zeros", () => {
    const tape = new Tape();
    const [x, y] = tape.variables([1, 2]);
    const c = tape.constant(3);
    for (const out of [5, c, c.sin(), tape.mul(c, 4), tape.sum([c, 1]), tape.exp(2)] as const) {
      const g = tape.backward(out);
      expect(g.all()).toEqual([0, 0]);
      expect(g.wrt([x, y])).toEqual([0, 0]);
    }
  });

  it("the variable itself as output: gradient is the seed for it and 0 for the others", () => {
    const tape = new Tape();
    const [x, y] = tape.variables([1, 2]);
    expect(tape.backward(x).all()).toEqual([1, 0]);
    expect(tape.backward(y, 3).all()).toEqual([0, 3]);
  });
});

// ── reset and memory ─────────────────────────────────────────────────────────────────────────────

/** A small model: a few hundred nodes, variables reused. */
function model<T>(S: Scalar<T>, [a, b, c]: readonly T[]): T {
  let acc = S.from(0);
  for (let i = 0; i < 40; i++) {
    acc = S.add(acc, S.mul(S.sin(S.add(S.mul(a, i / 40), b)), S.exp(S.mul(c, -0.01 * i))));
  }
  return S.mul(acc, acc);
}

describe("Tape.reset", () => {
  it("keeps the memory: the second identical evaluation allocates nothing; size back to 0; generation bumped", () => {
    const tape = new Tape({ capacity: 4 });
    const point = [0.3, -0.7, 1.1];
    const first = (() => {
      const xs = tape.variables(point);
      const y = model(tape.scalar, xs);
      return { value: y.value, gradient: tape.backward(y).wrt(xs), size: tape.size, edges: tape.edges };
    })();
    const bytes = tape.byteLength;
    const capacity = tape.capacity;
    expect(capacity).toBeGreaterThan(4);
    const generation = tape.generation;

    tape.reset();
    expect(tape.size).toBe(0);
    expect(tape.edges).toBe(0);
    expect(tape.generation).toBe(generation + 1);
    expect(tape.byteLength).toBe(bytes);

    const xs = tape.variables(point);
    const y = model(tape.scalar, xs);
    expect(y.value).toBe(first.value);
    expect(tape.backward(y).wrt(xs)).toEqual(first.gradient);
    expect(tape.size).toBe(first.size);
    expect(tape.edges).toBe(first.edges);
    expect(tape.byteLength).toBe(bytes);
    expect(tape.capacity).toBe(capacity);
    expectAllClose(first.gradient, gradientForward((v, S) => model(S, v), point).gradient, 1e-12, 1e-12, "model gradient vs forward");
  });

  it("a long loop (10⁵ ops per evaluation, reset between, 20 evaluations) keeps byteLength flat", () => {
    const N = 50_000; // two ops per iteration
    const loop = <T>(S: Scalar<T>, s: T): T => {
      let y = s;
      for (let k = 0; k < N; k++) y = S.add(S.mul(S.sin(y), 0.5), s);
      return y;
    };
    const expected = loop(dualScalar, Dual.variable(0.3)).dx;
    const tape = new Tape();
    let bytes = -1;
    for (let evaluation = 0; evaluation < 20; evaluation++) {
      tape.reset();
      const s = tape.variable(0.3);
      const y = loop(tape.scalar, s);
      expect(tape.size).toBeGreaterThanOrEqual(1e5);
      const g = tape.backward(y).wrt(s);
      expectClose(g, expected, 1e-12, 0, `evaluation ${evaluation}`);
      if (evaluation === 0) bytes = tape.byteLength;
      else expect(tape.byteLength, `evaluation ${evaluation}`).toBe(bytes);
    }
    // The loop's fixed point y = sin(y)/2 + s has dy/ds = 1/(1 − cos(y)/2).
    const y = loop(numberScalar, 0.3);
    expectClose(expected, 1 / (1 - Math.cos(y) / 2), 1e-12, 0, "dy/ds at the fixed point");
  });
});

// ── sum ──────────────────────────────────────────────────────────────────────────────────────────

describe("Tape.sum", () => {
  it("of many terms equals a chain of adds, as one node with one edge per active term", () => {
    fc.assert(
      fc.property(fc.array(small(2), { minLength: 2, maxLength: 300 }), (point) => {
        const terms = <T>(S: Scalar<T>, xs: readonly T[]) => xs.map((x, i) => S.sin(S.mul(x, xs[(i + 1) % xs.length])));
        const chained = new Tape();
        const cx = chained.variables(point);
        const ct = terms(chained.scalar, cx);
        let chain = ct[0];
        for (let i = 1; i < ct.length; i++) chain = chain.add(ct[i]);
        const chainGradient = chained.backward(chain).wrt(cx);

        const summed = new Tape();
        const sx = summed.variables(point);
        const st = terms(summed.scalar, sx);
        const before = { size: summed.size, edges: summed.edges };
        const total = summed.sum(st);
        expect(summed.size - before.size).toBe(1);
        expect(summed.edges - before.edges).toBe(st.length);
        expectClose(total.value, chain.value, 1e-13, 1e-13, "Σ value");
        expectAllClose(summed.backward(total).wrt(sx), chainGradient, 1e-13, 1e-15, "∇Σ vs ∇ chain");
        expectGradientsClose(chainGradient, gradientForward((v, S) => terms(S, v).reduce((p, q) => S.add(p, q)), point).gradient, 1e-12, "∇ chain vs forward");
      }),
      { numRuns: 20 },
    );
  });

  it("mixes numbers, constants and repeated variables; only active terms get edges", () => {
    const tape = new Tape();
    const [x, y] = tape.variables([2, 3]);
    const c = tape.constant(10);
    const edges = tape.edges;
    const s = tape.sum([x, 4, c, x, y.mul(y), c.sin()]);
    expect(s.value).toBe(2 + 4 + 10 + 2 + 9 + Math.sin(10));
    expect(tape.edges - edges).toBe(2 + 3); // y·y's two edges, then x, x and y·y
    expect(tape.backward(s).wrt([x, y])).toEqual([2, 6]);
  });

  it("of nothing active is passive: [] is 0, numbers and constants give no edges", () => {
    const tape = new Tape();
    const x = tape.variable(1);
    const edges = tape.edges;
    const empty = tape.sum([]);
    const passive = tape.sum([1, tape.constant(2), 3]);
    expect(empty.value).toBe(0);
    expect(passive.value).toBe(6);
    expect(tape.edges).toBe(edges);
    expect(tape.backward(passive).wrt(x)).toBe(0);
    expect(tape.backward(empty).all()).toEqual([0]);
  });
});

// ── checkpoint ───────────────────────────────────────────────────────────────────────────────────

const DT = 0.01;
const STEPS = 1000;

/** One explicit Euler step of the pendulum θ'' = −k sin θ. */
function eulerStep<T>(S: Scalar<T>, [theta, omega, k]: readonly T[]): [T, T] {
  return [S.add(theta, S.mul(DT, omega)), S.sub(omega, S.mul(DT, S.mul(k, S.sin(theta))))];
}

/** The pendulum's final θ and ω, optionally with every step recorded as a checkpoint. */
function pendulum<B>(tape: Tape<B>, [theta0, omega0, k]: readonly Var<B>[], checkpointed: boolean): [Var<B>, Var<B>] {
  let theta = theta0;
  let omega = omega0;
  for (let step = 0; step < STEPS; step++) {
    [theta, omega] = checkpointed ? (tape.checkpoint((ins, t) => eulerStep(t.scalar, ins), [theta, omega, k]) as [Var<B>, Var<B>]) : eulerStep(tape.scalar, [theta, omega, k]);
  }
  return [theta, omega];
}

/** The same pendulum's energy-like output, written generically for the forward-mode oracles. */
const pendulumOutput: GenericFn = <T>(S: Scalar<T>, xs: readonly T[]): T => {
  let theta = xs[0];
  let omega = xs[1];
  for (let step = 0; step < STEPS; step++) [theta, omega] = eulerStep(S, [theta, omega, xs[2]]);
  return S.add(S.mul(0.5, S.mul(omega, omega)), S.mul(xs[2], S.sub(1, S.cos(theta))));
};

function pendulumEnergy<B>(tape: Tape<B>, xs: readonly Var<B>[], checkpointed: boolean): Var<B> {
  const [theta, omega] = pendulum(tape, xs, checkpointed);
  return omega
    .mul(omega)
    .mul(0.5)
    .add(xs[2].mul(theta.cos().neg().add(1)));
}

describe("Tape.checkpoint", () => {
  const start = [0.8, -0.3, 2.5];

  it("a 1000-step Euler loop with each step checkpointed: same gradient as plain recording and as Dual, 2 nodes per step", () => {
    const plain = new Tape();
    const px = plain.variables(start);
    const [pTheta, pOmega] = pendulum(plain, px, false);

    const tape = new Tape();
    const xs = tape.variables(start);
    const before = { size: tape.size, edges: tape.edges };
    const [theta, omega] = pendulum(tape, xs, true);
    expect(tape.size - before.size).toBe(2 * STEPS);
    expect(tape.edges - before.edges).toBe(2 * 3 * STEPS);
    expect(plain.size - 3).toBeGreaterThan(4 * STEPS);

    expect(theta.value).toBe(pTheta.value);
    expect(omega.value).toBe(pOmega.value);
    for (const [out, pOut, index] of [
      [theta, pTheta, 0],
      [omega, pOmega, 1],
    ] as const) {
      const g = tape.backward(out).wrt(xs);
      const pg = plain.backward(pOut).wrt(px);
      const byDual = gradientForward((v, S) => {
        let state = [v[0], v[1]];
        for (let step = 0; step < STEPS; step++) state = eulerStep(S, [state[0], state[1], v[2]]);
        return state[index];
      }, start).gradient;
      expectGradientsClose(g, pg, 1e-11, `checkpointed vs plain ∇ output ${index}`);
      expectGradientsClose(g, byDual, 1e-11, `checkpointed vs Dual ∇ output ${index}`);
    }
    // And against finite differences of the plain-number loop.
    const energy = tape.backward(pendulumEnergy(tape, xs, true)).wrt(xs);
    const report = checkGradient((v) => pendulumOutput(numberScalar, v), start, { gradient: energy, rtol: 1e-6 });
    expect(report.ok, report.summary).toBe(true);
  });

  it("on a tangent tape: second derivatives through checkpoints equal the plain tangent recording and nested duals", () => {
    const direction = [0.4, -1.3, 0.7];
    const run = (checkpointed: boolean) => {
      const tape = new Tape({ tangents: true });
      const xs = tape.variables(start, direction);
      const y = pendulumEnergy(tape, xs, checkpointed);
      const g = tape.backward(y);
      return { value: y.value, tangent: tape.tangent(y), gradient: g.wrt(xs), hv: g.tangentWrt(xs) };
    };
    const plain = run(false);
    const cp = run(true);
    expect(cp.value).toBe(plain.value);
    expectClose(cp.tangent, plain.tangent, 1e-10, 1e-12, "tangent of the output");
    expectGradientsClose(cp.gradient, plain.gradient, 1e-11, "gradient");
    expectGradientsClose(cp.hv, plain.hv, 1e-10, "H·v through checkpoints vs plain");
    const H = hessianByNestedDual(pendulumOutput, start);
    const hv = H.map((row) => row.reduce((s, h, j) => s + h * direction[j], 0));
    expectGradientsClose(cp.hv, hv, 1e-10, "H·v through checkpoints vs nested Dual");
    const directional = pendulumOutput(
      dualScalar,
      start.map((x, i) => Dual.variable(x, direction[i])),
    ).dx;
    expectClose(cp.tangent, directional, 1e-10, 1e-12, "tangent vs Dual directional derivative");
  });

  it("constant inputs stay passive; number and passive results record passive nodes", () => {
    const tape = new Tape();
    const x = tape.variable(2);
    const c = tape.constant(3);
    const edges = tape.edges;
    const [y, z, w] = tape.checkpoint((ins, t) => [t.mul(ins[0], ins[1]), t.from(7), ins[1].exp()], [x, c]);
    expect(tape.edges - edges).toBe(1); // only y depends on x
    expect([y.value, z.value, w.value]).toEqual([6, 7, Math.exp(3)]);
    expect(tape.backward(y).wrt(x)).toBe(3);
    expect(tape.backward(z).wrt(x)).toBe(0);
    expect(tape.backward(w).wrt(x)).toBe(0);
    // A plain number result is a passive node.
    const [n] = tape.checkpoint(() => [42] as never, [x]);
    expect(n.value).toBe(42);
    expect(tape.backward(n).wrt(x)).toBe(0);
    // A single Var result is a one-element array; all-passive inputs give passive outputs.
    const [single] = tape.checkpoint((ins) => ins[0].sin(), [x]);
    expect(tape.backward(single).wrt(x)).toBe(Math.cos(2));
    const edges2 = tape.edges;
    const [passive] = tape.checkpoint((ins) => ins[0].sin(), [c]);
    expect(passive.value).toBe(Math.sin(3));
    expect(tape.edges).toBe(edges2);
  });

  it("the same variable given twice: both edges point to it and accumulate", () => {
    const tape = new Tape();
    const x = tape.variable(3);
    const [y] = tape.checkpoint((ins) => ins[0].mul(ins[1].sin()), [x, x]);
    expect(y.value).toBe(3 * Math.sin(3));
    expectClose(tape.backward(y).wrt(x), Math.sin(3) + 3 * Math.cos(3), 1e-15, 1e-15, "d/dx x·sin x");
  });

  it("nests: a checkpoint inside a checkpoint gives the same gradient", () => {
    const tape = new Tape();
    const [a, b] = tape.variables([0.7, 1.9]);
    const [y] = tape.checkpoint(
      (ins, t) => {
        const [inner] = t.checkpoint((js) => js[0].mul(js[1]).sin(), [ins[0], ins[1]]);
        return inner.add(ins[0].exp());
      },
      [a, b],
    );
    const expected = gradientForward(([p, q], S) => S.add(S.sin(S.mul(p, q)), S.exp(p)), [0.7, 1.9]).gradient;
    expectAllClose(tape.backward(y).wrt([a, b]), expected, 1e-14, 1e-15, "nested checkpoint");
  });

  it("junk fn, junk results and number inputs give AdError", () => {
    const tape = new Tape();
    const x = tape.variable(1);
    const junkFns: unknown[] = [undefined, null, 3, "f", {}];
    for (const fn of junkFns) {
      const e = thrown(() => tape.checkpoint(fn as never, [x]));
      expect(e.code).toBe("InvalidArgument");
      expect(e.details.op).toBe("Tape.checkpoint");
    }
    const junkResults: unknown[] = [undefined, null, 3, "y", {}, ["y"], [{}], [undefined]];
    for (const result of junkResults) {
      const e = thrown(() => tape.checkpoint(() => result as never, [x]));
      expect(e.code, `fn returning ${String(result)}`).toBe("InvalidArgument");
      expect(String(e.details.op)).toMatch(/checkpoint/);
    }
    for (const inputs of [[x, 2], [3], "x", null] as unknown[]) {
      const e = thrown(() => tape.checkpoint((ins) => ins, inputs as never));
      expect(e.code).toBe("InvalidArgument");
      expect(e.details.op).toBe("Tape.checkpoint");
    }
    // A result from the outer tape is not the scratch tape's.
    expect(thrown(() => tape.checkpoint(() => [x] as never, [x])).code).toBe("ForeignVariable");
  });
});

// ── Tangent tapes ────────────────────────────────────────────────────────────────────────────────

describe("Tape with tangents: every op", () => {
  // Tangent seeds of moderate size: a subnormal seed would make H·v subnormal, below any tolerance.
  const seed = fc.tuple(fc.double({ min: 0.1, max: 2, noNaN: true }), fc.boolean()).map(([t, negative]) => (negative ? -t : t));

  describe.each(UNARY_OPS.map((op) => [op] as const))("%s", (op: UnaryOp) => {
    const spec: UnarySpec = unarySpecs[op];
    it("tangent is Dual's; tangentWrt is f''·ẋ (analytic), the gradient is the plain tape's", () => {
      fc.assert(
        fc.property(unaryPoint(op, 1e-2), seed, (v, t) => {
          for (const style of ["explicit", "method"] as const) {
            const tape = new Tape({ tangents: true, capacity: 2 });
            const x = tape.variable(v, t);
            const y = style === "explicit" ? tape[op](x) : x[op]();
            expect(y.value).toBe(numberScalar[op](v));
            expectClose(tape.tangent(y), Dual.variable(v, t)[op]().dx, DUAL_RTOL, DUAL_ATOL, `${op} tangent at ${v}`);
            const g = tape.backward(y);
            expectClose(g.wrt(x), Dual.variable(v)[op]().dx, DUAL_RTOL, DUAL_ATOL, `${op}' on a tangent tape`);
            expectClose(g.tangentWrt(x), t * spec.d2(v), 1e-9, 1e-12 * Math.abs(t) * (1 + Math.abs(spec.d1(v))), `${op}''(${v})·${t}`);
          }
        }),
        { numRuns: 25 },
      );
    });
  });

  describe.each(BINARY_OPS.map((op) => [op] as const))("%s", (op: BinaryOp) => {
    const f: GenericFn = <T>(S: Scalar<T>, xs: readonly T[]): T => S[op](xs[0], xs[1]);
    it("tangent is Dual's; tangentWrt is H·v by nested duals, with variables, numbers and constants in each position", () => {
      fc.assert(
        fc.property(binaryPoint(op, 1e-2), seed, seed, ([a, b], ta, tb) => {
          const H = hessianByNestedDual(f, [a, b]);
          const tape = new Tape({ tangents: true, capacity: 2 });
          const [x, y] = tape.variables([a, b], [ta, tb]);
          const z = x[op](y);
          expectClose(tape.tangent(z), Dual.variable(a, ta)[op](Dual.variable(b, tb)).dx, 1e-12, 1e-14, `${op} tangent`);
          const hv = tape.backward(z).tangentWrt([x, y]);
          expectAllClose(hv, [H[0][0] * ta + H[0][1] * tb, H[1][0] * ta + H[1][1] * tb], 1e-9, 1e-12, `${op} H·v`);
          // One operand passive (number or constant): the Hessian's diagonal entry for the other.
          for (const [z1, label] of [
            [tape[op](x, b), "x, number"],
            [x[op](tape.constant(b)), "x, constant"],
          ] as const) {
            expectClose(tape.tangent(z1), ta * Dual.variable(a)[op](b).dx, 1e-12, 1e-14, `${op}(${label}) tangent`);
            expectClose(tape.backward(z1).tangentWrt(x), H[0][0] * ta, 1e-9, 1e-12, `${op}(${label}) H·v`);
          }
          for (const [z1, label] of [
            [tape[op](a, y), "number, y"],
            [tape[op](tape.constant(a), y), "constant, y"],
          ] as const) {
            expectClose(tape.tangent(z1), tb * dualScalar[op](a, Dual.variable(b)).dx, 1e-12, 1e-14, `${op}(${label}) tangent`);
            expectClose(tape.backward(z1).tangentWrt(y), H[1][1] * tb, 1e-9, 1e-12, `${op}(${label}) H·v`);
          }
        }),
        { numRuns: 25 },
      );
    });
  });
});

describe("Tape with tangents: random DAGs, sum and checkpoint", () => {
  const direction = fc.array(small(1.5), { minLength: 4, maxLength: 4 });

  it("tape.tangent(y) is Dual's directional derivative; tangentWrt is H·v by nested duals and by differences of the gradient", () => {
    let checked = 0;
    fc.assert(
      fc.property(programArb, direction, (p, dir) => {
        fc.pre(tame(p));
        const v = p.inputs.map((_, i) => dir[i]);
        // Differences of the gradient move the point: the whole segment must stay tame.
        fc.pre(
          tame(
            p,
            p.inputs.map((x, i) => x + 1e-3 * v[i]),
          ) &&
            tame(
              p,
              p.inputs.map((x, i) => x - 1e-3 * v[i]),
            ),
        );
        const gradient = gradientForward(asFn(p), p.inputs).gradient;
        fc.pre(gradient.every((g) => Math.abs(g) <= 1e3));
        checked++;
        const tape = new Tape({ tangents: true, capacity: 2 });
        const xs = tape.variables(p.inputs, v);
        const y = runProgram(tape.scalar, xs, p, "method");
        const g = tape.backward(y);
        const directional = runProgram(
          dualScalar,
          p.inputs.map((x, i) => Dual.variable(x, v[i])),
          p,
          "explicit",
        ).dx;
        const scale = 1 + Math.max(...gradient.map(Math.abs)) * Math.max(1, ...v.map(Math.abs));
        expect(Math.abs(tape.tangent(y) - directional), `tangent ${tape.tangent(y)} vs Dual ${directional}`).toBeLessThanOrEqual(1e-12 * scale);
        expectGradientsClose(g.wrt(xs), gradient, 1e-12, "gradient on a tangent tape");

        const hv = g.tangentWrt(xs);
        const H = hessianByNestedDual(asGeneric(p), p.inputs);
        const byNested = H.map((row) => row.reduce((s, h, j) => s + h * v[j], 0));
        expectGradientsClose(hv, byNested, 1e-10, "H·v vs nested Dual");
        const byDifferences = p.inputs.map((_, i) =>
          centralDifference(
            ([t]) =>
              gradientForward(
                asFn(p),
                p.inputs.map((x, j) => x + t * v[j]),
              ).gradient[i],
            [0],
            0,
            1e-4,
          ),
        );
        expectGradientsClose(hv, byDifferences, 3e-5, "H·v vs differences of the gradient");
        expect(g.allTangents()).toEqual(hv);
      }),
      { numRuns: 60 },
    );
    expect(checked).toBeGreaterThan(20);
  });

  it("sum carries tangents: its tangent is the sum of the terms' tangents, and H·v flows through it", () => {
    fc.assert(
      fc.property(fc.array(small(2), { minLength: 1, maxLength: 20 }), fc.array(small(2), { minLength: 20, maxLength: 20 }), (point, dir) => {
        const v = point.map((_, i) => dir[i]);
        const f = <T>(S: Scalar<T>, xs: readonly T[]) => xs.map((x, i) => S.mul(S.sin(x), xs[(i + 1) % xs.length]));
        const tape = new Tape({ tangents: true });
        const xs = tape.variables(point, v);
        const terms = f(tape.scalar, xs);
        const s = tape.sum([...terms, 2, tape.constant(3)]);
        expectClose(
          tape.tangent(s),
          terms.reduce((acc, t) => acc + tape.tangent(t), 0),
          1e-13,
          1e-14,
          "tangent of Σ",
        );
        const generic: GenericFn = <T>(S: Scalar<T>, ys: readonly T[]) => f(S, ys).reduce((p, q) => S.add(p, q), S.from(5));
        const directional = generic(
          dualScalar,
          point.map((x, i) => Dual.variable(x, v[i])),
        ).dx;
        expectClose(tape.tangent(s), directional, 1e-12, 1e-13, "tangent of Σ vs Dual");
        const H = hessianByNestedDual(generic, point);
        const hv = H.map((row) => row.reduce((acc, h, j) => acc + h * v[j], 0));
        expectGradientsClose(tape.backward(s).tangentWrt(xs), hv, 1e-12, "H·v through sum");
      }),
      { numRuns: 20 },
    );
  });

  it("tangent() reads 0 for numbers and constants, the seeded tangent for variables, and refuses plain tapes", () => {
    const tape = new Tape({ tangents: true });
    const x = tape.variable(1, 0.25);
    const y = tape.variable(2);
    expect(tape.tangent(x)).toBe(0.25);
    expect(tape.tangent(y)).toBe(0);
    expect(tape.tangent(3)).toBe(0);
    expect(tape.tangent(tape.constant(3))).toBe(0);
    expect(tape.tangent(x.mul(y))).toBe(0.5);
    const plain = new Tape();
    const e = thrown(() => plain.tangent(plain.variable(1)));
    expect(e.code).toBe("InvalidArgument");
    const g = thrown(() => plain.backward(plain.variable(1)).tangentWrt([]));
    expect(g.code).toBe("InvalidArgument");
    expect(thrown(() => plain.backward(3).allTangents()).code).toBe("InvalidArgument");
  });

  it("variables(xs, tangents) refuses tangents of another length with ShapeMismatch", () => {
    const tape = new Tape({ tangents: true });
    const e = thrown(() => tape.variables([1, 2], [1]));
    expect(e.code).toBe("ShapeMismatch");
    expect(e.details.op).toBe("Tape.variables");
    expect(tape.size).toBe(0);
  });
});

describe("a failed call leaves the tape as it was", () => {
  it("checkpoint whose second output is junk records nothing", () => {
    const tape = new Tape();
    const x = tape.variable(1);
    expect(() => tape.checkpoint((ins) => [ins[0].sin(), "junk"] as never, [x])).toThrow(AdError);
    expect(tape.size).toBe(1);
    expect(tape.edges).toBe(0);
  });

  it("checkpoint whose body's backward is non-finite records nothing", () => {
    const tape = new Tape({ checkFinite: true });
    const x = tape.variable(0);
    expect(() => tape.checkpoint((ins) => [ins[0].mul(2), ins[0].sqrt()], [x])).toThrow(expect.objectContaining({ code: "NonFinite" }));
    expect(tape.size).toBe(1);
  });

  it("variables with a bad element records none of them, and the error names variables", () => {
    const t = new Tape({ checkFinite: true });
    expect(() => t.variables([1, NaN])).toThrow(expect.objectContaining({ code: "NonFinite", details: expect.objectContaining({ op: "Tape.variables", index: 1 }) }));
    expect(() => t.variables([1, "a"] as never)).toThrow(
      expect.objectContaining({ code: "InvalidArgument", details: expect.objectContaining({ op: "Tape.variables", index: 1 }) }),
    );
    expect(t.size).toBe(0);
    t.variable(3);
    expect(t.backward(t.variable(4)).all()).toEqual([0, 1]);
  });

  it("a checkpoint of the same tape inside a checkpoint body gets its own scratch tape", () => {
    const tape = new Tape();
    const x = tape.variable(1);
    const [y] = tape.checkpoint(
      (ins) => {
        tape.checkpoint((js) => js[0].cos(), [x]);
        return ins[0].sin().mul(ins[0]);
      },
      [x],
    );
    expect(tape.backward(y).wrt(x)).toBeCloseTo(Math.cos(1) + Math.sin(1), 14);
  });
});
