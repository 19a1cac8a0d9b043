/**
 * The reverse sweep over the graph: topological order from the roots, one VJP per node in reverse,
 * cotangents reduced to each input's shape once here (`sumTo`) and accumulated per tensor. With
 * `createGraph` the sweep's own operations are recorded, so its results can be differentiated again;
 * without `retainGraph` each node forgets its inputs once used, releasing the graph's memory.
 * A `to` copy off a device that reads only asynchronously (the GPU) sends its cotangent back there
 * synchronously, but a copy onto it needs its cotangent read back: the sweep is a generator that
 * yields that move, which `backwardAsync` awaits and the synchronous sweep refuses, naming it.
 */
import { noSyncRead, type Device } from "../../backends/device.js";
import { AdError, describe, expectBooleanOption, expectOptions, invalidArgument } from "../../errors.js";
import { add } from "../primitives/arithmetic.js";
import { fullLike, zerosLike } from "../primitives/lift.js";
import { sumTo } from "../primitives/reduce.js";
import { readsSynchronously, toAsync, toP } from "../primitives/to.js";
import { formatShape, sameShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { checkFinite, inBackwardOf, isAnomalyDetectionEnabled } from "./anomaly.js";
import { withGrad } from "./mode.js";
import type { Node } from "./node.js";

export interface SweepOptions {
  /** Record the sweep so its results are differentiable (grad of grad). Default false. */
  readonly createGraph?: boolean;
  /** Keep the graph for another backward pass. Default: the value of `createGraph`. */
  readonly retainGraph?: boolean;
}

export interface BackwardOptions extends SweepOptions {
  /** The cotangent to start from; required when the tensor has more than one element. */
  readonly grad?: Tensor;
}

/** Nodes reachable from `roots`, inputs before outputs, not expanding past the tensors in `stop`. */
function topologicalNodes(roots: readonly Tensor[], stop: ReadonlySet<Tensor>): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  // Iterative DFS (a long chain of ops must not overflow the JS stack).
  const stack: [Node, number][] = [];
  for (const root of roots) {
    if (root.node === null || stop.has(root) || seen.has(root.node)) continue;
    seen.add(root.node);
    stack.push([root.node, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, next] = top;
      if (next < node.inputs.length) {
        top[1]++;
        const input = node.inputs[next];
        const child = input.node;
        if (child !== null && !stop.has(input) && !seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  return order;
}

/** A cotangent `g` the sweep needs on `device`, from a device that reads it only asynchronously. */
interface Move {
  readonly g: Tensor;
  readonly device: Device;
}

/**
 * Cotangents of every tensor reached from `roots` (seeded with `seeds`): a generator that yields each
 * cotangent it needs moved off a device without synchronous reads and takes the moved tensor back.
 */
function* sweepSteps(roots: readonly Tensor[], seeds: readonly Tensor[], nodes: readonly Node[], options: SweepOptions): Generator<Move, Map<Tensor, Tensor>, Tensor> {
  const createGraph = options.createGraph === true;
  const retainGraph = options.retainGraph ?? createGraph;
  const cotangents = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor) => {
    const previous = cotangents.get(t);
    cotangents.set(t, previous === undefined ? g : add(previous, g));
  };
  roots.forEach((root, i) => accumulate(root, seeds[i]));
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    const g = cotangents.get(node.output);
    if (g === undefined) continue;
    if (!node.live) {
      throw invalidArgument("backward", `the graph through ${node.prim.name} was freed by an earlier backward; pass { retainGraph: true } to the first one`, {
        producedBy: node.prim.name,
      });
    }
    const changed = node.modified();
    if (changed >= 0) {
      const what = changed === node.inputs.length ? "its output" : `its input ${changed} (shape ${formatShape(node.inputs[changed].shape)})`;
      throw invalidArgument("backward", `${node.prim.name} needs ${what}, which was modified in place (assign) after the op was recorded; compute the loss again after the write`, {
        producedBy: node.prim.name,
      });
    }
    const vjp = node.prim.vjp;
    if (vjp === undefined) throw new AdError("MissingDerivative", `${node.prim.name} has no VJP rule`, { op: node.prim.name });
    // to's VJP is the copy back: off a device that reads only asynchronously, the driver moves it.
    const grads =
      needsMove(node) && !readsSynchronously(g)
        ? [yield { g, device: node.inputs[0].device }]
        : inBackwardOf(node.prim.name, () => vjp({ inputs: node.inputs, output: node.output, cotangent: g, params: node.params, needs: node.inputs.map((x) => x.requiresGrad) }));
    node.inputs.forEach((input, i) => {
      const gi = grads[i];
      if (gi === null || gi === undefined || !input.requiresGrad) return;
      if (isAnomalyDetectionEnabled()) checkFinite(node.prim.name, "backward", gi, node.inputs);
      accumulate(input, sumTo(gi, input.shape));
    });
    if (!retainGraph) node.release();
  }
  return cotangents;
}

/** Whether `node` is a `to` whose cotangent (on its output's device) must be read back to its input's. */
function needsMove(node: Node): boolean {
  return node.prim === toP && node.output.device !== node.inputs[0].device && !readsSynchronously(node.output);
}

/**
 * The sweep, synchronously: a graph with a cotangent to move off a device without synchronous reads
 * is refused, naming `backwardAsync`, before anything is swept (so the graph is still there for it).
 */
function sweep(roots: readonly Tensor[], seeds: readonly Tensor[], stop: ReadonlySet<Tensor>, options: SweepOptions): Map<Tensor, Tensor> {
  const nodes = topologicalNodes(roots, stop);
  const move = nodes.find(needsMove);
  const refuse = (device: Device) => noSyncRead("backward", device, "await loss.backwardAsync() (or await backwardAsync(loss)), which reads it back asynchronously");
  if (move !== undefined) throw refuse(move.output.device);
  return withGrad(options.createGraph === true, () => {
    const step = sweepSteps(roots, seeds, nodes, options).next();
    if (!step.done) throw refuse(step.value.g.device);
    return step.value;
  });
}

/** The sweep, awaiting each move (each step runs in the sweep's grad mode, none of it across an await). */
async function sweepAsync(roots: readonly Tensor[], seeds: readonly Tensor[], options: SweepOptions): Promise<Map<Tensor, Tensor>> {
  const createGraph = options.createGraph === true;
  const steps = sweepSteps(roots, seeds, topologicalNodes(roots, new Set()), options);
  let step = withGrad(createGraph, () => steps.next());
  while (!step.done) {
    const moved = await toAsync(step.value.g, step.value.device);
    step = withGrad(createGraph, () => steps.next(moved));
  }
  return step.value;
}

/** The seed for a root: `grad` if given (same shape), else 1 for a one-element root. */
function seedFor(op: string, root: Tensor, grad: unknown): Tensor {
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new AdError("ShapeMismatch", `${op} of a tensor of shape ${formatShape(root.shape)} needs { grad } of that shape (only one-element outputs default to 1)`, {
        op,
        shape: [...root.shape],
      });
    }
    return fullLike(root, 1);
  }
  if (!(grad instanceof Tensor)) throw invalidArgument(op, `grad must be a Tensor, got ${describe(grad)}`, { got: describe(grad) });
  if (!sameShape(grad.shape, root.shape)) {
    throw new AdError("ShapeMismatch", `grad has shape ${formatShape(grad.shape)}, the output ${formatShape(root.shape)}`, { op, shapes: [[...grad.shape], [...root.shape]] });
  }
  return grad;
}

/**
 * PyTorch-style: accumulates ∂root/∂leaf into `leaf.grad` for every leaf that requires a gradient.
 * The graph is released afterwards unless `retainGraph` (or `createGraph`) is set.
 */
export function backward(root: Tensor, options: BackwardOptions = {}): void {
  const { seed, checked } = backwardArguments("backward", root, options);
  accumulateGrads(sweep([root], [seed], new Set(), checked), checked);
}

/**
 * `backward` for a graph that crosses from a device that reads only asynchronously (a GPU tensor
 * made of host tensors with `to("webgpu")`): the cotangents that must come back are read
 * asynchronously. Where nothing must come back it does what `backward` does.
 */
export async function backwardAsync(root: Tensor, options: BackwardOptions = {}): Promise<void> {
  const { seed, checked } = backwardArguments("backwardAsync", root, options);
  accumulateGrads(await sweepAsync([root], [seed], checked), checked);
}

/** backward's checks of its arguments (for `op`, the function the user called): the seed and the options. */
function backwardArguments(op: string, root: Tensor, options: BackwardOptions): { seed: Tensor; checked: BackwardOptions } {
  if (!(root instanceof Tensor)) throw invalidArgument(op, `expected a Tensor, got ${describe(root)}`, { got: describe(root) });
  const o = expectOptions<BackwardOptions>(op, options, ["grad", "createGraph", "retainGraph"]);
  const createGraph = expectBooleanOption(op, "createGraph", o.createGraph, false);
  const checked = { ...o, createGraph, retainGraph: expectBooleanOption(op, "retainGraph", o.retainGraph, createGraph) };
  if (!root.requiresGrad) throw invalidArgument(op, "the tensor does not require a gradient: no input of the computation had requiresGrad set", { shape: [...root.shape] });
  return { seed: seedFor(op, root, checked.grad), checked };
}

/** Adds each leaf's cotangent into its `.grad`. */
function accumulateGrads(cotangents: Map<Tensor, Tensor>, { createGraph }: BackwardOptions): void {
  withGrad(createGraph === true, () => {
    for (const [t, g] of cotangents) {
      if (t.node !== null || !t.requiresGrad) continue;
      t.grad = t.grad === null ? g : add(t.grad, g);
    }
  });
}

/**
 * The cotangents of `inputs` for outputs `roots` seeded with `seeds` (one per root), without touching any `.grad`:
 * the engine under `grad`, `vjp` and `valueAndGrad`. The sweep stops at the inputs. Inputs the
 * output does not depend on get zeros.
 */
export function cotangentsOf(roots: readonly Tensor[], seeds: readonly Tensor[], inputs: readonly Tensor[], options: SweepOptions): Tensor[] {
  // A root nothing differentiable flows into contributes nothing (and has no graph to walk).
  const live = roots.flatMap((r, i) => (r.requiresGrad ? [i] : []));
  const cotangents =
    live.length > 0
      ? sweep(
          live.map((i) => roots[i]),
          live.map((i) => seeds[i]),
          new Set(inputs),
          options,
        )
      : new Map<Tensor, Tensor>();
  return inputs.map((x) => cotangents.get(x) ?? zerosLike(x));
}

export { seedFor };
