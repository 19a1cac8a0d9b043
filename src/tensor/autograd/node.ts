/**
 * A graph node: the primitive that produced a tensor, its inputs and parameters. The output points to
 * its node (`tensor.node`); the backward pass walks from a root through nodes to the leaves. After a
 * backward without `retainGraph` the node forgets its inputs, so the graph's memory is released.
 */
import type { Primitive } from "../primitive.js";
import type { Tensor } from "../tensor.js";

export class Node {
  /** False once a backward pass has released this node. */
  live = true;

  constructor(
    readonly prim: Primitive<unknown>,
    public inputs: readonly Tensor[],
    readonly params: unknown,
    readonly output: Tensor,
  ) {}

  release(): void {
    this.live = false;
    this.inputs = [];
  }
}
