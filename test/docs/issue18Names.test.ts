/**
 * Issue 18's vocabulary, name by name: every name the issue lists, as adjoint spells it, is exported
 * by the package entry a user imports it from, and has PyTorch golden cases in test/golden/*.json
 * (the tests beside those cases compare adjoint against them). A golden case that records which
 * function it calls (`fn`, `class` or `op`) must call this one. Registry primitives among the names
 * are also walked by the registry meta-tests (test/support/primitiveCases.ts is complete by type);
 * the others are composites of primitives.
 */
import { describe, expect, it } from "vitest";
import * as adjoint from "../../src/index.js";
import * as nn from "../../src/nn/index.js";
import * as optim from "../../src/optim/index.js";
import { loadGolden } from "../support/golden.js";

const ENTRIES = { "adjoint": adjoint, "adjoint/nn": nn, "adjoint/optim": optim } as const;
type Entry = keyof typeof ENTRIES;

/** A golden case: "file:path.to.case" in test/golden/file.json. */
type GoldenRef = string;

/** [the issue's word, adjoint's name, the entry exporting it, its golden cases]. */
type Row = readonly [issue: string, name: string, entry: Entry, golden: readonly GoldenRef[]];

/** The elementwise function `name` with its ops18.py case and edge values. */
const elementwise = (name: string, issue = name): Row => [issue, name, "adjoint", [`ops18:cases.${name}`, `ops18:edges.${name}`]];
/** An activation module with its vocabulary18.py layer case. */
const activationModule = (name: string): Row => ["the activation modules", name, "adjoint/nn", [`vocabulary18:layers.${name}`]];

const ELEMENTWISE: readonly Row[] = [
  ...["atan2", "log1p", "expm1", "log2", "log10", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh"].map((n) => elementwise(n)),
  ...["floor", "ceil", "round", "trunc", "fmod", "remainder", "square", "reciprocal", "hypot", "logaddexp"].map((n) => elementwise(n)),
  ["floorDivide", "floorDivide", "adjoint", ["promotion:floorDivide.int32", "promotion:floorDivide.float64"]],
  ["lerp", "lerp", "adjoint", ["ops18:cases.lerp"]],
  ["cbrt", "cbrt", "adjoint", ["ops18:cases.cbrt"]],
  ...["isnan", "isinf", "isfinite"].map((n): Row => [n, n, "adjoint", [`ops18:edges.${n}`]]),
  ...["logicalAnd", "logicalOr", "logicalNot", "logicalXor"].map((n): Row => ["logical and/or/not/xor", n, "adjoint", [`ops18:edges.logical.${n}`]]),
];

const ACTIVATIONS: readonly Row[] = [
  ...["leakyRelu", "elu", "selu", "celu", "silu", "mish", "softsign", "hardtanh", "hardswish", "hardsigmoid", "logsigmoid", "relu6"].map((n) => elementwise(n)),
  ["prelu", "prelu", "adjoint", ["ops18:cases.prelu"]],
  ["glu", "glu", "adjoint", ["ops18:cases.glu"]],
];

const REDUCTIONS: readonly Row[] = [
  ["var", "variance", "adjoint", ["reductions18:cases.variance", "reductions18:cases.variance_axes_c2", "reductions18:edges.variance_single"]],
  ["std (with correction)", "std", "adjoint", ["reductions18:cases.std", "reductions18:cases.std_axis1_c0", "reductions18:edges.std_single"]],
  ["norm", "norm", "adjoint", ["shape18:cases.norm_default", "shape18:cases.norm_inf_ties", "shape18:edges.norm_empty"]],
  ["median", "median", "adjoint", ["sort18:cases.median_all_even", "sort18:cases.median_ties", "sort18:cases.median_nan"]],
  ["cumprod", "cumprod", "adjoint", ["reductions18:cases.cumprod_axis1", "reductions18:edges.cumprod_empty"]],
  ["cummax", "cummax", "adjoint", ["reductions18:cases.cummax_axis1", "sort18:cases.cummax_ties", "sort18:cases.cummax_empty"]],
  ["cummin", "cummin", "adjoint", ["reductions18:cases.cummin_axis1", "sort18:cases.cummin_ties"]],
  ["logcumsumexp", "logcumsumexp", "adjoint", ["reductions18:cases.logcumsumexp_axis1", "reductions18:edges.logcumsumexp_neginf"]],
  ["any", "any", "adjoint", ["reductions18:edges.any_rows", "reductions18:edges.any_empty"]],
  ["all", "all", "adjoint", ["reductions18:edges.all_rows", "reductions18:edges.all_empty"]],
  ["nansum", "nansum", "adjoint", ["reductions18:cases.nansum", "reductions18:edges.nansum_empty"]],
  ["nanmean", "nanmean", "adjoint", ["reductions18:cases.nanmean_axis0", "reductions18:edges.nanmean_allnan"]],
];

const SHAPE: readonly Row[] = [
  ["flip", "flip", "adjoint", ["shape18:cases.flip_all", "shape18:edges.flip_empty"]],
  ["roll", "roll", "adjoint", ["shape18:cases.roll_two_axes", "shape18:edges.roll_empty"]],
  ["repeat", "repeat", "adjoint", ["shape18:cases.repeat_new_axis", "shape18:edges.repeat_zero"]],
  ["tile", "tile", "adjoint", ["shape18:cases.tile_short_reps", "shape18:edges.tile_empty"]],
  ["tril", "tril", "adjoint", ["shape18:cases.tril_below"]],
  ["triu", "triu", "adjoint", ["shape18:cases.triu_above"]],
  ["diag", "diag", "adjoint", ["shape18:cases.diag_vector", "shape18:cases.diag_matrix"]],
  ["chunk", "chunk", "adjoint", ["shape18:cases.chunk_uneven", "shape18:edges.chunk_shapes", "shape18:edges.chunk_empty"]],
  ["unbind", "unbind", "adjoint", ["shape18:cases.unbind_axis1", "shape18:edges.unbind_empty"]],
  ["narrow", "narrow", "adjoint", ["shape18:cases.narrow_negative_start"]],
  ["movedim", "movedim", "adjoint", ["shape18:cases.movedim_one", "shape18:cases.movedim_list"]],
  ["maskedFill", "maskedFill", "adjoint", ["shape18:cases.maskedFill_number", "shape18:cases.maskedFill_tensor"]],
  ["indexAdd", "indexAdd", "adjoint", ["shape18:cases.indexAdd_duplicates", "shape18:cases.indexAdd_alpha"]],
  [
    "scatter (with reduce)",
    "scatter",
    "adjoint",
    ["shape18:cases.scatter_plain", "shape18:cases.scatter_sum_noself", "shape18:cases.scatter_prod", "shape18:cases.scatter_mean", "shape18:cases.scatter_amax_ties"],
  ],
  ["takeAlongDim", "takeAlongDim", "adjoint", ["shape18:cases.takeAlongDim_axis1", "shape18:cases.takeAlongDim_broadcast"]],
  ["nonzero", "nonzero", "adjoint", ["sort18:cases.nonzero", "sort18:cases.nonzero_empty"]],
  ["sort", "sort", "adjoint", ["sort18:cases.sort_ties", "sort18:cases.sort_nan_descending", "sort18:cases.sort_empty"]],
  ["argsort", "argsort", "adjoint", ["sort18:cases.argsort_ties", "sort18:cases.argsort_nan_descending"]],
  ["topk", "topk", "adjoint", ["sort18:cases.topk_3", "sort18:cases.topk_nan", "sort18:cases.topk_empty"]],
  ["unique", "unique", "adjoint", ["sort18:cases.unique", "sort18:cases.unique_axis0", "sort18:cases.unique_empty"]],
  ["searchsorted", "searchsorted", "adjoint", ["sort18:cases.searchsorted_left", "sort18:cases.searchsorted_rows_right"]],
  ["meshgrid", "meshgrid", "adjoint", ["shape18:cases.meshgrid_ij", "shape18:cases.meshgrid_xy", "shape18:edges.meshgrid_three_xy"]],
  ["boolean-mask indexing", "maskedSelect", "adjoint", ["sort18:cases.maskedSelect", "sort18:cases.maskedSelect_broadcast", "sort18:cases.maskedSelect_empty"]],
  ["boolean-mask indexing", "index", "adjoint", ["shape18:cases.index_bool_leading", "shape18:cases.index_bool_middle", "shape18:cases.index_bool_trailing"]],
  ["integer-array indexing", "index", "adjoint", ["shape18:cases.index_one_tensor", "shape18:cases.index_two_apart", "shape18:cases.index_with_int_and_range"]],
];

const CONVOLUTION: readonly Row[] = [
  ["conv1d", "conv1d", "adjoint", ["layers18:cases.conv1d", "layers18:cases.conv1d_strided"]],
  ["conv3d", "conv3d", "adjoint", ["layers18:cases.conv3d", "layers18:cases.conv3d_strided"]],
  ["convTranspose1d", "convTranspose1d", "adjoint", ["layers18:cases.convTranspose1d", "vocabulary18:cases.convTranspose1d_dilated"]],
  ["convTranspose2d", "convTranspose2d", "adjoint", ["layers18:cases.convTranspose2d", "layers18:cases.convTranspose2d_strided"]],
  ["groups and depthwise", "conv2d", "adjoint", ["layers18:cases.conv2d_groups", "layers18:cases.conv2d_depthwise", "layers18:layers.Conv2d_depthwise"]],
  ["dilation honoured everywhere", "conv3d", "adjoint", ["layers18:cases.conv3d_strided"]],
  ["dilation honoured everywhere", "convTranspose2d", "adjoint", ["layers18:cases.convTranspose2d_dilated"]],
  ["dilation honoured everywhere", "maxPool2d", "adjoint", ["layers18:cases.maxPool2d_dilated", "layers18:cases.maxPool2d_dilated_ceil"]],
  ["dilation honoured everywhere", "maxPool1d", "adjoint", ["layers18:cases.maxPool1d_dilated"]],
  ["dilation honoured everywhere", "unfold", "adjoint", ["layers18:cases.unfold_dilated"]],
  ["dilation honoured everywhere", "fold", "adjoint", ["vocabulary18:cases.fold_dilated"]],
  ["ceilMode", "maxPool2d", "adjoint", ["layers18:cases.maxPool2d_ceil"]],
  ["ceilMode", "avgPool2d", "adjoint", ["layers18:cases.avgPool2d_ceil", "layers18:cases.avgPool2d_ceil_exclude"]],
  ["countIncludePad", "avgPool2d", "adjoint", ["layers18:cases.avgPool2d_exclude"]],
  ["1-D pools", "maxPool1d", "adjoint", ["layers18:cases.maxPool1d"]],
  ["1-D pools", "avgPool1d", "adjoint", ["layers18:cases.avgPool1d"]],
  ["adaptive pools", "adaptiveAvgPool1d", "adjoint", ["layers18:cases.adaptiveAvgPool1d"]],
  ["adaptive pools", "adaptiveAvgPool2d", "adjoint", ["layers18:cases.adaptiveAvgPool2d", "layers18:cases.adaptiveAvgPool2d_even"]],
  ["adaptive pools", "adaptiveMaxPool1d", "adjoint", ["vocabulary18:cases.adaptiveMaxPool1d", "vocabulary18:cases.adaptiveMaxPool1d_up"]],
  ["adaptive pools", "adaptiveMaxPool2d", "adjoint", ["layers18:cases.adaptiveMaxPool2d"]],
  [
    "interpolate (nearest, bilinear)",
    "interpolate",
    "adjoint",
    ["layers18:cases.interpolate_nearest", "layers18:cases.interpolate_bilinear", "layers18:cases.interpolate_bilinear_aligned"],
  ],
  ["pixelShuffle", "pixelShuffle", "adjoint", ["layers18:cases.pixelShuffle"]],
  ["pixelShuffle", "pixelUnshuffle", "adjoint", ["layers18:cases.pixelUnshuffle"]],
  ["unfold/fold", "unfold", "adjoint", ["layers18:cases.unfold"]],
  ["unfold/fold", "fold", "adjoint", ["layers18:cases.fold"]],
];

const LAYERS: readonly Row[] = [
  ["Conv1d", "Conv1d", "adjoint/nn", ["layers18:layers.Conv1d"]],
  ["ConvTranspose2d", "ConvTranspose2d", "adjoint/nn", ["layers18:layers.ConvTranspose2d"]],
  ["ConvTranspose2d", "ConvTranspose1d", "adjoint/nn", ["layers18:layers.ConvTranspose1d"]],
  ["GroupNorm", "GroupNorm", "adjoint/nn", ["layers18:layers.GroupNorm"]],
  ["InstanceNorm", "InstanceNorm1d", "adjoint/nn", ["layers18:layers.InstanceNorm1d"]],
  ["InstanceNorm", "InstanceNorm2d", "adjoint/nn", ["layers18:layers.InstanceNorm2d"]],
  ["RNN", "RNN", "adjoint/nn", ["layers18:recurrent.RNN_tanh", "layers18:recurrent.RNN_relu_2layers_batchFirst"]],
  ["LSTM", "LSTM", "adjoint/nn", ["layers18:recurrent.LSTM", "layers18:recurrent.LSTM_2layers_bidirectional", "layers18:recurrent.LSTM_unbatched"]],
  ["GRU", "GRU", "adjoint/nn", ["layers18:recurrent.GRU", "layers18:recurrent.GRU_bidirectional_batchFirst_nobias"]],
  [
    "MultiheadAttention (with masks and a causal option)",
    "MultiheadAttention",
    "adjoint/nn",
    ["layers18:attention.mha", "layers18:attention.mha_masks_batchFirst", "layers18:attention.mha_causal"],
  ],
  ["TransformerEncoderLayer", "TransformerEncoderLayer", "adjoint/nn", ["layers18:attention.encoder", "layers18:attention.encoder_normFirst_gelu"]],
  ["TransformerDecoderLayer", "TransformerDecoderLayer", "adjoint/nn", ["layers18:attention.decoder", "layers18:attention.decoder_normFirst"]],
  ...["LeakyReLU", "ELU", "SELU", "CELU", "SiLU", "Mish", "Softsign", "Hardtanh", "Hardswish", "Hardsigmoid", "LogSigmoid", "ReLU6", "GLU"].map(activationModule),
  ...["ReLU", "GELU", "Sigmoid", "Tanh"].map(activationModule),
  ["Identity", "Identity", "adjoint/nn", ["vocabulary18:layers.Identity"]],
  ["Upsample", "Upsample", "adjoint/nn", ["layers18:layers.Upsample"]],
  ["AdaptiveAvgPool2d", "AdaptiveAvgPool2d", "adjoint/nn", ["layers18:layers.AdaptiveAvgPool2d"]],
  ["AdaptiveAvgPool2d", "AdaptiveAvgPool1d", "adjoint/nn", ["vocabulary18:layers.AdaptiveAvgPool1d"]],
  ["AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "adjoint/nn", ["vocabulary18:layers.AdaptiveMaxPool1d"]],
  ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "adjoint/nn", ["vocabulary18:layers.AdaptiveMaxPool2d"]],
  ["PReLU", "PReLU", "adjoint/nn", ["vocabulary18:layers.PReLU", "vocabulary18:layers.PReLU_channels"]],
];

const LOSSES: readonly Row[] = [
  ["l1", "l1Loss", "adjoint/nn", ["nn18:losses.l1", "nn18:losses.l1_none"]],
  ["smoothL1", "smoothL1Loss", "adjoint/nn", ["nn18:losses.smoothL1", "nn18:losses.smoothL1_beta0"]],
  ["huber", "huberLoss", "adjoint/nn", ["nn18:losses.huber", "nn18:losses.huber_delta"]],
  ["binaryCrossEntropy on probabilities", "binaryCrossEntropy", "adjoint/nn", ["nn18:losses.bce", "nn18:losses.bce_weight", "nn18:lossEdges.bce_ends"]],
  ["klDiv", "klDiv", "adjoint/nn", ["nn18:losses.klDiv_batchmean", "nn18:losses.klDiv_mean_zeros", "nn18:losses.klDiv_logTarget"]],
  ["nll", "nllLoss", "adjoint/nn", ["nn18:losses.nll", "nn18:losses.nll_weight_ignore", "nn18:lossEdges.nll_all_ignored"]],
  ["cosineEmbedding", "cosineEmbeddingLoss", "adjoint/nn", ["nn18:losses.cosineEmbedding", "nn18:losses.cosineEmbedding_margin"]],
  ["marginRanking", "marginRankingLoss", "adjoint/nn", ["nn18:losses.marginRanking", "nn18:losses.marginRanking_mean"]],
  ["triplet", "tripletMarginLoss", "adjoint/nn", ["nn18:losses.triplet", "nn18:losses.triplet_p1_swap", "nn18:losses.triplet_p3"]],
  ["ctc", "ctcLoss", "adjoint/nn", ["nn18:losses.ctc", "nn18:losses.ctc_zeroInfinity", "nn18:lossEdges.ctc_unreachable"]],
  ["poissonNll", "poissonNllLoss", "adjoint/nn", ["nn18:losses.poissonNll", "nn18:losses.poissonNll_rates_full"]],
  ["gaussianNll", "gaussianNllLoss", "adjoint/nn", ["nn18:losses.gaussianNll", "nn18:losses.gaussianNll_row_full"]],
  ["crossEntropy with weight", "crossEntropy", "adjoint/nn", ["nn18:losses.ce_weight", "nn18:losses.ce_zero_weight"]],
  ["crossEntropy with ignoreIndex", "crossEntropy", "adjoint/nn", ["nn18:losses.ce_ignore_smooth", "nn18:lossEdges.ce_all_ignored_sum"]],
  ["crossEntropy with labelSmoothing", "crossEntropy", "adjoint/nn", ["nn18:losses.ce_all", "nn18:losses.ce_probs_weight_smooth"]],
];

const OPTIMISERS: readonly Row[] = [
  ["Adagrad", "Adagrad", "adjoint/optim", ["nn18:optimizers.adagrad", "nn18:optimizers.adagrad_all"]],
  ["Adadelta", "Adadelta", "adjoint/optim", ["nn18:optimizers.adadelta", "nn18:optimizers.adadelta_all"]],
  ["Adamax", "Adamax", "adjoint/optim", ["nn18:optimizers.adamax", "nn18:optimizers.adamax_all"]],
  ["NAdam", "NAdam", "adjoint/optim", ["nn18:optimizers.nadam", "nn18:optimizers.nadam_all"]],
  ["RAdam", "RAdam", "adjoint/optim", ["nn18:optimizers.radam", "nn18:optimizers.radam_rectified"]],
  ["Lion", "Lion", "adjoint/optim", ["nn18:optimizers.lion", "nn18:optimizers.lion_all"]],
  ["ExponentialLR", "exponentialLR", "adjoint/optim", ["nn18:schedules.exponentialLR"]],
  ["OneCycleLR", "oneCycleLR", "adjoint/optim", ["nn18:schedules.oneCycleLR", "nn18:schedules.oneCycleLR_three_linear"]],
  ["ReduceLROnPlateau", "ReduceLROnPlateau", "adjoint/optim", ["nn18:plateau.cases.min_rel", "nn18:plateau.cases.max_abs"]],
  ["CyclicLR", "cyclicLR", "adjoint/optim", ["nn18:schedules.cyclicLR", "nn18:schedules.cyclicLR_triangular2", "nn18:schedules.cyclicLR_expRange"]],
  ["LinearLR", "linearLR", "adjoint/optim", ["nn18:schedules.linearLR", "nn18:schedules.linearLR_all"]],
  ["warm-up then cosine", "warmupCosine", "adjoint/optim", ["vocabulary18:schedules.warmupCosine", "vocabulary18:schedules.warmupCosine_short"]],
];

const DTYPES: readonly Row[] = [
  ["uint8 … with cast", "cast", "adjoint", ["nn18:casts.values.uint8", "nn18:byteOps.add_uint8", "nn18:byteOps.div_uint8"]],
  ["int8 … with cast", "cast", "adjoint", ["nn18:casts.values.int8", "nn18:byteOps.mul_int8", "nn18:byteOps.add_uint8_int8"]],
];

const VOCABULARY = {
  "elementwise": ELEMENTWISE,
  "activations": ACTIVATIONS,
  "reductions": REDUCTIONS,
  "shape and indexing": SHAPE,
  "convolution and pooling": CONVOLUTION,
  "layers": LAYERS,
  "losses": LOSSES,
  "optimisers and schedules": OPTIMISERS,
  "dtypes": DTYPES,
};

const files = new Map<string, unknown>();
/** The value at a golden reference, or undefined where the file has no such case. */
function resolve(ref: GoldenRef): unknown {
  const [file, path] = ref.split(":");
  if (!files.has(file)) files.set(file, loadGolden(file));
  return path.split(".").reduce<unknown>((v, key) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined), files.get(file));
}

/** The function a golden case says it calls, where it says. */
function callee(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const named = value as { fn?: unknown; class?: unknown; op?: unknown };
  const name = named.fn ?? named.class ?? named.op;
  return typeof name === "string" ? name : undefined;
}

describe.each(Object.entries(VOCABULARY))("issue 18's %s", (_, rows) => {
  it.each(rows)("%s: %s from %s, with PyTorch golden cases", (_issue, name, entry, golden) => {
    const value: unknown = Reflect.get(ENTRIES[entry], name);
    expect(typeof value, `${entry} exports ${name}`).toBe("function");
    expect(golden.length, `${name} has golden cases`).toBeGreaterThan(0);
    for (const ref of golden) {
      const data = resolve(ref);
      expect(data, ref).toBeDefined();
      expect(callee(data) ?? name, `${ref} calls ${name}`).toBe(name);
    }
  });
});

it("uint8 and int8 are dtypes", () => {
  expect(adjoint.DTYPES).toEqual(expect.arrayContaining(["uint8", "int8"]));
});
