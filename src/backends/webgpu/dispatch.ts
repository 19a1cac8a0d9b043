/// <reference types="@webgpu/types" />
/**
 * What every generated kernel does on the GPU: compile its shader once (pipelines cached by a key
 * naming op, dtypes and whatever else the source depends on), write its shapes and strides to the
 * params slot of the batch, bind params, output and inputs in that order, and record one dispatch
 * into the device's open batch (queue.ts). Nothing here waits or submits: a read does.
 */
import type { GPUBuffers } from "./buffers.js";

const MAX_GROUPS_X = 65535;

export class Dispatcher {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Each pipeline's bind group layout, asked for once: the spec makes a new layout object per call. */
  private readonly layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();

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

  private layoutOf(pipeline: GPUComputePipeline): GPUBindGroupLayout {
    let layout = this.layouts.get(pipeline);
    if (layout === undefined) this.layouts.set(pipeline, (layout = pipeline.getBindGroupLayout(0)));
    return layout;
  }

  /**
   * Records `groups` workgroups of `pipeline` over the params, then `bound` (output first, then
   * inputs) into the device's open batch: a count is laid out in x and y (more than 65535 fit), a
   * triple is the grid as it is. The batch is submitted later (queue.ts says when).
   */
  run(op: string, pipeline: GPUComputePipeline, params: Int32Array, bound: readonly GPUBuffer[], groups: number | readonly [number, number, number]): void {
    const { device } = this.buffers.handle;
    const { queue } = this.buffers;
    const encoder = queue.record(op);
    const bindGroup = device.createBindGroup({
      layout: this.layoutOf(pipeline),
      entries: [queue.params(params), ...bound.map((buffer) => ({ buffer }))].map((resource, binding) => ({ binding, resource })),
    });
    const x = typeof groups === "number" ? Math.min(groups, MAX_GROUPS_X) : groups[0];
    const [y, z] = typeof groups === "number" ? [Math.ceil(groups / x), 1] : [groups[1], groups[2]];
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    queue.dispatched(op);
  }
}
