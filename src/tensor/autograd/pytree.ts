/**
 * Pytrees: nested arrays and plain objects whose leaves are tensors (`{ w: [w1, w2], b }`), so a
 * model's parameters can be differentiated as one argument and come back in the same structure.
 * Anything that is not an array, a plain object or a Tensor is carried through unchanged.
 */
import { invalidArgument } from "../../errors.js";
import { Tensor } from "../tensor.js";

/** A tree of tensors: a Tensor, or arrays/objects of trees (other values are kept as they are). */
export type Tree<T = Tensor> = T | readonly Tree<T>[] | { readonly [key: string]: Tree<T> };

const MAX_LEAVES = 1 << 20;
const MAX_DEPTH = 64;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** The tensor leaves of `tree` in a fixed order, and a function that rebuilds the tree from new leaves. */
export function flatten(op: string, tree: unknown): { leaves: Tensor[]; rebuild: (leaves: readonly Tensor[]) => unknown } {
  const leaves: Tensor[] = [];
  const seen = new Set<object>();
  const walk = (node: unknown, depth: number): ((next: () => Tensor) => unknown) => {
    if (node instanceof Tensor) {
      if (leaves.length >= MAX_LEAVES) throw invalidArgument(op, `a tree may hold at most ${MAX_LEAVES} tensors`, {});
      leaves.push(node);
      return (next) => next();
    }
    if (Array.isArray(node) || isPlainObject(node)) {
      if (depth > MAX_DEPTH) throw invalidArgument(op, `a tree may nest at most ${MAX_DEPTH} levels`, {});
      if (seen.has(node)) throw invalidArgument(op, "the argument contains a cycle", {});
      seen.add(node);
      if (Array.isArray(node)) {
        // Read once and checked: a Proxy of an array may report any length, a Symbol included.
        const n: unknown = node.length;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw invalidArgument(op, "an array in the tree has no valid length", {});
        if (n > MAX_LEAVES) throw invalidArgument(op, `an array in the tree has ${n} entries`, { length: n });
        const parts: ((next: () => Tensor) => unknown)[] = [];
        for (let i = 0; i < n; i++) parts.push(walk(node[i], depth + 1));
        seen.delete(node);
        return (next) => parts.map((p) => p(next));
      }
      const keys = Object.keys(node);
      const parts = keys.map((k) => walk(node[k], depth + 1));
      seen.delete(node);
      return (next) => Object.fromEntries(keys.map((k, i) => [k, parts[i](next)]));
    }
    return () => node;
  };
  const build = walk(tree, 0);
  return {
    leaves,
    rebuild: (next: readonly Tensor[]) => {
      let i = 0;
      return build(() => next[i++]);
    },
  };
}
