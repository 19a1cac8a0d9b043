/**
 * The batching interpreter (`vmap`): while a vmap level is active, a tensor the level knows is a
 * *logical* value — one example, with the per-example shape, abstract (no storage) — standing for a
 * *physical* tensor that holds the whole batch with the batch axis in front. `bind` hands a primitive
 * with a batched input to the level's rule for it, which applies primitives to the physical values
 * (with this level and the ones inside it set aside, so nested vmaps never confuse their batches), and
 * gets back the logical output. Record and jvp then see only logical values, so `grad` and `jvp`
 * inside vmap differentiate one example, and outside it they see the physical primitives. The rules
 * live in a table keyed by primitive name (batchRules.ts), handed in by `vmap` when it opens a level
 * with the maker of abstract tensors: this module sits below the primitives (`bind` calls in here),
 * so importing them would cycle.
 */
import { AdError } from "../../errors.js";
import { levelStack } from "./levels.js";
import { activeLevels } from "../autograd/forward.js";
import type { Device } from "../../backends/device.js";
import type { AbstractValue, Primitive } from "../primitive.js";
import { formatShape, sameShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { markAbstract } from "./abstract.js";

export interface BatchArgs<P> {
  /** Each input's physical value (batch axis first) where it is batched, else the input itself. */
  readonly inputs: readonly Tensor[];
  readonly batched: readonly boolean[];
  readonly params: P;
  /** The batch size. */
  readonly size: number;
  /** The logical (per-example) output's shape and dtype, from the primitive's abstract rule. */
  readonly type: AbstractValue;
  readonly primitive: Primitive<P>;
}

/** A batching rule: the physical output, [size, ...type.shape], computed with primitives. */
export type BatchRule<P> = (args: BatchArgs<P>) => Tensor;

/** One active `vmap`: its batch size and the physical value behind each of its logical tensors. */
export class BatchLevel {
  private readonly physical = new WeakMap<Tensor, Tensor>();
  /**
   * The jvp levels opened outside this vmap: they see the physical primitives the rules apply, so a
   * logical output needs no tangent of theirs (computing one would only repeat the work on the batch).
   */
  readonly outerJvpLevels = activeLevels().length;

  constructor(
    readonly size: number,
    readonly ruleFor: (name: string) => BatchRule<unknown>,
    /** A fresh abstract tensor (no storage) of this type on this device. */
    private readonly blank: (type: AbstractValue, device: Device) => Tensor,
  ) {}

  /** The logical tensor (one example) of a physical value with the batch axis first. */
  logical(physical: Tensor): Tensor {
    const t = this.blank({ shape: physical.shape.slice(1), dtype: physical.dtype }, physical.device);
    markAbstract(t, true);
    this.physical.set(t, physical);
    return t;
  }

  /** The physical value of a logical tensor of this level; undefined for any other tensor. */
  physicalOf(t: Tensor): Tensor | undefined {
    return this.physical.get(t);
  }
}

const batchLevels = levelStack<BatchLevel>();
const levels = batchLevels.levels;

export function activeBatchLevels(): readonly BatchLevel[] {
  return batchLevels.active();
}

export function runWithBatchLevel<R>(level: BatchLevel, fn: () => R): R {
  return batchLevels.runWith(level, fn);
}

const higherOrderRules = new Map<string, BatchRule<unknown>>();

/**
 * Registers the batching rule of a primitive defined above the registry (control flow, whose rules
 * vmap its sub-programs and so sit above vmap itself), where that primitive is defined.
 */
export function registerBatchRule<P>(name: string, rule: BatchRule<P>): void {
  higherOrderRules.set(name, rule as BatchRule<unknown>);
}

export function registeredBatchRule(name: string): BatchRule<unknown> | undefined {
  return higherOrderRules.get(name);
}

/** Runs `fn` with no vmap level active (a control-flow body traced as a program of its own). */
export function asideBatchLevels<R>(fn: () => R): R {
  return batchLevels.aside(fn);
}

/**
 * Called by `bind` once the abstract rule accepted the (logical) inputs: where the innermost level
 * that knows one of the inputs exists, its rule computes the batch and the logical output is
 * returned with that level; otherwise undefined (nothing is batched, evaluate as usual).
 */
export function batchPrimitive<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P, type: AbstractValue): { output: Tensor; level: BatchLevel } | undefined {
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = levels[i];
    const physical = inputs.map((x) => level.physicalOf(x));
    if (physical.every((p) => p === undefined)) continue;
    const inner = levels.splice(i);
    let out: Tensor;
    try {
      const rule = level.ruleFor(prim.name) as BatchRule<P>;
      out = rule({ inputs: inputs.map((x, k) => physical[k] ?? x), batched: physical.map((p) => p !== undefined), params, size: level.size, type, primitive: prim });
    } finally {
      levels.push(...inner);
    }
    const expected = [level.size, ...type.shape];
    if (!sameShape(out.shape, expected) || out.dtype !== type.dtype) {
      throw new AdError("ShapeMismatch", `the batching rule of ${prim.name} gave ${out.dtype} ${formatShape(out.shape)} for a batch of ${type.dtype} ${formatShape(expected)}`, {
        op: prim.name,
        shapes: [[...out.shape], expected],
      });
    }
    return { output: level.logical(out), level };
  }
  return undefined;
}
