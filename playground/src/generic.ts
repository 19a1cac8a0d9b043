/**
 * The playground's second opinion: the user's function rewritten over the numeric interface
 * (`x * y` → `S.mul(x, y)`, `Math.sin(x)` → `S.sin(x)`) so it runs on nested dual numbers, an AD
 * mode that shares no code with source transformation's generated derivatives. Covers the
 * expressions, declarations, assignments, `if` and `for`/`while` loops a typical one-liner or
 * small function uses; anything else returns undefined (no check shown).
 */
import { parse } from "acorn";
import type { Scalar } from "../../src/scalar/index.js";

type Node = { type: string; [key: string]: unknown };
type Generic = <T>(x: T, S: Scalar<T>) => T;

const BINARY: Record<string, string> = { "+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow" };
const COMPARE = new Set(["<", ">", "<=", ">=", "===", "!==", "==", "!="]);
const MATH_UNARY = new Set(["sqrt", "cbrt", "exp", "expm1", "log", "log1p", "log2", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "abs", "sign"]);
const MATH_BINARY = new Set(["pow", "atan2", "min", "max", "hypot"]);
const MATH_CONST = new Set(["PI", "E", "LN2", "LN10", "LOG2E", "LOG10E", "SQRT2", "SQRT1_2"]);

class Refused extends Error {}

function expr(n: Node, names: Set<string>): string {
  switch (n.type) {
    case "Literal":
      if (typeof n.value !== "number") throw new Refused();
      return `(${String(n.value)})`;
    case "Identifier":
      if (!names.has(n.name as string)) throw new Refused();
      return n.name as string;
    case "BinaryExpression": {
      const [a, b] = [expr(n.left as Node, names), expr(n.right as Node, names)];
      if ((n.operator as string) in BINARY) return `S.${BINARY[n.operator as string]}(${a}, ${b})`;
      if (COMPARE.has(n.operator as string)) return `(S.value(${a}) ${n.operator as string} S.value(${b}))`;
      throw new Refused();
    }
    case "LogicalExpression":
      return `(${expr(n.left as Node, names)} ${n.operator as string} ${expr(n.right as Node, names)})`;
    case "UnaryExpression":
      if (n.operator === "-") return `S.neg(${expr(n.argument as Node, names)})`;
      if (n.operator === "+") return expr(n.argument as Node, names);
      if (n.operator === "!") return `!(${expr(n.argument as Node, names)})`;
      throw new Refused();
    case "ConditionalExpression":
      return `(${expr(n.test as Node, names)} ? ${expr(n.consequent as Node, names)} : ${expr(n.alternate as Node, names)})`;
    case "MemberExpression": {
      const name = mathMember(n);
      if (!MATH_CONST.has(name)) throw new Refused();
      return `(${Math[name as "PI"]})`;
    }
    case "CallExpression": {
      const name = mathMember(n.callee as Node);
      const args = (n.arguments as Node[]).map((a) => expr(a, names));
      if (MATH_UNARY.has(name) && args.length === 1) return `S.${name}(${args[0]})`;
      if (MATH_BINARY.has(name) && args.length === 2) return `S.${name}(${args[0]}, ${args[1]})`;
      throw new Refused();
    }
    default:
      throw new Refused();
  }
}

function mathMember(n: Node): string {
  const object = n.object as Node | undefined;
  const property = n.property as Node | undefined;
  if (n.type !== "MemberExpression" || n.computed === true || object?.type !== "Identifier" || object.name !== "Math" || property === undefined) throw new Refused();
  return property.name as string;
}

function stmt(n: Node, names: Set<string>): string {
  switch (n.type) {
    case "BlockStatement":
      return `{\n${(n.body as Node[]).map((s) => stmt(s, names)).join("\n")}\n}`;
    case "VariableDeclaration":
      return (n.declarations as Node[])
        .map((d) => {
          const id = (d.id as Node).name as string;
          const init = d.init === null ? "S.from(0)" : expr(d.init as Node, names);
          names.add(id);
          return `let ${id} = ${init};`;
        })
        .join("\n");
    case "ReturnStatement":
      return `return ${expr(n.argument as Node, names)};`;
    case "IfStatement":
      return `if (${expr(n.test as Node, names)}) ${stmt(n.consequent as Node, names)}${n.alternate ? ` else ${stmt(n.alternate as Node, names)}` : ""}`;
    case "WhileStatement":
      return `while (${expr(n.test as Node, names)}) ${stmt(n.body as Node, names)}`;
    case "ForStatement":
      return `for (${n.init ? stmt(n.init as Node, names).replace(/;$/, "") : ""}; ${n.test ? expr(n.test as Node, names) : ""}; ${n.update ? update(n.update as Node, names) : ""}) ${stmt(n.body as Node, names)}`;
    case "ExpressionStatement":
      return `${update(n.expression as Node, names)};`;
    default:
      throw new Refused();
  }
}

/** Assignments and ++/-- as statements (or a for loop's update). */
function update(n: Node, names: Set<string>): string {
  if (n.type === "UpdateExpression" && (n.argument as Node).type === "Identifier") {
    const id = expr(n.argument as Node, names);
    return `${id} = S.${n.operator === "++" ? "add" : "sub"}(${id}, 1)`;
  }
  if (n.type === "AssignmentExpression" && (n.left as Node).type === "Identifier") {
    const id = expr(n.left as Node, names);
    const value = expr(n.right as Node, names);
    if (n.operator === "=") return `${id} = ${value}`;
    const op = BINARY[(n.operator as string).slice(0, -1)];
    if (op === undefined) throw new Refused();
    return `${id} = S.${op}(${id}, ${value})`;
  }
  throw new Refused();
}

/** The user's one-argument function over `Scalar<T>`, or undefined where it uses anything else. */
export function genericVersion(text: string): Generic | undefined {
  try {
    const program = parse(`(${text})`, { ecmaVersion: "latest" }) as unknown as Node;
    const fn = ((program.body as Node[])[0] as Node).expression as Node;
    if ((fn.type !== "ArrowFunctionExpression" && fn.type !== "FunctionExpression") || (fn.params as Node[]).length !== 1) return undefined;
    const param = (fn.params as Node[])[0];
    if (param.type !== "Identifier") return undefined;
    const names = new Set([param.name as string]);
    const body = fn.body as Node;
    const code = body.type === "BlockStatement" ? stmt(body, names) : `{ return ${expr(body, names)}; }`;
    // Built from our own rewriting of a parsed tree: every name in it was checked above.
    return new Function(`return function (${param.name as string}, S) ${code};`)() as Generic;
  } catch {
    return undefined;
  }
}
