/**
 * Compile-time checks of the source-transformation API (run by `npm test` via tsc; an unused
 * `@ts-expect-error` fails the type check). Nothing here runs.
 */
import { differentiate, transformHessian, type TransformGradient } from "../../src/transform/index.js";

export function derivativesHaveTheirOwnShapes(): number {
  const f = (x: number[], y: number) => x[0] * y;
  const df = differentiate(f);
  const { value, gradient } = df([1, 2], 3);
  const g: TransformGradient = gradient;
  df.into([new Float64Array(2), undefined], [1, 2], 3);
  // @ts-expect-error into takes an array of gradient entries, not one array
  df.into(new Float64Array(2), [1, 2], 3);
  const jvp = differentiate(f, { mode: "forward" });
  const t: number = jvp([[1, 2], 3], [[1, 0], 0]).tangent;
  // forward over reverse: the value is the gradient, the tangent H·v, both one entry per argument
  const hvp = differentiate(df, { mode: "forward" });
  const hv: TransformGradient = hvp([[1, 2], 3], [[1, 0], 0]).tangent;
  // @ts-expect-error an HVP's tangent is not a number
  const wrong: number = hvp([[1, 2], 3], [[1, 0], 0]).tangent;
  void wrong;
  // @ts-expect-error a forward derivative has no into
  jvp.into([], 1);
  const h: number[][] = transformHessian(f)([1, 2], 3).hessian;
  return value + g.length + t + hv.length + h.length;
}
