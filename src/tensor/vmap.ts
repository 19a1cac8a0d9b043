/**
 * `vmap(f, { inAxes, outAxes, axisSize })`: f written for one example, run on a batch at once. Each
 * batched input's batch axis is moved to the front and f sees one logical example (see
 * interpreters/batch.ts); each primitive f applies runs once on the whole batch by its batching rule.
 * It nests (vmap of vmap: one level each) and composes with grad, jvp and jit in both orders:
 * per-example gradients are `vmap(grad(loss), { inAxes: [null, 0, 0] })`.
 */
import { AdError, describe, expectFunction, expectInteger, expectOptions, invalidArgument } from "../errors.js";
import type { Device } from "../backends/device.js";
import { flatten } from "./autograd/pytree.js";
import { allocate } from "./dtype.js";
import { BatchLevel, runWithBatchLevel } from "./interpreters/batch.js";
import { batchRuleFor } from "./interpreters/batchRules.js";
import type { AbstractValue } from "./primitive.js";
import { expand } from "./primitives/reduce.js";
import { permute, reshape } from "./primitives/shape.js";
import { contiguousStrides } from "./shape.js";
import { Tensor } from "./tensor.js";

/** A batch axis for a whole argument (or output): an axis index, or null for "not batched". */
export type Axis = number | null;

export interface VmapOptions {
  /** The batch axis of each argument: one for all, or one per argument (null: passed to every example as is). Default 0. */
  readonly inAxes?: Axis | readonly Axis[];
  /** Where the batch axis goes in each output: one for all, or one per element of an array output (null: the output must not depend on the batch). Default 0. */
  readonly outAxes?: Axis | readonly Axis[];
  /** The batch size, needed only when no argument is batched. */
  readonly axisSize?: number;
}

/** A tensor type with its static shape forgotten (vmap changes shapes); one level, so recursive trees stay as they are. */
type Widened<T> = T extends Tensor ? Tensor : T;
type WidenedAll<T extends readonly unknown[]> = { [K in keyof T]: Widened<T[K]> };

const op = "vmap";

export function vmap<F extends (...args: never[]) => unknown>(f: F, options?: VmapOptions): (...args: WidenedAll<Parameters<F>>) => Widened<ReturnType<F>> {
  const fn = expectFunction(op, "f", f) as (...args: unknown[]) => unknown;
  const o = expectOptions<VmapOptions>(op, options, ["inAxes", "outAxes", "axisSize"]);
  const inAxes = axesOption("inAxes", o.inAxes);
  const outAxes = axesOption("outAxes", o.outAxes);
  const axisSize = o.axisSize === undefined ? undefined : expectInteger(op, "axisSize", o.axisSize, 0);
  return ((...args: unknown[]) => {
    const ins = perPosition("inAxes", inAxes, args.length, "arguments");
    const batched = args.map((a, i) => batchedLeaves(a, i, ins[i]));
    const size = batchSize(batched, axisSize);
    const level = new BatchLevel(size, batchRuleFor, blank);
    const result = runWithBatchLevel(level, () => {
      const logical = batched.map((b, i) => (b === null ? args[i] : b.rebuild(b.leaves.map(({ x, axis }) => level.logical(moveAxis(x, axis, 0))))));
      return fn(...logical);
    });
    if (Array.isArray(outAxes)) {
      if (!Array.isArray(result) || result.length !== outAxes.length) {
        throw invalidArgument(op, `outAxes has ${outAxes.length} entries, so f must return an array of ${outAxes.length}; it returned ${describe(result)}`, {
          argument: "outAxes",
          returned: describe(result),
        });
      }
      return result.map((r: unknown, i: number) => batchedOutput(level, r, outAxes[i] as Axis, `output ${i}`));
    }
    return batchedOutput(level, result, outAxes as Axis, "the output");
  }) as never;
}

/** An `inAxes`/`outAxes` option: one axis (default 0) or a list of them, each an integer or null. */
function axesOption(name: string, value: unknown): Axis | readonly Axis[] {
  if (value === undefined) return 0;
  const check = (a: unknown, where: string): Axis => {
    if (a === null || (typeof a === "number" && Number.isInteger(a))) return a;
    throw invalidArgument(op, `${where} must be an integer axis or null, got ${describe(a)}`, { argument: name, got: describe(a) });
  };
  return Array.isArray(value) ? value.map((a: unknown, i) => check(a, `${name}[${i}]`)) : check(value, name);
}

function perPosition(name: string, axes: Axis | readonly Axis[], count: number, what: string): readonly Axis[] {
  if (!Array.isArray(axes)) return new Array<Axis>(count).fill(axes as Axis);
  if (axes.length !== count) throw invalidArgument(op, `${name} has ${axes.length} entries for ${count} ${what}`, { argument: name, entries: axes.length, count });
  return axes;
}

interface Batched {
  readonly leaves: readonly { readonly x: Tensor; readonly axis: number }[];
  readonly rebuild: (leaves: readonly Tensor[]) => unknown;
}

/** An argument's tensors with their batch axis (normalised), or null for an unbatched argument. */
function batchedLeaves(arg: unknown, i: number, axis: Axis): Batched | null {
  if (axis === null) return null;
  const { leaves, rebuild } = flatten(op, arg);
  if (leaves.length === 0) throw invalidArgument(op, `argument ${i} has no tensor to batch along axis ${axis}; give it inAxes null`, { argument: i, got: describe(arg) });
  return {
    leaves: leaves.map((x) => {
      if (axis < -x.rank || axis >= x.rank) {
        throw invalidArgument(op, `inAxes ${axis} is out of range for argument ${i} of shape [${x.shape.join(", ")}]`, { argument: i, axis, shape: [...x.shape] });
      }
      return { x, axis: axis < 0 ? axis + x.rank : axis };
    }),
    rebuild,
  };
}

/** The one batch size of every batched tensor (and axisSize, if given). */
function batchSize(batched: readonly (Batched | null)[], axisSize: number | undefined): number {
  const sizes: { argument: number; size: number }[] = [];
  batched.forEach((b, i) => b?.leaves.forEach(({ x, axis }) => sizes.push({ argument: i, size: x.shape[axis] })));
  const size = axisSize ?? sizes[0]?.size;
  if (size === undefined) throw invalidArgument(op, "no argument is batched (every inAxes is null); give axisSize", { argument: "axisSize" });
  const odd = sizes.find((s) => s.size !== size);
  if (odd !== undefined) {
    throw new AdError("ShapeMismatch", `argument ${odd.argument} has batch size ${odd.size} where ${axisSize === undefined ? "an earlier one has" : "axisSize is"} ${size}`, {
      op,
      argument: odd.argument,
      sizes: sizes.map((s) => s.size),
    });
  }
  return size;
}

/** One output tree with the batch axis of each tensor at `axis` (an unbatched tensor broadcast along it). */
function batchedOutput(level: BatchLevel, tree: unknown, axis: Axis, what: string): unknown {
  const { leaves, rebuild } = flatten(op, tree);
  return rebuild(
    leaves.map((t) => {
      const physical = level.physicalOf(t);
      if (axis === null) {
        if (physical !== undefined) throw invalidArgument(op, `${what} depends on the batch, so its outAxes cannot be null`, { argument: "outAxes", shape: [...physical.shape] });
        return t;
      }
      const p = physical ?? expand(reshape(t, [1, ...t.shape]), [level.size, ...t.shape]);
      if (axis < -p.rank || axis >= p.rank) {
        throw invalidArgument(op, `outAxes ${axis} is out of range for ${what} of shape [${p.shape.join(", ")}]`, { argument: "outAxes", axis, shape: [...p.shape] });
      }
      return moveAxis(p, 0, axis < 0 ? axis + p.rank : axis);
    }),
  );
}

/** x with axis `from` moved to `to` (the others in order); x itself when they are equal. */
function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const order = x.shape.map((_, i) => i).filter((i) => i !== from);
  order.splice(to, 0, from);
  return permute(x, order);
}

/** A logical value: the example's shape and dtype, no storage. */
function blank(type: AbstractValue, device: Device): Tensor {
  return new Tensor(allocate(type.dtype, 0), type.dtype, [...type.shape], contiguousStrides(type.shape), 0, device);
}
