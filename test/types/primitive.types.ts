/**
 * The primitive definition is a rule table the compiler checks (checked by `npm test`, tsc over
 * test/; an unused `@ts-expect-error` fails it). Nothing here runs.
 */
import { definePrimitive } from "../../src/tensor/primitive.js";
import { sameRule } from "../../src/tensor/primitives/rules.js";

export const withRule = definePrimitive("withRule", { abstract: sameRule, impl: ([x]) => x });

// A primitive without an abstract rule (its output's shape and dtype) is a compile error, not a
// trace that would have to run its kernel.
// @ts-expect-error abstract is required
export const withoutRule = definePrimitive("withoutRule", { impl: ([x]) => x });
