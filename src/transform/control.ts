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
  for (const n of body) {
    forEachNode(n, (m) => {
      if (m.type === "ReturnStatement") count++;
      return !/Function/.test(m.type);
    });
  }
  return count === 0 || (count === 1 && body[body.length - 1]?.type === "ReturnStatement");
}

/** Whether `s` may return, or break/continue its enclosing loop. */
export function mayJump(s: N): boolean {
  const stack: [N, boolean][] = [[s, false]];
  while (stack.length > 0) {
    const [n, inLoop] = stack.pop()!;
    if (n.type === "ReturnStatement") return true;
    if ((n.type === "BreakStatement" || n.type === "ContinueStatement") && !inLoop) return true;
    if (/Function/.test(n.type)) continue;
    const loop = inLoop || /^(For|While|DoWhile|ForOf)Statement$/.test(n.type);
    for (const c of children(n)) stack.push([c, loop]);
  }
  return false;
}

/** Whether a loop body breaks or continues this loop (not an inner one). */
export function jumpsIn(body: N): { brk: boolean; cnt: boolean } {
  const r = { brk: false, cnt: false };
  forEachNode(body, (n) => {
    if (n.type === "BreakStatement") r.brk = true;
    if (n.type === "ContinueStatement") r.cnt = true;
    return !(/Function/.test(n.type) || /^(For|While|DoWhile|ForOf|ForIn)Statement$/.test(n.type));
  });
  return r;
}

/**
 * Calls `visit` on `root` and the nodes under it, into a node's children unless it returns false.
 * A loop over an explicit stack: acorn parses nestings deeper than a recursive walk could follow.
 */
export function forEachNode(root: N, visit: (n: N) => boolean | void): void {
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (visit(n) !== false) for (const c of children(n)) stack.push(c);
  }
}

function children(n: N): N[] {
  const out: N[] = [];
  for (const k of Object.keys(n)) {
    const v = n[k];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === "string") out.push(c);
    } else if (v && typeof v.type === "string") out.push(v);
  }
  return out;
}
