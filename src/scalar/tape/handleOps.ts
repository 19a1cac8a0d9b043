/**
 * The handles' ops (`h.add(a, b)`, `h.sin(a)`, … and any function of the derivative table by name),
 * each recording one node with an edge per operand. add, sub, mul and sin, the ops of most loops,
 * are written out inline; the rest check their operands and write through `push1`/`push2`.
 */
import { invalidArgument, describe } from "../../errors.js";
import { binaryRules, unaryRules, type BinaryRule, type UnaryRule } from "../elementary.js";
import { numberScalar } from "../number.js";
import type { BinaryOp, UnaryOp } from "../scalar.js";
import { BINARY_CODE, PASSIVE, UNARY_CODE } from "./codes.js";
import { HandleCore, INDEX_MASK, type Handle } from "./handleCore.js";

export class HandleOps<in out B = unknown> extends HandleCore<B> {
  /** A value that does not depend on the variables. */
  constant(x: number): Handle<B> {
    if (typeof x !== "number") throw invalidArgument("Handles.constant", `x must be a number, got ${describe(x)}`, { got: describe(x) });
    return this.handle(this.arena.leaf(PASSIVE, x));
  }

  /** The primal value of a handle. */
  value(h: Handle<B>): number {
    return this.arena.value[this.at("value", h)];
  }

  // add, sub, mul and sin, the ops of most loops, record in one function each: the checks `at` makes
  // (a handle of this tape and generation, a node recorded) and `push2`'s writes, inline, in few bytes,
  // so that V8 inlines the whole op into the caller's loop (a call per op, or per check, cost ~20% of
  // the handles benchmark). Anything else — an error, growing, `checkFinite` —
  // goes to the op's `…Any`, which records exactly the same node.
  add(a: Handle<B>, b: Handle<B>): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (typeof a === "number" && typeof b === "number" && i < this.nodeRoom && e + 2 <= this.edgeRoom) {
      const base = this.base;
      const mainBase = this.mainBase;
      const ia = a & INDEX_MASK;
      const ib = b & INDEX_MASK;
      if ((a === (base | ia) || a === (mainBase | ia)) && (b === (base | ib) || b === (mainBase | ib)) && ia < i && ib < i) {
        const v = A.value;
        const parent = A.parent;
        const partial = A.partial;
        parent[e] = ia;
        partial[e] = 1;
        parent[e + 1] = ib;
        partial[e + 1] = 1;
        v[i] = v[ia] + v[ib];
        A.op[i] = BINARY_CODE_ADD;
        A.start[i + 1] = A.edges = e + 2;
        A.size = i + 1;
        return (base | i) as Handle<B>;
      }
    }
    return this.addAny(a, b);
  }

  sub(a: Handle<B>, b: Handle<B>): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (typeof a === "number" && typeof b === "number" && i < this.nodeRoom && e + 2 <= this.edgeRoom) {
      const base = this.base;
      const mainBase = this.mainBase;
      const ia = a & INDEX_MASK;
      const ib = b & INDEX_MASK;
      if ((a === (base | ia) || a === (mainBase | ia)) && (b === (base | ib) || b === (mainBase | ib)) && ia < i && ib < i) {
        const v = A.value;
        const parent = A.parent;
        const partial = A.partial;
        parent[e] = ia;
        partial[e] = 1;
        parent[e + 1] = ib;
        partial[e + 1] = -1;
        v[i] = v[ia] - v[ib];
        A.op[i] = BINARY_CODE_SUB;
        A.start[i + 1] = A.edges = e + 2;
        A.size = i + 1;
        return (base | i) as Handle<B>;
      }
    }
    return this.subAny(a, b);
  }

  mul(a: Handle<B>, b: Handle<B>): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (typeof a === "number" && typeof b === "number" && i < this.nodeRoom && e + 2 <= this.edgeRoom) {
      const base = this.base;
      const mainBase = this.mainBase;
      const ia = a & INDEX_MASK;
      const ib = b & INDEX_MASK;
      if ((a === (base | ia) || a === (mainBase | ia)) && (b === (base | ib) || b === (mainBase | ib)) && ia < i && ib < i) {
        const v = A.value;
        const va = v[ia];
        const vb = v[ib];
        const parent = A.parent;
        const partial = A.partial;
        parent[e] = ia;
        partial[e] = vb;
        parent[e + 1] = ib;
        partial[e + 1] = va;
        v[i] = va * vb;
        A.op[i] = BINARY_CODE_MUL;
        A.start[i + 1] = A.edges = e + 2;
        A.size = i + 1;
        return (base | i) as Handle<B>;
      }
    }
    return this.mulAny(a, b);
  }

  sin(a: Handle<B>): Handle<B> {
    const A = this.arena;
    const i = A.size;
    const e = A.edges;
    if (typeof a === "number" && i < this.nodeRoom && e < this.edgeRoom) {
      const base = this.base;
      const mainBase = this.mainBase;
      const ia = a & INDEX_MASK;
      if ((a === (base | ia) || a === (mainBase | ia)) && ia < i) {
        const v = A.value;
        const x = v[ia];
        A.parent[e] = ia;
        A.partial[e] = Math.cos(x);
        v[i] = Math.sin(x);
        A.op[i] = UNARY_CODE_SIN;
        A.start[i + 1] = A.edges = e + 1;
        A.size = i + 1;
        return (base | i) as Handle<B>;
      }
    }
    return this.sinAny(a);
  }

  div(a: Handle<B>, b: Handle<B>): Handle<B> {
    const ia = this.at("div", a);
    const ib = this.at("div", b);
    const v = this.arena.value;
    const vb = v[ib];
    const y = v[ia] / vb;
    return this.push2(BINARY_CODE.div, y, ia, 1 / vb, ib, -y / vb);
  }

  neg(a: Handle<B>): Handle<B> {
    const ia = this.at("neg", a);
    return this.push1(UNARY_CODE.neg, -this.arena.value[ia], ia, -1);
  }

  cos(a: Handle<B>): Handle<B> {
    const ia = this.at("cos", a);
    const x = this.arena.value[ia];
    return this.push1(UNARY_CODE.cos, Math.cos(x), ia, -Math.sin(x));
  }

  exp(a: Handle<B>): Handle<B> {
    const ia = this.at("exp", a);
    const y = Math.exp(this.arena.value[ia]);
    return this.push1(UNARY_CODE.exp, y, ia, y);
  }

  log(a: Handle<B>): Handle<B> {
    const ia = this.at("log", a);
    const x = this.arena.value[ia];
    return this.push1(UNARY_CODE.log, Math.log(x), ia, 1 / x);
  }

  sqrt(a: Handle<B>): Handle<B> {
    const ia = this.at("sqrt", a);
    const y = Math.sqrt(this.arena.value[ia]);
    return this.push1(UNARY_CODE.sqrt, y, ia, 0.5 / y);
  }

  tanh(a: Handle<B>): Handle<B> {
    const ia = this.at("tanh", a);
    const y = Math.tanh(this.arena.value[ia]);
    return this.push1(UNARY_CODE.tanh, y, ia, 1 - y * y);
  }

  /** Any unary function of the table by name (`h.unary("erf", x)`), for the ones not written out. */
  unary(name: UnaryOp, a: Handle<B>): Handle<B> {
    const rule: UnaryRule | undefined = Object.hasOwn(unaryRules, name) ? unaryRules[name] : undefined;
    if (rule === undefined) throw invalidArgument("Handles.unary", `no unary function named ${describe(name)}`, { got: describe(name) });
    const ia = this.at(name, a);
    const x = this.arena.value[ia];
    const y = rule.primal(x);
    return this.push1(UNARY_CODE[name], y, ia, rule.df(numberScalar, x, y));
  }

  /** Any binary function of the table by name (`h.binary("pow", a, b)`). */
  binary(name: BinaryOp, a: Handle<B>, b: Handle<B>): Handle<B> {
    const rule: BinaryRule | undefined = Object.hasOwn(binaryRules, name) ? binaryRules[name] : undefined;
    if (rule === undefined) throw invalidArgument("Handles.binary", `no binary function named ${describe(name)}`, { got: describe(name) });
    const ia = this.at(name, a);
    const ib = this.at(name, b);
    const va = this.arena.value[ia];
    const vb = this.arena.value[ib];
    const y = rule.primal(va, vb);
    return this.push2(BINARY_CODE[name], y, ia, rule.da(numberScalar, va, vb, y), ib, rule.db(numberScalar, va, vb, y));
  }

  private addAny(a: Handle<B>, b: Handle<B>): Handle<B> {
    const ia = this.at("add", a);
    const ib = this.at("add", b);
    const v = this.arena.value;
    return this.push2(BINARY_CODE.add, v[ia] + v[ib], ia, 1, ib, 1);
  }

  private subAny(a: Handle<B>, b: Handle<B>): Handle<B> {
    const ia = this.at("sub", a);
    const ib = this.at("sub", b);
    const v = this.arena.value;
    return this.push2(BINARY_CODE.sub, v[ia] - v[ib], ia, 1, ib, -1);
  }

  private mulAny(a: Handle<B>, b: Handle<B>): Handle<B> {
    const ia = this.at("mul", a);
    const ib = this.at("mul", b);
    const v = this.arena.value;
    const va = v[ia];
    const vb = v[ib];
    return this.push2(BINARY_CODE.mul, va * vb, ia, vb, ib, va);
  }

  private sinAny(a: Handle<B>): Handle<B> {
    const ia = this.at("sin", a);
    const x = this.arena.value[ia];
    return this.push1(UNARY_CODE.sin, Math.sin(x), ia, Math.cos(x));
  }
}

const BINARY_CODE_ADD = BINARY_CODE.add;
const BINARY_CODE_SUB = BINARY_CODE.sub;
const BINARY_CODE_MUL = BINARY_CODE.mul;
const UNARY_CODE_SIN = UNARY_CODE.sin;
