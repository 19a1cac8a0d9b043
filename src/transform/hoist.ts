/**
 * JS hoisting, as the lowering needs it: the names a function body declares with `var`, anywhere in
 * it (blocks, loops, `for` heads) but not in the functions it contains, which have their own.
 */
import type { Node } from "acorn";

type N = Node & Record<string, any>;

/** The `var` names of a function body, each once, in order of first declaration. */
export function varNames(body: N): string[] {
  const names = new Set<string>();
  const visit = (n: N) => {
    if (/Function|Class/.test(n.type)) return;
    if (n.type === "VariableDeclaration" && n.kind === "var") {
      for (const d of n.declarations as N[]) if (d.id.type === "Identifier") names.add(d.id.name);
    }
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) v.forEach((c) => c && typeof c.type === "string" && visit(c));
      else if (v && typeof v.type === "string") visit(v);
    }
  };
  (body.body as N[]).forEach(visit);
  return [...names];
}
