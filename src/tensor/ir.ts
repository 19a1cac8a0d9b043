/**
 * The typed IR that `trace` records: a program of equations, each a primitive applied to variables
 * with its parameters, giving one variable of known shape and dtype. It prints like JAX's jaxpr
 * (`{ lambda consts ; inputs . let eqns in (outputs) }`) and evaluates again by binding each
 * primitive in order, so running it under `grad`, `jvp` or another `trace` works like the original.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import type { DType } from "./dtype.js";
import { bind, type Primitive } from "./primitive.js";
import { formatShape, sameShape } from "./shape.js";
import { Tensor } from "./tensor.js";

/** A value of the program, known by shape and dtype; its name is given when printed. */
export interface Variable {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface Equation {
  readonly primitive: Primitive<unknown>;
  readonly inputs: readonly Variable[];
  readonly output: Variable;
  readonly params: unknown;
}

const SHORT: Record<DType, string> = { float32: "f32", float64: "f64", int32: "i32", uint8: "u8", int8: "i8", bool: "bool", float16: "f16" };

export class Program {
  constructor(
    readonly inputs: readonly Variable[],
    /** Concrete tensors the traced function captured (from its closure or created inside it). */
    readonly constants: readonly { readonly variable: Variable; readonly value: Tensor }[],
    readonly equations: readonly Equation[],
    readonly outputs: readonly Variable[],
    /** Puts output tensors back into the structure (pytree) the traced function returned (jit keeps it when it rewrites the equations). */
    readonly rebuild: (leaves: readonly Tensor[]) => unknown,
  ) {}

  /** Runs the equations on new inputs of the traced shapes and dtypes (eagerly, through `bind`). */
  evaluate(...inputs: readonly Tensor[]): unknown {
    const op = "Program.evaluate";
    if (inputs.length !== this.inputs.length)
      throw invalidArgument(op, `the program takes ${this.inputs.length} input tensors, got ${inputs.length}`, { expected: this.inputs.length, got: inputs.length });
    const env = new Map<Variable, Tensor>();
    this.inputs.forEach((v, i) => {
      const t: unknown = inputs[i];
      if (!(t instanceof Tensor)) throw invalidArgument(op, `input ${i} must be a Tensor, got ${describe(t)}`, { index: i, got: describe(t) });
      if (!sameShape(t.shape, v.shape))
        throw new AdError("ShapeMismatch", `input ${i} has shape ${formatShape(t.shape)}, the program was traced with ${formatShape(v.shape)}`, {
          op,
          shapes: [[...t.shape], [...v.shape]],
        });
      if (t.dtype !== v.dtype) throw new AdError("DTypeMismatch", `input ${i} is ${t.dtype}, the program was traced with ${v.dtype}`, { op, dtypes: [t.dtype, v.dtype] });
      env.set(v, t);
    });
    for (const c of this.constants) env.set(c.variable, c.value);
    for (const eq of this.equations) {
      env.set(
        eq.output,
        bind(
          eq.primitive,
          eq.inputs.map((v) => env.get(v) as Tensor),
          ownParams(eq.params),
        ),
      );
    }
    return this.rebuild(this.outputs.map((v) => env.get(v) as Tensor));
  }

  toString(): string {
    const names = new Map<Variable, string>();
    const name = (v: Variable): string => {
      let n = names.get(v);
      if (n === undefined) names.set(v, (n = varName(names.size)));
      return n;
    };
    const typed = (v: Variable) => `${name(v)}:${SHORT[v.dtype]}[${v.shape.join(",")}]`;
    const consts = this.constants.map((c) => typed(c.variable)).join(" ");
    const ins = this.inputs.map(typed).join(" ");
    const eqs = this.equations.map((eq) => `    ${typed(eq.output)} = ${eq.primitive.name}${formatParams(eq.params)} ${eq.inputs.map(name).join(" ")}`);
    const outs = this.outputs.map(name).join(" ");
    return `{ lambda ${consts}${consts === "" ? "" : " "}; ${ins}${ins === "" ? "" : " "}. let\n${eqs.join("\n")}${eqs.length > 0 ? "\n" : ""}  in (${outs}) }`;
  }
}

/**
 * A fresh copy of plain-object params for each evaluation: a user's primitive (customVjp) keeps
 * per-call state there (its residuals), which two evaluations of one program must not share.
 */
function ownParams(params: unknown): unknown {
  if (params === null || typeof params !== "object" || Object.getPrototypeOf(params) !== Object.prototype) return params;
  return { ...params };
}

/** a, b, …, z, ba, bb, … (as jaxprs name their variables). */
function varName(i: number): string {
  let s = "";
  do {
    s = String.fromCharCode(97 + (i % 26)) + s;
    i = Math.floor(i / 26);
  } while (i > 0);
  return s;
}

function formatParams(params: unknown): string {
  if (params === undefined || params === null) return "";
  if (typeof params !== "object" || Array.isArray(params)) return `[${formatValue(params)}]`;
  const entries = Object.entries(params).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? "" : `[${entries.map(([k, v]) => `${k}=${formatValue(v)}`).join(", ")}]`;
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return `(${v.map(formatValue).join(",")})`;
  if (v instanceof Tensor) return `tensor:${SHORT[v.dtype]}${formatShape(v.shape)}`;
  // A control-flow primitive's sub-program, printed in full (its variables named on their own), indented.
  if (v instanceof Program) return v.toString().replace(/\n/g, "\n    ");
  if (typeof v === "function") return "<function>";
  if (v !== null && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}=${formatValue(x)}`)
      .join(", ")}}`;
  return String(v);
}
