/** Element types live with the buffers (src/backends/dtype.ts), below the tensor layer; re-exported for the tensor code. */
export * from "../backends/dtype.js";
