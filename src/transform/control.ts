/**
 * Questions about the control flow of an acorn AST that the lowering asks before it turns jumps
 * into flags: may this statement return or leave its loop, does this loop body break or continue,
 * is the only return the last statement.
 */
import type { Node } from "acorn";

type N = Node & Record<string, any>;

export const STATEMENT_NAMES: Record<string, string> = {
  TryStatement: "try/catch",
  ThrowStatement: "throw",
  SwitchStatement: "switch",
  LabeledStatement: "a labelled statement",
  WithStatement: "with",
  ForInStatement: "for-in",
  ClassDeclaration: "a class declaration",
  DebuggerStatement: "debugger",
};

/** The only returns are one as the body's last statement (then no `returned` flag is needed). */
export function onlyTailReturn(body: N[]): boolean {
  let count = 0;
  walk(body, (n) => {
    if (n.type === "ReturnStatement") count++;
  });
  return count === 0 || (count === 1 && body[body.length - 1]?.type === "ReturnStatement");
}

/** Whether `s` may return, or break/continue its enclosing loop. */
export function mayJump(s: N): boolean {
  let found = false;
  const visit = (n: N, inLoop: boolean) => {
    if (found || n === null || typeof n !== "object") return;
    if (n.type === "ReturnStatement") found = true;
    if ((n.type === "BreakStatement" || n.type === "ContinueStatement") && !inLoop) found = true;
    if (/Function/.test(n.type)) return;
    const loop = inLoop || /^(For|While|DoWhile|ForOf)Statement$/.test(n.type);
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) v.forEach((c) => c && typeof c.type === "string" && visit(c, loop));
      else if (v && typeof v.type === "string") visit(v, loop);
    }
  };
  visit(s, false);
  return found;
}

/** Whether a loop body breaks or continues this loop (not an inner one). */
export function jumpsIn(body: N): { brk: boolean; cnt: boolean } {
  const r = { brk: false, cnt: false };
  const visit = (n: N) => {
    if (n === null || typeof n !== "object") return;
    if (n.type === "BreakStatement") r.brk = true;
    if (n.type === "ContinueStatement") r.cnt = true;
    if (/Function/.test(n.type) || /^(For|While|DoWhile|ForOf|ForIn)Statement$/.test(n.type)) return;
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) v.forEach((c) => c && typeof c.type === "string" && visit(c));
      else if (v && typeof v.type === "string") visit(v);
    }
  };
  visit(body);
  return r;
}

function walk(nodes: N[], f: (n: N) => void): void {
  const visit = (n: N) => {
    if (n === null || typeof n !== "object") return;
    f(n);
    if (/Function/.test(n.type)) return;
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) v.forEach((c) => c && typeof c.type === "string" && visit(c));
      else if (v && typeof v.type === "string") visit(v);
    }
  };
  nodes.forEach(visit);
}

