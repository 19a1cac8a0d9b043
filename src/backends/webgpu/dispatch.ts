/// <reference types="@webgpu/types" />
/**
 * What every generated kernel does on the GPU: compile its shader once (pipelines cached by a key
 * naming op, dtypes and whatever else the source depends on), write its shapes and strides to the
 * params buffer, bind params, output and inputs in that order, and enqueue one dispatch. Nothing
 * here waits: a read waits.
 */
import type { GPUBuffers } from "./buffers.js";
import { checkAlive } from "./init.js";

const MAX_GROUPS_X = 65535;
const STORAGE = 0x80;
const COPY_DST = 0x8;

export class Dispatcher {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private params: GPUBuffer | undefined;

  constructor(readonly buffers: GPUBuffers) {}

  /** Pipelines compiled so far. */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** The pipeline for `key`, compiling `source()` the first time. */
  pipeline(key: string, source: () => string): GPUComputePipeline {
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      const { device } = this.buffers.handle;
      const module = device.createShaderModule({ code: source() });
      pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /**
   * Enqueues `groups` workgroups of `pipeline` over the params, then `bound` (output first, then
   * inputs): a count is laid out in x and y (more than 65535 fit), a triple is the grid as it is.
   */
  run(op: string, pipeline: GPUComputePipeline, params: Int32Array, bound: readonly GPUBuffer[], groups: number | readonly [number, number, number]): void {
    const { device } = this.buffers.handle;
    checkAlive(this.buffers.handle, op);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [this.paramsFor(params), ...bound].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const x = typeof groups === "number" ? Math.min(groups, MAX_GROUPS_X) : groups[0];
    const [y, z] = typeof groups === "number" ? [Math.ceil(groups / x), 1] : [groups[1], groups[2]];
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    device.queue.submit([encoder.finish()]);
  }

  /**
   * The params buffer, holding `params`. One buffer serves every call: each call submits before the
   * next writes, and the queue keeps writes and submits in order (so no buffer per call).
   */
  private paramsFor(params: Int32Array): GPUBuffer {
    const { device } = this.buffers.handle;
    if (this.params === undefined || this.params.size < params.byteLength) {
      this.params?.destroy();
      this.params = device.createBuffer({ size: Math.max(1024, params.byteLength), usage: STORAGE | COPY_DST });
    }
    device.queue.writeBuffer(this.params, 0, params.buffer, params.byteOffset, params.byteLength);
    return this.params;
  }
}
