/**
 * Tables and notes of the tensor report. Every timing row shows its library's thread count; the ratio
 * column is adjoint (wasm)'s median time ÷ the row's median time (below 1: adjoint is faster), shown
 * only where both ran on the same number of threads.
 */
import { fmtMs, table } from "../harness.js";
import { ADJOINT } from "../rivals/index.js";
import type { Outcome, Row } from "./run.js";

export const RATIO_HEADER = `${ADJOINT} ÷ row, time`;

/** adjoint's median time ÷ this row's, at equal thread counts. */
export function ratioCell(row: Row, rows: readonly Row[]): string {
  const ours = rows.find((r) => r.name === ADJOINT);
  if (ours === undefined) return "–";
  if (ours.threads !== row.threads) return `– (${row.threads} vs ${ours.threads} threads)`;
  return `${(ours.timing.median / row.timing.median).toFixed(2)}`;
}

export function medianOf(o: Outcome, name: string): number {
  return o.rows.find((r) => r.name === name)?.timing.median ?? NaN;
}

/**
 * min / median / max in ms, samples, an optional throughput column (header and formatter), the ratio,
 * and where a row is jitted the duration of its first call (the compile time, with one run).
 */
export function timingTable(o: Outcome, throughput?: readonly [header: string, format: (ms: number) => string]): string {
  const jitted = o.rows.some((r) => r.firstCallMs !== undefined);
  const rows = o.rows.map((r) => [
    r.name,
    String(r.threads),
    fmtMs(r.timing.min),
    fmtMs(r.timing.median),
    fmtMs(r.timing.max),
    String(r.timing.samples),
    ...(throughput === undefined ? [] : [throughput[1](r.timing.median)]),
    ratioCell(r, o.rows),
    ...(jitted ? [r.firstCallMs === undefined ? "–" : fmtMs(r.firstCallMs)] : []),
  ]);
  return table(
    ["case", "threads", "min", "median", "max", "samples", ...(throughput === undefined ? [] : [throughput[0]]), RATIO_HEADER, ...(jitted ? ["first call (ms)"] : [])],
    rows,
  );
}

/** A row's first call (ms), where it is jitted. */
export function firstCallOf(o: Outcome, name: string): number | undefined {
  return o.rows.find((r) => r.name === name)?.firstCallMs;
}

/** The lines under a table: who could not run it and why, slow cases with fewer rounds, agreement. */
export function notes(o: Outcome): string[] {
  const lines: string[] = [];
  if (o.failed.length > 0) lines.push("", `Could not run (the library threw): ${o.failed.join("; ")}.`);
  if (o.missing.length > 0) lines.push("", `Not implemented: ${o.missing.join("; ")}.`);
  if (o.reduced.length > 0) lines.push("", `Fewer timed rounds, and no warm-up beyond the checking run, for the cases whose first run was slow: ${o.reduced.join(", ")}.`);
  if (o.agreement.length > 0) {
    lines.push(
      "",
      `Checked before timing against ${o.rows[0]?.name ?? "the first row"} (value: relative difference; each gradient: largest absolute difference ÷ that gradient's largest element):`,
      "",
      ...o.agreement.map((a) => `- ${a}`),
    );
  }
  return lines;
}
