/**
 * `scan(f, init, xs, { length, reverse })`: a loop with a carry, `f(carry, x) → [carry, y]` over the
 * leading axis of xs, giving the last carry and the ys stacked (JAX's `lax.scan`). One primitive
 * whose parameter is f's program, so it appears once in a trace, however long the loop.
 *
 * Rules, written as scans of traced programs (so they nest to any order):
 *   forward mode: the scan of f's pushforward, the tangents carried beside the primals;
 *   reverse mode: a first scan stores the carry before each step; a second scan in the other
 *   direction pulls each step's cotangent back through f at that carry (recomputing f's
 *   intermediates there), carrying the carry's cotangent and summing the constants'.
 */
import { describe, expectBooleanOption, expectFunction, expectInteger, expectOptions, invalidArgument, AdError } from "../../errors.js";
import { host, type Device } from "../../backends/device.js";
import { flatten } from "../autograd/pytree.js";
import { zeros } from "../creation.js";
import { isFloat } from "../dtype.js";
import type { Program } from "../ir.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { add } from "../primitives/arithmetic.js";
import { concat, stack } from "../primitives/join.js";
import { zerosLike } from "../primitives/lift.js";
import { permute, reshape, slice } from "../primitives/shape.js";
import { expand } from "../primitives/reduce.js";
import { registerBatchRule } from "../interpreters/batch.js";
import { onBatch, packBatched } from "./batched.js";
import type { Tensor } from "../tensor.js";
import { close, expectSameTypes, floatIndices, pack, packDType, packedType, pullback, pushforward, run, unpack, onlyFloat, typesOf } from "./closed.js";

export interface ScanParams {
  /** f as a program: inputs [consts, carry, x], outputs [carry, y]. */
  readonly body: Program;
  readonly length: number;
  readonly reverse: boolean;
  /** How many leading inputs are constants, and how many carry tensors follow (the rest are xs). */
  readonly consts: number;
  readonly carry: number;
}

/** The carry's types (the body's carry inputs) and one step's y types (its outputs after the carry). */
export const carryTypesOf = (p: ScanParams): AbstractValue[] => typesOf(p.body.inputs.slice(p.consts, p.consts + p.carry));
const yTypesOf = (p: ScanParams): AbstractValue[] => typesOf(p.body.outputs.slice(p.carry));

export interface ScanOptions {
  /** The number of steps: required without xs, and equal to xs's leading axis with them. */
  readonly length?: number;
  /** Run from the last x to the first (ys still line up with xs). Default false. */
  readonly reverse?: boolean;
  /**
   * Store fewer carries for reverse mode: the steps run in segments of about √length (a scan of
   * scans), and the backward pass stores one carry per segment, recomputing a segment's own carries
   * when it gets there: memory O(√length) carries instead of O(length), for about one more forward
   * pass. Default false.
   */
  readonly checkpoint?: boolean;
}

/** The types of what a scan gives: the carry, then each y stacked. */
export const scanOutputTypes = (p: ScanParams): AbstractValue[] => [...carryTypesOf(p), ...yTypesOf(p).map((t) => ({ shape: [p.length, ...t.shape], dtype: t.dtype }))];

const groups = <T>(xs: readonly T[], p: ScanParams): [T[], T[], T[]] => [xs.slice(0, p.consts), xs.slice(p.consts, p.consts + p.carry), xs.slice(p.consts + p.carry)];

const stepTypes = (xs: readonly AbstractValue[]): AbstractValue[] => xs.map((x) => ({ shape: x.shape.slice(1), dtype: x.dtype }));

export const scanP: Primitive<ScanParams> = definePrimitive<ScanParams>("scan", {
  abstract: (_, p) => packedType(scanOutputTypes(p)),
  impl: (inputs, p) => {
    const [consts, init, xs] = groups(
      inputs.map((x) => x.detach()),
      p,
    );
    let carry = init;
    const ys: Tensor[][] = yTypesOf(p).map(() => []);
    for (let s = 0; s < p.length; s++) {
      const t = p.reverse ? p.length - 1 - s : s;
      const outs = run(p.body, [...consts, ...carry, ...xs.map((x) => slice(x, [t]))]);
      carry = outs.slice(0, p.carry);
      outs.slice(p.carry).forEach((y, i) => (ys[i][t] = y));
    }
    const device = inputs[0]?.device ?? host;
    const stacked = yTypesOf(p).map((t, i) => (p.length === 0 ? zeros([0, ...t.shape], { dtype: t.dtype, device }) : stack(ys[i], 0)));
    return pack([...carry, ...stacked], packDType(scanOutputTypes(p)), device);
  },
  jvp: ({ inputs, tangents, params: p }) => {
    const outTypes = scanOutputTypes(p);
    const dtype = packDType(outTypes);
    if (!isFloat(dtype)) return null;
    const device = inputs[0].device;
    // One tangent per float input (zeros where none is given), grouped beside its primals.
    const dx = floatIndices(inputs).map((k) => tangents[k] ?? zerosLike(inputs[k]));
    const [consts, carry, xs] = groups(inputs, p);
    const counts = [consts, carry, xs].map((g) => onlyFloat(g).length);
    const [dconsts, dcarry, dxs] = [dx.slice(0, counts[0]), dx.slice(counts[0], counts[0] + counts[1]), dx.slice(counts[0] + counts[1])];
    const xTypes = stepTypes(xs);
    const stepped = close(
      (...l) => {
        let at = 0;
        const take = (n: number) => l.slice(at, (at += n));
        const [c, dc, cr, dcr, x, dxx] = [take(consts.length), take(counts[0]), take(carry.length), take(counts[1]), take(xs.length), take(counts[2])];
        const { outputs, tangents: dy } = pushforward(p.body, [...c, ...cr, ...x], [...dc, ...dcr, ...dxx]);
        return [...outputs.slice(0, p.carry), ...dy.slice(0, counts[1]), ...outputs.slice(p.carry), ...dy.slice(counts[1])];
      },
      [...typesOf(consts), ...typesOf(dconsts), ...carryTypesOf(p), ...onlyFloat(carryTypesOf(p)), ...xTypes, ...onlyFloat(xTypes)],
      device,
    );
    const params: ScanParams = {
      ...p,
      body: stepped.program,
      consts: stepped.consts.length + consts.length + dconsts.length,
      carry: p.carry + counts[1],
    };
    const out = unpack(bind(scanP, [...stepped.consts, ...consts, ...dconsts, ...carry, ...dcarry, ...xs, ...dxs], params), scanOutputTypes(params));
    const dCarry = spread(carryTypesOf(p), out.slice(p.carry, params.carry), out.slice(0, p.carry));
    const dYs = spread(yTypesOf(p), out.slice(params.carry + yTypesOf(p).length), out.slice(params.carry, params.carry + yTypesOf(p).length));
    return pack([...dCarry, ...dYs], dtype, device);
  },
  vjp: ({ inputs, cotangent, params }) => scanVjp(inputs, cotangent, params),
});

/** Reverse mode of a scan: one cotangent per input (null for the non-float ones). */
export function scanVjp(inputs: readonly Tensor[], cotangent: Tensor, p: ScanParams): (Tensor | null)[] {
  const device = inputs[0].device;
  const [consts, , xs] = groups(inputs, p);
  const xTypes = stepTypes(xs);
  // 1. The carry before each step, stacked.
  const carries = close(
    (...l) => [...run(p.body, l).slice(0, p.carry), ...l.slice(consts.length, consts.length + p.carry)],
    [...typesOf(consts), ...carryTypesOf(p), ...xTypes],
    device,
  );
  const stored: ScanParams = { ...p, body: carries.program, consts: carries.consts.length + consts.length };
  const cs = unpack(bind(scanP, [...carries.consts, ...inputs], stored), scanOutputTypes(stored)).slice(p.carry);
  // 2. The cotangents of the float carry and ys.
  const g = unpack(cotangent, scanOutputTypes(p));
  const gCarry = onlyFloat(g.slice(0, p.carry));
  const gYs = onlyFloat(g.slice(p.carry));
  const fConsts = onlyFloat(consts);
  const nf = [fConsts.length, gCarry.length, onlyFloat(xTypes).length];
  // 3. Backward: carry [ḡ of the carry, Σ ḡ of the consts], xs [stored carries, xs, ḡ of the ys], ys ḡ of the xs.
  const step = close(
    (...l) => {
      let at = 0;
      const take = (n: number) => l.slice(at, (at += n));
      const [c, gc, acc, cr, x, gy] = [take(consts.length), take(nf[1]), take(nf[0]), take(p.carry), take(xs.length), take(gYs.length)];
      const grads = pullback(p.body, [...c, ...cr, ...x], [...gc, ...gy]);
      return [...grads.slice(nf[0], nf[0] + nf[1]), ...acc.map((a, i) => add(a, grads[i])), ...grads.slice(nf[0] + nf[1])];
    },
    [...typesOf(consts), ...typesOf(gCarry), ...typesOf(fConsts), ...carryTypesOf(p), ...xTypes, ...stepTypes(gYs)],
    device,
  );
  const back: ScanParams = {
    body: step.program,
    length: p.length,
    reverse: !p.reverse,
    consts: step.consts.length + consts.length,
    carry: nf[1] + nf[0],
  };
  const out = unpack(bind(scanP, [...step.consts, ...consts, ...gCarry, ...fConsts.map(zerosLike), ...cs, ...xs, ...gYs], back), scanOutputTypes(back));
  const grads = [...out.slice(nf[1], nf[1] + nf[0]), ...out.slice(0, nf[1]), ...out.slice(nf[1] + nf[0])];
  let k = 0;
  return inputs.map((x) => (isFloat(x.dtype) ? grads[k++] : null));
}

/** One tangent per leaf of `types`: the float ones' from `floats` in order, zeros (like `like`) for the rest. */
function spread(types: readonly AbstractValue[], floats: readonly Tensor[], like: readonly Tensor[]): Tensor[] {
  let k = 0;
  return types.map((t, i) => (isFloat(t.dtype) ? floats[k++] : zerosLike(like[i])));
}

const op = "scan";

/**
 * Runs `f(carry, x) → [carry, y]` once per x along xs's leading axis (or `length` times with no xs)
 * and returns `[lastCarry, ys]`, the ys stacked along a new leading axis. carry, xs and y may be
 * trees of tensors; the carry must keep its shapes and dtypes.
 */
export function scan<C, Y = unknown>(f: (carry: C, x: never) => readonly [C, Y], init: C, xs?: unknown, options?: ScanOptions): [C, Y] {
  const fn = expectFunction(op, "f", f) as (carry: unknown, x: unknown) => unknown;
  const o = expectOptions<ScanOptions>(op, options, ["length", "reverse", "checkpoint"]);
  const reverse = expectBooleanOption(op, "reverse", o.reverse, false);
  const checkpoint = expectBooleanOption(op, "checkpoint", o.checkpoint, false);
  const carryTree = flatten(op, init);
  const xTree = flatten(op, xs);
  const length = scanLength(xTree.leaves, o.length === undefined ? undefined : expectInteger(op, "length", o.length, 0));
  const device = carryTree.leaves[0]?.device ?? xTree.leaves[0]?.device ?? host;
  const carryTypes = typesOf(carryTree.leaves);
  let yRebuild: (leaves: readonly Tensor[]) => unknown = () => undefined;
  const body = close(
    (...l) => {
      const out = fn(carryTree.rebuild(l.slice(0, carryTree.leaves.length)), xTree.rebuild(l.slice(carryTree.leaves.length)));
      if (!Array.isArray(out) || out.length !== 2) throw invalidArgument(op, `f must return [carry, y], got ${describe(out)}`, { returned: describe(out) });
      const c = flatten(op, out[0]).leaves;
      const y = flatten(op, out[1]);
      yRebuild = y.rebuild;
      return [...c, ...y.leaves];
    },
    [...carryTypes, ...stepTypes(xTree.leaves)],
    device,
  );
  const outputs = body.program.outputs;
  const carryOut = outputs.slice(0, carryTypes.length);
  expectSameTypes(op, "the carry f returns", carryTypes, carryOut.length === carryTypes.length ? carryOut : outputs);
  const params: ScanParams = {
    body: body.program,
    length,
    reverse,
    consts: body.consts.length,
    carry: carryTypes.length,
  };
  const out = checkpoint
    ? segmented(params, body.consts, carryTree.leaves, xTree.leaves, device)
    : unpack(bind(scanP, [...body.consts, ...carryTree.leaves, ...xTree.leaves], params), scanOutputTypes(params));
  return [carryTree.rebuild(out.slice(0, params.carry)) as C, yRebuild(out.slice(params.carry)) as Y];
}

/**
 * The scan of `params` as a scan of segments of k ≈ √length steps (each an inner scan), after a plain
 * scan of the length mod k steps that do not fill a segment (before them when running in reverse).
 * The outer scan's reverse mode stores one carry per segment; the inner one, a segment's carries
 * while that segment is pulled back.
 */
function segmented(params: ScanParams, consts: readonly Tensor[], init: readonly Tensor[], xs: readonly Tensor[], device: Device): Tensor[] {
  const n = params.length;
  const k = Math.max(1, Math.floor(Math.sqrt(n)));
  const m = Math.floor(n / k);
  const rem = n - m * k;
  const part = (x: Tensor, from: number, to: number) => slice(x, [[from, to], ...x.shape.slice(1).map(() => null)]);
  const plain = (carry: readonly Tensor[]): Tensor[] => {
    const p: ScanParams = { ...params, length: rem };
    return unpack(bind(scanP, [...consts, ...carry, ...xs.map((x) => part(x, 0, rem))], p), scanOutputTypes(p));
  };
  const inner: ScanParams = { ...params, length: k };
  const segTypes = xs.map((x) => ({ shape: [k, ...x.shape.slice(1)], dtype: x.dtype }));
  const outer = close((...l) => unpack(bind(scanP, l, inner), scanOutputTypes(inner)), [...typesOf(consts), ...carryTypesOf(params), ...segTypes], device);
  const segmentsOf: ScanParams = {
    ...params,
    body: outer.program,
    length: m,
    consts: outer.consts.length + consts.length,
  };
  const segments = (carry: readonly Tensor[]): Tensor[] => {
    const segs = xs.map((x) => reshape(part(x, rem, n), [m, k, ...x.shape.slice(1)]));
    const out = unpack(bind(scanP, [...outer.consts, ...consts, ...carry, ...segs], segmentsOf), scanOutputTypes(segmentsOf));
    return [...out.slice(0, params.carry), ...out.slice(params.carry).map((y) => reshape(y, [m * k, ...y.shape.slice(2)]))];
  };
  if (rem === 0) return segments(init);
  const first = params.reverse ? segments(init) : plain(init);
  const second = params.reverse ? plain(first.slice(0, params.carry)) : segments(first.slice(0, params.carry));
  const [head, tail] = params.reverse ? [second, first] : [first, second];
  return [...second.slice(0, params.carry), ...head.slice(params.carry).map((y, i) => concat([y, tail[params.carry + i]], 0))];
}

function scanLength(xs: readonly Tensor[], length: number | undefined): number {
  if (xs.length === 0) {
    if (length === undefined) throw invalidArgument(op, "with no xs, give the number of steps as { length }", { argument: "length" });
    return length;
  }
  const n = length ?? (xs[0].rank === 0 ? 0 : xs[0].shape[0]);
  xs.forEach((x, i) => {
    if (x.rank === 0 || x.shape[0] !== n) {
      throw new AdError("ShapeMismatch", `xs tensor ${i} has shape [${x.shape.join(", ")}]; every x needs a leading axis of ${n} (the scan's length)`, {
        op,
        index: i,
        shapes: xs.map((t) => [...t.shape]),
        length: n,
      });
    }
  });
  return n;
}

/**
 * vmap: one scan of the body run on the batch, the carry batched (an unbatched init broadcast) and
 * each batched x scanned along its time axis (moved in front of the batch, and back for the ys).
 */
registerBatchRule<ScanParams>("scan", ({ inputs, batched, size, params: p }) => {
  const device = inputs[0].device;
  const [consts, init, xs] = groups(inputs, p);
  const [constFlags, , xFlags] = groups(batched, p);
  const carry = init.map((x, i) => (batched[p.consts + i] ? x : expand(reshape(x, [1, ...x.shape]), [size, ...x.shape])));
  const timeFirst = xs.map((x, i) => (xFlags[i] ? permute(x, [1, 0, ...x.shape.slice(2).map((_, k) => k + 2)]) : x));
  const body = close(
    (...l) => onBatch(p.body, [...constFlags, ...carry.map(() => true), ...xFlags], size)(...l),
    [...typesOf(consts), ...typesOf(carry), ...stepTypes(timeFirst)],
    device,
  );
  const params: ScanParams = { ...p, body: body.program, consts: body.consts.length + consts.length };
  const out = unpack(bind(scanP, [...body.consts, ...consts, ...carry, ...timeFirst], params), scanOutputTypes(params));
  const ys = out.slice(p.carry).map((y) => permute(y, [1, 0, ...y.shape.slice(2).map((_, k) => k + 2)]));
  return packBatched([...out.slice(0, p.carry), ...ys], packDType(scanOutputTypes(p)), size);
});
