/**
 * `node dist/bench/kernelsAtOnce.js`: how much two threads slow each other down on this machine when
 * both run wasm kernels — the ceiling under any 2-worker speed-up. Two worker threads each run the
 * MLP shard's largest product (64×784 · 784×256, float32, the kernel pool at one thread); the time of
 * a batch of products on one worker alone is printed beside the same batch on both at once, and the
 * same for a plain integer loop (no memory traffic, no SIMD). On a machine whose two cores are
 * independent both ratios are ≈ 1.00; an integer loop near 1 with the products well above it means
 * the two cores share what the kernels need (SIMD units, caches, memory bandwidth).
 */
import { Worker } from "node:worker_threads";
import { loadavg } from "node:os";

const engine = new URL("../src/tensor/index.js", import.meta.url).href;
const source = `
import { parentPort } from "node:worker_threads";
import { matmul, randn, setThreads } from ${JSON.stringify(engine)};
setThreads(1);
const a = randn([64, 784]), b = randn([784, 256]);
const work = {
  product: (n) => { for (let i = 0; i < n; i++) matmul(a, b).data(); return 0; },
  loop: (n) => { let x = 0; for (let i = 0; i < n * 200000; i++) x = (x + i * 7) % 1000003; return x; },
};
parentPort.on("message", ([kind, n]) => { const t0 = performance.now(); work[kind](n); parentPort.postMessage(performance.now() - t0); });
parentPort.postMessage("ready");`;

const start = () =>
  new Promise<Worker>((resolve) => {
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`));
    w.once("message", () => resolve(w));
  });
const run = (w: Worker, kind: string, n: number) =>
  new Promise<number>((resolve) => {
    w.once("message", resolve);
    w.postMessage([kind, n]);
  });

const workers = [await start(), await start()];
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(`1-minute load average ${loadavg()[0].toFixed(2)}`);
for (const [kind, n] of [
  ["product", 200],
  ["loop", 100],
] as const) {
  await Promise.all(workers.map((w) => run(w, kind, n / 4)));
  const alone: number[] = [];
  const together: number[] = [];
  for (let r = 0; r < 5; r++) {
    alone.push(await run(workers[r % 2], kind, n));
    together.push(Math.max(...(await Promise.all(workers.map((w) => run(w, kind, n))))));
  }
  const [a, t] = [median(alone), median(together)];
  console.log(`${kind}: one worker alone ${a.toFixed(0)} ms, both at once ${t.toFixed(0)} ms (slower of the two): ${(t / a).toFixed(2)}× (medians of 5)`);
}
for (const w of workers) await w.terminate();
