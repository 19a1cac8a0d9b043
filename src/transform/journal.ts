/**
 * A map from locals to facts whose changes are logged, so the work on one branch of an `if` (or one
 * round of a loop's fixed point) is taken back by `undo(mark)` instead of being done on a copy: a
 * branch then costs what it changes, not the size of the map. The analyses of optimize.ts keep
 * their state in these, which keeps a long program with many branches linear.
 */
export class JournaledMap<V> {
  private readonly map = new Map<number, V>();
  /** Each change as [local, its value before]: undefined when it had none. */
  private readonly log: [number, V | undefined][] = [];

  get(id: number): V | undefined {
    return this.map.get(id);
  }

  has(id: number): boolean {
    return this.map.has(id);
  }

  keys(): IterableIterator<number> {
    return this.map.keys();
  }

  set(id: number, v: V): void {
    if (this.map.get(id) === v) return;
    this.log.push([id, this.map.get(id)]);
    this.put(id, v);
  }

  delete(id: number): void {
    const old = this.map.get(id);
    if (old === undefined) return;
    this.log.push([id, old]);
    this.map.delete(id);
  }

  mark(): number {
    return this.log.length;
  }

  /** The locals changed since `mark`, each with its value at the mark. */
  changesSince(mark: number): Map<number, V | undefined> {
    const out = new Map<number, V | undefined>();
    for (let i = mark; i < this.log.length; i++) {
      const [id, before] = this.log[i];
      if (!out.has(id)) out.set(id, before);
    }
    return out;
  }

  /** The locals changed since `mark`, each with its value now. */
  valuesSince(mark: number): Map<number, V | undefined> {
    const out = new Map<number, V | undefined>();
    for (const id of this.changesSince(mark).keys()) out.set(id, this.map.get(id));
    return out;
  }

  /** Takes back every change since `mark`. */
  undo(mark: number): void {
    while (this.log.length > mark) {
      const [id, before] = this.log.pop()!;
      if (before === undefined) this.map.delete(id);
      else this.put(id, before);
    }
  }

  /** Stores without logging (subclasses index what they store here). */
  protected put(id: number, v: V): void {
    this.map.set(id, v);
  }
}
