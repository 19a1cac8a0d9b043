/**
 * Which declaration a name refers to at a point of a module, as JavaScript binds it: block scopes,
 * parameters (destructured too), catch clauses, `var` hoisted to its function, function and class
 * declarations, imports. Module code is strict, so there is no `with` and a direct `eval` can assign
 * the names it sees but declare none; what it could assign counts as reassigned.
 */
import type { Node } from "acorn";

type N = Node & Record<string, any>;

export type BindingKind = "import" | "var" | "let" | "const" | "class" | "function" | "parameter" | "catch parameter" | "own name";

export interface Binding {
  readonly name: string;
  readonly kind: BindingKind;
  readonly scope: Scope;
  /** The VariableDeclarator, function, class, import specifier or catch clause that binds it. */
  readonly declaration: N;
  /** Assigned after its declaration (or declared twice), or a direct eval could assign it. */
  reassigned: boolean;
}

export interface Scope {
  readonly node: N;
  readonly parent: Scope | null;
  /**
   * The function, module or instance field whose run executes this scope's code in source order
   * (a static block or static field runs where its class stands, so it shares the class's).
   */
  readonly activation: N;
  /** Where a `var` inside lands: a function body, the module, a static block. */
  readonly holdsVars: boolean;
  readonly bindings: Map<string, Binding>;
}

/** A module's scopes: `resolve` finds the binding of an identifier in it. */
export class Scopes {
  readonly module: Scope;
  /** Each identifier the analysis met, with the scope it was met in. */
  private readonly at = new Map<N, Scope>();

  constructor(program: N) {
    this.module = newScope(program, null, program, true);
    this.visit(program, this.module);
    this.findAssignments(program);
  }

  /** The binding `id` refers to; undefined for a global (or an identifier that names no variable). */
  resolve(id: N): Binding | undefined {
    for (let s: Scope | null | undefined = this.at.get(id); s; s = s.parent) {
      const b = s.bindings.get(id.name);
      if (b !== undefined) return b;
    }
    return undefined;
  }

  /**
   * Why a read of `b` at `id` might not see the value its declaration gives it, or undefined if it
   * must: not reassigned, not in a switch (whose cases can jump past a declaration), not read
   * before its declaration in the same run of its scope (the temporal dead zone, which throws).
   */
  unsettled(b: Binding, id: N): string | undefined {
    if (b.reassigned) return "is assigned after its declaration (or by eval)";
    if (b.kind !== "let" && b.kind !== "const" && b.kind !== "class") return undefined;
    if (b.scope.node.type === "SwitchStatement") return `is declared in a switch (line ${line(b.declaration)})`;
    if (id.start < b.declaration.end && this.at.get(id)?.activation === b.scope.activation) return `is read before its declaration (line ${line(b.declaration)}) runs`;
    return undefined;
  }

  private declare(scope: Scope, id: N, kind: BindingKind, declaration: N): void {
    const seen = scope.bindings.get(id.name);
    // A second `var` (or function) of one name in one scope is an assignment to the first.
    if (seen !== undefined) seen.reassigned = true;
    else scope.bindings.set(id.name, { name: id.name, kind, scope, declaration, reassigned: false });
  }

  private declarePattern(scope: Scope, pattern: N, kind: BindingKind, declaration: N): void {
    for (const id of patternNames(pattern)) this.declare(scope, id, kind, declaration);
  }

  private visit(n: N, s: Scope): void {
    switch (n.type) {
      case "Identifier":
        this.at.set(n, s);
        return;
      case "ImportDeclaration":
        for (const spec of n.specifiers as N[]) this.declare(this.module, spec.local, "import", spec);
        return;
      case "ExportNamedDeclaration":
        if (n.declaration) this.visit(n.declaration, s);
        else if (!n.source) for (const spec of n.specifiers as N[]) this.visit(spec.local, s);
        return;
      case "ExportAllDeclaration":
      case "MetaProperty":
      case "BreakStatement":
      case "ContinueStatement":
        return;
      case "LabeledStatement":
        this.visit(n.body, s);
        return;
      case "VariableDeclaration": {
        const target = n.kind === "var" ? varScope(s) : s;
        for (const d of n.declarations as N[]) {
          this.declarePattern(target, d.id, n.kind, d);
          this.visit(d.id, s);
          if (d.init) this.visit(d.init, s);
        }
        return;
      }
      case "FunctionDeclaration":
        if (n.id) this.declare(s, n.id, "function", n);
        this.visitFunction(n, s);
        return;
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        this.visitFunction(n, s);
        return;
      case "ClassDeclaration":
      case "ClassExpression": {
        if (n.type === "ClassDeclaration" && n.id) this.declare(s, n.id, "class", n);
        // Inside its body a class sees its own name, whatever the outside does with it.
        const inner = newScope(n, s, s.activation, false);
        if (n.id) this.declare(inner, n.id, "own name", n);
        if (n.superClass) this.visit(n.superClass, inner);
        for (const member of n.body.body as N[]) this.visitMember(member, inner);
        return;
      }
      case "BlockStatement":
        this.visitAll(n.body, newScope(n, s, s.activation, false));
        return;
      case "ForStatement":
      case "ForInStatement":
      case "ForOfStatement":
      case "SwitchStatement": {
        if (n.type === "SwitchStatement") this.visit(n.discriminant, s);
        const inner = newScope(n, s, s.activation, false);
        for (const child of children(n)) if (child !== n.discriminant) this.visit(child, inner);
        return;
      }
      case "CatchClause": {
        const inner = newScope(n, s, s.activation, false);
        if (n.param) {
          this.declarePattern(inner, n.param, "catch parameter", n);
          this.visit(n.param, inner);
        }
        this.visit(n.body, inner);
        return;
      }
      case "MemberExpression":
        this.visit(n.object, s);
        if (n.computed) this.visit(n.property, s);
        return;
      case "Property":
        if (n.computed) this.visit(n.key, s);
        this.visit(n.value, s);
        return;
      default:
        this.visitAll(children(n), s);
    }
  }

  private visitAll(nodes: N[], s: Scope): void {
    for (const n of nodes) this.visit(n, s);
  }

  private visitFunction(fn: N, outer: Scope): void {
    let s = outer;
    // A named function expression sees its own name, between the outside and its parameters.
    if (fn.type === "FunctionExpression" && fn.id) {
      s = newScope(fn, outer, outer.activation, false);
      this.declare(s, fn.id, "own name", fn);
    }
    // Parameters (and their defaults) do not see the body's declarations; the body sees them.
    const parameters = newScope(fn, s, fn, false);
    for (const p of fn.params as N[]) {
      this.declarePattern(parameters, p, "parameter", fn);
      this.visit(p, parameters);
    }
    if (fn.body.type === "BlockStatement") this.visitAll(fn.body.body, newScope(fn.body, parameters, fn, true));
    else this.visit(fn.body, parameters);
  }

  private visitMember(m: N, classScope: Scope): void {
    if (m.computed) this.visit(m.key, classScope);
    if (m.type === "MethodDefinition") this.visitFunction(m.value, classScope);
    // An instance field's initializer runs later, when an instance is made.
    else if (m.type === "PropertyDefinition" && m.value) this.visit(m.value, newScope(m, classScope, m.static ? classScope.activation : m, false));
    else if (m.type === "StaticBlock") this.visitAll(m.body, newScope(m, classScope, classScope.activation, true));
  }

  /** Marks what assignments, updates, for-in/of heads and a direct eval can change. */
  private findAssignments(program: N): void {
    const assigned = (target: N) => {
      for (const id of patternNames(target)) {
        const b = this.resolve(id);
        if (b !== undefined) b.reassigned = true;
      }
    };
    walk(program, (n) => {
      if (n.type === "AssignmentExpression") assigned(n.left);
      else if (n.type === "UpdateExpression") assigned(n.argument);
      else if ((n.type === "ForInStatement" || n.type === "ForOfStatement") && n.left.type !== "VariableDeclaration") assigned(n.left);
      else if (n.type === "CallExpression" && n.callee.type === "Identifier" && n.callee.name === "eval" && this.resolve(n.callee) === undefined) {
        for (let s: Scope | null | undefined = this.at.get(n.callee); s; s = s.parent)
          for (const b of s.bindings.values()) if (b.kind !== "const" && b.kind !== "import") b.reassigned = true;
      }
    });
  }
}

function newScope(node: N, parent: Scope | null, activation: N, holdsVars: boolean): Scope {
  return { node, parent, activation, holdsVars, bindings: new Map() };
}

function varScope(s: Scope): Scope {
  let v = s;
  while (!v.holdsVars) v = v.parent!;
  return v;
}

/** The identifiers a declaration or assignment target binds (member targets bind none). */
function patternNames(p: N): N[] {
  switch (p.type) {
    case "Identifier":
      return [p];
    case "ObjectPattern":
      return (p.properties as N[]).flatMap((q) => patternNames(q.type === "RestElement" ? q.argument : q.value));
    case "ArrayPattern":
      return (p.elements as (N | null)[]).flatMap((e) => (e === null ? [] : patternNames(e)));
    case "AssignmentPattern":
      return patternNames(p.left);
    case "RestElement":
      return patternNames(p.argument);
    default:
      return [];
  }
}

function line(n: N): number {
  return n.loc!.start.line;
}

/** Visits every node depth first. */
function walk(n: N, visit: (n: N) => void): void {
  visit(n);
  for (const child of children(n)) walk(child, visit);
}

export function children(n: N): N[] {
  const out: N[] = [];
  for (const [k, v] of Object.entries(n)) {
    if (k === "loc") continue;
    if (Array.isArray(v)) for (const x of v) if (x !== null && typeof x === "object" && typeof x.type === "string") out.push(x);
    if (v !== null && typeof v === "object" && typeof (v as N).type === "string") out.push(v as N);
  }
  return out;
}
