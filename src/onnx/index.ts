/** `adjoint/onnx`: models leave (exportOnnx) and arrive (importOnnx) as ONNX files (docs/onnx.md). */
export { exportOnnx, OPSET, type ExportOptions } from "./export.js";
export { importOnnx, type ImportedModel } from "./import.js";
