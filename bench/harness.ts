/**
 * A small timing harness for `npm run bench`: every case runs in the same process on the same inputs,
 * interleaved round by round (so a noisy neighbour hurts all cases alike), after warm-up, and is
 * reported as min/median/max. Timing never decides a test: this file is only used by benchmarks.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";

export interface Case {
  readonly name: string;
  /** Runs the workload once; the returned number is kept so the work cannot be optimised away. */
  readonly run: () => number;
  /** Fewer timed rounds than the others (a slow case), spread evenly over theirs. Default: all. */
  readonly rounds?: number;
  /** This case's untimed warm-up rounds, at most the shared `warmup` (its default). */
  readonly warmup?: number;
}

export interface Timing {
  readonly name: string;
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly samples: number;
}

let sink = 0;

/** Whether a case timed `k` of `total` rounds runs in round `r`: k rounds spread evenly over the total. */
function due(k: number, total: number, r: number): boolean {
  return Math.floor(((r + 1) * k) / total) > Math.floor((r * k) / total);
}

/**
 * Times each case `rounds` times (after `warmup` untimed rounds), interleaving the cases per round. A
 * case may ask for fewer rounds (its own `rounds`, `warmup`): it then runs in evenly spaced rounds only.
 */
export function timeInterleaved(cases: readonly Case[], opts: { rounds: number; warmup: number; minMs?: number }): Timing[] {
  for (let w = 0; w < opts.warmup; w++) for (const c of cases) if (w < (c.warmup ?? opts.warmup)) sink += c.run();
  const samples = cases.map(() => [] as number[]);
  for (let r = 0; r < opts.rounds; r++) {
    cases.forEach((c, i) => {
      if (!due(Math.min(c.rounds ?? opts.rounds, opts.rounds), opts.rounds, r)) return;
      // Repeat tiny workloads inside one sample so the timer's resolution does not dominate.
      let reps = 0;
      const t0 = performance.now();
      let t1 = t0;
      do {
        sink += c.run();
        reps++;
        t1 = performance.now();
      } while (t1 - t0 < (opts.minMs ?? 0));
      samples[i].push((t1 - t0) / reps);
    });
  }
  return cases.map((c, i) => summarize(c.name, samples[i]));
}

export function summarize(name: string, xs: number[]): Timing {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { name, min: s[0], median, max: s[s.length - 1], samples: s.length };
}

/** Keeps the sink observable so V8 cannot drop the benchmarked work. */
export function consumeSink(): number {
  return sink;
}

export interface CpuInfo {
  readonly model: string;
  readonly logicalCores: number;
  /** The `cpu MHz` line of /proc/cpuinfo (Linux; under a hypervisor often the nominal clock); null elsewhere. */
  readonly mhz: number | null;
}

export function cpuInfo(): CpuInfo {
  const cpu = cpus();
  let mhz: number | null = null;
  try {
    const line = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (line !== null) mhz = Number(line[1]);
  } catch {
    mhz = null; // not Linux
  }
  return { model: cpu[0]?.model.trim() ?? "unknown CPU", logicalCores: cpu.length, mhz };
}

export function machineDescription(): string {
  const cpu = cpus();
  const model = cpu[0]?.model.trim() ?? "unknown CPU";
  return `${model}, ${cpu.length} logical cores, Node ${process.version}, ${process.platform}/${process.arch}`;
}

export function fmtMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** A GitHub-flavoured markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * The scalar and transform benchmarks' report: the machine and date, what was timed, the timings
 * (min/median/max per case) and the ratios of medians, then any closing lines.
 */
export function timingReport(o: {
  quick: boolean;
  intro: string;
  key: string;
  rows: readonly (readonly string[])[];
  ratios: string;
  ratioRows: readonly (readonly string[])[];
  closing?: readonly string[];
}): string {
  return [
    `Machine: ${machineDescription()}. Date: ${new Date().toISOString().slice(0, 10)}.${o.quick ? " (quick run)" : ""}`,
    "",
    o.intro,
    "",
    table([o.key, "case", "min", "median", "max"], o.rows),
    "",
    o.ratios,
    "",
    table([o.key, "case", "÷ primal", "÷ hand-written"], o.ratioRows),
    ...(o.closing ?? []),
  ].join("\n");
}

/**
 * Replaces one benchmark's section of bench/RESULTS.md — the text between `<!-- key:begin -->` and
 * `<!-- key:end -->` — with `## title` and `body`, keeping everything else in the file (other
 * sections, hand-written notes); appends the section when the markers are absent.
 */
export function writeResultsSection(key: string, title: string, body: string): void {
  const path = new URL("../../bench/RESULTS.md", import.meta.url); // from dist/bench/ back to the sources
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    text = "# Benchmark results\n";
  }
  const begin = `<!-- ${key}:begin -->`;
  const end = `<!-- ${key}:end -->`;
  const section = `${begin}\n## ${title}\n\n${body}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + section + text.slice(j + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, text);
}
