/**
 * The layer rule (docs/architecture.md § The layer rule), checked by `npm run lint:deps`:
 * errors → scalar → backends → tensor → { jit, linalg, nn } → optim (which may use linalg and nn) and onnx (which may use nn) → parallel (threads, over all of them, and transform); transform and plugin use only scalar and
 * errors; src/index.ts re-exports every layer. `import type` is erased at run time, so it can close
 * no cycle; it is still an import, so it must point downward too.
 * No exceptions are listed: any violation fails `npm test`.
 */

/** A rule forbidding `layer` (a path regex) from importing anything in src/ outside `allowed`. */
const layer = (name, from, allowed) => ({
  name,
  severity: "error",
  comment: `${from} may import only ${allowed.join(", ")}`,
  from: { path: from },
  to: { path: "^src/", pathNot: [from, ...allowed] },
});

const errors = "^src/errors\\.ts$";
const scalar = "^src/scalar/";
const backends = "^src/backends/";
const tensor = "^src/tensor/";
const nn = "^src/nn/";

module.exports = {
  forbidden: [
    layer("errors-imports-nothing", errors, []),
    layer("scalar-downward", scalar, [errors]),
    layer("transform-uses-scalar-errors", "^src/transform/", [scalar, errors]),
    layer("plugin-uses-scalar-errors", "^src/plugin/", [scalar, errors, "^src/transform/"]),
    layer("backends-downward", backends, [scalar, errors]),
    layer("tensor-downward", tensor, [backends, scalar, errors]),
    layer("jit-downward", "^src/jit/", [tensor, backends, scalar, errors]),
    layer("nn-downward", nn, [tensor, backends, scalar, errors]),
    layer("optim-downward", "^src/optim/", [nn, "^src/linalg/", tensor, backends, scalar, errors]),
    layer("onnx-downward", "^src/onnx/", [nn, tensor, backends, scalar, errors]),
    layer("parallel-downward", "^src/parallel/", ["^src/optim/", nn, "^src/jit/", "^src/linalg/", "^src/transform/", tensor, backends, scalar, errors]),
    layer("testing-downward", "^src/testing/", [tensor, backends, scalar, errors]),
    layer("linalg-downward", "^src/linalg/", [tensor, backends, scalar, errors]),
    {
      name: "kernels-through-the-backend",
      severity: "error",
      comment: "above the backends, kernels are reached through the Backend interface (a device's kernels), never a backend's folder",
      from: { path: "^src/(tensor|jit|linalg|nn|optim|testing|parallel)/" },
      to: { path: "^src/backends/(cpu|wasm|webgpu)/" },
    },
    {
      name: "no-runtime-cycle",
      severity: "error",
      comment: "a run-time import cycle (type-only imports are erased and excluded)",
      from: { path: "^src/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
  ],
  options: {
    includeOnly: "^src/",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
