/**
 * Reverse-mode functionals over the tape: gradient, value and gradient, Jacobian (one recording, one
 * reverse sweep per output), Hessian and Hessian-vector products (forward over reverse: a tangent
 * tape, one recording and sweep per direction). The tape lives only for the call.
 *
 * `f` is called as `f(xs, S)` with `xs` tape variables and `S` the tape's `Scalar`, so the method
 * style `([a, b]) => a.mul(b.sin())` and the generic style `(xs, S) => S.mul(xs[0], S.sin(xs[1]))`
 * both work. It may return a plain number for a constant result (gradient zero).
 */
import { AdError, describe, expectBooleanOption, expectFinite, expectFiniteVector, expectFunction, expectLength, expectOptions, invalidArgument } from "../errors.js";
import type { MultivariateFn, Scalar, VectorFn } from "./scalar.js";
import { Tape } from "./tape/tape.js";
import { Var } from "./tape/variable.js";
import { enclosingDomain, reverseOver, reverseOverHessian, reverseOverJacobian, within } from "./reverseOver.js";

export interface ReverseOptions {
  /** Throw `NonFinite` naming the first op that produced NaN/±Inf (see `TapeOptions.checkFinite`). */
  readonly checkFinite?: boolean;
}

/** f(x) and ∇f(x): one recording and one reverse sweep, whatever the number of inputs. */
export function valueAndGradient(f: MultivariateFn, x: readonly number[], options: ReverseOptions = {}): { value: number; gradient: number[] } {
  return valueAndGradientFor("valueAndGradient", f, x, options);
}

/** ∇f(x) by reverse mode. */
export function gradient(f: MultivariateFn, x: readonly number[], options: ReverseOptions = {}): number[] {
  return valueAndGradientFor("gradient", f, x, options).gradient;
}

/** `valueAndGradient`, with `op` naming the public function the caller called (for its errors). */
function valueAndGradientFor(op: string, f: MultivariateFn, x: readonly number[], options: ReverseOptions): { value: number; gradient: number[] } {
  const outer = enclosingDomain();
  if (outer !== undefined) return nestedValueAndGradient(op, outer, f, x, options);
  const { point, checkFinite } = prepare(op, f, x, options);
  // Tape.with: the tape is released on return, and its arena reused by the next call (arena.ts).
  return Tape.with(
    (tape) => {
      const xs = tape.variables(point);
      const y = output(
        op,
        tape,
        within(tape.scalar as Scalar<unknown>, () => f(xs, tape.scalar)),
      );
      return { value: tape.value(y), gradient: tape.backward(y).wrt(xs) };
    },
    { checkFinite, capacity: 64 },
  );
}

/**
 * Inside another call's `f`: records over the enclosing call's domain (reverse over reverse, or
 * reverse inside a `derivative`'s duals), so value and gradient come back as that domain's values, typed `number` like nested
 * `derivative`'s results, used through the outer values' methods. x may hold such values too.
 */
function nestedValueAndGradient(op: string, outer: Scalar<unknown>, f: MultivariateFn, x: readonly number[], options: ReverseOptions): { value: number; gradient: number[] } {
  return reverseOver(op, outer, f as never, nestedPoint(op, f, x, options)) as { value: number; gradient: number[] };
}

/** x checked as a nested call takes it: numbers (finite) or values of the enclosing domain. */
function nestedPoint(op: string, f: unknown, x: unknown, options: unknown, argument = "x"): unknown[] {
  expectFunction(op, "f", f);
  expectOptions<ReverseOptions>(op, options, ["checkFinite"], true);
  if (!Array.isArray(x)) throw invalidArgument(op, `${argument} must be an array, got ${describe(x)}`, { argument, got: describe(x) });
  return Array.from(x, (xi: unknown, i) => (typeof xi === "number" ? expectFinite(op, `${argument}[${i}]`, xi) : xi));
}

/** f(x) and J[i][j] = ∂fᵢ/∂xⱼ: f is recorded once and swept backward once per output (row). */
export function jacobian(f: VectorFn, x: readonly number[], options: ReverseOptions = {}): { value: number[]; jacobian: number[][] } {
  const op = "jacobian";
  const outer = enclosingDomain();
  // Inside another call's f: over the enclosing domain, as a nested gradient.
  if (outer !== undefined) return reverseOverJacobian(op, outer, f as never, nestedPoint(op, f, x, options)) as { value: number[]; jacobian: number[][] };
  const { point, checkFinite } = prepare(op, f, x, options);
  return Tape.with(
    (tape) => {
      const xs = tape.variables(point);
      const ys: unknown = f(xs, tape.scalar);
      if (!Array.isArray(ys)) {
        throw invalidArgument(op, `f must return an array of tape values or numbers, got ${describe(ys)}`, { argument: "f", returned: describe(ys) });
      }
      // A loop, not ys.map: a huge sparse ys fails at its first hole instead of walking 2³² holes.
      const outs: ((typeof xs)[number] | number)[] = new Array(expectLength(op, "f's result", ys));
      for (let i = 0; i < outs.length; i++) outs[i] = output(op, tape, ys[i]);
      return { value: outs.map((y) => tape.value(y)), jacobian: outs.map((y) => tape.backward(y).wrt(xs)) };
    },
    { checkFinite, capacity: 64 },
  );
}

/**
 * H·v, the Hessian of f at x times v, in one pass: the inputs carry tangent v through a tangent
 * tape, and the reverse sweep carries the adjoints' tangents, which are H·v. Costs a small multiple
 * of one gradient, for any n.
 */
export function hessianVectorProduct(f: MultivariateFn, x: readonly number[], v: readonly number[], options: ReverseOptions = {}): number[] {
  const op = "hessianVectorProduct";
  const outer = enclosingDomain();
  if (outer !== undefined) {
    // Inside another call's f: the gradient of ∇f·v, reverse over reverse over the enclosing domain.
    const xs = nestedPoint(op, f, x, options);
    const vs = nestedPoint(op, f, v, options, "v");
    if (vs.length !== xs.length) throw new AdError("ShapeMismatch", `v has ${vs.length} components but x has ${xs.length}`, { op, xLength: xs.length, vLength: vs.length });
    return reverseOverHessian(op, outer, f as never, xs, vs)[0] as number[];
  }
  const { point, checkFinite } = prepare(op, f, x, options);
  const direction = expectFiniteVector(op, "v", v);
  if (direction.length !== point.length) {
    throw new AdError("ShapeMismatch", `v has ${direction.length} components but x has ${point.length}`, { op, xLength: point.length, vLength: direction.length });
  }
  return Tape.with((tape) => hvp(op, f, tape, point, direction), { tangents: true, checkFinite, capacity: 64 });
}

/** The Hessian of f at x, one forward-over-reverse pass per column (n passes on one reused tape). */
export function hessian(f: MultivariateFn, x: readonly number[], options: ReverseOptions = {}): number[][] {
  const op = "hessian";
  const outer = enclosingDomain();
  // Inside another call's f: the Jacobian of the gradient, reverse over reverse over the enclosing domain.
  if (outer !== undefined) return reverseOverHessian(op, outer, f as never, nestedPoint(op, f, x, options)) as number[][];
  const { point, checkFinite } = prepare(op, f, x, options);
  const n = point.length;
  const e = new Array<number>(n).fill(0);
  const columns: number[][] = [];
  Tape.with(
    (tape) => {
      for (let j = 0; j < n; j++) {
        e[j] = 1;
        columns.push(hvp(op, f, tape, point, e));
        e[j] = 0;
      }
    },
    { tangents: true, checkFinite, capacity: 64 },
  );
  // H[i][j] = column j's entry i; H is symmetric, so rows and columns agree up to rounding.
  return columns.map((_, i) => columns.map((column) => column[i]));
}

function hvp<B>(op: string, f: MultivariateFn, tape: Tape<B>, point: readonly number[], direction: readonly number[]): number[] {
  tape.reset();
  const xs = tape.variables(point, direction);
  const y = output(op, tape, f(xs, tape.scalar));
  return tape.backward(y).tangentWrt(xs);
}

function prepare(op: string, f: unknown, x: unknown, options: unknown): { point: number[]; checkFinite: boolean } {
  expectFunction(op, "f", f);
  const { checkFinite } = expectOptions<ReverseOptions>(op, options, ["checkFinite"], true);
  return { point: expectFiniteVector(op, "x", x), checkFinite: expectBooleanOption(op, "checkFinite", checkFinite, false) };
}

/** f's result as something `backward` accepts: a variable of this tape or a number. */
function output<B>(op: string, tape: Tape<B>, y: unknown): Var<B> | number {
  if (typeof y === "number") return y;
  if (y instanceof Var) {
    if (y.tape !== tape) throw new AdError("ForeignVariable", "f returned a variable of another tape", { op, index: y.index });
    return y as Var<B>;
  }
  throw invalidArgument(op, `f must return the value it computed from its arguments (or a number), got ${describe(y)}`, {
    argument: "f",
    returned: describe(y),
  });
}
