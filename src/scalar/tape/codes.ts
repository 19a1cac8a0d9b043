/**
 * The op code stored per node: which op produced it. Error messages name the op from it, and a
 * recording (`replay.ts`) re-evaluates each node from it.
 */
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp } from "../scalar.js";

export const VARIABLE = 0;
export const PASSIVE = 1;
export const SUM = 2;
export const CHECKPOINT = 3;
/** A statement preaccumulated by `h.begin()` … `h.end(out)` (`handles.ts`): one node, its local partials. */
export const STATEMENT = 4;
/** The first unary op's code; the binary ops follow the unary ones. */
export const FIRST_UNARY = 5;
export const FIRST_BINARY = FIRST_UNARY + UNARY_OPS.length;
export const OP_NAMES: readonly string[] = ["variable", "constant", "sum", "checkpoint", "statement", ...UNARY_OPS, ...BINARY_OPS];
export const UNARY_CODE = Object.fromEntries(UNARY_OPS.map((name, i) => [name, FIRST_UNARY + i])) as Record<UnaryOp, number>;
export const BINARY_CODE = Object.fromEntries(BINARY_OPS.map((name, i) => [name, FIRST_BINARY + i])) as Record<BinaryOp, number>;
