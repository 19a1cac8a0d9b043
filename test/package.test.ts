/**
 * The package as a user imports it: every subpath of the `exports` map resolves from the built
 * `dist/` (npm test builds first) and exposes its layer. Node resolves `adjoint/…` here by package
 * self-reference, exactly as it would from node_modules.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("..", import.meta.url);
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { exports: Record<string, { types: string; default: string }> };

function importNames(specifier: string): string[] {
  const out = execFileSync(
    process.execPath,
    ["--input-type=module", "-e", `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()));`],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  return JSON.parse(out) as string[];
}

describe("package exports", () => {
  it("every subpath points at built files that exist, with types", () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      expect(existsSync(new URL(target.default, root)), `${subpath} → ${target.default}`).toBe(true);
      expect(existsSync(new URL(target.types, root)), `${subpath} → ${target.types}`).toBe(true);
    }
  });

  it("each layer exposes its API and the root exposes all of them", () => {
    const all = importNames("adjoint");
    const errors = importNames("adjoint/errors");
    const scalar = importNames("adjoint/scalar");
    const testing = importNames("adjoint/testing");
    const tensor = importNames("adjoint/tensor");
    const transform = importNames("adjoint/transform");
    const jit = importNames("adjoint/jit");
    expect(jit).toEqual(["allocationCounter", "debug", "jit"]);
    expect(transform).toEqual(expect.arrayContaining(["differentiate", "defineDerivative", "transformHessian"]));
    expect(errors).toEqual(expect.arrayContaining(["AdError", "attempt", "isAdError", "AD_ERROR_CODES"]));
    expect(scalar).toEqual(
      expect.arrayContaining([
        "Dual",
        "dualScalar",
        "numberScalar",
        "NestedDual",
        "dualScalarOver",
        "Tape",
        "Var",
        "Gradient",
        "derivative",
        "derivatives",
        "nthDerivative",
        "directionalDerivative",
        "jacobianForward",
        "gradient",
        "valueAndGradient",
        "jacobian",
        "hessian",
        "hessianVectorProduct",
      ]),
    );
    expect(testing).toEqual(expect.arrayContaining(["checkGradient", "centralDifference"]));
    expect(tensor).toEqual(
      expect.arrayContaining([
        "Tensor",
        "tensor",
        "zeros",
        "ones",
        "full",
        "arange",
        "linspace",
        "eye",
        "rand",
        "randn",
        "randint",
        "rng",
        "reshape",
        "permute",
        "transpose",
        "expand",
        "slice",
        "squeeze",
        "unsqueeze",
        "contiguous",
      ]),
    );
    for (const name of [...errors, ...scalar, ...testing, ...tensor, ...transform, ...jit]) expect(all).toContain(name);
  });

  it("the training stack has its own subpaths, not re-exported at the root (docs/nn-and-optim.md)", () => {
    const nn = importNames("adjoint/nn");
    const optim = importNames("adjoint/optim");
    expect(nn).toEqual(
      expect.arrayContaining([
        "Module",
        "Linear",
        "Conv2d",
        "Sequential",
        "BatchNorm2d",
        "crossEntropy",
        "kaimingUniform",
        "DataLoader",
        "trainTestSplit",
        "saveSafetensors",
        "loadSafetensors",
        "saveFile",
        "loadFile",
      ]),
    );
    expect(optim).toEqual(expect.arrayContaining(["SGD", "Adam", "AdamW", "RMSprop", "cosineDecay", "warmupCosine", "clipGradNorm"]));
    const all = importNames("adjoint");
    for (const name of [...nn, ...optim]) expect(all).not.toContain(name);
  });

  it("ONNX has its own subpath, not re-exported at the root (docs/onnx.md)", () => {
    expect(importNames("adjoint/onnx")).toEqual(expect.arrayContaining(["exportOnnx", "importOnnx"]));
    expect(importNames("adjoint")).not.toContain("exportOnnx");
  });

  it("the GPU has its own subpath, loaded only by those who import it (docs/devices-and-backends.md)", () => {
    expect(importNames("adjoint/webgpu")).toEqual(expect.arrayContaining(["initWebGPU", "webgpuDevice"]));
    expect(importNames("adjoint")).not.toContain("webgpuDevice");
  });
});
