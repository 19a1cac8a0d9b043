/**
 * einsum, composed of permute, reshape, sum, expand, matmul and `diagonal`, so its derivatives are
 * theirs. Each operand first loses its repeated labels (a diagonal: "ii->i") and the labels no
 * other operand or the output has (a sum); then operands are contracted two at a time, each pair
 * as one batched matmul ([batch, own, shared] · [batch, shared, own]), the pair chosen greedily as
 * the one whose result is smallest; a final permute puts the output's labels in order.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { matmul } from "../tensor/primitives/matmul.js";
import { expand, sum } from "../tensor/primitives/reduce.js";
import { permute, reshape } from "../tensor/primitives/shape.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor } from "./checks.js";
import { diagonal } from "./matrix.js";

/** An operand with one label per axis; "…k" labels stand for the k-th axis of the broadcast ellipsis. */
interface Term {
  readonly t: Tensor;
  readonly labels: readonly string[];
}

const LETTER = /^[a-zA-Z]$/;

/** The labels of one side of the subscripts ("ab...c"): letters, and "…" once where the ellipsis is. */
function parseSide(op: string, subscripts: string, side: string): string[] {
  const labels: string[] = [];
  const rest = side.split("...");
  if (rest.length > 2) throw invalidArgument(op, `"${subscripts}": an ellipsis may appear once per operand`, { subscripts });
  rest.forEach((part, i) => {
    if (i === 1) labels.push("…");
    for (const c of part) {
      if (!LETTER.test(c)) throw invalidArgument(op, `"${subscripts}": ${describe(c)} is not a letter (labels are a–z, A–Z; "..." an ellipsis)`, { subscripts, label: c });
      labels.push(c);
    }
  });
  return labels;
}

const sizeOf = (term: Term, label: string): number => term.t.shape[term.labels.indexOf(label)];
const count = (xs: readonly (readonly string[])[], label: string): number => xs.reduce((n, ls) => n + ls.filter((l) => l === label).length, 0);

/** Sums out the labels of `term` not in `keep`. */
function sumOut(term: Term, keep: ReadonlySet<string>): Term {
  const axes = term.labels.flatMap((l, i) => (keep.has(l) ? [] : [i]));
  if (axes.length === 0) return term;
  return { t: sum(term.t, axes), labels: term.labels.filter((l) => keep.has(l)) };
}

/** Replaces each repeated label of an operand by one axis, its diagonal. */
function diagonals(op: string, subscripts: string, term: Term): Term {
  let { t, labels } = term;
  for (;;) {
    const p = labels.findIndex((l, i) => labels.indexOf(l) !== i);
    if (p < 0) return { t, labels };
    const first = labels.indexOf(labels[p]);
    if (t.shape[first] !== t.shape[p]) {
      throw new AdError("ShapeMismatch", `${op} "${subscripts}": label ${labels[p]} repeated on axes of sizes ${t.shape[first]} and ${t.shape[p]}`, {
        op,
        subscripts,
        label: labels[p],
        sizes: [t.shape[first], t.shape[p]],
      });
    }
    const others = labels.flatMap((_, i) => (i === first || i === p ? [] : [i]));
    t = diagonal(permute(t, [...others, first, p]));
    labels = [...others.map((i) => labels[i]), labels[p]];
  }
}

/** x and y contracted over their shared labels not in `keep`: one batched matmul. */
function contract(x: Term, y: Term, keep: ReadonlySet<string>): Term {
  const batch = x.labels.filter((l) => y.labels.includes(l) && keep.has(l));
  const shared = x.labels.filter((l) => y.labels.includes(l) && !keep.has(l));
  const xo = x.labels.filter((l) => !y.labels.includes(l));
  const yo = y.labels.filter((l) => !x.labels.includes(l));
  // A broadcast (ellipsis) axis of size 1 meets its full size on the other side: expand it first.
  const full = (l: string): number => Math.max(sizeOf(x, l), sizeOf(y, l));
  const arrange = (term: Term, order: readonly string[]): Tensor => {
    const t = permute(
      term.t,
      order.map((l) => term.labels.indexOf(l)),
    );
    const target = order.map((l, i) => (batch.includes(l) || shared.includes(l) ? full(l) : t.shape[i]));
    return target.every((d, i) => d === t.shape[i]) ? t : expand(t, target);
  };
  const product = (labels: readonly string[], term: Term): number => labels.reduce((p, l) => p * (batch.includes(l) || shared.includes(l) ? full(l) : sizeOf(term, l)), 1);
  const [b, k, m, n] = [product(batch, x), product(shared, x), product(xo, x), product(yo, y)];
  const left = reshape(arrange(x, [...batch, ...xo, ...shared]), [b, m, k]);
  const right = reshape(arrange(y, [...batch, ...shared, ...yo]), [b, k, n]);
  const shape = [...batch.map(full), ...xo.map((l) => sizeOf(x, l)), ...yo.map((l) => sizeOf(y, l))];
  return { t: reshape(matmul(left, right), shape), labels: [...batch, ...xo, ...yo] };
}

/**
 * Einstein summation, as numpy.einsum and torch.einsum: `"ij,jk->ik"` (matmul), `"ii->"` (trace),
 * `"ii->i"` (diagonal), `"...ij,...jk->...ik"` (batched, ellipses broadcast), `"i,j->ij"` (outer),
 * implicit output (the labels seen once, in alphabetical order, after the ellipsis). Bad subscripts
 * are `InvalidArgument` and sizes that disagree `ShapeMismatch`, both naming the subscripts.
 */
export function einsum(subscripts: string, ...operands: Tensor[]): Tensor {
  const op = "einsum";
  if (typeof subscripts !== "string") throw invalidArgument(op, `subscripts must be a string, got ${describe(subscripts)}`, { argument: "subscripts", got: describe(subscripts) });
  const spec = subscripts.replace(/\s+/g, "");
  const [lhs, rhs, ...extra] = spec.split("->");
  if (extra.length > 0) throw invalidArgument(op, `"${subscripts}" has more than one "->"`, { subscripts });
  const sides = lhs.split(",");
  if (sides.length !== operands.length)
    throw invalidArgument(op, `"${subscripts}" names ${sides.length} operand(s), got ${operands.length}`, { subscripts, operands: operands.length });
  const tensors = operands.map((x, i) => expectTensor(op, `operands[${i}]`, x));
  const dtypes = [...new Set(tensors.map((t) => t.dtype))];
  if (dtypes.length > 1) throw new AdError("DTypeMismatch", `${op} "${subscripts}" needs operands of one dtype, got ${dtypes.join(", ")}`, { op, subscripts, dtypes });

  const parsed = sides.map((side) => parseSide(op, subscripts, side));
  const ellipsisRank = Math.max(0, ...parsed.map((labels, i) => (labels.includes("…") ? tensors[i].rank - (labels.length - 1) : 0)));
  const ellipsis = Array.from({ length: ellipsisRank }, (_, k) => `…${k}`);
  let terms: Term[] = parsed.map((labels, i) => {
    const t = tensors[i];
    const named = labels.filter((l) => l !== "…").length;
    const has = labels.includes("…");
    if (has ? t.rank < named : t.rank !== named) {
      throw new AdError("ShapeMismatch", `${op} "${subscripts}": operand ${i} of shape ${formatShape(t.shape)} has ${t.rank} axes for ${has ? "at least " : ""}${named} labels`, {
        op,
        subscripts,
        operand: i,
        shape: [...t.shape],
      });
    }
    // This operand's ellipsis axes are the last of the broadcast ellipsis (right-aligned, as NumPy's broadcasting).
    const own = ellipsis.slice(ellipsisRank - (t.rank - named));
    return { t, labels: labels.flatMap((l) => (l === "…" ? own : [l])) };
  });

  const letters = parsed.flat().filter((l) => l !== "…");
  let output: string[];
  if (rhs === undefined) {
    output = [...ellipsis, ...[...new Set(letters)].filter((l) => count(parsed, l) === 1).sort()];
  } else {
    const out = parseSide(op, subscripts, rhs);
    const repeated = out.find((l, i) => out.indexOf(l) !== i);
    if (repeated !== undefined) throw invalidArgument(op, `"${subscripts}": output label ${repeated} appears twice`, { subscripts, label: repeated });
    const unknown = out.find((l) => l !== "…" && !letters.includes(l));
    if (unknown !== undefined) throw invalidArgument(op, `"${subscripts}": output label ${unknown} is in no operand`, { subscripts, label: unknown });
    if (ellipsisRank > 0 && !out.includes("…")) throw invalidArgument(op, `"${subscripts}": the operands' ellipsis must appear in the output`, { subscripts });
    output = out.flatMap((l) => (l === "…" ? ellipsis : [l]));
  }

  // Every label's size, the same wherever it appears (an ellipsis axis may be 1: it broadcasts).
  const sizes = new Map<string, number>();
  terms.forEach((term, i) =>
    term.labels.forEach((l, axis) => {
      const d = term.t.shape[axis];
      const seen = sizes.get(l);
      const broadcasts = l.startsWith("…") && (seen === 1 || d === 1);
      if (seen !== undefined && seen !== d && !broadcasts) {
        throw new AdError("ShapeMismatch", `${op} "${subscripts}": label ${l.startsWith("…") ? "..." : l} has size ${seen} and, in operand ${i}, ${d}`, {
          op,
          subscripts,
          label: l,
          sizes: [seen, d],
        });
      }
      sizes.set(l, seen === undefined || seen === 1 ? d : seen);
    }),
  );

  const needed = (except: readonly Term[]): Set<string> => new Set([...output, ...terms.filter((t) => !except.includes(t)).flatMap((t) => t.labels)]);
  terms = terms.map((term) => diagonals(op, subscripts, term));
  terms = terms.map((term) => sumOut(term, needed([term])));
  while (terms.length > 1) {
    let best: [number, number, number] | null = null;
    for (let i = 0; i < terms.length; i++) {
      for (let j = i + 1; j < terms.length; j++) {
        const keep = needed([terms[i], terms[j]]);
        const result = [...new Set([...terms[i].labels, ...terms[j].labels])].filter((l) => keep.has(l));
        const size = result.reduce((p, l) => p * (sizes.get(l) as number), 1);
        if (best === null || size < best[2]) best = [i, j, size];
      }
    }
    const [i, j] = best as [number, number, number];
    const keep = needed([terms[i], terms[j]]);
    const merged = contract(sumOut(terms[i], new Set([...keep, ...terms[j].labels])), sumOut(terms[j], new Set([...keep, ...terms[i].labels])), keep);
    terms = [...terms.filter((_, k) => k !== i && k !== j), merged];
  }
  const last = terms[0];
  return permute(
    last.t,
    output.map((l) => last.labels.indexOf(l)),
  );
}
