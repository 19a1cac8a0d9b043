/**
 * A graph node: the primitive that produced a tensor, its inputs and parameters. The output points to
 * its node (`tensor.node`); the backward pass walks from a root through nodes to the leaves. After a
 * backward without `retainGraph` the node forgets its inputs, so the graph's memory is released.
 */
import type { Primitive } from "../primitive.js";
import type { Tensor } from "../tensor.js";
import { versionOf } from "../version.js";

export class Node {
  /** False once a backward pass has released this node. */
  live = true;
  /** The storage versions of the inputs and then the output when recorded (see version.ts). */
  private versions: readonly number[];

  constructor(
    readonly prim: Primitive<unknown>,
    public inputs: readonly Tensor[],
    readonly params: unknown,
    readonly output: Tensor,
  ) {
    this.versions = [...inputs, output].map((t) => versionOf(t.storage));
  }

  /** The first input (its index) or the output (index `inputs.length`) written in place since recording, or −1. */
  modified(): number {
    const tensors = [...this.inputs, this.output];
    return tensors.findIndex((t, i) => versionOf(t.storage) !== this.versions[i]);
  }

  release(): void {
    this.live = false;
    this.inputs = [];
  }
}
