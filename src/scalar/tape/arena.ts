/**
 * The tape's memory: a struct of growable typed arrays in a CSR layout. Node i has a value, an
 * adjoint, an op code and the start of its edges; its edges are `start[i] .. start[i+1]`, each a
 * parent index and the local partial ∂node/∂parent. A node may have any number of edges (0 for
 * leaves, 1–2 for elementary ops, n for `sum`, `dot` and checkpoint nodes), and recording an op
 * writes numbers into arrays: no object per node, no closure per node in `backward`.
 *
 * In tangent mode (forward over reverse) each node also carries the tangent of its value and each
 * edge the tangent of its partial, and the reverse sweep carries the adjoint's tangent alongside.
 */
import { invalidArgument } from "../../errors.js";

/** value (f64) + adjoint (f64) + edge start (i32) + op code (u8). */
export const BYTES_PER_NODE = 8 + 8 + 4 + 1;
/** parent (i32) + partial (f64). */
export const BYTES_PER_EDGE = 4 + 8;
/** Extra per node in tangent mode: value tangent + adjoint tangent. */
export const TANGENT_BYTES_PER_NODE = 8 + 8;
/** Extra per edge in tangent mode: partial tangent. */
export const TANGENT_BYTES_PER_EDGE = 8;

/** Int32 indices bound the arena; beyond this a typed array would not be allocatable anyway. */
export const MAX_CAPACITY = 2 ** 30;

// Shared by arenas of capacity 0 (every released tape's): a zero-length array holds nothing to write,
// `start[0]` is 0 in every arena, and growing replaces an arena's arrays without writing the old ones.
const EMPTY = new Float64Array(0);
const EMPTY_I32 = new Int32Array(0);
const EMPTY_U8 = new Uint8Array(0);
const NO_NODES_START = new Int32Array(1);

export class Arena {
  /** Nodes recorded. */
  size = 0;
  /** Edges recorded; always equals `start[size]`. */
  edges = 0;

  value: Float64Array;
  adj: Float64Array;
  op: Uint8Array;
  /** Length capacity + 1: node i's edges are start[i] .. start[i+1]. */
  start: Int32Array;
  parent: Int32Array;
  partial: Float64Array;

  // Tangent mode only; empty arrays otherwise.
  tvalue: Float64Array;
  tadj: Float64Array;
  tpartial: Float64Array;

  constructor(
    nodeCapacity: number,
    edgeCapacity: number,
    readonly tangents: boolean,
  ) {
    const bytes = nodeCapacity * nodeBytes(tangents) + 4 + edgeCapacity * edgeBytes(tangents);
    try {
      const nodes = nodeCapacity > 0;
      const edges = edgeCapacity > 0;
      this.value = nodes ? new Float64Array(nodeCapacity) : EMPTY;
      this.adj = nodes ? new Float64Array(nodeCapacity) : EMPTY;
      this.op = nodes ? new Uint8Array(nodeCapacity) : EMPTY_U8;
      this.start = nodes ? new Int32Array(nodeCapacity + 1) : NO_NODES_START;
      this.parent = edges ? new Int32Array(edgeCapacity) : EMPTY_I32;
      this.partial = edges ? new Float64Array(edgeCapacity) : EMPTY;
      this.tvalue = tangents && nodes ? new Float64Array(nodeCapacity) : EMPTY;
      this.tadj = tangents && nodes ? new Float64Array(nodeCapacity) : EMPTY;
      this.tpartial = tangents && edges ? new Float64Array(edgeCapacity) : EMPTY;
    } catch (e) {
      throw allocationFailed(e, "Tape", bytes, { capacity: nodeCapacity, edgeCapacity });
    }
  }

  get capacity(): number {
    return this.value.length;
  }

  get edgeCapacity(): number {
    return this.parent.length;
  }

  /** Bytes held by the typed arrays (capacity, not use). */
  get byteLength(): number {
    return (
      this.value.byteLength +
      this.adj.byteLength +
      this.op.byteLength +
      this.start.byteLength +
      this.parent.byteLength +
      this.partial.byteLength +
      this.tvalue.byteLength +
      this.tadj.byteLength +
      this.tpartial.byteLength
    );
  }

  /** Forgets every node; the arrays (and so the capacity) are kept. */
  clear(): void {
    this.size = 0;
    this.edges = 0;
  }

  /** Makes room for one more node with `edgeCount` edges, doubling the arrays that are full. */
  reserve(edgeCount: number): void {
    if (this.size === this.value.length) this.growNodes(this.size + 1);
    if (this.edges + edgeCount > this.parent.length) this.growEdges(this.edges + edgeCount);
  }

  /** Makes room for `count` more nodes (of no edges), growing the node arrays at most once. */
  reserveNodes(count: number): void {
    if (this.size + count > this.value.length) this.growNodes(this.size + count);
  }

  /**
   * Appends node `op` with `value` and `edgeCount` edge slots (caller fills `parent`/`partial` at
   * `start[i] + k`, after `reserve`). Returns the node's index.
   */
  open(op: number, value: number, edgeCount: number): number {
    const i = this.size;
    this.value[i] = value;
    this.op[i] = op;
    this.edges += edgeCount;
    this.start[i + 1] = this.edges;
    this.size = i + 1;
    return i;
  }

  leaf(op: number, value: number): number {
    if (this.size === this.value.length) this.growNodes(this.size + 1);
    return this.open(op, value, 0);
  }

  push1(op: number, value: number, p: number, w: number): number {
    this.reserve(1);
    const i = this.size;
    write1(this, i, this.edges, op, value, p, w);
    return i;
  }

  push2(op: number, value: number, p0: number, w0: number, p1: number, w1: number): number {
    this.reserve(2);
    const i = this.size;
    write2(this, i, this.edges, op, value, p0, w0, p1, w1);
    return i;
  }

  private growNodes(needed: number): void {
    const n = grownLength(this.value.length, needed);
    try {
      // Each array is replaced only once its copy exists, so a failure leaves the arena as it was.
      const value = grow(this.value, n);
      const adj = grow(this.adj, n);
      const op = grow(this.op, n);
      const start = grow(this.start, n + 1);
      const tvalue = this.tangents ? grow(this.tvalue, n) : EMPTY;
      const tadj = this.tangents ? grow(this.tadj, n) : EMPTY;
      this.value = value;
      this.adj = adj;
      this.op = op;
      this.start = start;
      this.tvalue = tvalue;
      this.tadj = tadj;
    } catch (e) {
      throw allocationFailed(e, "Tape", n * nodeBytes(this.tangents), { growing: "nodes", capacity: n });
    }
  }

  private growEdges(needed: number): void {
    const n = grownLength(this.parent.length, needed);
    try {
      const parent = grow(this.parent, n);
      const partial = grow(this.partial, n);
      const tpartial = this.tangents ? grow(this.tpartial, n) : EMPTY;
      this.parent = parent;
      this.partial = partial;
      this.tpartial = tpartial;
    } catch (e) {
      throw allocationFailed(e, "Tape", n * edgeBytes(this.tangents), { growing: "edges", capacity: n });
    }
  }

  /**
   * The reverse sweep: adj[parent] += adj[i] · partial for i = out … 0. Nodes whose adjoint is 0
   * are skipped, which is also the rule that a zero cotangent stays zero against an infinite
   * partial (0 · ∞ would be NaN). Adjoints above `out` are not touched and must not be read.
   *
   * The sweep is instruction-bound (the arena streams from cache), so it spends few: a node's edge
   * start is the next node's end, read once, and the two-edge node of the binary ops is written out
   * instead of looping (15–20% off the sweep, same additions in the same order), as is the
   * three-edge node of a statement of two inputs and an accumulator (20% off its sweep).
   */
  backward(out: number, seed: number): void {
    const adj = this.adj;
    const start = this.start;
    const parent = this.parent;
    const partial = this.partial;
    adj.fill(0, 0, out + 1);
    adj[out] = seed;
    let end = start[out + 1];
    for (let i = out; i >= 0; i--) {
      const k = start[i];
      const g = adj[i];
      if (g !== 0) {
        const count = end - k;
        if (count === 2) {
          adj[parent[k]] += g * partial[k];
          adj[parent[k + 1]] += g * partial[k + 1];
        } else if (count === 3) {
          adj[parent[k]] += g * partial[k];
          adj[parent[k + 1]] += g * partial[k + 1];
          adj[parent[k + 2]] += g * partial[k + 2];
        } else for (let e = k; e < end; e++) adj[parent[e]] += g * partial[e];
      }
      end = k;
    }
  }

  /**
   * `backward` that stops at the first edge making a parent's adjoint non-finite and returns that
   * edge's index (−1 when all stay finite). A separate loop so the default sweep has no check.
   */
  backwardChecked(out: number, seed: number): number {
    const adj = this.adj;
    const start = this.start;
    const parent = this.parent;
    const partial = this.partial;
    adj.fill(0, 0, out + 1);
    adj[out] = seed;
    for (let i = out; i >= 0; i--) {
      const g = adj[i];
      if (g === 0) continue;
      const end = start[i + 1];
      for (let k = start[i]; k < end; k++) {
        const p = parent[k];
        const a = adj[p] + g * partial[k];
        adj[p] = a;
        if (a - a !== 0) return k; // NaN or ±Inf
      }
    }
    return -1;
  }

  /**
   * The reverse sweep with tangents: differentiating adj[p] += adj[i]·w along the tangent gives
   * tadj[p] += tadj[i]·w + adj[i]·ẇ, so tadj at the inputs is the Hessian times the input tangent.
   * Returns the first edge making an adjoint or its tangent non-finite when `check` is set, else −1.
   */
  backwardTangent(out: number, seed: number, check: boolean): number {
    const adj = this.adj;
    const tadj = this.tadj;
    const start = this.start;
    const parent = this.parent;
    const partial = this.partial;
    const tpartial = this.tpartial;
    adj.fill(0, 0, out + 1);
    tadj.fill(0, 0, out + 1);
    adj[out] = seed;
    for (let i = out; i >= 0; i--) {
      const g = adj[i];
      const tg = tadj[i];
      if (g === 0 && tg === 0) continue;
      const end = start[i + 1];
      for (let k = start[i]; k < end; k++) {
        const p = parent[k];
        const w = partial[k];
        if (g !== 0) {
          adj[p] += g * w;
          tadj[p] += g * tpartial[k];
        }
        if (tg !== 0) tadj[p] += tg * w;
        if (check && (adj[p] - adj[p] !== 0 || tadj[p] - tadj[p] !== 0)) return k;
      }
    }
    return -1;
  }

  /** The node an edge belongs to (binary search over `start`), for error messages. */
  ownerOfEdge(k: number): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.start[mid] <= k) lo = mid;
      else hi = mid - 1;
    }
    // The last node starting at or before k has start ≤ k < start[i+1]: leaves sharing a start are before it.
    return lo;
  }
}

/**
 * Arenas of tapes that were released (the end of `Tape.with`, and so of every `gradient`, `jacobian`,
 * `hessian` call), reused by the next tape: allocating the typed arrays and collecting them was ~80%
 * of a gradient of a small f (4 µs of 5). A few, and only small ones, so that one large recording
 * does not keep its memory alive.
 */
const spares: Arena[] = [];
const MAX_SPARES = 4;
const MAX_SPARE_BYTES = 1 << 20;

/**
 * An empty arena of at least `nodes` nodes and 2·`nodes` edges: a spare if one fits, else a new one.
 * A tape asked to start below the functionals' 64 nodes gets exactly what it asked for: growing from
 * a tiny arena is what such a tape is for.
 */
export function takeArena(nodes: number, tangents: boolean): Arena {
  for (let k = nodes >= 64 ? spares.length - 1 : -1; k >= 0; k--) {
    const a = spares[k];
    if (a.tangents === tangents && a.capacity >= nodes && a.edgeCapacity >= 2 * nodes) {
      spares.splice(k, 1);
      a.clear();
      return a;
    }
  }
  return new Arena(nodes, 2 * nodes, tangents);
}

/** Hands back the arena of a released tape, which no longer reads or writes it. */
export function giveBackArena(a: Arena): void {
  if (spares.length < MAX_SPARES && a.byteLength <= MAX_SPARE_BYTES) spares.push(a);
}

function nodeBytes(tangents: boolean): number {
  return BYTES_PER_NODE + (tangents ? TANGENT_BYTES_PER_NODE : 0);
}

function edgeBytes(tangents: boolean): number {
  return BYTES_PER_EDGE + (tangents ? TANGENT_BYTES_PER_EDGE : 0);
}

/** A typed array the engine could not allocate (a RangeError) as an AdError naming the bytes asked. */
function allocationFailed(e: unknown, op: string, bytes: number, details: Record<string, unknown>): unknown {
  if (!(e instanceof RangeError)) return e;
  return invalidArgument(op, `could not allocate ${bytes} bytes for the tape's arena (${e.message})`, { bytes, ...details });
}

function grownLength(current: number, needed: number): number {
  if (needed > MAX_CAPACITY) {
    throw invalidArgument("Tape", `a tape holds at most ${MAX_CAPACITY} nodes and edges; ${needed} needed`, { needed, max: MAX_CAPACITY });
  }
  let n = Math.max(current, 16);
  while (n < needed) n *= 2;
  return Math.min(n, MAX_CAPACITY);
}

function grow<A extends Float64Array | Int32Array | Uint8Array>(a: A, length: number): A {
  const b = new (a.constructor as new (n: number) => A)(length);
  b.set(a);
  return b;
}

/** Writes node i with one edge at e: the caller made the room (`Arena.push1`, the tape's and handles' fast paths). */
export function write1(A: Arena, i: number, e: number, code: number, y: number, ia: number, w: number): void {
  A.parent[e] = ia;
  A.partial[e] = w;
  A.value[i] = y;
  A.op[i] = code;
  A.start[i + 1] = A.edges = e + 1;
  A.size = i + 1;
}

/** Writes node i with two edges at e: the caller made the room. */
export function write2(A: Arena, i: number, e: number, code: number, y: number, ia: number, wa: number, ib: number, wb: number): void {
  const parent = A.parent;
  const partial = A.partial;
  parent[e] = ia;
  partial[e] = wa;
  parent[e + 1] = ib;
  partial[e + 1] = wb;
  A.value[i] = y;
  A.op[i] = code;
  A.start[i + 1] = A.edges = e + 2;
  A.size = i + 1;
}
