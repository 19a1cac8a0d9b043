/**
 * A map from locals to facts whose changes are logged, so the work on one branch of an `if` (or one
 * round of a loop's fixed point) is taken back by `undo(mark)` instead of being done on a copy: a
 * branch then costs what it changes, not the size of the map. The analyses of optimize.ts keep
 * their state in these, which keeps a long program with many branches linear.
 */
export class JournaledMap<V> {
  /** By local id (ids are small and dense: an array beats a Map here by a wide margin). */
  private readonly values: (V | undefined)[] = [];
  /** Each change as [local, its value before]: undefined when it had none. */
  private readonly log: [number, V | undefined][] = [];

  get(id: number): V | undefined {
    return id < this.values.length ? this.values[id] : undefined;
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  set(id: number, v: V): void {
    const old = this.get(id);
    if (old === v) return;
    this.log.push([id, old]);
    this.put(id, v);
  }

  delete(id: number): void {
    const old = this.get(id);
    if (old === undefined) return;
    this.log.push([id, old]);
    this.values[id] = undefined;
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
    for (const id of this.changesSince(mark).keys()) out.set(id, this.get(id));
    return out;
  }

  /**
   * Shortens the log since `mark` to one entry per local whose value differs from the one it had
   * there: all an undo past the mark needs, so an enclosing block's scans skip the work in between.
   */
  compact(mark: number): void {
    const changes = this.changesSince(mark);
    this.log.length = mark;
    for (const [id, before] of changes) if (this.get(id) !== before) this.log.push([id, before]);
  }

  /** Takes back every change since `mark`. */
  undo(mark: number): void {
    while (this.log.length > mark) {
      const [id, before] = this.log.pop()!;
      if (before === undefined) this.values[id] = undefined;
      else this.put(id, before);
    }
  }

  /** Stores without logging (subclasses index what they store here). */
  protected put(id: number, v: V): void {
    // Grown one slot at a time, so the array never turns sparse.
    while (this.values.length <= id) this.values.push(undefined);
    this.values[id] = v;
  }
}
