/**
 * `whileLoop(condFn, body, init)` and `forLoop(lower, upper, body, init)`: loops whose trip count
 * depends on data. One primitive whose parameters are the predicate's and the body's programs;
 * deciding whether to go on reads the predicate on the host, once per iteration.
 *
 * Rules, in primitives (so they nest):
 *   forward mode: a while loop over [carry, tangent], the body's pushforward, the same predicate;
 *   reverse mode (JAX refuses it): the forward run records its trip count n (in the equation's
 *   params), and the backward pass is the reverse mode of a scan of the body of length n — carries
 *   stored, one pullback per step. Where no forward run happened (under trace, or for the logical
 *   values of vmap) n is not known ahead; the backward pass is then itself a while loop, counting
 *   the trip down from n (found by a counting loop) and recomputing each step's carry from init,
 *   O(n²) body evaluations instead of O(n) but valid inside jit and vmap.
 */
import { AdError, describe, expectFunction, expectInteger, invalidArgument } from "../../errors.js";
import { host } from "../../backends/device.js";
import { flatten } from "../autograd/pytree.js";
import { isFloat } from "../dtype.js";
import type { Program } from "../ir.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { constant } from "../creation.js";
import { add, sub } from "../primitives/arithmetic.js";
import { gt, lt } from "../primitives/compare.js";
import { any } from "../composites/reductions.js";
import { registerBatchRule } from "../interpreters/batch.js";
import { expand } from "../primitives/reduce.js";
import { where } from "../primitives/select.js";
import { reshape } from "../primitives/shape.js";
import { maskFor, onBatch, packBatched } from "./batched.js";
import { zerosLike } from "../primitives/lift.js";
import { formatShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { close, readScalar, expectSameTypes, pack, packDType, packedType, pullback, pushforward, run, unpack, type Closed, onlyFloat, typesOf } from "./closed.js";
import { scan, scanVjp, type ScanParams } from "./scan.js";

export interface WhileParams {
  /** The predicate: inputs [its constants, carry], output one scalar bool. */
  readonly cond: Program;
  /** The body: inputs [its constants, carry], outputs the carry. */
  readonly body: Program;
  readonly condConsts: number;
  readonly bodyConsts: number;
  /** The trip count of the run that made this output (set by the forward run; absent under trace). */
  trips?: number;
}

/** The carry's types: the body's outputs. */
const carryTypesOf = (p: WhileParams): AbstractValue[] => typesOf(p.body.outputs);

function groups<T>(inputs: readonly T[], p: WhileParams): [T[], T[], T[]] {
  const b = p.condConsts + p.bodyConsts;
  return [inputs.slice(0, p.condConsts), inputs.slice(p.condConsts, b), inputs.slice(b)];
}

/** Binds a while loop of closed predicate and body and unpacks its carry. */
function whileOf(cond: Closed, condConsts: readonly Tensor[], body: Closed, bodyConsts: readonly Tensor[], init: readonly Tensor[]): Tensor[] {
  const params: WhileParams = {
    cond: cond.program,
    body: body.program,
    condConsts: cond.consts.length + condConsts.length,
    bodyConsts: body.consts.length + bodyConsts.length,
  };
  return unpack(bind(whileP, [...cond.consts, ...condConsts, ...body.consts, ...bodyConsts, ...init], params), typesOf(init));
}

export const whileP: Primitive<WhileParams> = definePrimitive<WhileParams>("while", {
  abstract: (_, p) => packedType(carryTypesOf(p)),
  impl: (inputs, p) => {
    const [condConsts, bodyConsts, init] = groups(
      inputs.map((x) => x.detach()),
      p,
    );
    let carry = init;
    let trips = 0;
    while (readScalar("whileLoop", run(p.cond, [...condConsts, ...carry])[0]) !== 0) {
      carry = run(p.body, [...bodyConsts, ...carry]);
      trips++;
    }
    p.trips = trips;
    return pack(carry, packDType(carryTypesOf(p)), inputs[0]?.device ?? host);
  },
  jvp: ({ inputs, tangents, params: p }) => {
    const dtype = packDType(carryTypesOf(p));
    if (!isFloat(dtype)) return null;
    const device = inputs[0].device;
    const [condConsts, bodyConsts, init] = groups(inputs, p);
    const dx = groups(
      inputs.map((x, k) => (isFloat(x.dtype) ? (tangents[k] ?? zerosLike(x)) : null)),
      p,
    ).map((g) => g.filter((t): t is Tensor => t !== null));
    const [dbody, dinit] = [dx[1], dx[2]];
    const cond = close((...l) => run(p.cond, l.slice(0, condConsts.length + init.length)), [...typesOf(condConsts), ...carryTypesOf(p), ...typesOf(dinit)], device);
    const body = close(
      (...l) => {
        const nb = bodyConsts.length;
        const { outputs, tangents: dc } = pushforward(
          p.body,
          [...l.slice(0, nb), ...l.slice(nb + dbody.length, nb + dbody.length + init.length)],
          [...l.slice(nb, nb + dbody.length), ...l.slice(nb + dbody.length + init.length)],
        );
        return [...outputs, ...dc];
      },
      [...typesOf(bodyConsts), ...typesOf(dbody), ...carryTypesOf(p), ...typesOf(dinit)],
      device,
    );
    const out = whileOf(cond, condConsts, body, [...bodyConsts, ...dbody], [...init, ...dinit]);
    let k = init.length;
    return pack(
      carryTypesOf(p).map((t, i) => (isFloat(t.dtype) ? out[k++] : zerosLike(out[i]))),
      dtype,
      device,
    );
  },
  vjp: ({ inputs, cotangent, params: p }) => {
    const [condConsts, bodyConsts, init] = groups(inputs, p);
    const g = unpack(cotangent, carryTypesOf(p));
    const grads = p.trips === undefined ? countedDown(p, condConsts, bodyConsts, init, g) : asScan(p, p.trips, bodyConsts, init, g);
    let k = 0;
    return inputs.map((x, i) => (i >= p.condConsts && isFloat(x.dtype) ? grads[k++] : null));
  },
});

/** The cotangents of the body's float constants and the float init: a scan of the body, n steps. */
function asScan(p: WhileParams, n: number, bodyConsts: readonly Tensor[], init: readonly Tensor[], g: readonly Tensor[]): (Tensor | null)[] {
  const params: ScanParams = { body: p.body, length: n, reverse: false, consts: p.bodyConsts, carry: init.length };
  const inputs = [...bodyConsts, ...init];
  return scanVjp(inputs, pack(g, packDType(carryTypesOf(p)), inputs[0].device), params).filter((_, i) => isFloat(inputs[i].dtype));
}

/**
 * The same cotangents with the trip count unknown ahead: n from a counting loop, then a loop over
 * k = n … 1 that recomputes the carry before step k from init and pulls the cotangent back through it.
 */
function countedDown(p: WhileParams, condConsts: readonly Tensor[], bodyConsts: readonly Tensor[], init: readonly Tensor[], g: readonly Tensor[]): Tensor[] {
  const device = init[0]?.device ?? bodyConsts[0]?.device ?? host;
  const counter = { shape: [], dtype: "int32" } as const;
  const nb = bodyConsts.length;
  const one = constant(1, "int32", device);
  // n: the loop again, with a counter.
  const countCond = close((...l) => run(p.cond, l.slice(0, -1)), [...typesOf(condConsts), ...carryTypesOf(p), counter], device);
  const countBody = close((...l) => [...run(p.body, l.slice(0, -1)), add(l[l.length - 1], one)], [...typesOf(bodyConsts), ...carryTypesOf(p), counter], device);
  const n = whileOf(countCond, condConsts, countBody, bodyConsts, [...init, constant(0, "int32", device)])[init.length];
  // The carry before step k (k steps of the body from init).
  const stepsFrom = (consts: readonly Tensor[], start: readonly Tensor[], k: Tensor): Tensor[] => {
    const c = close((...l) => [lt(l[l.length - 1], l[0])], [counter, ...carryTypesOf(p), counter], device);
    const b = close((...l) => [...run(p.body, l.slice(0, -1)), add(l[l.length - 1], one)], [...typesOf(consts), ...carryTypesOf(p), counter], device);
    return whileOf(c, [k], b, consts, [...start, constant(0, "int32", device)]).slice(0, -1);
  };
  const fConsts = onlyFloat(bodyConsts);
  const gCarry = onlyFloat(g);
  const backCond = close((...l) => [gt(l[l.length - 1], constant(0, "int32", device))], [...typesOf(gCarry), ...typesOf(fConsts), counter], device);
  const backBody = close(
    (...l) => {
      const [consts, start] = [l.slice(0, nb), l.slice(nb, nb + init.length)];
      const rest = l.slice(nb + init.length);
      const [gc, acc, k] = [rest.slice(0, gCarry.length), rest.slice(gCarry.length, gCarry.length + fConsts.length), rest[rest.length - 1]];
      const before = sub(k, one);
      const carry = stepsFrom(consts, start, before);
      const grads = pullback(p.body, [...consts, ...carry], gc);
      return [...grads.slice(fConsts.length), ...acc.map((a, i) => add(a, grads[i])), before];
    },
    [...typesOf(bodyConsts), ...carryTypesOf(p), ...typesOf(gCarry), ...typesOf(fConsts), counter],
    device,
  );
  // The backward loop's predicate sees only its carry; the body also takes the constants and init.
  const out = whileOf(backCond, [], backBody, [...bodyConsts, ...init], [...gCarry, ...fConsts.map(zerosLike), n]);
  return [...out.slice(gCarry.length, gCarry.length + fConsts.length), ...out.slice(0, gCarry.length)];
}

/**
 * Runs `carry = body(carry)` while `condFn(carry)` (a scalar bool tensor) holds, and returns the
 * last carry (a tree of tensors, keeping its shapes and dtypes).
 */
export function whileLoop<C>(condFn: (carry: C) => Tensor, body: (carry: C) => C, init: C): C {
  const op = "whileLoop";
  const c = expectFunction(op, "condFn", condFn) as (carry: unknown) => unknown;
  const b = expectFunction(op, "body", body) as (carry: unknown) => unknown;
  const tree = flatten(op, init);
  if (tree.leaves.length === 0) throw invalidArgument(op, `init must hold at least one tensor, got ${describe(init)}`, { argument: "init" });
  const device = tree.leaves[0].device;
  const types = typesOf(tree.leaves);
  const cond = close(
    (...l) => {
      const pred = c(tree.rebuild(l));
      if (!(pred instanceof Tensor)) throw invalidArgument(op, `condFn must return a scalar bool tensor, got ${describe(pred)}`, { returned: describe(pred) });
      if (pred.rank !== 0) throw new AdError("ShapeMismatch", `condFn must return a scalar bool tensor, got shape ${formatShape(pred.shape)}`, { op, shapes: [[...pred.shape]] });
      if (pred.dtype !== "bool") throw new AdError("DTypeMismatch", `condFn must return a scalar bool tensor, got ${pred.dtype}`, { op, dtypes: [pred.dtype] });
      return [pred];
    },
    types,
    device,
  );
  const step = close((...l) => flatten(op, b(tree.rebuild(l))).leaves, types, device);
  expectSameTypes(op, "the carry body returns", types, step.program.outputs);
  return tree.rebuild(whileOf(cond, [], step, [], tree.leaves)) as C;
}

/**
 * Runs `carry = body(i, carry)` for i = lower … upper − 1 (i a scalar int32 tensor) and returns the
 * last carry. Number bounds make a scan of fixed length; tensor bounds (scalar int32) a while loop.
 */
export function forLoop<C>(lower: number | Tensor, upper: number | Tensor, body: (i: Tensor, carry: C) => C, init: C): C {
  const op = "forLoop";
  const b = expectFunction(op, "body", body) as (i: Tensor, carry: unknown) => unknown;
  const device = flatten(op, init).leaves[0]?.device ?? host;
  if (typeof lower === "number" && typeof upper === "number") {
    const lo = int32Bound(op, "lower", lower);
    const n = Math.max(0, int32Bound(op, "upper", upper) - lo);
    const start = constant(lower, "int32", device);
    return scan((s: { i: Tensor; c: unknown }) => [{ i: add(s.i, 1), c: b(s.i, s.c) }, null] as const, { i: start, c: init as unknown }, undefined, { length: n })[0].c as C;
  }
  const [lo, hi] = [bound(op, "lower", lower, device), bound(op, "upper", upper, device)];
  return whileLoop(
    (s: { i: Tensor; c: unknown }) => lt(s.i, hi),
    (s) => ({ i: add(s.i, 1), c: b(s.i, s.c) }),
    { i: lo, c: init as unknown },
  ).c as C;
}

/**
 * A number bound: an int32, as i is. Past that range i would wrap, silently (a junk upper bound of
 * 2³¹ or 2³² − 1 also ran for hours instead of failing).
 */
const int32Bound = (op: string, name: string, v: number): number => expectInteger(op, name, v, -(2 ** 31), 2 ** 31 - 1);

function bound(op: string, name: string, v: unknown, device: typeof host): Tensor {
  if (typeof v === "number") return constant(int32Bound(op, name, v), "int32", device);
  if (!(v instanceof Tensor) || v.rank !== 0 || v.dtype !== "int32")
    throw invalidArgument(op, `${name} must be an integer or a scalar int32 tensor, got ${describe(v)}`, { argument: name, got: describe(v) });
  return v;
}

/**
 * vmap: every example's carry steps together while any example's predicate holds; an example whose
 * predicate fails keeps its carry (a masked step), so each ends after its own number of steps.
 */
registerBatchRule<WhileParams>("while", ({ inputs, batched, size, params: p }) => {
  const device = inputs[0].device;
  const [condConsts, bodyConsts, init] = groups(inputs, p);
  const [condFlags, bodyFlags] = groups(batched, p);
  const carry = init.map((x, i) => (batched[p.condConsts + p.bodyConsts + i] ? x : expand(reshape(x, [1, ...x.shape]), [size, ...x.shape])));
  const carryTypes = typesOf(carry);
  const every = carry.map(() => true);
  const nc = condConsts.length;
  const active = (cc: readonly Tensor[], c: readonly Tensor[]) => onBatch(p.cond, [...condFlags, ...every], size)(...cc, ...c)[0];
  const cond = close((...l) => [any(active(l.slice(0, nc), l.slice(nc)))], [...typesOf(condConsts), ...carryTypes], device);
  const body = close(
    (...l) => {
      const c = l.slice(nc + bodyConsts.length);
      const on = active(l.slice(0, nc), c);
      const next = onBatch(p.body, [...bodyFlags, ...every], size)(...l.slice(nc, nc + bodyConsts.length), ...c);
      return next.map((y, i) => where(maskFor(on, y.rank), y, c[i]));
    },
    [...typesOf(condConsts), ...typesOf(bodyConsts), ...carryTypes],
    device,
  );
  return packBatched(whileOf(cond, condConsts, body, [...condConsts, ...bodyConsts], carry), packDType(carryTypesOf(p)), size);
});
