/**
 * `importOnnx(bytes)`: an ONNX model as an adjoint function `fn(params, ...inputs)`, built node by
 * node from the rows of importRules.ts, with the model's float initializers as `params`: leaf
 * tensors that require a gradient, so the model can be differentiated (grad over `params` or the
 * inputs) and fine-tuned with any optimiser. The file is checked whole (readModel.ts) before the
 * function is returned; an op with no row is an `UnsupportedOp` naming the ONNX op, found then too.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { isFloat } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { Attributes, IMPORT_RULES, type Value } from "./importRules.js";
import { OP, readModel, type GraphInput } from "./readModel.js";

export interface ImportedModel {
  /** Runs the graph: `params` (usually `model.params`, or a tree of the same names from `grad`), then one tensor per graph input. One output is returned as a tensor, several as an array. */
  readonly fn: (params: Readonly<Record<string, Tensor>>, ...inputs: Tensor[]) => Tensor | Tensor[];
  /** The float initializers by their ONNX names: the trainable parameters. */
  readonly params: Record<string, Tensor>;
  readonly inputs: readonly GraphInput[];
  readonly outputs: readonly string[];
}

export function importOnnx(bytes: Uint8Array): ImportedModel {
  const model = readModel(bytes);
  for (const node of model.nodes) {
    if ((node.domain !== undefined && node.domain !== "" && node.domain !== "ai.onnx") || !Object.hasOwn(IMPORT_RULES, node.opType)) {
      const name = node.domain ? `${node.domain}.${node.opType}` : node.opType;
      throw new AdError("UnsupportedOp", `the ONNX op ${name} has no adjoint equivalent`, { op: OP, onnxOp: name });
    }
  }
  const params: Record<string, Tensor> = {};
  const constants = new Map<string, Value>();
  for (const [name, value] of model.initializers) {
    if (value instanceof Tensor && isFloat(value.dtype)) {
      value.requireGrad();
      params[name] = value;
    } else constants.set(name, value);
  }
  const fn = (p: Readonly<Record<string, Tensor>>, ...inputs: Tensor[]): Tensor | Tensor[] => {
    const op = "importOnnx.fn";
    if (p === null || typeof p !== "object") throw invalidArgument(op, `params must be an object of tensors, got ${describe(p)}`, { argument: "params" });
    if (inputs.length !== model.inputs.length) {
      throw invalidArgument(op, `the model takes ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(", ")}), got ${inputs.length}`, {
        expected: model.inputs.length,
        got: inputs.length,
      });
    }
    const env = new Map<string, Value>(constants);
    for (const name of Object.keys(params)) {
      const t: unknown = p[name];
      if (!(t instanceof Tensor)) throw invalidArgument(op, `params.${name} must be a Tensor, got ${describe(t)}`, { name });
      env.set(name, t);
    }
    model.inputs.forEach((spec, i) => env.set(spec.name, checkInput(op, spec, inputs[i])));
    for (const node of model.nodes) {
      const outs = IMPORT_RULES[node.opType](
        node.input.map((name) => (name === "" ? null : env.get(name)!)),
        new Attributes(node.opType, node.attribute ?? []),
      );
      node.output.forEach((name, i) => {
        if (name !== "" && outs[i] !== undefined) env.set(name, outs[i]);
      });
    }
    const results = model.outputs.map((name) => {
      const v = env.get(name);
      if (!(v instanceof Tensor)) throw invalidArgument(op, `output ${name} is not computed by the graph`, { output: name });
      return v;
    });
    return results.length === 1 ? results[0] : results;
  };
  return { fn, params, inputs: model.inputs, outputs: model.outputs };
}

function checkInput(op: string, spec: GraphInput, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `input ${spec.name} must be a Tensor, got ${describe(x)}`, { input: spec.name });
  if (x.dtype !== spec.dtype)
    throw new AdError("DTypeMismatch", `input ${spec.name} must be ${spec.dtype}, got ${x.dtype}`, { op, input: spec.name, dtypes: [x.dtype, spec.dtype] });
  const fits = x.rank === spec.shape.length && spec.shape.every((d, i) => d === null || d === x.shape[i]);
  if (!fits) {
    throw new AdError("ShapeMismatch", `input ${spec.name} must have shape [${spec.shape.map((d) => d ?? "?").join(", ")}], got [${x.shape.join(", ")}]`, {
      op,
      input: spec.name,
      shapes: [[...x.shape], spec.shape.map((d) => d ?? -1)],
    });
  }
  return x;
}
