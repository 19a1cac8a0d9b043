/**
 * `Module`: a layer or model as a tree of named parameters, buffers and child modules.
 *
 * Registration is explicit (`this.parameter("weight", t)`, `this.buffer(...)`, `this.child(...)`):
 * JavaScript has no `__setattr__` hook, and guessing from property types would confuse a parameter
 * with a cached tensor. A registered name is also a property of the module (`this.weight`), read by
 * `forward` at call time, which is what makes both autograd styles work over one set of layers:
 *
 * - PyTorch style: parameters are leaves with `requiresGrad`; `loss.backward()` fills `.grad`.
 * - JAX style: `parameterTree()` is a plain nested object of the same storages (detached, so the
 *   transforms make their own leaves); `module.call(tree, x)` runs `forward` with the tree's tensors
 *   put in place of the parameters for the duration of the call, then puts the originals back.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { noGrad } from "../tensor/autograd/mode.js";
import { isFloat } from "../tensor/dtype.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

/** A plain nested object of tensors: a module's parameters (or a gradient of them) in its structure. */
export interface ParameterTree {
  readonly [name: string]: Tensor | ParameterTree;
}

const NAME = /^[A-Za-z0-9_]+$/;

function expectPrefix(op: string, prefix: unknown): void {
  if (typeof prefix !== "string") throw invalidArgument(op, `prefix must be a string, got ${describe(prefix)}`, { argument: "prefix" });
}

export abstract class Module {
  /** Training mode (the default) or evaluation mode; `train()`/`eval()` set it on the whole tree. */
  training = true;
  readonly #parameters: string[] = [];
  readonly #buffers: string[] = [];
  readonly #children: string[] = [];

  /** The module's computation; read parameters through the registered properties (`this.weight`). */
  abstract forward(...inputs: Tensor[]): Tensor;

  // ── Registration ─────────────────────────────────────────────────────────────────────────────────

  /** Registers a trainable tensor under `name` (also set as `this[name]`), marked `requireGrad`. */
  protected parameter(name: string, value: Tensor): Tensor {
    this.#claim("Module.parameter", name, value);
    if (value.node !== null) throw invalidArgument("Module.parameter", `parameter ${name} must be a leaf tensor; detach() it first`, { name });
    if (!isFloat(value.dtype)) {
      throw new AdError("DTypeMismatch", `parameter ${name} must be a float tensor, got ${value.dtype}`, { op: "Module.parameter", name, dtype: value.dtype });
    }
    value.requireGrad();
    this.#parameters.push(name);
    return value;
  }

  /** Registers a state tensor that is saved and loaded but not trained (BatchNorm's running stats). */
  protected buffer(name: string, value: Tensor): Tensor {
    this.#claim("Module.buffer", name, value);
    this.#buffers.push(name);
    return value;
  }

  /** Registers a child module under `name`; its parameters are named `name.…`. */
  protected child<M extends Module>(name: string, value: M): M {
    const op = "Module.child";
    this.#checkName(op, name);
    if (!(value instanceof Module)) throw invalidArgument(op, `child ${name} must be a Module, got ${describe(value)}`, { name });
    this.#children.push(name);
    this.#set(name, value);
    return value;
  }

  #claim(op: string, name: string, value: unknown): void {
    this.#checkName(op, name);
    if (!(value instanceof Tensor)) throw invalidArgument(op, `${name} must be a Tensor, got ${describe(value)}`, { name });
    this.#set(name, value);
  }

  #checkName(op: string, name: string): void {
    if (typeof name !== "string" || !NAME.test(name)) throw invalidArgument(op, `a name must be letters, digits and _, got ${describe(name)}`, { name: describe(name) });
    if (this.#parameters.includes(name) || this.#buffers.includes(name) || this.#children.includes(name)) {
      throw invalidArgument(op, `${name} is already registered on this ${this.constructor.name}`, { name });
    }
  }

  #get(name: string): unknown {
    return (this as unknown as Record<string, unknown>)[name];
  }

  #set(name: string, value: unknown): void {
    (this as unknown as Record<string, unknown>)[name] = value;
  }

  // ── Walking the tree ─────────────────────────────────────────────────────────────────────────────

  /** Direct children with their names, in registration order. */
  *namedChildren(): Generator<[string, Module]> {
    for (const name of this.#children) yield [name, this.#get(name) as Module];
  }

  *children(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and every descendant, depth first, with dotted names ("" for this one). */
  *namedModules(prefix = ""): Generator<[string, Module]> {
    expectPrefix("Module.namedModules", prefix);
    yield [prefix, this];
    for (const [name, m] of this.namedChildren()) yield* m.namedModules(prefix === "" ? name : `${prefix}.${name}`);
  }

  /** Every parameter with its dotted name (`"layers.0.weight"`), own ones first, then each child's. */
  *namedParameters(prefix = ""): Generator<[string, Tensor]> {
    expectPrefix("Module.namedParameters", prefix);
    for (const [path, m] of this.namedModules(prefix)) {
      for (const name of m.#parameters) yield [path === "" ? name : `${path}.${name}`, m.#get(name) as Tensor];
    }
  }

  /** Every parameter, in `namedParameters` order. */
  parameters(): Tensor[] {
    return Array.from(this.namedParameters(), ([, t]) => t);
  }

  *namedBuffers(prefix = ""): Generator<[string, Tensor]> {
    expectPrefix("Module.namedBuffers", prefix);
    for (const [path, m] of this.namedModules(prefix)) {
      for (const name of m.#buffers) yield [path === "" ? name : `${path}.${name}`, m.#get(name) as Tensor];
    }
  }

  // ── Modes and gradients ──────────────────────────────────────────────────────────────────────────

  /** Sets training mode (Dropout drops, BatchNorm uses and updates batch statistics) on the whole tree. */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  /** Evaluation mode: Dropout is the identity, BatchNorm uses its running statistics. */
  eval(): this {
    return this.train(false);
  }

  /** Clears `.grad` of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  // ── JAX style ────────────────────────────────────────────────────────────────────────────────────

  /**
   * The parameters as a plain nested object (`{ fc1: { weight, bias }, … }`), each a detached view of
   * the parameter's storage: differentiate it with `grad`/`valueAndGrad`, and an in-place update of it
   * (an optimiser's `update`) is an update of the module.
   */
  parameterTree(): ParameterTree {
    const tree: Record<string, Tensor | ParameterTree> = {};
    for (const name of this.#parameters) tree[name] = (this.#get(name) as Tensor).detach();
    for (const [name, m] of this.namedChildren()) {
      const sub = m.parameterTree();
      if (Object.keys(sub).length > 0) tree[name] = sub;
    }
    return tree;
  }

  /**
   * `forward(...inputs)` with the tensors of `params` (a tree shaped like `parameterTree()`) in place
   * of the module's parameters, so the output is a function of `params`. The module's own parameters
   * are restored afterwards, also when forward throws. Buffers are not substituted: BatchNorm in
   * training mode still updates its running statistics.
   */
  call(params: ParameterTree, ...inputs: Tensor[]): Tensor {
    const restore: (() => void)[] = [];
    try {
      this.#substitute(params, "", restore);
      return this.forward(...inputs);
    } finally {
      for (let i = restore.length - 1; i >= 0; i--) restore[i]();
    }
  }

  #substitute(params: unknown, path: string, restore: (() => void)[]): void {
    const op = "Module.call";
    if (params === null || typeof params !== "object" || params instanceof Tensor || Array.isArray(params)) {
      throw invalidArgument(op, `params${path} must be an object like parameterTree()'s, got ${describe(params)}`, { at: path });
    }
    const given = params as Record<string, unknown>;
    for (const key of Object.keys(given)) {
      if (!this.#parameters.includes(key) && !this.#children.includes(key)) {
        throw invalidArgument(op, `params${path}.${key} is not a parameter or child of this ${this.constructor.name}`, { at: `${path}.${key}` });
      }
    }
    for (const name of this.#parameters) {
      const t = given[name];
      const own = this.#get(name) as Tensor;
      if (!(t instanceof Tensor)) throw invalidArgument(op, `params${path}.${name} must be a Tensor, got ${describe(t)}`, { at: `${path}.${name}` });
      if (!sameShape(t.shape, own.shape)) {
        throw new AdError("ShapeMismatch", `params${path}.${name} has shape ${formatShape(t.shape)}, the parameter ${formatShape(own.shape)}`, {
          op,
          at: `${path}.${name}`,
          shapes: [[...t.shape], [...own.shape]],
        });
      }
      this.#set(name, t);
      restore.push(() => this.#set(name, own));
    }
    for (const [name, m] of this.namedChildren()) {
      if (given[name] === undefined && m.parameters().length === 0) continue;
      m.#substitute(given[name], `${path}.${name}`, restore);
    }
  }

  // ── State dicts ──────────────────────────────────────────────────────────────────────────────────

  /** Parameters and buffers by dotted name, sharing storage (detached): what `saveSafetensors` writes. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of this.namedParameters()) out[name] = t.detach();
    for (const [name, t] of this.namedBuffers()) out[name] = t.detach();
    return out;
  }

  /**
   * Copies `dict`'s tensors into the parameters and buffers of the same names (in place, so optimisers
   * holding them keep working). Every key must match, with the same shape and dtype; nothing is written
   * unless all of them do.
   */
  loadStateDict(dict: Readonly<Record<string, Tensor>>): void {
    const op = "Module.loadStateDict";
    if (dict === null || typeof dict !== "object") throw invalidArgument(op, `dict must be an object of tensors, got ${describe(dict)}`);
    const own = new Map([...this.namedParameters(), ...this.namedBuffers()]);
    const missing = [...own.keys()].filter((k) => !Object.hasOwn(dict, k));
    const unexpected = Object.keys(dict).filter((k) => !own.has(k));
    if (missing.length > 0 || unexpected.length > 0) {
      throw invalidArgument(op, `keys differ: missing [${missing.join(", ")}], unexpected [${unexpected.join(", ")}]`, { missing, unexpected });
    }
    for (const [name, target] of own) {
      const t: unknown = dict[name];
      if (!(t instanceof Tensor)) throw invalidArgument(op, `${name} must be a Tensor, got ${describe(t)}`, { name });
      if (!sameShape(t.shape, target.shape)) {
        throw new AdError("ShapeMismatch", `${name} has shape ${formatShape(t.shape)}, the module expects ${formatShape(target.shape)}`, {
          op,
          name,
          shapes: [[...t.shape], [...target.shape]],
        });
      }
      if (t.dtype !== target.dtype)
        throw new AdError("DTypeMismatch", `${name} has dtype ${t.dtype}, the module expects ${target.dtype}`, { op, name, dtypes: [t.dtype, target.dtype] });
    }
    noGrad(() => {
      for (const [name, target] of own) target.assign(dict[name]);
    });
  }
}
