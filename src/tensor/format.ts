/**
 * How a tensor prints (`String(t)`, `console.log(t)`): its values as nested brackets, like PyTorch
 * and NumPy, then dtype, shape, device and `requiresGrad`. A tensor of more than THRESHOLD elements
 * shows the first and last EDGE entries of each axis with "…" between. Where the values cannot be read
 * synchronously (another device, an abstract tensor under trace, a disposed one) only the header prints.
 */
import { isInteger, type DType, type Storage } from "./dtype.js";
import { formatShape, type Shape } from "./shape.js";

const THRESHOLD = 1000;
const EDGE = 3;

export interface Printable {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly requiresGrad: boolean;
  readonly device: { readonly name: string };
}

/** One element: bool as true/false, integers exactly, floats to 5 significant digits (−0, NaN, ±∞ as JS writes them). */
function element(dtype: DType, v: number): string {
  if (dtype === "bool") return v !== 0 ? "true" : "false";
  if (isInteger(dtype) || !Number.isFinite(v)) return String(v);
  if (Object.is(v, -0)) return "-0";
  return String(Number(v.toPrecision(5)));
}

/** The indices of an axis of size n that print: all, or the first and last EDGE with a gap (-1) between. */
function shown(n: number, elide: boolean): number[] {
  if (!elide || n <= 2 * EDGE) return Array.from({ length: n }, (_, i) => i);
  return [...Array.from({ length: EDGE }, (_, i) => i), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)];
}

/** The values of a row-major `values` of `shape`, nested; rows of a matrix and deeper on lines of their own, indented under their bracket. */
function nested(dtype: DType, shape: Shape, values: Storage, elide: boolean): string {
  const strides: number[] = [];
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  const visit = (axis: number, offset: number, indent: number): string => {
    if (axis === shape.length) return element(dtype, values[offset] as number);
    const parts = shown(shape[axis], elide).map((i) => (i < 0 ? "…" : visit(axis + 1, offset + i * strides[axis], indent + 1)));
    const separator = axis === shape.length - 1 ? ", " : `,${"\n".repeat(shape.length - 1 - axis)}${" ".repeat(indent + 1)}`;
    return `[${parts.join(separator)}]`;
  };
  return visit(0, 0, "tensor(".length);
}

/** `tensor([[1, 2], [3, 4]], { dtype: float32, shape: [2, 2], device: cpu })`; `values` undefined prints the header alone. */
export function formatTensor(t: Printable, values: Storage | undefined): string {
  const header = [`dtype: ${t.dtype}`, `shape: ${formatShape(t.shape)}`, `device: ${t.device.name}`, ...(t.requiresGrad ? ["requiresGrad: true"] : [])].join(", ");
  if (values === undefined) return `tensor({ ${header} })`;
  const size = values.length;
  return `tensor(${nested(t.dtype, t.shape, values, size > THRESHOLD)}, { ${header} })`;
}
