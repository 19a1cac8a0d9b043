/** The WebGPU layer's public face: acquire a GPU, make it a device (then `registerDevice` it). */
export { initWebGPU, type AdapterDescription, type WebGPUHandle, type WebGPUOptions } from "./init.js";
export { webgpuDevice, type WebGPUDevice } from "./device.js";
export { expectGPUDType, type GPUData, type GPUDType } from "./buffers.js";
