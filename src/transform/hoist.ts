/**
 * JS hoisting, as the lowering needs it: the names a function body declares with `var`, anywhere in
 * it (blocks, loops, `for` heads) but not in the functions it contains, which have their own.
 */
import type { Node } from "acorn";

type N = Node & Record<string, any>;

/** The `var` names of a function body, each once, in order of first declaration. */
export function varNames(body: N): string[] {
  const names = new Set<string>();
  // Only statements can declare: expressions (however deep) are not walked.
  const visit = (n: N | null | undefined): void => {
    switch (n?.type) {
      case "VariableDeclaration":
        if (n.kind === "var") for (const d of n.declarations as N[]) if (d.id.type === "Identifier") names.add(d.id.name);
        return;
      case "BlockStatement":
        return (n.body as N[]).forEach(visit);
      case "IfStatement":
        visit(n.consequent);
        return visit(n.alternate);
      case "ForStatement":
        visit(n.init);
        return visit(n.body);
      case "ForOfStatement":
      case "ForInStatement":
        visit(n.left);
        return visit(n.body);
      case "WhileStatement":
      case "DoWhileStatement":
      case "LabeledStatement":
        return visit(n.body);
      case "TryStatement":
        visit(n.block);
        visit(n.handler?.body);
        return visit(n.finalizer);
      case "SwitchStatement":
        return (n.cases as N[]).forEach((c) => (c.consequent as N[]).forEach(visit));
    }
  };
  visit(body);
  return [...names];
}
