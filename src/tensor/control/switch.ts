/**
 * `switchCase(index, branches, ...operands)` and `cond(pred, trueFn, falseFn, ...operands)`: run one
 * of several functions, chosen by a scalar tensor, on the same operands (JAX's `lax.switch` and
 * `lax.cond`). One primitive whose parameters are the branches' programs, so a trace records the
 * choice rather than one branch; eagerly only the chosen branch runs. An index outside the branches
 * is clamped to the first or last (as JAX does).
 *
 * Rules, each a switch over derived branches (so they nest): forward mode switches between the
 * branches' pushforwards; reverse mode between their pullbacks, each giving zeros for the other
 * branches' constants.
 */
import { AdError, describe, expectFunction, expectLength, invalidArgument } from "../../errors.js";
import { flatten } from "../autograd/pytree.js";
import { isFloat } from "../dtype.js";
import type { Program } from "../ir.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { cast } from "../primitives/cast.js";
import { eq, le } from "../primitives/compare.js";
import { where } from "../primitives/select.js";
import { registerBatchRule } from "../interpreters/batch.js";
import { maskFor, onBatch, packBatched } from "./batched.js";
import { zerosLike } from "../primitives/lift.js";
import { formatShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { close, readScalar, expectSameTypes, pack, packDType, packedType, pullback, pushforward, run, unpack, type Closed, onlyFloat, typesOf } from "./closed.js";

export interface SwitchParams {
  /** The function the user called, for errors. */
  readonly op: "cond" | "switchCase";
  /** Branch i's program: inputs [its constants, operands]; every branch has the same output types. */
  readonly branches: readonly Program[];
  /** How many constants each branch takes (they follow the index, branch by branch). */
  readonly consts: readonly number[];
}

/** What every branch returns: branch 0's outputs' types. */
const outTypesOf = (p: SwitchParams): AbstractValue[] => typesOf(p.branches[0].outputs);

/** The index, each branch's constants, and the operands. */
function groups<T>(inputs: readonly T[], p: SwitchParams): { index: T; consts: T[][]; operands: T[] } {
  let at = 1;
  const consts = p.consts.map((n) => inputs.slice(at, (at += n)));
  return { index: inputs[0], consts, operands: inputs.slice(at) };
}

/** Binds the switch of derived branches (each closed over its own constants) and unpacks its outputs. */
function switchOf(
  op: SwitchParams["op"],
  index: Tensor,
  derived: readonly Closed[],
  consts: readonly (readonly Tensor[])[],
  operands: readonly Tensor[],
  outTypes: readonly AbstractValue[],
): Tensor[] {
  const params: SwitchParams = { op, branches: derived.map((d) => d.program), consts: derived.map((d, i) => d.consts.length + consts[i].length) };
  return unpack(bind(switchP, [index, ...derived.flatMap((d, i) => [...d.consts, ...consts[i]]), ...operands], params), outTypes);
}

export const switchP: Primitive<SwitchParams> = definePrimitive<SwitchParams>("switch", {
  abstract: (_, p) => packedType(outTypesOf(p)),
  impl: (inputs, p) => {
    const { index, consts, operands } = groups(
      inputs.map((x) => x.detach()),
      p,
    );
    const i = Math.min(Math.max(readScalar(p.op, index), 0), p.branches.length - 1);
    return pack(run(p.branches[i], [...consts[i], ...operands]), packDType(outTypesOf(p)), inputs[0].device);
  },
  jvp: ({ inputs, tangents, params: p }) => {
    const dtype = packDType(outTypesOf(p));
    if (!isFloat(dtype)) return null;
    const device = inputs[0].device;
    const { index, consts, operands } = groups(inputs, p);
    const dx = groups(
      inputs.map((x, k) => (isFloat(x.dtype) ? (tangents[k] ?? zerosLike(x)) : null)),
      p,
    );
    const dconsts = dx.consts.map((c) => c.filter((t): t is Tensor => t !== null));
    const doperands = dx.operands.filter((t): t is Tensor => t !== null);
    const derived = p.branches.map((branch, b) =>
      close(
        (...l) => {
          let at = 0;
          const take = (n: number) => l.slice(at, (at += n));
          const [c, dc, o, d] = [take(consts[b].length), take(dconsts[b].length), take(operands.length), take(doperands.length)];
          const { outputs, tangents: dy } = pushforward(branch, [...c, ...o], [...dc, ...d]);
          return [...outputs, ...dy];
        },
        [...typesOf(consts[b]), ...typesOf(dconsts[b]), ...typesOf(operands), ...typesOf(doperands)],
        device,
      ),
    );
    const out = switchOf(
      p.op,
      index,
      derived,
      consts.map((c, b) => [...c, ...dconsts[b]]),
      [...operands, ...doperands],
      [...outTypesOf(p), ...onlyFloat(outTypesOf(p))],
    );
    let k = outTypesOf(p).length;
    return pack(
      outTypesOf(p).map((t, i) => (isFloat(t.dtype) ? out[k++] : zerosLike(out[i]))),
      dtype,
      device,
    );
  },
  vjp: ({ inputs, cotangent, params: p }) => {
    const device = inputs[0].device;
    const { index, consts, operands } = groups(inputs, p);
    const g = onlyFloat(unpack(cotangent, outTypesOf(p)));
    const fconsts = consts.map(onlyFloat);
    const fops = onlyFloat(operands);
    const derived = p.branches.map((branch, b) =>
      close(
        (...l) => {
          const c = l.slice(0, consts[b].length);
          const o = l.slice(consts[b].length, consts[b].length + operands.length);
          const grads = pullback(branch, [...c, ...o], l.slice(consts[b].length + operands.length));
          const mine = grads.slice(0, fconsts[b].length);
          // Every branch gives cotangents for every branch's constants: zeros for the others'.
          return [...fconsts.flatMap((fc, k) => (k === b ? mine : fc.map(zerosLike))), ...grads.slice(fconsts[b].length)];
        },
        [...typesOf(consts[b]), ...typesOf(operands), ...typesOf(g)],
        device,
      ),
    );
    const out = switchOf(
      p.op,
      index,
      derived,
      consts,
      [...operands, ...g],
      [...fconsts.flat(), ...fops].map((t) => ({ shape: [...t.shape], dtype: t.dtype })),
    );
    let k = 0;
    return inputs.map((x, i) => (i > 0 && isFloat(x.dtype) ? out[k++] : null));
  },
});

/**
 * Runs `branches[index]` on the operands (trees of tensors) and returns its result; every branch
 * must return the same structure of shapes and dtypes. `index` is a scalar int32 tensor (or a
 * number, which simply calls that branch).
 */
export function switchCase<R>(index: Tensor | number, branches: readonly ((...operands: never[]) => R)[], ...operands: unknown[]): R {
  const op = "switchCase";
  // The length and each branch are read once, into a plain array: a Proxy may claim any length (a
  // Symbol, say) or answer each read of an element differently.
  const n = Array.isArray(branches) ? expectLength(op, "branches", branches) : 0;
  if (n === 0) throw invalidArgument(op, `branches must be a non-empty array of functions, got ${describe(branches)}`, { argument: "branches" });
  // Every index, holes included: a sparse array's hole is not a function.
  const fns = Array.from({ length: n }, (_, i) => expectFunction(op, `branches[${i}]`, branches[i]) as (...xs: unknown[]) => unknown);
  if (typeof index === "number") {
    if (!Number.isInteger(index)) throw invalidArgument(op, `index must be an integer, got ${index}`, { argument: "index", got: index });
    return fns[Math.min(Math.max(index, 0), n - 1)](...operands) as R;
  }
  expectScalar(op, "index", index, "int32");
  return choose(op, index, fns, operands) as R;
}

/** Runs `trueFn(...operands)` where `pred` (a scalar bool tensor, or a boolean) holds, else `falseFn(...operands)`. */
export function cond<R>(pred: Tensor | boolean, trueFn: (...operands: never[]) => R, falseFn: (...operands: never[]) => R, ...operands: unknown[]): R {
  const op = "cond";
  expectFunction(op, "trueFn", trueFn);
  expectFunction(op, "falseFn", falseFn);
  if (typeof pred === "boolean") return ((pred ? trueFn : falseFn) as (...xs: unknown[]) => R)(...operands);
  expectScalar(op, "pred", pred, "bool");
  return choose(op, cast(pred, "int32"), [falseFn, trueFn] as ((...xs: unknown[]) => unknown)[], operands, ["falseFn", "trueFn"]) as R;
}

function expectScalar(op: string, name: string, t: unknown, dtype: "bool" | "int32"): void {
  if (!(t instanceof Tensor)) throw invalidArgument(op, `${name} must be a scalar ${dtype} tensor, got ${describe(t)}`, { argument: name, got: describe(t) });
  if (t.rank !== 0) throw new AdError("ShapeMismatch", `${name} must be a scalar ${dtype} tensor, got shape ${formatShape(t.shape)}`, { op, shapes: [[...t.shape]] });
  if (t.dtype !== dtype) throw new AdError("DTypeMismatch", `${name} must be a scalar ${dtype} tensor, got ${t.dtype}`, { op, dtypes: [t.dtype] });
}

function choose(
  op: SwitchParams["op"],
  index: Tensor,
  branches: readonly ((...xs: unknown[]) => unknown)[],
  operands: readonly unknown[],
  names = branches.map((_, i) => `branch ${i}`),
): unknown {
  const tree = flatten(op, operands);
  const device = tree.leaves[0]?.device ?? index.device;
  const types = typesOf(tree.leaves);
  let rebuild: ((leaves: readonly Tensor[]) => unknown) | undefined;
  const closed = branches.map((branch, i) =>
    close(
      (...l) => {
        const out = flatten(op, branch(...(tree.rebuild(l) as unknown[])));
        if (i === 0) rebuild = out.rebuild;
        return out.leaves;
      },
      types,
      device,
    ),
  );
  const outTypes = typesOf(closed[0].program.outputs);
  closed.forEach((c, i) => expectSameTypes(op, `${names[i]}'s result (against ${names[0]}'s)`, outTypes, c.program.outputs));
  const out = switchOf(
    op,
    index,
    closed,
    closed.map(() => []),
    tree.leaves,
    outTypes,
  );
  return (rebuild as (leaves: readonly Tensor[]) => unknown)(out);
}

/**
 * vmap: an unbatched index keeps one switch, over the branches run on the batch; a batched index
 * runs every branch on the whole batch and selects each example's result (an index past the ends
 * selects the first or last branch, as the clamp does).
 */
registerBatchRule<SwitchParams>("switch", ({ inputs, batched, size, params: p }) => {
  const { index, consts, operands } = groups(inputs, p);
  const flags = groups(batched, p);
  const onAll = (i: number) => onBatch(p.branches[i], [...flags.consts[i], ...flags.operands], size);
  const dtype = packDType(outTypesOf(p));
  if (!flags.index) {
    const physical = outTypesOf(p).map((t) => ({ shape: [size, ...t.shape], dtype: t.dtype }));
    const derived = p.branches.map((_, i) => close((...l) => onAll(i)(...l), [...typesOf(consts[i]), ...typesOf(operands)], index.device));
    return packBatched(switchOf(p.op, index, derived, consts, operands, physical), dtype, size);
  }
  const last = p.branches.length - 1;
  let out = onAll(last)(...consts[last], ...operands);
  for (let i = last - 1; i >= 0; i--) {
    const mask = i === 0 ? le(index, 0) : eq(index, i);
    out = onAll(i)(...consts[i], ...operands).map((y, k) => where(maskFor(mask, y.rank), y, out[k]));
  }
  return packBatched(out, dtype, size);
});
