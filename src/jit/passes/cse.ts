/**
 * Common-subexpression elimination: an equation applying the same registry primitive, with equal
 * parameters, to the same variables as an earlier one is dropped and its output replaced by the
 * earlier output. A user's primitive (customVjp, checkpoint) is never merged: its parameters carry
 * per-call state. Parameters count as equal when their plain-data keys are; a parameter holding a
 * tensor or a function makes the equation unmergeable.
 */
import { Program, type Equation, type Variable } from "../../tensor/index.js";
import type { Primitive } from "../../tensor/primitive.js";
import { primitives } from "../../tensor/primitives/registry.js";

const REGISTRY = new Set<Primitive<unknown>>(Object.values(primitives) as Primitive<unknown>[]);

/** A key for plain-data params (numbers, strings, booleans, arrays, plain objects); undefined otherwise. */
function paramsKey(v: unknown): string | undefined {
  if (v === undefined || v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean") return `${typeof v}:${String(v)}`;
  if (Array.isArray(v)) {
    const parts = (v as unknown[]).map(paramsKey);
    return parts.includes(undefined) ? undefined : `[${parts.join(",")}]`;
  }
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const parts = Object.entries(v as Record<string, unknown>).map(([k, x]) => {
      const key = paramsKey(x);
      return key === undefined ? undefined : `${k}=${key}`;
    });
    return parts.includes(undefined) ? undefined : `{${parts.join(",")}}`;
  }
  return undefined;
}

export function eliminateCommonSubexpressions(p: Program): Program {
  const replaced = new Map<Variable, Variable>();
  const seen = new Map<string, Variable>();
  const ids = new Map<Variable, number>();
  const idOf = (v: Variable): number => {
    let id = ids.get(v);
    if (id === undefined) ids.set(v, (id = ids.size));
    return id;
  };
  const names = new Map<Primitive<unknown>, number>();
  const equations: Equation[] = [];
  for (const eq of p.equations) {
    const inputs = eq.inputs.map((v) => replaced.get(v) ?? v);
    const params = REGISTRY.has(eq.primitive) ? paramsKey(eq.params) : undefined;
    if (params !== undefined) {
      if (!names.has(eq.primitive)) names.set(eq.primitive, names.size);
      const key = `${names.get(eq.primitive)}(${inputs.map(idOf).join(",")})${params}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        replaced.set(eq.output, earlier);
        continue;
      }
      seen.set(key, eq.output);
    }
    equations.push(inputs.every((v, i) => v === eq.inputs[i]) ? eq : { ...eq, inputs });
  }
  return new Program(
    p.inputs,
    p.constants,
    equations,
    p.outputs.map((v) => replaced.get(v) ?? v),
    p.rebuild,
  );
}
