/// <reference types="@webgpu/types" />
/**
 * The WebGPU device: `webgpuDevice(handle)` makes a `Device` of an `initWebGPU` handle, for
 * `registerDevice`; after that tensors go there with `x.to("webgpu")` or `{ device: "webgpu" }`.
 * Its buffers are GPU buffers (opaque to the host: `GPUData`), read only asynchronously (`await
 * t.read()`; `data()`/`item()` are `UnsupportedOp`), pooled, and returned to the pool by the last
 * `dispose()` of the views sharing one, or when garbage collected. Kernels record into one batch,
 * submitted at a read, `flush()`, `synchronize()` or a full batch (queue.ts). Its kernels: the elementwise expressions, `where`, the reductions, row-major copies
 * and strided writes, concat, pad, cumsum, argmax/argmin, the max/min and prod derivative
 * helpers, argsort and cummax/cummin's indices (groups.ts), the jit's fused elementwise groups (fused.ts), searchsorted (searchsorted.ts), max pooling and its derivatives (pool.ts), conv2d and both adjoints
 * (conv.ts), the register-blocked float32 matmul, gather/scatterAdd/oneHot (indexing.ts, their out-of-range
 * indices raised at the next read: deferredChecks.ts), threefry2x32 and triangularSolve; every other kernel throws,
 * which the engine reports as `UnsupportedOp` naming the primitive and the device.
 */
import type { Backend } from "../backend.js";
import { computeHalvesInFloat32 } from "../halves.js";
import { isStorage, type DeviceBuffer } from "../buffer.js";
import type { Device } from "../device.js";
import type { View } from "../view.js";
import { GPUBuffers, type GPUData } from "./buffers.js";
import { GPUConv } from "./conv.js";
import { GPUCopy } from "./copy.js";
import { DeferredChecks } from "./deferredChecks.js";
import { Dispatcher } from "./dispatch.js";
import type { GPUCounters } from "./queue.js";
import { GPUElementwise, type GPUView } from "./elementwise.js";
import { GPUFused } from "./fused.js";
import { checkAlive, type WebGPUHandle } from "./init.js";
import { GPUGroups } from "./groups.js";
import { gpuHalves } from "./halves.js";
import { GPUIndexing } from "./indexing.js";
import { GPUJoin } from "./join.js";
import { GPUMatmul } from "./matmul.js";
import { GPUPool } from "./pool.js";
import { GPUReduce } from "./reduce.js";
import { GPUScan } from "./scan.js";
import { GPUSearchsorted } from "./searchsorted.js";
import { GPUThreefry } from "./threefry.js";
import { GPUTriangularSolve } from "./triangularSolve.js";

/** A device on a GPU, with what a test or a benchmark may want to look at. */
export interface WebGPUDevice extends Device {
  readonly handle: WebGPUHandle;
  readonly buffers: GPUBuffers;
  readonly dispatcher: Dispatcher;
  /** Submits, maps, buffers created, pool hits and bytes so far (a snapshot). */
  readonly counters: GPUCounters;
  /** Submits the recorded work now (it otherwise waits for a read or a full batch). */
  flush(): void;
  /** Submits the recorded work and resolves once the GPU has finished it. */
  synchronize(): Promise<void>;
  /** Destroys the pooled buffers (the pool otherwise keeps every size a loop used). */
  trim(): void;
}

/**
 * The kernels that are not on the GPU yet: each throws, naming itself (`bind` names the primitive).
 * A kernel added to `Backend` joins this list until it has a GPU version (the compiler insists).
 */
const NOT_YET = ["cholesky", "lu", "qr", "eigh", "svd"] as const;

function notYet(kernel: string): () => never {
  return () => {
    throw new Error(`the ${kernel} kernel is not on the GPU yet`);
  };
}

/** A device (named `name`, "webgpu" by default) running on `handle`'s GPU. */
export function webgpuDevice(handle: WebGPUHandle, name = "webgpu"): WebGPUDevice {
  const buffers = new GPUBuffers(handle);
  const dispatcher = new Dispatcher(buffers);
  const elementwise = new GPUElementwise(buffers, dispatcher);
  const reduce = new GPUReduce(buffers, dispatcher);
  const fused = new GPUFused(buffers, dispatcher);
  const matmul = new GPUMatmul(buffers, dispatcher);
  const copy = new GPUCopy(buffers, dispatcher);
  const join = new GPUJoin(buffers, copy);
  const scan = new GPUScan(buffers, dispatcher);
  const groups = new GPUGroups(buffers, dispatcher);
  const pool = new GPUPool(buffers, dispatcher);
  const conv = new GPUConv(buffers, dispatcher);
  const checks = new DeferredChecks(buffers, dispatcher);
  const indexing = new GPUIndexing(buffers, dispatcher, checks);
  const threefry = new GPUThreefry(buffers, dispatcher);
  const search = new GPUSearchsorted(buffers, dispatcher);
  const solve = new GPUTriangularSolve(buffers, dispatcher, checks, (v) => elementwise.unary("convert", v, v.dtype));
  // float16 is storage here: every kernel runs on it widened to float32 (halves.ts).
  const kernels: Backend = computeHalvesInFloat32<Backend>(
    {
      name,
      ...(Object.fromEntries(NOT_YET.map((k) => [k, notYet(k)])) as Record<(typeof NOT_YET)[number], () => never>),
      matmul: (a, b, batch, dtype) => matmul.matmul(gpu(a), gpu(b), batch, dtype),
      reduce: (op, x, axes, keepDims, dtype) => reduce.reduce(op, gpu(x), axes, keepDims, dtype),
      unary: (op, x, dtype) => elementwise.unary(op, gpu(x), dtype),
      binary: (op, a, b, shape, dtype) => elementwise.binary(op, gpu(a), gpu(b), shape, dtype),
      where: (cond, a, b, shape) => elementwise.where(gpu(cond), gpu(a), gpu(b), shape),
      copy: (v) => elementwise.unary("convert", gpu(v), v.dtype),
      copyInto: (target, source) => copy.copyInto(gpu(target), gpu(source)),
      concat: (inputs, axis) => join.concat(inputs.map(gpu), axis),
      pad: (x, widths, fill) => join.pad(gpu(x), widths, fill),
      cumsum: (x, axis) => scan.cumsum(gpu(x), axis),
      argExtreme: (x, axes, extreme) => groups.argExtreme(gpu(x), axes, extreme),
      tieShare: (x, axes, extreme) => groups.tieShare(gpu(x), axes, extreme),
      prodOthers: (x, axes) => groups.prodOthers(gpu(x), axes),
      argsort: (x, axis, descending) => groups.argsort(gpu(x), axis, descending),
      cumArgExtreme: (x, axis, extreme) => groups.cumArgExtreme(gpu(x), axis, extreme),
      searchsorted: (sorted, values, right) => search.searchsorted(gpu(sorted), gpu(values), right),
      conv2d: (x, w, geo, outH, outW) => conv.conv2d(gpu(x), gpu(w), geo, outH, outW),
      conv2dInputGrad: (g, w, geo, inH, inW) => conv.conv2dInputGrad(gpu(g), gpu(w), geo, inH, inW),
      conv2dWeightGrad: (x, g, geo, KH, KW) => conv.conv2dWeightGrad(gpu(x), gpu(g), geo, KH, KW),
      maxPool2dArgmax: (x, kernel, geo, outH, outW) => pool.maxPool2dArgmax(gpu(x), kernel, geo, outH, outW),
      gatherPlanes: (v, argmax, outH, outW) => pool.gatherPlanes(gpu(v), argmax as GPUData, outH, outW),
      scatterPlanes: (g, argmax, inH, inW, kernel, geo) => pool.scatterPlanes(gpu(g), argmax as GPUData, inH, inW, kernel, geo),
      gather: (x, indices, axis) => indexing.gather(gpu(x), gpu(indices), axis),
      scatterAdd: (x, indices, src, axis) => indexing.scatterAdd(gpu(x), gpu(indices), gpu(src), axis),
      oneHot: (indices, depth, dtype) => indexing.oneHot(gpu(indices), depth, dtype),
      threefry2x32: (key, counter, shape) => threefry.threefry2x32(gpu(key), gpu(counter), shape),
      triangularSolve: (a, b, options) => solve.triangularSolve(gpu(a), gpu(b), options),
      // The jit's fused elementwise groups as generated WGSL (fused.ts).
      compileDeviceFused: (program) => fused.compile(program),
    },
    gpuHalves(buffers, dispatcher),
  );
  const own = (buffer: DeviceBuffer, op: string): GPUData => (isStorage(buffer) ? buffers.write(buffer, op) : (buffer as GPUData));
  return {
    name,
    kind: "webgpu",
    widestFloat: "float32",
    handle,
    buffers,
    dispatcher,
    kernels,
    write: (data) => buffers.write(data, `${name}.write`),
    // Host memory a primitive made (a constant) is uploaded; a kernel's GPU output is this device's already.
    adopt: (buffer) => own(buffer, `${name}.adopt`),
    // Views share a buffer: each tensor holds a reference, and the last dispose releases it.
    retain: (buffer) => {
      if (!isStorage(buffer)) buffers.retain(buffer as GPUData);
    },
    free: (buffer) => {
      if (!isStorage(buffer)) buffers.drop(buffer as GPUData);
    },
    // A failure an earlier kernel found (a bad index, a zero pivot) is raised here (deferredChecks.ts).
    read: async (buffer) => {
      await checks.verify(`${name}.read`);
      return buffers.read(buffer as GPUData, `${name}.read`);
    },
    run: (op, kernel) => {
      checkAlive(handle, op);
      // A buffer the GPU fails to back is found later (allocations.ts): it names the primitive running now.
      const outer = buffers.allocations.running;
      buffers.allocations.running = op;
      try {
        return kernel();
      } finally {
        buffers.allocations.running = outer;
      }
    },
    get counters() {
      return { ...buffers.queue.counters };
    },
    flush: () => buffers.queue.submit(`${name}.flush`),
    synchronize: async () => {
      buffers.queue.submit(`${name}.synchronize`);
      await handle.device.queue.onSubmittedWorkDone();
      await buffers.allocations.verify();
    },
    trim: () => buffers.trim(),
  };
}

/** A view of this device's buffer as the GPU kernels take it (bind keeps other devices' buffers out). */
function gpu(v: View): GPUView {
  if (isStorage(v.storage)) throw new Error("a host buffer reached a GPU kernel");
  return v as GPUView;
}
