/**
 * Lowering, part 2: expressions, each split into single operations on fresh temporaries, and the
 * expression statements (assignments, `i++`, calls). Every construct outside the covered language is
 * refused here or in lower.ts with its position; when in doubt, refuse.
 */
import type { Node } from "acorn";
import type { BinaryOp } from "../scalar/scalar.js";
import { bool, num, ref, type Atom, type CompareOp, type External, type LocalKind, type Stmt } from "./ir.js";
import { MAX_NESTING, site, tooDeep, unsupported, type Where } from "./parse.js";
import { refusal, type Site } from "./refusal.js";
import type { Builder } from "./rules.js";
import { NeedsArray, GLOBAL_CONSTANTS, MATH_BINARY, MATH_CONSTANTS, MATH_STEP, MATH_UNARY, type Binding, type Scope } from "./scope.js";

type N = Node & Record<string, any>;
type Arg = Atom | { arr: number };

const ARITHMETIC: Readonly<Record<string, BinaryOp | "mod">> = { "+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "**": "pow" };
const COMPARE: Readonly<Record<string, CompareOp>> = { "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "===": "eq", "==": "eq", "!==": "ne", "!=": "ne" };
const COMPOUND: Readonly<Record<string, BinaryOp | "mod">> = { "+=": "add", "-=": "sub", "*=": "mul", "/=": "div", "%=": "mod", "**=": "pow" };

const EXPRESSION_NAMES: Record<string, string> = {
  ThisExpression: "this",
  Super: "super",
  AwaitExpression: "await",
  YieldExpression: "yield",
  TemplateLiteral: "a template literal",
  TaggedTemplateExpression: "a tagged template",
  ObjectExpression: "an object literal",
  ArrayExpression: "an array literal outside a const declaration",
  ArrowFunctionExpression: "a function used as a value",
  FunctionExpression: "a function used as a value",
  ClassExpression: "a class expression",
  NewExpression: "new (other than new Float64Array(n) or new Array(n).fill(v) in a const declaration)",
  SequenceExpression: "the comma operator",
  AssignmentExpression: "an assignment inside an expression",
  UpdateExpression: "++/-- inside an expression",
  ChainExpression: "optional chaining",
  MetaProperty: "new.target / import.meta",
  ImportExpression: "import()",
  SpreadElement: "spread",
};

export abstract class Expressions {
  constructor(readonly b: Builder) {}

  abstract get where(): Where;
  abstract readonly externals: External[];
  abstract readonly written: Set<number>;
  abstract loopDepth: number;
  abstract nested: number;
  abstract inline(fn: Extract<Binding, { k: "fn" }>, args: Arg[], at: N, callerWhere: Where, origins: readonly (number | undefined)[]): Atom;
  abstract assignVariable(b: Extract<Binding, { k: "var" }>, a: Atom, name: string): void;
  abstract capture(f: () => void): Stmt[];
  abstract inlineRules: boolean;
  abstract ruleBinding(name: string, rule: (...args: never[]) => unknown): Extract<Binding, { k: "fn" }>;

  kindOf(a: Atom): LocalKind {
    return a.t === "local" ? this.b.locals.get(a.id).kind : a.t === "num" ? "num" : "bool";
  }

  isTemp(id: number): boolean {
    return this.b.temps.has(id);
  }

  private number(a: Atom, at: N): Atom {
    if (this.kindOf(a) !== "num") throw unsupported(this.where, at, "arithmetic on a boolean");
    return a;
  }

  private boolean(a: Atom, at: N): Atom {
    if (this.kindOf(a) !== "bool") throw unsupported(this.where, at, "&&, || or ! on a number", "compare it explicitly");
    return a;
  }

  private freeName(node: N, scope: Scope): never {
    const name: string = node.name;
    if (name === "arguments") throw unsupported(this.where, node, "arguments");
    if (name === "eval") throw unsupported(this.where, node, "eval");
    if (scope.inDeadZone(name)) throw unsupported(this.where, node, `${name} read before its declaration`, "let and const are not hoisted: JS throws a ReferenceError there");
    throw unsupported(this.where, node, `the free variable ${name}`, `declare it, or pass it in options.constants (numbers, arrays) or options.functions`);
  }

  /** How many levels of code enclose the node being lowered (bounded by MAX_NESTING: see parse.ts). */
  depth = 0;

  /** One level deeper, at `node`: refused past MAX_NESTING, before the recursion can run out of stack. */
  enter(node: N): void {
    if (this.depth >= MAX_NESTING) throw tooDeep(this.where, node);
    this.depth++;
  }

  scalar(node: N, scope: Scope): Atom {
    this.enter(node);
    const a = this.expression(node, scope);
    this.depth--;
    return a;
  }

  private expression(node: N, scope: Scope): Atom {
    switch (node.type) {
      case "Literal":
        if (typeof node.value === "number") return num(node.value);
        if (typeof node.value === "boolean") return bool(node.value);
        throw unsupported(this.where, node, node.regex ? "a regular expression" : node.bigint ? "a BigInt" : node.value === null ? "null" : "a string");
      case "Identifier": {
        const b = scope.lookup(node.name);
        if (b === undefined) {
          if (node.name in GLOBAL_CONSTANTS) return num(GLOBAL_CONSTANTS[node.name]);
          return this.freeName(node, scope);
        }
        if (b.k === "var") return ref(b.id);
        if (b.k === "const") return typeof b.value === "number" ? num(b.value) : bool(b.value);
        throw unsupported(this.where, node, b.k === "arr" ? `the array ${node.name} used as a number` : `the function ${node.name} used as a value`);
      }
      case "UnaryExpression": {
        if (node.operator === "-") return this.b.unary("neg", this.number(this.scalar(node.argument, scope), node));
        if (node.operator === "+") return this.number(this.scalar(node.argument, scope), node);
        if (node.operator === "!") return this.b.emit({ op: "not", a: this.boolean(this.scalar(node.argument, scope), node) }, "not");
        throw unsupported(this.where, node, `the ${node.operator} operator`);
      }
      case "BinaryExpression":
        return this.binaryChain(node, scope);
      case "LogicalExpression":
        if (node.operator === "??") throw unsupported(this.where, node, "the ?? operator");
        return this.shortCircuit(node, scope);
      case "ConditionalExpression":
        return this.conditional(node, scope);
      case "CallExpression":
        return this.call(node, scope);
      case "MemberExpression":
        return this.member(node, scope);
      default:
        throw unsupported(this.where, node, EXPRESSION_NAMES[node.type] ?? `a ${node.type}`);
    }
  }

  /**
   * `a op b op c …` (left-associated), walking the left spine in a loop: a long sum is one level of
   * nesting, not one per term. Operators are checked outermost first, operands lowered left to right.
   */
  private binaryChain(node: N, scope: Scope): Atom {
    const spine: N[] = [];
    for (let n = node; n.type === "BinaryExpression"; n = n.left as N) {
      const cmp = COMPARE[n.operator];
      if (ARITHMETIC[n.operator] === undefined && cmp === undefined) throw unsupported(this.where, n, `the ${n.operator} operator`);
      // undefined is NaN here, which arithmetic and < agree with, but NaN equals nothing.
      if ((cmp === "eq" || cmp === "ne") && (isGlobal(n.left as N, "undefined", scope) || isGlobal(n.right as N, "undefined", scope))) {
        throw unsupported(this.where, n, "a comparison with undefined", "undefined is NaN in transformed code; give the variable a number first");
      }
      spine.push(n);
    }
    let a = this.scalar(spine[spine.length - 1].left, scope);
    for (let k = spine.length - 1; k >= 0; k--) {
      const n = spine[k];
      const c = this.scalar(n.right, scope);
      const fn = ARITHMETIC[n.operator];
      if (fn !== undefined) a = this.b.binary(fn, this.number(a, n.left), this.number(c, n.right));
      else if (this.kindOf(a) !== this.kindOf(c)) throw unsupported(this.where, n, "a comparison of a number with a boolean");
      else a = this.b.compare(COMPARE[n.operator], a, c);
    }
    return a;
  }

  /** `a && b` evaluates b only when a holds: r = a; if (r) r = b. */
  private shortCircuit(node: N, scope: Scope): Atom {
    const a = this.boolean(this.scalar(node.left, scope), node.left);
    const r = this.b.temp(node.operator === "&&" ? "and" : "or", "bool");
    this.b.out.push({ s: "assign", dst: r, e: { op: "copy", a } });
    this.nested++;
    const then = this.capture(() => {
      const c = this.boolean(this.scalar(node.right, scope), node.right);
      this.b.out.push({ s: "assign", dst: r, e: { op: "copy", a: c } });
    });
    this.nested--;
    const cond = this.b.emit({ op: node.operator === "&&" ? "copy" : "not", a: ref(r) } as never, "cond");
    this.b.out.push({ s: "if", cond, then, else: [] });
    return ref(r);
  }

  private conditional(node: N, scope: Scope): Atom {
    const c = this.boolean(this.scalar(node.test, scope), node.test);
    const cond = c.t === "local" ? this.b.emit({ op: "copy", a: c }, "cond") : c;
    let kind: LocalKind | undefined;
    let r = -1;
    const side = (e: N) => () => {
      const a = this.scalar(e, scope);
      const k = this.kindOf(a);
      if (kind === undefined) {
        kind = k;
        r = this.b.temp("choice", k);
      } else if (kind !== k) throw unsupported(this.where, node, "a conditional with a number on one side and a boolean on the other");
      this.b.out.push({ s: "assign", dst: r, e: { op: "copy", a } });
    };
    this.nested++;
    const then = this.capture(side(node.consequent));
    const otherwise = this.capture(side(node.alternate));
    this.nested--;
    this.b.out.push({ s: "if", cond, then, else: otherwise });
    return ref(r);
  }

  private member(node: N, scope: Scope): Atom {
    if (node.optional) throw unsupported(this.where, node, "optional chaining");
    const obj = node.object as N;
    if (obj.type !== "Identifier") {
      this.scalar(obj, scope); // refuses `this`, literals, … by name
      throw unsupported(this.where, node, "a property of an expression that is not a name");
    }
    if (!node.computed && obj.type === "Identifier" && obj.name === "Math" && scope.lookup("Math") === undefined) {
      const v = MATH_CONSTANTS[node.property.name];
      if (v === undefined) throw unsupported(this.where, node, `Math.${node.property.name} as a value`);
      return num(v);
    }
    if (!node.computed && obj.type === "Identifier" && obj.name === "Number" && scope.lookup("Number") === undefined) {
      const v = (
        { EPSILON: Number.EPSILON, MAX_VALUE: Number.MAX_VALUE, MIN_VALUE: Number.MIN_VALUE, POSITIVE_INFINITY: Infinity, NEGATIVE_INFINITY: -Infinity } as Record<string, number>
      )[node.property.name];
      if (v !== undefined) return num(v);
    }
    if (!node.computed && node.property.name === "length") return this.b.emit({ op: "length", arr: this.array(obj, scope) }, "n");
    if (!node.computed) throw unsupported(this.where, node, `the object property .${node.property.name}`);
    const arr = this.array(obj, scope);
    const index = this.number(this.scalar(node.property, scope), node.property);
    return this.b.emit({ op: "load", arr, index }, "elem");
  }

  array(node: N, scope: Scope): number {
    if (node.type !== "Identifier") throw unsupported(this.where, node, "an array expression other than a name");
    const b = scope.lookup(node.name);
    if (b === undefined) return this.freeName(node, scope);
    if (b.k === "var" && b.param !== undefined) throw new NeedsArray(b.param);
    if (b.k !== "arr") throw unsupported(this.where, node, `${node.name} used as an array`, "array parameters are the ones the body indexes or takes .length of");
    return b.id;
  }

  // ── calls ─────────────────────────────────────────────────────────────────────────────────────

  private call(node: N, scope: Scope): Atom {
    if (node.optional) throw unsupported(this.where, node, "optional chaining");
    const callee = node.callee as N;
    const args = node.arguments as N[];
    for (const a of args) if (a.type === "SpreadElement") throw unsupported(this.where, a, "spread");
    if (callee.type === "MemberExpression" && !callee.computed && callee.object.type === "Identifier" && callee.object.name === "Math" && scope.lookup("Math") === undefined) {
      return this.math(node, callee.property.name, args, scope);
    }
    if (callee.type === "MemberExpression" && callee.object.type !== "Identifier") this.scalar(callee.object, scope);
    if (callee.type !== "Identifier") {
      const name = callee.type === "MemberExpression" && !callee.computed ? `.${callee.property.name}()` : "a computed callee";
      throw unsupported(this.where, callee, `a call to ${name}`, "only Math functions and functions passed in options.functions (or declared inside) can be called");
    }
    const b = scope.lookup(callee.name);
    if (b === undefined) {
      if (callee.name === "eval") throw unsupported(this.where, callee, "eval");
      throw unsupported(this.where, callee, `a call to the unknown function ${callee.name}`, "pass it in options.functions");
    }
    if (b.k === "fn") {
      const origins: (number | undefined)[] = [];
      const values: Arg[] = args.map((a) => {
        const bound = a.type === "Identifier" ? scope.lookup(a.name) : undefined;
        origins.push(bound?.k === "var" ? bound.param : undefined);
        if (bound?.k === "arr") return { arr: this.array(a, scope) };
        return this.scalar(a, scope);
      });
      return this.inline(b, values, node, this.where, origins);
    }
    if (b.k === "external") {
      const atoms = args.map((a) => this.number(this.scalar(a, scope), a));
      const ext = this.externals[b.index];
      const dst = this.b.temp(ext.name, "num");
      if (this.inlineRules) {
        // Second order: the rule's own code gives the partial, as values the next transform differentiates.
        if (atoms.length !== 1) {
          throw unsupported(
            this.where,
            node,
            `second derivatives through the defineDerivative function ${callee.name} of ${atoms.length} arguments`,
            "its rule returns an array of partials, which cannot be inlined; only a function of one number is differentiated twice",
          );
        }
        const partial = this.inline(this.ruleBinding(callee.name, ext.rule as never), atoms, node, this.where, [undefined]);
        this.b.out.push({ s: "call", dst, fn: b.index, args: atoms, partials: [], uses: [partial] });
        return ref(dst);
      }
      const partials = atoms.map((_, i) => this.b.temp(`d${ext.name}_${i}`, "num"));
      this.b.out.push({ s: "call", dst, fn: b.index, args: atoms, partials });
      return ref(dst);
    }
    throw unsupported(this.where, callee, `a call to ${callee.name}, which is not a function`);
  }

  private math(node: N, name: string, args: N[], scope: Scope): Atom {
    const atoms = () => args.map((a) => this.number(this.scalar(a, scope), a));
    const unary = MATH_UNARY[name];
    const step = MATH_STEP[name];
    if (unary !== undefined || step !== undefined) {
      if (args.length !== 1) throw unsupported(this.where, node, `Math.${name} with ${args.length} arguments`);
      const [a] = atoms();
      return unary !== undefined ? this.b.unary(unary, a) : this.b.emit({ op: "step", fn: step, a }, name);
    }
    const binary = (MATH_BINARY as Record<string, BinaryOp>)[name];
    if (binary === undefined) {
      throw unsupported(
        this.where,
        node,
        name === "random" ? "Math.random" : `Math.${name}`,
        name === "random" ? "pass random numbers in as arguments" : "it has no derivative rule in the shared table",
      );
    }
    const xs = atoms();
    if ((binary === "pow" || binary === "atan2") && xs.length !== 2) throw unsupported(this.where, node, `Math.${name} with ${xs.length} arguments`);
    if (xs.length === 0) return num(name === "min" ? Infinity : name === "max" ? -Infinity : 0);
    if (xs.length === 1) return binary === "hypot" ? this.b.unary("abs", xs[0]) : xs[0];
    return xs.slice(1).reduce((acc, x) => this.b.binary(binary, acc, x), xs[0]);
  }

  // ── arrays made by a declaration ──────────────────────────────────────────────────────────────

  /** The binding for `const name = init` when init makes or names an array, else undefined. */
  arrayValue(init: N, scope: Scope, name: string): Binding | undefined {
    if (init.type === "Identifier") {
      const b = scope.lookup(init.name);
      return b?.k === "arr" ? b : undefined;
    }
    /** A new array; `check` when the user computed its length. */
    const create = (size: Atom, check?: { at: Site; by: "Array" | "Float64Array" }): number => {
      // In a loop, the size gets a local of its own, assigned only here: the reverse sweep makes each
      // iteration's adjoint array from it (reverse.ts), whatever happens later to what it came from.
      if (this.loopDepth > 0 && size.t === "local") {
        const own = this.b.temp(`${name}_size`, "num");
        this.b.out.push({ s: "assign", dst: own, e: { op: "copy", a: size } });
        size = ref(own);
      }
      const id = this.b.locals.add(name, "arr");
      if (check !== undefined && size.t === "num") {
        // A literal length is checked now, as the emitted code checks a computed one (emit.ts).
        const bad = check.by === "Array" ? size.v >>> 0 !== size.v : size.v <= -1 || size.v > 4294967295;
        if (bad) throw refusal("an invalid array length", check.at, `new ${check.by}(${size.v}) throws a RangeError in JS`, { size: size.v });
      }
      this.b.out.push({ s: "newArray", dst: id, size, ...(check === undefined || size.t === "num" ? {} : { check }) });
      return id;
    };
    const made = (id: number): Binding => ({ k: "arr", id, writable: true });
    if (init.type === "ArrayExpression") {
      const id = create(num(init.elements.length));
      (init.elements as (N | null)[]).forEach((e, i) => {
        if (e === null) throw unsupported(this.where, init, "an array literal with holes");
        const value = this.number(this.scalar(e, scope), e);
        this.b.out.push({ s: "store", arr: id, index: num(i), value });
      });
      return made(id);
    }
    // new Float64Array(n | xs), Float64Array.from(xs), xs.slice()
    if (init.type === "NewExpression" && isGlobal(init.callee, "Float64Array", scope) && init.arguments.length === 1) {
      const arg = init.arguments[0] as N;
      if (arg.type === "Identifier" && scope.lookup(arg.name)?.k === "arr") return made(this.copyArray(this.array(arg, scope), create));
      return made(create(this.number(this.scalar(arg, scope), arg), { at: site(this.where, init), by: "Float64Array" }));
    }
    if (init.type === "CallExpression" && init.callee.type === "MemberExpression" && !init.callee.computed) {
      const callee = init.callee as N;
      const method: string = callee.property.name;
      if (method === "from" && isGlobal(callee.object, "Float64Array", scope) && init.arguments.length === 1)
        return made(this.copyArray(this.array(init.arguments[0], scope), create));
      if (method === "slice" && init.arguments.length === 0 && callee.object.type === "Identifier") return made(this.copyArray(this.array(callee.object, scope), create));
      // new Array(n).fill(v), Array(n).fill(v), new Float64Array(n).fill(v)
      const inner = callee.object as N;
      const isMaker =
        (inner.type === "NewExpression" || inner.type === "CallExpression") && (isGlobal(inner.callee, "Array", scope) || isGlobal(inner.callee, "Float64Array", scope));
      if (method === "fill" && isMaker && inner.arguments.length === 1 && init.arguments.length === 1) {
        const by = inner.callee.name as "Array" | "Float64Array";
        if (inner.type === "CallExpression" && by === "Float64Array") throw unsupported(this.where, inner, "Float64Array(n) without new", "JS throws a TypeError there");
        const id = create(this.number(this.scalar(inner.arguments[0], scope), inner.arguments[0]), { at: site(this.where, inner), by });
        const value = this.number(this.scalar(init.arguments[0], scope), init.arguments[0]);
        if (!(value.t === "num" && Object.is(value.v, 0))) this.fill(id, value);
        return made(id);
      }
    }
    return undefined;
  }

  /** for (i = 0; i < n; i++) dst[i] = f(i), as IR (used for copies and fills). */
  private indexLoop(n: Atom, body: (i: Atom) => void): void {
    const i = this.b.temp("k", "num");
    this.b.out.push({ s: "assign", dst: i, e: { op: "copy", a: num(0) } });
    let cond: Atom = bool(true);
    const pre = this.capture(() => (cond = this.b.compare("lt", ref(i), n)));
    const post = this.capture(() => {
      body(ref(i));
      this.b.out.push({ s: "assign", dst: i, e: { op: "binary", fn: "add", a: ref(i), b: num(1) } });
    });
    this.b.out.push({ s: "loop", pre, cond, post });
  }

  private copyArray(src: number, create: (size: Atom) => number): number {
    const n = this.b.emit({ op: "length", arr: src }, "n");
    const id = create(n);
    this.indexLoop(n, (i) => this.b.out.push({ s: "store", arr: id, index: i, value: this.b.emit({ op: "load", arr: src, index: i }, "elem") }));
    return id;
  }

  private fill(id: number, value: Atom): void {
    const n = this.b.emit({ op: "length", arr: id }, "n");
    this.indexLoop(n, (i) => this.b.out.push({ s: "store", arr: id, index: i, value }));
  }

  // ── expression statements ─────────────────────────────────────────────────────────────────────

  effect(node: N, scope: Scope): void {
    switch (node.type) {
      case "AssignmentExpression":
        return this.assignment(node, scope);
      case "UpdateExpression": {
        const one = { type: "Literal", value: 1, start: node.start, end: node.end } as unknown as N;
        return this.assignment({ ...node, type: "AssignmentExpression", operator: node.operator === "++" ? "+=" : "-=", left: node.argument, right: one } as N, scope);
      }
      case "SequenceExpression":
        for (const e of node.expressions as N[]) this.effect(e, scope);
        return;
      default:
        this.scalar(node, scope);
    }
  }

  private assignment(node: N, scope: Scope): void {
    const op = node.operator === "=" ? undefined : COMPOUND[node.operator];
    if (node.operator !== "=" && op === undefined) throw unsupported(this.where, node, `the ${node.operator} operator`);
    const left = node.left as N;
    const rhs = (old: Atom): Atom => {
      const value = this.scalar(node.right, scope);
      return op === undefined ? value : this.b.binary(op, this.number(old, left), this.number(value, node.right));
    };
    if (left.type === "Identifier") {
      const b = scope.lookup(left.name);
      if (b === undefined) return this.freeName(left, scope);
      if (b.k !== "var") throw unsupported(this.where, left, b.k === "arr" ? `reassigning the array ${left.name}` : `assigning to ${left.name}`);
      if (!b.mutable) throw unsupported(this.where, node, `an assignment to the const ${left.name}`);
      const value = rhs(ref(b.id));
      if (this.kindOf(value) !== this.b.locals.get(b.id).kind) throw unsupported(this.where, node, `changing ${left.name} between number and boolean`);
      return this.assignVariable(b, value, left.name);
    }
    if (left.type === "MemberExpression" && left.computed && !left.optional) {
      const arr = this.array(left.object, scope);
      const binding = scope.lookup(left.object.name);
      if (binding?.k === "arr" && !binding.writable) throw unsupported(this.where, node, `writing to the constant array ${left.object.name}`);
      const index = this.number(this.scalar(left.property, scope), left.property);
      if (index.t === "num" && !(Number.isInteger(index.v) && index.v >= 0))
        throw unsupported(this.where, node, "a write outside an array's length", `index ${index.v}: an array has no element there`);
      const old = op === undefined ? num(NaN) : this.b.emit({ op: "load", arr, index }, "elem");
      const value = this.number(rhs(old), node.right);
      this.b.out.push({ s: "store", arr, index, value, at: site(this.where, node) });
      this.written.add(arr);
      return;
    }
    throw unsupported(this.where, left, left.type === "MemberExpression" ? "object property mutation" : "a destructuring assignment");
  }
}

function isGlobal(node: N, name: string, scope: Scope): boolean {
  return node.type === "Identifier" && node.name === name && scope.lookup(name) === undefined;
}
