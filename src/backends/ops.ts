/**
 * The names of the elementwise ops (expressions.ts, the table with their reference functions) and
 * of the reductions a backend runs (backend.ts `Backend.unary` / `binary` / `reduce`).
 */
export type { BinaryOp, UnaryOp } from "./expressions.js";

export type ReduceOp = "sum" | "max" | "min" | "prod";

/** Which end of the order a max/min family routine (tieShare, argExtreme) picks. */
export type Extreme = "max" | "min";
