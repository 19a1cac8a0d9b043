/**
 * Tables of expressions available for reuse, indexed by what they read so an assignment drops the
 * entries it makes stale without scanning the table (a scan per statement made long programs
 * quadratic): `Available` for cse (analysis.ts), `Recipes` for the reverse transform's
 * rematerialisation (reverse.ts).
 */
import { exprReads, type Expr } from "./ir.js";

/** An expression `cse` can reuse: its key, the local holding it, the locals and array it reads. */
export interface Entry {
  readonly key: string;
  readonly dst: number;
  readonly reads: readonly number[];
  readonly arr: number | undefined;
}

/**
 * The expressions available at a point of a block, with each local's entries (those held in it or
 * reading it) and each array's loads, so an assignment or a store drops its own entries without
 * scanning the table. A block starts afresh after each if and loop, so a branch's copy is small.
 */
export class Available {
  private readonly exprs = new Map<string, Entry>();
  private readonly byLocal = new Map<number, Entry[]>();
  private readonly byArray = new Map<number, Entry[]>();

  get(key: string): number | undefined {
    return this.exprs.get(key)?.dst;
  }

  add(entry: Entry): void {
    this.exprs.set(entry.key, entry);
    for (const id of [entry.dst, ...entry.reads]) push(this.byLocal, id, entry);
    if (entry.arr !== undefined) push(this.byArray, entry.arr, entry);
  }

  /** `id` is assigned: what it held and what was computed from it are gone. */
  invalidate(id: number): void {
    this.drop(this.byLocal, id);
  }

  storeTo(arr: number): void {
    this.drop(this.byArray, arr);
  }

  copy(): Available {
    const out = new Available();
    for (const e of this.exprs.values()) out.add(e);
    return out;
  }

  private drop(index: Map<number, Entry[]>, id: number): void {
    for (const e of index.get(id) ?? []) if (this.exprs.get(e.key) === e) this.exprs.delete(e.key);
    index.delete(id);
  }
}

function push<K, V>(index: Map<K, V[]>, k: K, v: V): void {
  const list = index.get(k);
  if (list === undefined) index.set(k, [v]);
  else list.push(v);
}

/** Each local's defining expression, while its operands are unchanged, with each local's readers. */
export class Recipes {
  private readonly exprs = new Map<number, Expr>();
  private readonly readers = new Map<number, number[]>();

  get(id: number): Expr | undefined {
    return this.exprs.get(id);
  }

  has(id: number): boolean {
    return this.exprs.has(id);
  }

  set(dst: number, e: Expr): void {
    this.exprs.set(dst, e);
    exprReads(
      e,
      (a) => {
        if (a.t === "local") push(this.readers, a.id, dst);
      },
      () => {},
    );
  }

  /** `id` is assigned: its recipe and those that read it go. */
  forget(id: number): void {
    this.exprs.delete(id);
    for (const k of this.readers.get(id) ?? []) {
      const e = this.exprs.get(k);
      if (e !== undefined && reads(e, id)) this.exprs.delete(k);
    }
    this.readers.delete(id);
  }

  clear(): void {
    this.exprs.clear();
    this.readers.clear();
  }
}

function reads(e: Expr, id: number): boolean {
  let found = false;
  exprReads(
    e,
    (a) => (found ||= a.t === "local" && a.id === id),
    () => {},
  );
  return found;
}
