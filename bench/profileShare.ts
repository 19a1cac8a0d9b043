/**
 * Reads a `node --cpu-prof` profile of bench/profileStep.ts and prints where the jitted call's samples
 * went: under matmul (the op as a whole: its driver, packing, kernel, epilogue and copies) against
 * outside it, and the functions with the most self time. GC and idle samples are counted apart (no
 * caller).
 *
 *   node dist/bench/profileShare.js out/<file>.cpuprofile
 */
import { readFileSync } from "node:fs";

interface Node {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
const profile = JSON.parse(readFileSync(process.argv[2] as string, "utf8")) as { nodes: Node[]; samples: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const file = (n: Node) => n.callFrame.url.split("/").slice(-2).join("/");
// By name: a bundler may suffix it (matmul2); every matmul frame counts, the op as a whole.
const isMatmul = (n: Node) => /^matmul\d*$/.test(n.callFrame.functionName);
// The jitted call itself (jit.ts's `jitted`): the harness's reads of the results are left out.
const isStep = (n: Node) => n.callFrame.functionName === "jitted";
const counts = { total: 0, step: 0, matmul: 0, gc: 0, idle: 0 };
const self = new Map<string, number>();
for (const id of profile.samples) {
  counts.total++;
  const leaf = byId.get(id) as Node;
  const name = leaf.callFrame.functionName;
  if (name === "(garbage collector)") counts.gc++;
  if (name === "(idle)" || name === "(program)") counts.idle++;
  let inStep = false;
  let inMatmul = false;
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const n = byId.get(at) as Node;
    inStep ||= isStep(n);
    inMatmul ||= isMatmul(n);
  }
  if (!inStep) continue;
  counts.step++;
  if (inMatmul) counts.matmul++;
  const key = `${name || "(anonymous)"} ${file(leaf)}:${leaf.callFrame.lineNumber + 1}${inMatmul ? " [matmul]" : ""}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(1)}%`;
console.log(`samples ${counts.total}: in the jitted call ${counts.step}, GC ${pct(counts.gc, counts.total)}, idle/program ${pct(counts.idle, counts.total)}`);
console.log(`of the jitted call: under matmul ${pct(counts.matmul, counts.step)}, outside matmul ${pct(counts.step - counts.matmul, counts.step)}`);
for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(n, counts.step).padStart(6)}  ${key}`);
