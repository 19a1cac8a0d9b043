/**
 * `Tensor`: a device buffer (a typed array on the host) seen through a shape, strides and an offset, so views (reshape of a
 * contiguous tensor, transpose, expand, slice, squeeze) share memory instead of copying. Storage is
 * row-major when contiguous; a stride of 0 repeats an element (broadcasting). The class is thin: the
 * view functions live in `view.ts`, creation in `creation.ts`; the autograd layer and the primitives
 * are built on top, and the methods that call them (`x.add`, `x.sum`, `x.backward`, …) are installed
 * by `methods.ts`: this file imports no primitive, so no primitive's import of `Tensor` is a cycle.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { host, noSyncRead, type Device, type DeviceBuffer } from "../backends/device.js";
import type { Node } from "./autograd/node.js";
import { assertConcrete, isAbstract } from "./interpreters/abstract.js";
import { formatTensor } from "./format.js";
import { halfValue } from "../backends/float16.js";
import { allocate, isFloat, nameAllocation, type DType, type Storage } from "./dtype.js";
import { contiguousStrides, formatShape, sizeOf, type Shape } from "./shape.js";

export type { Device };

/** What `toArray` returns: numbers (or booleans for `bool`) nested to the tensor's rank. */
export type NestedArray = number | boolean | NestedArray[];

export class Tensor<S extends Shape = Shape> {
  /**
   * Genuine tensors carry this brand; `instanceof Tensor` checks it (below), so an object made with
   * `Object.create(Tensor.prototype)`, or a Proxy around a tensor, is refused by every argument check
   * instead of failing deep inside a kernel on its missing or junk fields.
   */
  readonly #brand = true;

  static [Symbol.hasInstance](value: unknown): value is Tensor {
    return typeof value === "object" && value !== null && #brand in value;
  }

  /** Whether gradients are wanted for this tensor (used by the autograd layer). */
  requiresGrad = false;
  /** The accumulated gradient, once a backward pass has filled it. */
  grad: Tensor<S> | null = null;
  /** @internal The graph node that produced this tensor (null for leaves and untracked tensors). */
  node: Node | null = null;
  /** @internal Set by `dispose()`: the storage is gone, and every later use is a `StaleVariable`. */
  disposed = false;

  /** @internal Build tensors with `tensor`, `zeros`, … or the view methods. */
  constructor(
    /** The elements (a buffer of `device`), shared by every view of the same data. */
    readonly storage: DeviceBuffer,
    readonly dtype: DType,
    readonly shape: S,
    /** Elements to skip in `storage` for a step along each axis (0 for a broadcast axis). */
    readonly strides: readonly number[],
    /** Storage index of the element at index [0, 0, …]. */
    readonly offset: number,
    /** Where `storage` lives (compared by identity). */
    readonly device: Device = host,
  ) {
    // A device that counts its buffers' holders learns of every view, so one view's dispose leaves the others readable.
    // Read once and checked: the constructor is exported, and junk there (a null device) must not be a TypeError.
    const retain = (device as Device | null)?.retain;
    if (typeof retain === "function") retain.call(device, storage);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** True when the elements sit in row-major order with no gaps (size-1 axes may have any stride). */
  isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const d = this.shape[i];
      if (d === 1) continue;
      if (this.strides[i] !== expected) return false;
      expected *= d;
    }
    return true;
  }

  /**
   * The elements in row-major order, as a fresh typed array (never shares storage). Only where the
   * device reads synchronously (the host); elsewhere `UnsupportedOp` naming `await t.read()`.
   */
  data(): Storage {
    const op = "Tensor.data";
    this.assertLive(op);
    if (this.device.readSync === undefined) throw noSyncRead(op, this.device, "await t.read()");
    return elementsOf(this, this.device.readSync(this.storage), op);
  }

  /** The elements in row-major order, on every device (a fresh typed array). */
  async read(): Promise<Storage> {
    const op = "Tensor.read";
    this.assertLive(op);
    return elementsOf(this, await this.device.read(this.storage), op);
  }

  /** The elements as nested arrays (booleans for `bool`), on every device. */
  async array(): Promise<NestedArray> {
    this.assertLive("Tensor.array");
    return nest(this, await this.read());
  }

  /** `StaleVariable` once disposed; `AbstractValue`'s error under trace. */
  private assertLive(op: string): void {
    assertConcrete(this, op);
    if (this.disposed) throw disposedError(op, this);
  }

  /** The elements as nested arrays (booleans for `bool`), e.g. [[1, 2], [3, 4]]. */
  toArray(): NestedArray {
    const op = "Tensor.toArray";
    this.assertLive(op);
    if (this.device.readSync === undefined) throw noSyncRead(op, this.device, "await t.array()");
    return nest(this, this.data());
  }

  /** The single element of a tensor with one element. */
  item(): number {
    const op = "Tensor.item";
    this.assertLive(op);
    if (this.device.readSync === undefined) throw noSyncRead(op, this.device, "(await t.read())[0]");
    if (this.size !== 1) {
      throw new AdError("ShapeMismatch", `item() needs exactly one element, the tensor has shape ${formatShape(this.shape)}`, { op: "Tensor.item", shape: [...this.shape] });
    }
    return stored(this, this.device.readSync(this.storage)[this.offset]);
  }

  /** The element at a full index (negative indices count from the end). */
  at(...index: number[]): number {
    const op = "Tensor.at";
    this.assertLive(op);
    if (this.device.readSync === undefined) throw noSyncRead(op, this.device, "await t.read()");
    if (index.length !== this.rank) {
      throw new AdError("ShapeMismatch", `at() needs ${this.rank} indices for shape ${formatShape(this.shape)}, got ${index.length}`, { op, shape: [...this.shape], index });
    }
    let o = this.offset;
    for (let a = 0; a < index.length; a++) {
      const d = this.shape[a];
      const i: unknown = index[a];
      if (typeof i !== "number" || !Number.isInteger(i) || i < -d || i >= d) {
        throw invalidArgument(op, `index ${describe(i)} is out of range for axis ${a} of size ${d}`, { axis: a, index: describe(i), size: d });
      }
      o += (i < 0 ? i + d : i) * this.strides[a];
    }
    return stored(this, this.device.readSync(this.storage)[o]);
  }

  /**
   * What a JS operator (`x > 0`, `x * 2`) reads first. For an abstract tensor under `trace` it is an
   * error instead of a silent comparison of objects: a branch on a value cannot be traced.
   */
  valueOf(): this {
    assertConcrete(this, "Tensor.valueOf");
    return this;
  }

  /** The values (elided when large), dtype, shape, device and requiresGrad, as format.ts prints them; the header alone where values cannot be read synchronously. */
  toString(): string {
    const readable = !this.disposed && !isAbstract(this) && this.device.readSync !== undefined;
    return formatTensor(this, readable ? this.data() : undefined);
  }

  // ── Devices and memory ──

  /**
   * Lets go of the storage now: the device's buffer is released once no other view of it is held
   * (on the host, this tensor's reference to it goes). Any later use of this tensor is a
   * `StaleVariable`; disposing again does nothing. `using t = …` calls it.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.device.free(this.storage);
    (this as { storage: DeviceBuffer }).storage = allocate(this.dtype, 0);
  }
  /** `dispose()` under the name `using t = …` calls at the end of its block (installed below the class). */
  declare [Symbol.dispose]: () => void;

  // ── Autograd (PyTorch style; `backward`, `detach` and `assign` are in methods.ts) ──

  /** Sets `requiresGrad` (on a leaf) and returns this tensor, for chaining: `randn([3]).requireGrad()`. */
  requireGrad(on = true): this {
    const op = "Tensor.requireGrad";
    if (this.node !== null) throw invalidArgument(op, "only leaves (tensors not computed by a recorded op) can be marked; use detach() first");
    // An int32 or bool tensor would claim a gradient that no rule ever produces (PyTorch refuses it too).
    if (on === true && !isFloat(this.dtype)) throw new AdError("DTypeMismatch", `only floating point tensors can require gradients, got ${this.dtype}`, { op, dtype: this.dtype });
    this.requiresGrad = on === true;
    return this;
  }

  /** Clears the accumulated gradient. */
  zeroGrad(): void {
    this.grad = null;
  }
}

// `using t = …` (explicit resource management) disposes at the end of the block.
Object.defineProperty(Tensor.prototype, (Symbol as { dispose?: symbol }).dispose ?? Symbol.for("Symbol.dispose"), {
  value(this: Tensor) {
    this.dispose();
  },
});

// Node's console.log and util.inspect print what String(t) does, not the storage, strides and graph node.
Object.defineProperty(Tensor.prototype, Symbol.for("nodejs.util.inspect.custom"), {
  value(this: Tensor) {
    return this.toString();
  },
});

/** The number an element of t's storage holds (a float16's bits are its storage, not its value). */
function stored(t: Tensor, element: number): number {
  return t.dtype === "float16" ? halfValue(element) : element;
}

/** t's elements of `buffer` (its storage as read back to the host), row-major, in a fresh array by the host's kernels; float16 widened to a Float32Array (exact). */
function elementsOf(t: Tensor, buffer: Storage, op: string): Storage {
  try {
    const view = { storage: buffer, dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset };
    return t.dtype === "float16" ? (host.kernels.unary("convert", view, "float32") as Storage) : (host.kernels.copy(view) as Storage);
  } catch (error) {
    throw nameAllocation(error, op);
  }
}

/** `flat` (t's elements, row-major) nested to t's rank, booleans for `bool`. */
function nest(t: Tensor, flat: Storage): NestedArray {
  const asValue = t.dtype === "bool" ? (x: number) => x !== 0 : (x: number) => x;
  if (t.shape.length === 0) return asValue(flat[0]);
  let pos = 0;
  const build = (axis: number): NestedArray[] => {
    const out: NestedArray[] = [];
    const d = t.shape[axis];
    if (axis === t.shape.length - 1) {
      for (let i = 0; i < d; i++) out.push(asValue(flat[pos++]));
    } else {
      for (let i = 0; i < d; i++) out.push(build(axis + 1));
    }
    return out;
  };
  return build(0);
}

/** What using a disposed tensor is: a `StaleVariable` naming the op. */
export function disposedError(op: string, t: Tensor): AdError {
  return new AdError("StaleVariable", `a disposed tensor (${t.dtype}, ${formatShape(t.shape)} on ${t.device.name}) was used again`, {
    op,
    shape: [...t.shape],
    device: t.device.name,
  });
}

/** A contiguous tensor over `storage` (which it, or `device`, takes ownership of). */
export function fromStorage<S extends Shape>(storage: DeviceBuffer, dtype: DType, shape: S, device: Device = host): Tensor<S> {
  return new Tensor(device === host ? storage : device.adopt(storage), dtype, shape, contiguousStrides(shape), 0, device);
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
