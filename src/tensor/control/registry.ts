/**
 * The control-flow primitives, by name. They are not in the registry of primitives/registry.ts:
 * their parameters are traced programs and their rules trace more of them, with the transforms
 * (jvp, vjp, vmap) that sit above the registry. Their meta-test (test/tensor/control/registry.test.ts)
 * walks this list as the registry's meta-tests walk that one; their batching rules are registered
 * beside each primitive.
 */
import type { Primitive } from "../primitive.js";
import { scanP } from "./scan.js";
import { switchP } from "./switch.js";
import { whileP } from "./while.js";

export const controlPrimitives = { scan: scanP, switch: switchP, while: whileP } satisfies Record<string, Primitive<never>>;

export type ControlPrimitiveName = keyof typeof controlPrimitives;
