/**
 * Lowering, part 1: statements and functions, AST → IR. Control transfers become flags here:
 * `return` sets the function's result and its `returned` flag, `break`/`continue` set their loop's,
 * and the statements after one that may jump run under `if (!(flags))`. Loops keep the one IR
 * shape `for (;;) { pre; if (!cond) break; post }`. Calls to functions (local declarations,
 * arrows, functions from the options) are inlined, so the derivative of a call is the derivative of
 * its body. Expressions are in expressions.ts.
 */
import type { Node } from "acorn";
import { bool, Locals, num, ref, type Atom, type Program, type Stmt, type External } from "./ir.js";
import { Builder } from "./rules.js";
import { parseFunction, unsupported, type FnNode, type Where } from "./parse.js";
import { Scope, readConstants, type Binding } from "./scope.js";
import { Expressions } from "./expressions.js";
import { differentiatedMark, ruleMark } from "./marks.js";
import { jumpsIn, mayJump, onlyTailReturn, STATEMENT_NAMES } from "./control.js";
import { varNames } from "./hoist.js";

type N = Node & Record<string, any>;

interface FnContext {
  readonly returned: number | null;
  readonly result: number;
  readonly where: Where;
  /** `nested` where the function's body starts (a call may be inlined inside a branch or loop). */
  readonly nestedAtEntry: number;
}
interface LoopContext {
  readonly brk: number | null;
  readonly cnt: number | null;
}

export type ParamKind = "num" | "arr";

export interface LowerOptions {
  readonly constants?: unknown;
  readonly functions?: unknown;
  /**
   * For second order (set by the transform, not the user): a `defineDerivative` call's partials
   * come from its rule's source, inlined, so the forward transform can differentiate them.
   */
  readonly inlineRules?: boolean;
}

export class Lowerer extends Expressions {
  fnCtx!: FnContext;
  loopCtx: LoopContext | null = null;
  /** Inside a loop or a branch: assignments update a local in place instead of renaming it. */
  nested = 0;
  loopDepth = 0;
  readonly inlining = new Set<FnNode>();
  readonly externals: External[] = [];
  readonly constArrays: { id: number; value: Float64Array }[] = [];
  readonly written = new Set<number>();

  constructor(locals: Locals) {
    super(new Builder(locals, []));
  }

  /** Runs `f` with statements going to a fresh list, which it returns. */
  capture(f: () => void): Stmt[] {
    const saved = this.b.out;
    const out: Stmt[] = [];
    this.b.out = out;
    try {
      f();
    } finally {
      this.b.out = saved;
    }
    return out;
  }

  /** A scope for a function's free names: the options' constants and functions. */
  rootScope(options: LowerOptions): Scope {
    const scope = new Scope(null);
    for (const [option, raw] of [
      ["constants", options.constants],
      ["functions", options.functions],
    ] as const) {
      for (const [name, c] of readConstants("differentiate", option, raw)) {
        if (c.k === "number" || c.k === "boolean") scope.set(name, { k: "const", value: c.value });
        else if (c.k === "array") {
          const id = this.b.locals.add(name, "arr");
          this.constArrays.push({ id, value: c.value as Float64Array });
          scope.set(name, { k: "arr", id, writable: false });
        } else scope.set(name, this.functionBinding(name, c.value, scope));
      }
    }
    return scope;
  }

  private functionBinding(name: string, f: (...args: never[]) => unknown, scope: Scope): Binding {
    const rule = ruleMark(f);
    if (rule !== undefined) {
      this.externals.push({ name: this.b.locals.reserve(name), ruleName: this.b.locals.reserve(`${name}_rule`), fn: rule.fn, rule: rule.rule });
      return { k: "external", index: this.externals.length - 1 };
    }
    return this.fnBinding(name, f, scope);
  }

  /** The rule of a `defineDerivative` function as a function to inline (its free names: none). */
  ruleBinding(name: string, rule: (...args: never[]) => unknown): Extract<Binding, { k: "fn" }> {
    return this.fnBinding(`${name}'s rule`, rule, this.rootScope({}));
  }

  private fnBinding(name: string, f: (...args: never[]) => unknown, scope: Scope): Extract<Binding, { k: "fn" }> {
    const mark = differentiatedMark(f);
    // A differentiated function resolves its own free names with its own options; a plain one with ours.
    const source = mark?.fn ?? f;
    const own = mark === undefined ? scope : this.rootScope({ constants: mark.constants, functions: mark.functions });
    const parsed = parseFunction(source);
    return { k: "fn", node: parsed.node, scope: own, where: parsed, name };
  }

  // ── functions ─────────────────────────────────────────────────────────────────────────────────

  /** Lowers a call of `fn` with already-evaluated arguments (atoms, or array ids) to its result. */
  inline(fn: Extract<Binding, { k: "fn" }>, args: (Atom | { arr: number })[], at: N, callerWhere: Where, origins: readonly (number | undefined)[]): Atom {
    if (this.inlining.has(fn.node)) throw unsupported(callerWhere, at, `recursive call to ${fn.name}`, "recursion cannot be inlined");
    const scope = new Scope(fn.scope);
    const saved = { fnCtx: this.fnCtx, loopCtx: this.loopCtx };
    this.fnCtx = this.bindParams(fn.node, scope, args, fn.where, origins);
    this.loopCtx = null;
    this.inlining.add(fn.node);
    let result: number;
    try {
      this.functionBody(fn.node, scope);
      result = this.fnCtx.result;
    } finally {
      this.inlining.delete(fn.node);
      this.fnCtx = saved.fnCtx;
      this.loopCtx = saved.loopCtx;
    }
    return ref(result);
  }

  private bindParams(node: FnNode, scope: Scope, args: (Atom | { arr: number })[], where: Where, origins: readonly (number | undefined)[]): FnContext {
    this.checkFunctionKind(node, where);
    const params = node.params as N[];
    params.forEach((p, i) => {
      if (p.type !== "Identifier")
        throw unsupported(where, p, p.type === "RestElement" ? "a rest parameter" : p.type === "AssignmentPattern" ? "a default parameter value" : "a destructuring parameter");
      const a = args[i];
      if (a === undefined) throw unsupported(where, p, `a call without argument ${p.name}`, "pass every parameter");
      if ("arr" in a) scope.set(p.name, { k: "arr", id: a.arr, writable: true });
      else {
        const id = this.b.locals.add(p.name, this.kindOf(a));
        this.b.out.push({ s: "assign", dst: id, e: { op: "copy", a } });
        // A top-level parameter passed on unchanged keeps its origin: if the callee indexes it, the
        // compiler lowers again with that parameter an array.
        scope.set(p.name, { k: "var", id, mutable: true, param: origins[i] });
      }
    });
    return this.newFnContext(node, where);
  }

  checkFunctionKind(node: FnNode, where: Where): void {
    if (node.async) throw unsupported(where, node, "an async function");
    if (node.generator) throw unsupported(where, node, "a generator function");
  }

  newFnContext(node: FnNode, where: Where): FnContext {
    const result = this.b.locals.add("result", "num");
    const body = node.body as N;
    const needsFlag = body.type === "BlockStatement" && !onlyTailReturn(body.body as N[]);
    // A body that may end without a return gives undefined, which arithmetic turns into NaN.
    if (needsFlag || (body.type === "BlockStatement" && body.body.length === 0) || (body.type === "BlockStatement" && body.body[body.body.length - 1].type !== "ReturnStatement")) {
      this.b.out.push({ s: "assign", dst: result, e: { op: "copy", a: num(NaN) } });
    }
    let returned: number | null = null;
    if (needsFlag) {
      returned = this.b.locals.add("returned", "bool");
      this.b.out.push({ s: "assign", dst: returned, e: { op: "copy", a: bool(false) } });
    }
    return { returned, result, where, nestedAtEntry: this.nested };
  }

  functionBody(node: FnNode, scope: Scope): void {
    const body = node.body as N;
    const result = this.fnCtx.result;
    if (body.type !== "BlockStatement") return this.assignTo(result, this.scalar(body, scope));
    this.hoistVars(body, scope);
    this.block(body.body as N[], scope);
  }

  /**
   * `var` is function-scoped, as in JS: each name a body declares with it (in any block or loop) is
   * one local of the function from its start, undefined until assigned, which is NaN here as in JS
   * arithmetic; a declarator assigns it, `var y;` leaves it as it is. A parameter of that name is
   * that local already.
   */
  private hoistVars(body: N, scope: Scope): void {
    for (const name of varNames(body)) {
      if (scope.has(name)) continue;
      const id = this.b.locals.add(name, "num");
      this.b.out.push({ s: "assign", dst: id, e: { op: "copy", a: num(NaN) } });
      scope.set(name, { k: "var", id, mutable: true });
    }
  }

  /** Assigns a hoisted `var` (or the parameter it redeclares), from its declarator or a for-of. */
  private assignVar(b: Binding | undefined, a: Atom, name: string, node: N): void {
    if (b?.k !== "var") throw unsupported(this.where, node, `reassigning the array ${name}`);
    const kind = this.kindOf(a);
    if (kind === this.b.locals.get(b.id).kind) return this.assignVariable(b, a, name);
    // In the function's straight-line code nothing after reads the old local, so the name may move
    // to a boolean one; in a branch or loop of it the other path would still see the number.
    if (this.nested > this.fnCtx.nestedAtEntry)
      throw unsupported(
        this.where,
        node,
        `changing ${name} between number and boolean`,
        "a var is undefined (a number) until assigned: declare a boolean with let where it is used",
      );
    b.id = this.b.locals.add(name, kind);
    b.param = undefined;
    this.assignTo(b.id, a);
  }

  get where(): Where {
    return this.fnCtx.where;
  }

  // ── statements ────────────────────────────────────────────────────────────────────────────────

  block(stmts: N[], scope: Scope): void {
    for (const s of stmts) {
      if (s.type === "VariableDeclaration" && s.kind !== "var") for (const d of s.declarations as N[]) if (d.id.type === "Identifier") scope.declareLater(d.id.name);
      if (s.type === "FunctionDeclaration") {
        // The statements after a jump come here again (see below), their functions already declared.
        const known = scope.lookup(s.id.name);
        if (known?.k === "fn" && known.node === (s as unknown as FnNode)) continue;
        if (scope.has(s.id.name)) throw unsupported(this.where, s, `a second declaration of ${s.id.name}`);
        this.checkFunctionKind(s as unknown as FnNode, this.where);
        scope.set(s.id.name, { k: "fn", node: s as unknown as FnNode, scope, where: this.where, name: s.id.name });
      }
    }
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i];
      if (s.type === "FunctionDeclaration") continue;
      this.statement(s, scope);
      if (s.type === "ReturnStatement" || s.type === "BreakStatement" || s.type === "ContinueStatement") return;
      if (i < stmts.length - 1 && mayJump(s)) {
        const rest = stmts.slice(i + 1);
        const go = this.stillGoing();
        // The rest runs inside an if: one level deeper for each statement that may jump.
        this.enter(rest[0]);
        this.nested++;
        const then = this.capture(() => this.block(rest, scope));
        this.nested--;
        this.depth--;
        this.b.out.push({ s: "if", cond: go, then, else: [] });
        return;
      }
    }
  }

  /** `!(returned || break || continue)` for the flags that exist here. */
  private stillGoing(): Atom {
    const flags = [this.fnCtx.returned, this.loopCtx?.brk ?? null, this.loopCtx?.cnt ?? null].filter((f): f is number => f !== null);
    if (flags.length === 0) return bool(true);
    let any: Atom = ref(flags[0]);
    for (const f of flags.slice(1)) any = this.b.emit({ op: "logic", fn: "or", a: any, b: ref(f) }, "jumped");
    return this.b.emit({ op: "not", a: any }, "go");
  }

  statement(s: N, scope: Scope): void {
    this.enter(s);
    this.statementAt(s, scope);
    this.depth--;
  }

  private statementAt(s: N, scope: Scope): void {
    switch (s.type) {
      case "EmptyStatement":
        return;
      case "BlockStatement":
        return this.block(s.body, new Scope(scope));
      case "ExpressionStatement":
        if (typeof s.directive === "string") return; // "use strict" and other directives
        return this.effect(s.expression, scope);
      case "VariableDeclaration":
        return this.declaration(s, scope);
      case "ReturnStatement": {
        if (s.argument === null) throw unsupported(this.where, s, "a return without a value");
        this.assignTo(this.fnCtx.result, this.scalar(s.argument, scope));
        if (this.fnCtx.returned !== null) this.b.out.push({ s: "assign", dst: this.fnCtx.returned, e: { op: "copy", a: bool(true) } });
        return;
      }
      case "IfStatement": {
        const cond = this.condition(s.test, scope);
        this.nested++;
        const then = this.capture(() => this.statement(s.consequent, new Scope(scope)));
        const otherwise = s.alternate ? this.capture(() => this.statement(s.alternate, new Scope(scope))) : [];
        this.nested--;
        this.b.out.push({ s: "if", cond, then, else: otherwise });
        return;
      }
      case "ForStatement":
      case "WhileStatement":
      case "DoWhileStatement":
      case "ForOfStatement":
        return this.loop(s, new Scope(scope));
      case "BreakStatement":
      case "ContinueStatement": {
        if (s.label) throw unsupported(this.where, s, `a labelled ${s.type === "BreakStatement" ? "break" : "continue"}`);
        const flag = s.type === "BreakStatement" ? this.loopCtx?.brk : this.loopCtx?.cnt;
        if (flag === undefined || flag === null) throw unsupported(this.where, s, "a break outside a loop (switch is not supported)");
        this.b.out.push({ s: "assign", dst: flag, e: { op: "copy", a: bool(true) } });
        return;
      }
      case "FunctionDeclaration":
        return;
      default:
        throw unsupported(this.where, s, STATEMENT_NAMES[s.type] ?? `a ${s.type}`);
    }
  }

  /** A boolean condition copied into a fresh local, so the reverse sweep reads the value it had. */
  condition(test: N, scope: Scope): Atom {
    const c = this.scalar(test, scope);
    if (this.kindOf(c) !== "bool") throw unsupported(this.where, test, "a number used as a condition", "compare it explicitly (x !== 0)");
    if (c.t !== "local") return c;
    return this.b.emit({ op: "copy", a: c }, "cond");
  }

  private loop(s: N, scope: Scope): void {
    if (s.type === "ForOfStatement") return this.forOf(s, scope);
    if (s.type === "ForStatement" && s.init) {
      if (s.init.type === "VariableDeclaration") this.declaration(s.init, scope);
      else this.effect(s.init, scope);
    }
    this.loopCore(s.body, scope, {
      doWhile: s.type === "DoWhileStatement",
      test: () => {
        const c = s.test ? this.scalar(s.test, scope) : bool(true);
        if (this.kindOf(c) !== "bool") throw unsupported(this.where, s.test, "a number used as a loop condition", "compare it explicitly");
        return c;
      },
      update: s.type === "ForStatement" && s.update ? () => this.effect(s.update, scope) : undefined,
    });
  }

  /** `for (const v of xs) body` is `for (let i = 0; i < xs.length; i++) { const v = xs[i]; body }`. */
  private forOf(s: N, scope: Scope): void {
    const arr = this.array(s.right, scope);
    const left = s.left as N;
    if (left.type !== "VariableDeclaration" || left.declarations.length !== 1 || left.declarations[0].id.type !== "Identifier") {
      throw unsupported(this.where, left, "a for-of target other than one declared name");
    }
    const name: string = left.declarations[0].id.name;
    const i = this.b.locals.add("i", "num");
    this.b.out.push({ s: "assign", dst: i, e: { op: "copy", a: num(0) } });
    const n = this.b.emit({ op: "length", arr }, "n");
    this.loopCore(s.body, scope, {
      doWhile: false,
      test: () => this.b.compare("lt", ref(i), n),
      bind: (inner) => {
        const v = this.b.locals.add(name, "num");
        this.b.out.push({ s: "assign", dst: v, e: { op: "load", arr, index: ref(i) } });
        if (left.kind === "var") this.assignVar(scope.lookup(name), ref(v), name, left);
        else inner.set(name, { k: "var", id: v, mutable: left.kind !== "const" });
      },
      // The hidden counter may step past a break: nothing reads it after the loop.
      update: () => this.b.out.push({ s: "assign", dst: i, e: { op: "binary", fn: "add", a: ref(i), b: num(1) } }),
      updateAlways: true,
    });
  }

  /**
   * The IR loop `for (;;) { pre; if (!cond) break; post }` for a body, its test and its update,
   * with `break`/`continue`/`return` as flags: the test fails once one is set, the rest of the body
   * runs under `if (!flags)`, and the update runs unless the loop broke or returned.
   */
  private loopCore(body: N, scope: Scope, parts: { doWhile: boolean; test: () => Atom; bind?: (inner: Scope) => void; update?: () => void; updateAlways?: boolean }): void {
    const flags = jumpsIn(body);
    const outer = this.loopCtx;
    const brk = flags.brk ? this.b.locals.add("broke", "bool") : null;
    const cnt = flags.cnt ? this.b.locals.add("continued", "bool") : null;
    if (brk !== null) this.b.out.push({ s: "assign", dst: brk, e: { op: "copy", a: bool(false) } });
    this.loopCtx = { brk, cnt };
    this.nested++;
    this.loopDepth++;
    let cond: Atom = bool(true);
    try {
      const test = (): Atom => {
        let c = parts.test();
        for (const f of [brk, this.fnCtx.returned]) {
          if (f !== null) c = this.b.emit({ op: "logic", fn: "and", a: c, b: this.b.emit({ op: "not", a: ref(f) }) }, "more");
        }
        return c;
      };
      const iteration = () => {
        const inner = new Scope(scope);
        parts.bind?.(inner);
        this.statement(body, inner);
      };
      const resetContinue = () => {
        if (cnt !== null) this.b.out.push({ s: "assign", dst: cnt, e: { op: "copy", a: bool(false) } });
      };
      const update = () => {
        if (parts.update === undefined) return;
        const stop = [brk, this.fnCtx.returned].filter((f): f is number => f !== null);
        if (stop.length === 0 || parts.updateAlways === true) return parts.update();
        this.loopCtx = { brk, cnt: null };
        const go = this.stillGoing();
        this.loopCtx = { brk, cnt };
        this.b.out.push({ s: "if", cond: go, then: this.capture(parts.update), else: [] });
      };
      const pre = this.capture(() => {
        resetContinue();
        if (parts.doWhile) iteration();
        cond = test();
      });
      const post = parts.doWhile
        ? []
        : this.capture(() => {
            iteration();
            update();
          });
      this.b.out.push({ s: "loop", pre, cond, post });
    } finally {
      this.loopCtx = outer;
      this.nested--;
      this.loopDepth--;
    }
  }

  private declaration(s: N, scope: Scope): void {
    for (const d of s.declarations as N[]) {
      if (d.id.type !== "Identifier") throw unsupported(this.where, d.id, "a destructuring declaration");
      const name: string = d.id.name;
      if (s.kind !== "var" && scope.has(name)) throw unsupported(this.where, d, `a second declaration of ${name}`);
      const init = d.init as N | null;
      if (init !== null && (init.type === "ArrowFunctionExpression" || init.type === "FunctionExpression")) {
        if (s.kind !== "const") throw unsupported(this.where, d, `a function in a ${s.kind} binding`, "declare it with const or as a function declaration");
        this.checkFunctionKind(init as unknown as FnNode, this.where);
        scope.set(name, { k: "fn", node: init as unknown as FnNode, scope, where: this.where, name });
        continue;
      }
      const arr = init === null ? undefined : this.arrayValue(init, scope, name);
      if (arr !== undefined) {
        if (s.kind !== "const") throw unsupported(this.where, d, `an array in a ${s.kind} binding`, "declare arrays with const");
        scope.set(name, arr);
        continue;
      }
      if (s.kind === "var") {
        if (init !== null) this.assignVar(scope.lookup(name), this.scalar(init, scope), name, d);
        continue;
      }
      const a = init === null ? num(NaN) : this.scalar(init, scope);
      const id = this.b.locals.add(name, this.kindOf(a));
      this.assignTo(id, a);
      scope.set(name, { k: "var", id, mutable: s.kind !== "const" });
    }
  }

  /**
   * `dst = a`. When `a` is the temporary the last statement just made, that statement writes `dst`
   * directly: `s = x * y` is one statement, not two (and `i = i + 1` stays one; the reverse
   * transform splits an active `s = s * x` again where it needs the old value).
   */
  assignTo(dst: number, a: Atom): void {
    const out = this.b.out;
    const last = out[out.length - 1];
    if (a.t === "local" && a.id === dst) return;
    if (a.t === "local" && last?.s === "assign" && last.dst === a.id && this.isTemp(a.id) && this.b.locals.get(dst).kind === this.b.locals.get(a.id).kind) {
      out[out.length - 1] = { ...last, dst };
      return;
    }
    out.push({ s: "assign", dst, e: { op: "copy", a } });
  }

  /** Assigns a user variable: renames it in straight-line code, updates it in place elsewhere. */
  assignVariable(b: Extract<Binding, { k: "var" }>, a: Atom, name: string): void {
    b.param = undefined;
    if (this.nested === 0) {
      const id = this.b.locals.add(name, this.b.locals.get(b.id).kind);
      this.assignTo(id, a);
      b.id = id;
    } else this.assignTo(b.id, a);
  }

  inlineRules = false;

  program(parsedFn: { node: FnNode; where: Where }, kinds: readonly ParamKind[], options: LowerOptions, name: string): Program {
    this.inlineRules = options.inlineRules === true;
    const root = this.rootScope(options);
    const scope = new Scope(root);
    const params: number[] = [];
    this.checkFunctionKind(parsedFn.node, parsedFn.where);
    (parsedFn.node.params as N[]).forEach((p, i) => {
      if (p.type !== "Identifier")
        throw unsupported(
          parsedFn.where,
          p,
          p.type === "RestElement" ? "a rest parameter" : p.type === "AssignmentPattern" ? "a default parameter value" : "a destructuring parameter",
        );
      const id = this.b.locals.add(p.name, kinds[i] ?? "num");
      params.push(id);
      scope.set(p.name, kinds[i] === "arr" ? { k: "arr", id, writable: true } : { k: "var", id, mutable: true, param: i });
    });
    this.fnCtx = this.newFnContext(parsedFn.node, parsedFn.where);
    this.inlining.add(parsedFn.node);
    this.functionBody(parsedFn.node, scope);
    const copied = new Set([...this.written].filter((id) => params.includes(id)));
    return { name, locals: this.b.locals.list, params, copied, body: this.b.out, outputs: [ref(this.fnCtx.result)], externals: this.externals, constArrays: this.constArrays };
  }
}
