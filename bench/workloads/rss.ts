/**
 * Peak resident memory on the MLP workload, one library per process: each child loads one rival,
 * runs `steps` MLP value-and-gradient steps on the shared seeded inputs, and reports its peak RSS
 * (`process.resourceUsage().maxRSS`) — the whole process, so the library's wasm memory, typed arrays,
 * workers and the JS heap all count. Run alone, a process's peak is its own, not a neighbour's.
 *
 * `node dist/bench/workloads/rss.js <rival name> <steps>` is the child; `peakRss` the parent.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { RIVALS } from "../rivals/index.js";
import { MLP_SIZES, mlpData } from "./data.js";

export interface RssRow {
  readonly name: string;
  /** Peak RSS in bytes, or why the row could not run. */
  readonly peak: number | string;
}

/** Runs the child for each named rival in turn and collects the peaks. */
export function peakRss(names: readonly string[], steps: number): RssRow[] {
  const self = fileURLToPath(import.meta.url);
  return names.map((name) => {
    try {
      const out = execFileSync(process.execPath, [self, name, String(steps)], { encoding: "utf8", timeout: 300_000, stdio: ["ignore", "pipe", "ignore"] });
      const last = out.trim().split("\n").pop() ?? "";
      const parsed = JSON.parse(last) as { peak?: number; error?: string };
      return { name, peak: parsed.peak ?? parsed.error ?? "no result" };
    } catch (e) {
      return { name, peak: `failed: ${(e as Error).message.split("\n")[0]}` };
    }
  });
}

async function child(name: string, steps: number): Promise<void> {
  const entry = RIVALS.find((r) => r.name === name);
  const rival = entry === undefined ? `no rival named ${name}` : await entry.load();
  if (typeof rival === "string" || rival.mlp === undefined) {
    console.log(JSON.stringify({ error: typeof rival === "string" ? rival : "no MLP workload" }));
    return;
  }
  const prepared = rival.mlp(mlpData(2, MLP_SIZES));
  let sink = 0;
  for (let i = 0; i < steps; i++) sink += prepared.step();
  console.log(JSON.stringify({ peak: process.resourceUsage().maxRSS * 1024, sink }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await child(process.argv[2], Number(process.argv[3]));
