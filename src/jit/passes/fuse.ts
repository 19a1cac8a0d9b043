/**
 * Fusion of elementwise chains: an elementwise equation whose output has exactly one consumer, an
 * elementwise equation of the same output shape, is computed inside that consumer's loop instead of
 * being stored. Each maximal group so formed (a tree of ops ending in one root whose output leaves
 * the group) becomes ONE equation applying a generated kernel (codegen/elementwise.ts): one pass over
 * memory, no intermediate buffer. A value used twice, or used by a non-elementwise equation (a
 * matmul, a reduction) or returned, is stored once and read by its consumers. On a device that is not
 * the host (a GPU), a group becomes the device's own kernel (`compileDeviceFused`: WGSL on webgpu),
 * its sum folded in over all axes or some, or stays unfused where the device declines it.
 *
 * Elementwise means a registry primitive that runs one op of the expression table (add, sin, cast,
 * where, …), recognised by identity, so a user's primitive of the same name is never fused.
 */
import { availableBackends, backendKernels, type Backend } from "../../backends/backend.js";
import { BINARY_EXPRESSIONS, UNARY_EXPRESSIONS, WHERE_EXPRESSION, type BinaryOp, type UnaryOp } from "../../backends/expressions.js";
import type { DeviceFusedKernel, FusedKernel as NativeKernel, FusedProgram, FusedProgramOp } from "../../backends/fused.js";
import type { View } from "../../backends/view.js";
import { allocate } from "../../backends/dtype.js";
import { hostStorage } from "../../backends/buffer.js";
import { getBackend, Program, type BackendName, type DType, type Equation, type Storage, type Tensor, type Variable } from "../../tensor/index.js";
import { definePrimitive, type Primitive } from "../../tensor/primitive.js";
import { primitives } from "../../tensor/primitives/registry.js";
import { fromStorage } from "../../tensor/tensor.js";
import { sliceLayout, type SliceSpec } from "../../tensor/view.js";
import { contiguousStrides, sizeOf } from "../../backends/shape.js";
import { compileFused, type FusedInput, type FusedKernel, type FusedOp, type FusedSum, type Operand, type Window } from "../codegen/elementwise.js";

type Fn = FusedOp["fn"];
/** An elementwise equation's op: its expression-table function (for the JS loop) and name (for a backend's codegen). */
interface Expression {
  readonly fn: Fn;
  readonly name: FusedProgramOp["name"];
}

/**
 * The float32 ops the wasm backend computes with SIMD polynomials of its own
 * (src/backends/wasm/elementwiseKernels.ts). A backend that compiles fused groups (`compileFused`)
 * computes them inside the group with the same polynomial; on one that does not they stay single
 * kernels, faster than a JS Math call per element and giving eager's bits.
 */
const WASM_MATH = new Set(["exp", "log", "sin", "cos", "tanh", "sigmoid", "softplus", "erf", "gelu", "geluTanh", "pow"]);

/** The fused-group compiler of `backend`, where it has one and this engine can run it. */
const compilerOf = (backend: BackendName) => (availableBackends().includes(backend) ? backendKernels(backend).compileFused : undefined);

/** The expression an equation runs, if it is elementwise and worth fusing on `backend`. */
function expressionOf(eq: Equation, backend: BackendName): Expression | undefined {
  const name = eq.primitive.name;
  if (primitives[name as keyof typeof primitives] !== eq.primitive) return undefined;
  // float16 storage holds bits, which a fused loop would read as numbers: its ops run as kernels (halves.ts).
  if (eq.output.dtype === "float16" || eq.inputs.some((v) => v.dtype === "float16")) return undefined;
  if (backend === "wasm" && compilerOf(backend) === undefined && eq.output.dtype === "float32" && WASM_MATH.has(name)) return undefined;
  if (name === "cast") {
    const toBool = (eq.params as { dtype: DType }).dtype === "bool";
    return toBool ? { fn: UNARY_EXPRESSIONS.toBool, name: "toBool" } : { fn: UNARY_EXPRESSIONS.convert, name: "convert" };
  }
  if (name === "where") return { fn: WHERE_EXPRESSION, name: "where" };
  if (eq.inputs.length === 1 && name in UNARY_EXPRESSIONS) return { fn: UNARY_EXPRESSIONS[name as UnaryOp] as Fn, name: name as UnaryOp };
  if (eq.inputs.length === 2 && name in BINARY_EXPRESSIONS) return { fn: BINARY_EXPRESSIONS[name as BinaryOp] as Fn, name: name as BinaryOp };
  return undefined;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** `strides` of an operand of `shape` broadcast (right-aligned, size-1 dims read again) to `out`. */
function broadcastStrides(shape: readonly number[], strides: readonly number[], out: readonly number[]): number[] {
  const lead = out.length - shape.length;
  return out.map((_, d) => (d < lead || shape[d - lead] === 1 ? 0 : strides[d - lead]));
}

/** Runs a compiled group's kernel on the equation's inputs, writing its result into `out`. */
export type FusedRun = (inputs: readonly Tensor[], out: Storage) => void;

/** The run of each fused equation's primitive, so the memory plan (plan.ts) can give it a buffer. */
const RUNS = new WeakMap<Primitive<unknown>, FusedRun>();
/** The group each fused equation without a sum runs, so a product before it can take it as its epilogue (epilogue.ts). */
const GROUPS = new WeakMap<Primitive<unknown>, FusedProgram>();

/** How `eq` writes its result into a given buffer, where it is a fused equation. */
export function fusedRun(eq: Equation): FusedRun | undefined {
  return RUNS.get(eq.primitive);
}

/** The elementwise group `eq` runs, where it is a fused equation without a sum. */
export function fusedGroup(eq: Equation): FusedProgram | undefined {
  return GROUPS.get(eq.primitive);
}

/**
 * An equation named `fused` that runs `run` into a fresh buffer (or, once planned, its own: plan.ts);
 * `overwrites`: run writes every element (not a sum, which adds into zeros).
 */
export function runEquation(inputs: readonly Variable[], output: Variable, params: object, run: FusedRun, overwrites: boolean): Equation {
  const size = output.shape.reduce((a, b) => a * b, 1);
  const prim: Primitive<object> = definePrimitive("fused", {
    abstract: () => ({ shape: output.shape, dtype: output.dtype }),
    impl: (xs: readonly Tensor[]) => {
      const out = allocate(output.dtype, size, "fused", overwrites);
      run(xs, out);
      return fromStorage(out, output.dtype, [...output.shape]);
    },
  });
  RUNS.set(prim as Primitive<unknown>, run);
  return { primitive: prim as Primitive<unknown>, inputs, output, params };
}

/**
 * The equation that runs a compiled group: one primitive per kernel, named `fused` in the program
 * text. The kernel loops over `shape` (the chain's); `output` is the chain's result, or its sum.
 */
function fusedEquation(
  names: readonly string[],
  inputs: readonly Variable[],
  output: Variable,
  loop: readonly number[],
  kernel: FusedKernel,
  native: NativeKernel | undefined,
  group: FusedProgram | undefined,
): Equation {
  const shape = loop.length === 0 ? [1] : loop;
  const size = output.shape.reduce((a, b) => a * b, 1);
  const run: FusedRun = (xs, out) => {
    if (size === 0) return;
    const views = groupViews(xs, shape);
    // The backend's code declines a call whose data it cannot compute exactly enough: the JS loop runs it.
    if (native === undefined || !native(views, out)) kernel(views, out);
  };
  const eq = runEquation(inputs, output, native === undefined ? { ops: names } : { ops: names, code: "wasm" }, run, group !== undefined);
  if (group !== undefined) GROUPS.set(eq.primitive, group);
  return eq;
}

/**
 * The equation that runs a group compiled for a device that is not the host (a GPU): its kernel
 * returns the device's buffer, which the engine hands to the device like any kernel's output.
 */
function deviceEquation(names: readonly string[], inputs: readonly Variable[], output: Variable, loop: readonly number[], kernel: DeviceFusedKernel): Equation {
  const prim: Primitive<object> = definePrimitive("fused", {
    abstract: () => ({ shape: output.shape, dtype: output.dtype }),
    impl: (xs: readonly Tensor[]) => {
      const views = xs.map((x) => ({ storage: x.storage, dtype: x.dtype, shape: loop, offset: x.offset, strides: broadcastStrides(x.shape, x.strides, loop) }));
      return fromStorage(kernel(views), output.dtype, [...output.shape]);
    },
  });
  return { primitive: prim as Primitive<unknown>, inputs, output, params: { ops: names, code: "wgsl" } };
}

/** A group's inputs as views, their strides broadcast to the loop's `shape`. */
export function groupViews(xs: readonly Tensor[], shape: readonly number[]): (View & FusedInput)[] {
  return xs.map((x) => ({ storage: hostStorage(x, "fused"), dtype: x.dtype, shape, offset: x.offset, strides: broadcastStrides(x.shape, x.strides, shape) }));
}

/**
 * The sum that is the only consumer of `root`'s output, if any, with where each loop position adds
 * into: folded into the chain's loop, so the chain's values are added up as they are computed and
 * never stored. Over every axis it is one total; over some axes (a softmax's row sums, a mean over
 * an axis, a bias gradient's sum over the batch) one total per kept position.
 */
function summedBy(root: Equation, users: ReadonlySet<Equation> | undefined): { eq: Equation; into: FusedSum } | undefined {
  if (users === undefined || users.size !== 1) return undefined;
  const [eq] = users;
  if (eq.primitive !== primitives.sum) return undefined;
  const summed = new Set((eq.params as { axes: readonly number[] }).axes);
  const shape = root.output.shape;
  if (shape.length > 0 && summed.size === 0) return undefined;
  const kept = shape.map((d, i) => (summed.has(i) ? 1 : d));
  const strides = contiguousStrides(kept).map((s, i) => (summed.has(i) || kept[i] === 1 ? 0 : s));
  return { eq, into: { strides: strides.length === 0 ? [0] : strides, size: sizeOf(kept) } };
}

/**
 * The start per axis of the box an unslice writes its input to, when that box is a plain window
 * (every step 1, no axis dropped); undefined otherwise (such an unslice runs as its own equation).
 */
function windowOf(eq: Equation): readonly number[] | undefined {
  if (eq.primitive !== primitives.unslice) return undefined;
  const { shape, specs } = eq.params as { readonly shape: readonly number[]; readonly specs: readonly SliceSpec[] };
  if (shape.length === 0 || shape.includes(0)) return undefined;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const box = sliceLayout(shape, strides, 0, specs);
  if (box.shape.length !== shape.length || box.strides.some((s, d) => s !== strides[d])) return undefined;
  let rest = box.offset;
  return strides.map((s) => {
    const c = Math.floor(rest / s);
    rest -= c * s;
    return c;
  });
}

/**
 * `p` with its elementwise chains fused, for the kernels of `backend` (the host's, default the active
 * one), or, given `device` (the kernels of the device other than the host that `p` runs on), for that
 * device's `compileDeviceFused`: there a group it declines stays unfused.
 */
export function fuseElementwise(p: Program, backend: BackendName = getBackend(), device?: Backend): Program {
  const fns = new Map<Equation, Expression>();
  const producer = new Map<Variable, Equation>();
  const consumers = new Map<Variable, Set<Equation>>();
  for (const eq of p.equations) {
    const fn = expressionOf(eq, backend);
    if (fn !== undefined) fns.set(eq, fn);
    producer.set(eq.output, eq);
    for (const v of eq.inputs) {
      let set = consumers.get(v);
      if (set === undefined) consumers.set(v, (set = new Set()));
      set.add(eq);
    }
  }
  const returned = new Set(p.outputs);
  // An elementwise output computed inside its one consumer's loop.
  const inlined = (v: Variable, into: Equation): boolean => {
    const eq = producer.get(v);
    const users = consumers.get(v);
    return eq !== undefined && fns.has(eq) && !returned.has(v) && users?.size === 1 && fns.has(into) && sameShape(v.shape, into.output.shape);
  };
  // An unslice read through a window by its one consumer's loop, instead of being stored with its zeros.
  const windowed = (v: Variable, into: Equation): Window | undefined => {
    const eq = producer.get(v);
    if (eq === undefined || returned.has(v) || consumers.get(v)?.size !== 1 || !fns.has(into) || !sameShape(v.shape, into.output.shape)) return undefined;
    const start = windowOf(eq);
    return start === undefined ? undefined : { start, size: eq.inputs[0].shape };
  };
  // A lone op reading a product that nothing else reads is a group too where the backend can run a
  // group as the product's epilogue (epilogue.ts): the product is then never stored.
  const epilogues = device === undefined && availableBackends().includes(backend) && backendKernels(backend).compileEpilogue !== undefined;
  const afterProduct = (eq: Equation) =>
    epilogues && eq.inputs.some((v) => producer.get(v)?.primitive === primitives.matmul && !returned.has(v) && consumers.get(v)?.size === 1 && sameShape(v.shape, eq.output.shape));
  const replaced = new Map<Equation, Equation | null>();
  for (const root of p.equations) {
    if (!fns.has(root)) continue;
    const users = consumers.get(root.output);
    if (users !== undefined && users.size === 1 && inlined(root.output, [...users][0])) continue;
    // The group: root and, recursively, the producers computed inside it, in program order.
    const members = new Set<Equation>();
    const collect = (eq: Equation) => {
      members.add(eq);
      for (const v of eq.inputs) if (inlined(v, eq)) collect(producer.get(v) as Equation);
    };
    collect(root);
    let summed = returned.has(root.output) ? undefined : summedBy(root, users);
    const ordered = p.equations.filter((eq) => members.has(eq));
    const absorbed = ordered.flatMap((eq) => eq.inputs.filter((v) => windowed(v, eq) !== undefined).map((v) => producer.get(v) as Equation));
    const fewest = [...members].some(afterProduct) ? 1 : 2;
    if (members.size + absorbed.length < (summed === undefined ? fewest : 1)) continue;
    const inputs: Variable[] = [];
    const windows: (Window | undefined)[] = [];
    const index = new Map<Equation, number>();
    const operand = (v: Variable, into: Equation): Operand => {
      const eq = producer.get(v);
      if (eq !== undefined && members.has(eq)) return { op: index.get(eq) as number };
      const window = windowed(v, into);
      if (window !== undefined) {
        windows.push(window);
        return { input: inputs.push((eq as Equation).inputs[0]) - 1 };
      }
      let j = inputs.findIndex((u, k) => u === v && windows[k] === undefined);
      if (j < 0) {
        j = inputs.push(v) - 1;
        windows.push(undefined);
      }
      return { input: j };
    };
    const ops = ordered.map((eq, k) => {
      index.set(eq, k);
      const { fn, name } = fns.get(eq) as Expression;
      return { fn, name, args: eq.inputs.map((v) => operand(v, eq)), dtype: eq.output.dtype };
    });
    const loop = root.output.shape.length === 0 ? [1] : root.output.shape;
    // The backend's own code for the group, where it has one: it compiles a whole-array sum, not a
    // sum over some axes. Such a sum is folded into the JS loop unless the backend has code for a
    // chain of several ops alone: then its SIMD chain and reduction kernels run (and keep their bits).
    const programOf = (sum: boolean) => ({ ops: ops.map(({ name, args, dtype }) => ({ name, args, dtype })), inputs: inputs.length, shape: loop, sum, windows });
    const whole = summed !== undefined && summed.into.strides.every((s) => s === 0);
    if (device?.compileDeviceFused !== undefined) {
      if (summed === undefined && members.size + absorbed.length < fewest) continue;
      const sumAxes = summed === undefined || whole ? undefined : (summed.eq.params as { axes: readonly number[] }).axes;
      const kernel = device.compileDeviceFused({ ...programOf(summed !== undefined), ...(sumAxes === undefined ? {} : { sumAxes }) });
      if (kernel === undefined) continue;
      for (const eq of [...ordered, ...absorbed]) replaced.set(eq, null);
      const names = [...absorbed, ...ordered].map((eq) => eq.primitive.name);
      if (summed === undefined) replaced.set(root, deviceEquation(names, inputs, root.output, loop, kernel));
      else {
        replaced.set(root, null);
        replaced.set(summed.eq, deviceEquation([...names, "sum"], inputs, summed.eq.output, loop, kernel));
      }
      continue;
    }
    const compiled = compilerOf(backend)?.(programOf(whole));
    if (!whole && compiled !== undefined && members.size + absorbed.length >= 2) summed = undefined;
    if (summed === undefined && members.size + absorbed.length < fewest) continue;
    const sum = summed?.eq;
    const native = summed === undefined || whole ? compiled : undefined;
    const kernel = compileFused(ops, inputs.length, loop, summed?.into, windows);
    if (kernel === undefined) return p;
    for (const eq of [...ordered, ...absorbed]) replaced.set(eq, null);
    const names = [...absorbed, ...ordered].map((eq) => eq.primitive.name);
    if (sum === undefined) replaced.set(root, fusedEquation(names, inputs, root.output, loop, kernel, native, programOf(false)));
    else {
      replaced.set(root, null);
      replaced.set(sum, fusedEquation([...names, "sum"], inputs, sum.output, loop, kernel, native, undefined));
    }
  }
  const equations = p.equations.flatMap((eq) => {
    const r = replaced.get(eq);
    return r === undefined ? [eq] : r === null ? [] : [r];
  });
  return new Program(p.inputs, p.constants, equations, p.outputs, p.rebuild);
}
