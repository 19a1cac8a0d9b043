/**
 * A stack of interpreter levels (forward-mode tangents, vmap batches): the levels active now, and
 * running a function with one more. A level is removed by identity when its function ends, even if
 * an inner level escaped its own scope (a thrown error), so the stack never keeps a stale level.
 */
export interface LevelStack<L> {
  /** The active levels, outermost first: the interpreter's own array (it sets levels aside while a rule runs). */
  readonly levels: L[];
  /** The active levels, outermost first. */
  active(): readonly L[];
  /** Runs `fn` with `level` innermost. */
  runWith<R>(level: L, fn: () => R): R;
  /** Runs `fn` with every level set aside (a sub-program traced on its own), then puts them back. */
  aside<R>(fn: () => R): R;
}

export function levelStack<L>(): LevelStack<L> {
  const levels: L[] = [];
  return {
    levels,
    active: () => levels,
    runWith(level, fn) {
      levels.push(level);
      try {
        return fn();
      } finally {
        const i = levels.lastIndexOf(level);
        if (i >= 0) levels.splice(i, 1);
      }
    },
    aside(fn) {
      const all = levels.splice(0);
      try {
        return fn();
      } finally {
        levels.unshift(...all);
      }
    },
  };
}
