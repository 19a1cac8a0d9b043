/**
 * Run in a child process by memory.test.ts: batched submission and the buffer pool of the "webgpu"
 * device. A small MLP trains on the GPU (forward, backward, SGD update on the device, the loss read
 * each step); the report gives each step's submits, maps and buffers created, and the bytes after
 * each step of a long loop (as many steps as fit in `LOOP_MS`). Then: disposing one view leaves its
 * siblings readable and the buffer held, the last dispose returns it to the pool, and a disposed
 * tensor used again is a `StaleVariable` naming the op. Prints one JSON line.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { AdError } from "../../src/errors.js";
import * as ops from "../../src/tensor/index.js";
import { webgpuMlp } from "../../bench/webgpuMlp.js";
import { startGPU } from "./setup.js";

const LOOP_MS = 12_000;
const SETTLE_MS = 5_000;

const { gpu, errors } = await startGPU();
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const failures: string[] = [];

// The 16-32-4 MLP the soak benchmark trains.
const device = "webgpu";
const { step } = webgpuMlp();

/**
 * Collects garbage: dropped tensors' buffers go back to the pool. The registry's callbacks run in
 * later tasks (later still on a loaded machine), so this waits until the bytes in use are down to
 * `live` (once known; false if they are not within `SETTLE_MS`), or have stopped falling for a few tasks.
 */
async function collect(): Promise<boolean> {
  gc();
  const start = Date.now();
  for (let still = 0, last = -1; live === undefined ? still < 4 : gpu.counters.inUseBytes > live;) {
    if (Date.now() - start > SETTLE_MS) return false;
    still = gpu.counters.inUseBytes === last ? still + 1 : 0;
    last = gpu.counters.inUseBytes;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
let live: number | undefined;

/** What one step does to the counters (submits, maps, buffers created, pool hits). */
async function counted(): Promise<{ loss: number; settled: boolean; dispatches: number; submits: number; maps: number; allocations: number; poolHits: number }> {
  const before = gpu.counters;
  const loss = await step();
  const settled = await collect();
  const after = gpu.counters;
  return {
    loss,
    settled,
    dispatches: after.dispatches - before.dispatches,
    submits: after.submits - before.submits,
    maps: after.maps - before.maps,
    allocations: after.allocations - before.allocations,
    poolHits: after.poolHits - before.poolHits,
  };
}

await gpu.synchronize();
const steps = [];
for (let i = 0; i < 6; i++) steps.push(await counted());
// What the model holds between steps: parameters, data, labels, gradients.
live = gpu.counters.inUseBytes;

// The long loop, collected after every step: the GPU bytes (pool included) and buffers created. A
// step after a collection whose releases outran `SETTLE_MS` may find the pool short: it is marked.
const samples: { step: number; allocatedBytes: number; allocations: number; afterLate: boolean }[] = [];
const start = Date.now();
let loss = NaN;
let late = 0;
for (let i = steps.length + 1, afterLate = false; Date.now() - start < LOOP_MS; i++) {
  const done = await counted();
  loss = done.loss;
  const { allocatedBytes, allocations } = gpu.counters;
  samples.push({ step: i, allocatedBytes, allocations, afterLate });
  afterLate = !done.settled;
  if (afterLate) late++;
}

// Submits without a read: one per `MAX_PENDING` dispatches, then `flush()` sends the rest; no map.
const chained = gpu.counters;
let sum = ops.zeros([64], { device });
for (let i = 0; i < 300; i++) sum = ops.add(sum, 1);
const unread = gpu.counters;
gpu.flush();
const flushed = gpu.counters;
const batches = {
  submits: [unread.submits - chained.submits, flushed.submits - unread.submits],
  maps: flushed.maps - chained.maps,
  value: (await sum.read())[0],
};

// A buffer released while recorded work still reads it is not handed to a write before that work is submitted.
const source = ops.full([64], 2, { device });
const pending = ops.mul(source, 3);
source.dispose();
const fresh = ops.full([64], 5, { device });
const ordered = [(await pending.read())[0], (await fresh.read())[0]];

// A reused buffer is cleared: pad with 0 writes only the interior, into the buffer of a disposed 7s.
const sevens = ops.full([10], 7, { device });
await sevens.read();
sevens.dispose();
const padded = Array.from(await ops.pad(ops.ones([8], { device }), [[1, 1]], 0).read());

// Views: dispose of one leaves its siblings readable; the buffer goes back when the last goes.
const base = ops.tensor([1, 2, 3, 4, 5, 6], { device });
const rows = ops.reshape(base, [2, 3]);
const column = ops.slice(rows, [null, [1, 2]]);
const inUse = gpu.counters.inUseBytes;
base.dispose();
const siblings = [Array.from(await rows.read()), Array.from(await column.read())];
rows.dispose();
const heldByOne = gpu.counters.inUseBytes;
column.dispose();
const afterLast = gpu.counters.inUseBytes;

/** The error `f` throws (its code and op), or "no error". */
function thrown(f: () => unknown): { code: string; op: unknown } | string {
  try {
    f();
    return "no error";
  } catch (error) {
    return error instanceof AdError ? { code: error.code, op: error.details.op } : String(error);
  }
}
const disposed = ops.ones([3], { device });
disposed.dispose();
const reuse = {
  add: thrown(() => ops.add(disposed, 1)),
  read: await disposed.read().then(
    () => "no error",
    (error: unknown) => (error instanceof AdError ? { code: error.code, op: error.details.op } : String(error)),
  ),
};

// `using` returns the buffer at the end of its block.
const beforeUsing = gpu.counters.inUseBytes;
{
  using scratch = ops.zeros([256], { device });
  void scratch;
}
const afterUsing = gpu.counters.inUseBytes;

await gpu.synchronize();
const report = {
  steps,
  loop: {
    firstLoss: steps[0].loss,
    lastLoss: loss,
    steps: samples.length,
    first: samples[0],
    last: samples.at(-1)!,
    distinct: new Set(samples.map((s) => `${s.allocatedBytes}/${s.allocations}`)).size,
    changes: samples.filter((s, i) => i > 0 && !s.afterLate && s.allocations !== samples[i - 1].allocations),
    late,
  },
  batches,
  ordered,
  padded,
  views: { siblings, inUseDrop: [inUse - heldByOne, heldByOne - afterLast] },
  reuse,
  using: [beforeUsing, afterUsing],
  failures,
  errors,
};
console.log(JSON.stringify(report));
process.exit(0);

export type MemoryReport = typeof report;
