/**
 * One copy of a loop per scalar function, so the function is inlined into it.
 *
 * A kernel shared by every elementwise op (`out[i] = f(x[i])`) calls a different `f` each time, so
 * V8 sees a megamorphic call and pays a full call per element (~10 ns). Closures made by one factory
 * share their type feedback, so a factory alone does not help. `specialize(factory)` re-creates the
 * factory from its own source: each copy is a new function literal with feedback of its own, whose
 * single `f` V8 inlines into the loop (~1 ns per element). The source is the factory's, never a
 * string assembled from user data (the label, which names the copy for profilers, is sanitised).
 *
 * A factory must be self-contained: everything it uses comes in through its parameters (no imports,
 * no module-level names — a bundler may rename those). Where code generation is forbidden (a strict
 * Content-Security-Policy) the factory itself is used: the same results, only slower.
 */
export function specialize<F extends (...deps: never[]) => unknown>(factory: F, label = ""): F {
  try {
    // The label names the copy in profiles and stack traces (e.g. "adjoint-kernel/_x_y_=>x+y").
    const url = `adjoint-kernel/${label.replace(/[^\w+\-*<>=!?.]+/g, "_").slice(0, 60)}`;
    return new Function(`"use strict"; return (${factory.toString()});\n//# sourceURL=${url}`)() as F;
  } catch {
    return factory;
  }
}
