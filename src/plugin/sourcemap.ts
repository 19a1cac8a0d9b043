/**
 * Text edits with a version-3 source map, small enough not to need magic-string: the output maps at
 * each edit, at each line start and at each word of unchanged text; an inserted text maps to where
 * the text it replaces began. Also reading a map back (esbuild's, when the plugin strips types
 * itself) to compose the two and to move a location from stripped code to the user's file.
 */

export interface SourceMap {
  version: 3;
  file?: string;
  sources: string[];
  sourcesContent?: string[];
  names: string[];
  mappings: string;
}

/** [generated column, source index, original line (from 0), original column (from 0)]. */
type Segment = [number, number, number, number];

export class Edits {
  private readonly list: { start: number; end: number; text: string }[] = [];
  constructor(private readonly original: string) {}

  replace(start: number, end: number, text: string): void {
    this.list.push({ start, end, text });
  }

  get size(): number {
    return this.list.length;
  }

  apply(file: string): { code: string; map: SourceMap } {
    const edits = this.list.slice().sort((a, b) => a.start - b.start || a.end - b.end);
    const starts = lineStarts(this.original);
    const lines: Segment[][] = [[]];
    let code = "";
    let column = 0;
    const emit = (text: string, from: number | null) => {
      // `from`: the original offset of text[0] when the text is unchanged, null for inserted text.
      let i = 0;
      while (i < text.length) {
        const nl = text.indexOf("\n", i);
        const end = nl < 0 ? text.length : nl;
        if (from !== null) {
          for (const m of text.slice(i, end).matchAll(/[\w$]+|[^\s\w$]+/g)) {
            const [line, col] = locate(starts, from + i + m.index);
            lines[lines.length - 1].push([column + m.index, 0, line, col]);
          }
        }
        column += end - i;
        if (nl < 0) break;
        lines.push([]);
        column = 0;
        i = nl + 1;
      }
      code += text;
    };
    let at = 0;
    for (const e of edits) {
      if (e.start < at) throw new Error(`overlapping edits at ${e.start}`);
      emit(this.original.slice(at, e.start), at);
      const [line, col] = locate(starts, e.start);
      if (e.text.length > 0) lines[lines.length - 1].push([column, 0, line, col]);
      emit(e.text, null);
      at = e.end;
    }
    emit(this.original.slice(at), at);
    return { code, map: { version: 3, file, sources: [file], sourcesContent: [this.original], names: [], mappings: encode(lines) } };
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** An offset's line and column, both from 0. */
function locate(starts: readonly number[], offset: number): [number, number] {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return [lo, offset - starts[lo]];
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function vlq(n: number): string {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = "";
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += BASE64[digit];
  } while (v > 0);
  return out;
}

function encode(lines: readonly Segment[][]): string {
  let source = 0;
  let line = 0;
  let col = 0;
  return lines
    .map((segments) => {
      let gen = 0;
      return segments
        .map(([g, s, l, c]) => {
          const out = vlq(g - gen) + vlq(s - source) + vlq(l - line) + vlq(c - col);
          gen = g;
          source = s;
          line = l;
          col = c;
          return out;
        })
        .join(",");
    })
    .join(";");
}

export function decode(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let source = 0;
  let line = 0;
  let col = 0;
  for (const text of mappings.split(";")) {
    const segments: Segment[] = [];
    let gen = 0;
    for (const seg of text.split(",")) {
      if (seg.length === 0) continue;
      const fields: number[] = [];
      let v = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = BASE64.indexOf(ch);
        v += (digit & 31) << shift;
        shift += 5;
        if ((digit & 32) === 0) {
          fields.push(v & 1 ? -(v >>> 1) : v >>> 1);
          v = 0;
          shift = 0;
        }
      }
      gen += fields[0];
      if (fields.length < 4) continue;
      source += fields[1];
      line += fields[2];
      col += fields[3];
      segments.push([gen, source, line, col]);
    }
    lines.push(segments);
  }
  return lines;
}

/** Where a generated position (line and column from 0) came from, by the segment at or before it. */
export function originalPosition(lines: readonly Segment[][], line: number, column: number): { line: number; column: number } | undefined {
  const segments = lines[line] ?? [];
  let best: Segment | undefined;
  for (const s of segments) if (s[0] <= column) best = s;
  if (best === undefined) return undefined;
  return { line: best[2], column: best[3] };
}

/** `outer` ∘ `inner`: a map from `outer`'s output to `inner`'s sources. */
export function compose(outer: SourceMap, inner: SourceMap): SourceMap {
  const innerLines = decode(inner.mappings);
  const composed = decode(outer.mappings).map((segments) =>
    segments.flatMap(([g, , l, c]): Segment[] => {
      const o = originalPosition(innerLines, l, c);
      return o === undefined ? [] : [[g, 0, o.line, o.column]];
    }),
  );
  return { version: 3, file: outer.file, sources: inner.sources, sourcesContent: inner.sourcesContent, names: [], mappings: encode(composed) };
}

/**
 * Where an original position (line and column from 0) went: the generated position of the first
 * segment at or after it, in the original's order.
 */
export function generatedPosition(lines: readonly Segment[][], line: number, column: number): { line: number; column: number } | undefined {
  let best: { line: number; column: number; o: [number, number] } | undefined;
  lines.forEach((segments, genLine) => {
    for (const [g, , l, c] of segments) {
      if (l < line || (l === line && c < column)) continue;
      if (best === undefined || l < best.o[0] || (l === best.o[0] && c < best.o[1])) best = { line: genLine, column: g, o: [l, c] };
    }
  });
  return best === undefined ? undefined : { line: best.line, column: best.column };
}
