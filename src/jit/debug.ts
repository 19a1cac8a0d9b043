/**
 * `debug.print(fmt, ...tensors)`: prints tensors' values from inside a jitted function, at every call.
 *
 * A `console.log` in a jitted function runs once, when the function is traced, and sees abstract
 * tensors (shape and dtype, no values). `debug.print` is instead an equation of the program, a
 * primitive whose kernel is a host callback: it runs each time the program runs, with that call's
 * values. Eagerly (outside any trace) it prints at once. Its output is an empty placeholder no one
 * reads, so dead-code elimination keeps it by its effect (passes/dce.ts), and common-subexpression
 * elimination never merges two of them (it merges registry primitives only).
 */
import { describe, invalidArgument } from "../errors.js";
import { allocate } from "../backends/dtype.js";
import { bind, definePrimitive, type Primitive } from "../tensor/primitive.js";
import { fromStorage, Tensor } from "../tensor/tensor.js";

const PLACEHOLDER = "{}";

/** `fmt` with each `{}` replaced by the next tensor as it prints (`String(t)`: values, dtype, shape). */
function format(fmt: string, tensors: readonly Tensor[]): string {
  const parts = fmt.split(PLACEHOLDER);
  return parts.reduce((out, part, i) => out + (i === 0 ? "" : String(tensors[i - 1])) + part, "");
}

export const debugPrintP: Primitive<{ readonly fmt: string }> = definePrimitive<{ readonly fmt: string }>("debugPrint", {
  abstract: () => ({ shape: [0], dtype: "bool" }),
  impl: (inputs, { fmt }) => {
    console.log(format(fmt, inputs));
    return fromStorage(allocate("bool", 0), "bool", [0], inputs[0]?.device);
  },
  // Printing has no derivative: nothing flows back to the printed tensors through it.
  vjp: ({ inputs }) => inputs.map(() => null),
  jvp: () => null,
});

/** Whether `primitive` is kept for its effect, though no output depends on it. */
export function isEffect(primitive: Primitive<unknown>): boolean {
  return primitive === (debugPrintP as Primitive<unknown>);
}

/**
 * Prints `fmt` with each `{}` replaced by the next tensor, now (eagerly) or, inside `jit`, every time
 * the compiled program runs, with that run's values.
 */
function print(fmt: string, ...tensors: Tensor[]): void {
  const op = "debug.print";
  if (typeof fmt !== "string") throw invalidArgument(op, `fmt must be a string, got ${describe(fmt)}`, { argument: "fmt", got: describe(fmt) });
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw invalidArgument(op, `tensors[${i}] must be a Tensor, got ${describe(t)}`, { argument: "tensors", index: i });
  });
  const holes = fmt.split(PLACEHOLDER).length - 1;
  if (holes !== tensors.length) {
    throw invalidArgument(op, `fmt has ${holes} {} placeholders for ${tensors.length} tensors`, { placeholders: holes, tensors: tensors.length });
  }
  bind(debugPrintP, tensors, { fmt });
}

/** Debugging helpers that work inside `jit` (JAX's jax.debug). */
export const debug = { print } as const;
