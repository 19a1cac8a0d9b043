/**
 * JAX-style functional transforms over the same engine: `grad`, `valueAndGrad`, `vjp`. They never
 * touch `.grad`; they differentiate with respect to the arguments they are given. Nested use works
 * (grad of grad): when an argument is already part of an outer differentiation, the inner sweep is
 * recorded (`createGraph`) so the outer one can differentiate through it.
 */
import { AdError, describe, expectFunction, invalidArgument } from "../../errors.js";
import { isFloat } from "../dtype.js";
import { formatShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { cotangentsOf, seedFor } from "./backward.js";
import { enableGrad, isGradEnabled } from "./mode.js";

export interface GradOptions {
  /** Which positional arguments to differentiate with respect to (default 0). */
  readonly argnums?: number | readonly number[];
}

type Fn = (...args: never[]) => unknown;

/** How many transforms' functions are running (nesting depth); 0 outside any transform. */
let depth = 0;

function argnumsOf(op: string, options: unknown, count: number): { list: number[]; single: boolean } {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw invalidArgument(op, `options must be an object, got ${describe(options)}`, { got: describe(options) });
  }
  const argnums = (options as GradOptions | undefined)?.argnums ?? 0;
  const single = typeof argnums === "number";
  const list = single ? [argnums] : Array.isArray(argnums) ? [...argnums] : null;
  if (list === null || list.length > 64 || list.some((a) => typeof a !== "number" || !Number.isInteger(a) || a < 0 || a >= count)) {
    throw invalidArgument(op, `argnums must be argument positions in [0, ${count - 1}], got ${describe(argnums)}`, { argnums: describe(argnums), arguments: count });
  }
  return { list, single };
}

/**
 * Runs f with the chosen arguments as differentiation inputs. An argument that already requires a
 * gradient (an outer transform's input) is used as is, so the outer graph stays connected; any other
 * becomes a fresh leaf that shares its storage.
 */
function trace(op: string, f: Fn, args: unknown[], argnums: readonly number[]): { output: unknown; inputs: Tensor[]; nested: boolean } {
  const inputs: Tensor[] = [];
  const callArgs = [...args];
  let nested = false;
  for (const k of argnums) {
    const x = args[k];
    if (!(x instanceof Tensor)) throw invalidArgument(op, `argument ${k} must be a Tensor, got ${describe(x)}`, { argument: k, got: describe(x) });
    if (!isFloat(x.dtype)) throw new AdError("DTypeMismatch", `argument ${k} has dtype ${x.dtype}; only float tensors have gradients`, { op, argument: k, dtype: x.dtype });
    let input = x;
    if (x.requiresGrad && isGradEnabled()) nested = true;
    else {
      input = new Tensor(x.storage, x.dtype, x.shape, x.strides, x.offset, x.device);
      input.requiresGrad = true;
    }
    inputs.push(input);
    callArgs[k] = input;
  }
  // Inside another transform's function, this one's result must stay differentiable for the outer one
  // (its function may close over the outer inputs even when its own arguments do not require grad).
  nested ||= depth > 0;
  depth++;
  try {
    const output = enableGrad(() => f(...(callArgs as never[])));
    return { output, inputs, nested };
  } finally {
    depth--;
  }
}

function scalarOutput(op: string, y: unknown): Tensor {
  if (!(y instanceof Tensor)) throw invalidArgument(op, `f must return a Tensor, got ${describe(y)}`, { returned: describe(y) });
  if (y.size !== 1 || !isFloat(y.dtype)) {
    throw new AdError("ShapeMismatch", `f must return a one-element float tensor to take its gradient, got ${y.dtype} ${formatShape(y.shape)}; use vjp for other outputs`, {
      op,
      shape: [...y.shape],
      dtype: y.dtype,
    });
  }
  return y;
}

/** f's value and its gradient with respect to the arguments at `argnums` (one tensor, or a list for a list). */
export function valueAndGrad<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => [Tensor, Tensor | Tensor[]] {
  const op = "valueAndGrad";
  expectFunction(op, "f", f);
  return (...args: Parameters<F>) => {
    const { list, single } = argnumsOf(op, options, args.length);
    const { output, inputs, nested } = trace(op, f, args, list);
    const y = scalarOutput(op, output);
    const grads = cotangentsOf(y, seedFor(op, y, undefined), inputs, { createGraph: nested });
    return [y, single ? grads[0] : grads];
  };
}

/** The gradient of a scalar-valued f with respect to the arguments at `argnums`; composable (grad(grad(f))). */
export function grad<F extends Fn>(f: F, options?: GradOptions): (...args: Parameters<F>) => Tensor | Tensor[] {
  expectFunction("grad", "f", f);
  const vg = valueAndGrad(f, options);
  return (...args: Parameters<F>) => vg(...args)[1];
}

/**
 * f's output at `primals` and its pullback: `pullback(ct)` is the cotangent of every primal for an
 * output cotangent `ct` of the output's shape. The pullback may be called several times.
 */
export function vjp(f: Fn, ...primals: Tensor[]): [Tensor, (cotangent: Tensor) => Tensor[]] {
  const op = "vjp";
  expectFunction(op, "f", f);
  const { output, inputs, nested } = trace(op, f, primals, primals.map((_, i) => i));
  if (!(output instanceof Tensor)) throw invalidArgument(op, `f must return a Tensor, got ${describe(output)}`, { returned: describe(output) });
  return [output, (cotangent: Tensor) => cotangentsOf(output, seedFor(op, output, cotangent), inputs, { createGraph: nested, retainGraph: true })];
}
