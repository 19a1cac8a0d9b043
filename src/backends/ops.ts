/**
 * The names of the elementwise ops and reductions a backend may run in place of the reference
 * kernels (backend.ts `Backend.unary` / `binary` / `reduce`). Every primitive of these kinds offers
 * its op by name; a backend takes the ones it has kernels for and returns undefined for the rest.
 */

export type UnaryOp = "neg" | "abs" | "sign" | "relu" | "sqrt" | "rsqrt" | "exp" | "log" | "sin" | "cos" | "tanh" | "sigmoid" | "softplus" | "erf" | "gelu" | "geluTanh";

/**
 * `reluGrad(g, x)`: g where x > 0, else 0 — relu's backward in one pass (a mask and a product otherwise).
 * `mulSafe(g, d)`, `divSafe(g, d)`: g·d and g/d, but 0 where g is 0 even if d is ±∞, 0 or NaN — a zero
 * (co)tangent against a local derivative that may be infinite.
 */
export type BinaryOp = "add" | "sub" | "mul" | "div" | "maximum" | "minimum" | "pow" | "reluGrad" | "mulSafe" | "divSafe";

export type ReduceOp = "sum" | "max" | "min" | "prod";
