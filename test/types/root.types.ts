/**
 * The root's shared names mean what their argument says (checked by tsc over test/; an unused
 * `@ts-expect-error` fails the type check). Nothing here runs.
 */
import { erf, hessian, tensor, tensorHessian, type Tensor } from "../../src/index.js";
import { hessian as scalarHessian } from "../../src/scalar/index.js";
import { hessian as tensorOnlyHessian } from "../../src/tensor/index.js";

export function hessianByWhatItIsGiven(): number {
  // Numbers: the scalar Hessian, a matrix.
  const h: number[][] = hessian((xs, S) => S.mul(xs[0], S.sin(xs[1])), [1, 2]);
  // A tensor function: the tensor transform, a function of tensors.
  const th: (x: Tensor) => Tensor = hessian((x: Tensor) => x.mul(x).sum());
  const t: Tensor = th(tensor([1, 2]));
  // @ts-expect-error the scalar Hessian is a matrix, not a function
  const wrong: (x: Tensor) => Tensor = hessian((xs, S) => S.mul(xs[0], xs[0]), [1]);
  void wrong;
  // The subpaths keep one meaning each, and the explicit tensor name stays.
  // @ts-expect-error adjoint/scalar's hessian needs the point
  scalarHessian((xs) => xs[0]);
  // @ts-expect-error adjoint/tensor's hessian takes no point (it returns a function)
  tensorOnlyHessian((x: Tensor) => x.sum(), [1]);
  const same: (x: Tensor) => Tensor = tensorHessian((x: Tensor) => x.sum());
  void same;
  void t;
  return h[0][0];
}

export function erfByWhatItIsGiven(): number {
  const n: number = erf(0.5);
  const t: Tensor = erf(tensor([0.5, 1]));
  // @ts-expect-error erf of a tensor is a tensor
  const wrong: number = erf(tensor([0.5]));
  void wrong;
  void t;
  return n;
}
