/**
 * `adjoint/parallel`: derivatives on several threads. `dataParallel` runs a gradient step on worker
 * threads, one shard of the batch each, with one deterministic all-reduce over shared memory; `share`
 * puts a tensor in shared memory (`Tensor & Shared`, postable without copying); `Postable` and
 * `expectPostable` say what may cross a thread; `startWorkers`/`serveRequests` are the worker
 * threads underneath, with death detection. docs/parallel.md.
 */
// Tensors reached through this entry alone have their methods too (tensor/methods.ts says why they are apart).
import "../tensor/methods.js";

export { dataParallel, type DataParallelOptions, type DataParallelStep, type SharedTree } from "./dataParallel.js";
export { expectPostable, type Postable } from "./postable.js";
export { isShared, share, type Shared } from "./shared.js";
export { serveRequests, startWorkers, type WorkerGroup, type WorkerGroupOptions } from "./workers.js";
export * from "./scalarGradient.js";
