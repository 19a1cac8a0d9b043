/**
 * The cache key of a jitted call: what a trace and its compilation depend on (the host backend too). Tensors count by shape, dtype and device
 * (their values are the program's inputs); the pytree structure counts (array lengths, object keys);
 * static arguments and any other non-tensor value in the trees count by value (numbers, strings,
 * booleans, plain data) or by identity (functions, class instances), because the trace bakes them in.
 */
import { getBackend, Tensor } from "../tensor/index.js";

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

function identity(x: object): string {
  let id = identities.get(x);
  if (id === undefined) identities.set(x, (id = nextIdentity++));
  return `#${id}`;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** A value baked into the trace: by value where it is plain data, else by identity. */
function valueKey(x: unknown): string {
  if (x === null || (typeof x !== "object" && typeof x !== "function")) return `${typeof x}:${String(x)}`;
  if (Array.isArray(x) || isPlainObject(x)) {
    try {
      return `json:${JSON.stringify(x)}`;
    } catch {
      return identity(x);
    }
  }
  return identity(x);
}

/** The structure and types of one argument's tree. */
function treeKey(node: unknown): string {
  if (node instanceof Tensor) {
    return `T(${node.dtype}[${node.shape.join(",")}]@${node.device.name})`;
  }
  if (Array.isArray(node)) return `[${(node as unknown[]).map((x) => treeKey(x)).join(",")}]`;
  if (isPlainObject(node)) {
    return `{${Object.keys(node)
      .map((k) => `${JSON.stringify(k)}:${treeKey(node[k])}`)
      .join(",")}}`;
  }
  return valueKey(node);
}

/**
 * The signature of `args` with the positions in `statics` taken by value. Cycles and depth are left
 * to `flatten`, which the trace runs first (a cyclic tree is refused there, before any key is made).
 */
export function signatureOf(args: readonly unknown[], statics: ReadonlySet<number>): string {
  const parts = args.map((a, i) => (statics.has(i) ? `static:${valueKey(a)}` : treeKey(a)));
  // The host backend picks which ops fuse (passes/fuse.ts): a program per backend.
  return `${getBackend()}|${args.length}|${parts.join("|")}`;
}
