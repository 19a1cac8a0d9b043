/**
 * Strict options, everywhere: every public function, method and constructor that takes an options
 * object refuses an unknown key (an `InvalidArgument` naming the op and the key) instead of ignoring
 * it, refuses options that are not an object, and still accepts each of its known keys with a valid
 * value. One table row per such callable; a meta-check walks the exports and fails on a callable
 * with an options parameter that has no row, so a new one cannot be left out.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import * as adjoint from "../src/index.js";
import * as nn from "../src/nn/index.js";
import * as onnx from "../src/onnx/index.js";
import * as optim from "../src/optim/index.js";
import * as parallel from "../src/parallel/index.js";
import { adjointPlugin } from "../src/plugin/index.js";
import * as scalar from "../src/scalar/index.js";
import * as tensorModule from "../src/tensor/index.js";
import * as testing from "../src/testing/index.js";
import * as transform from "../src/transform/index.js";
import { scalarWorkerScript } from "./support/scalarWorker.js";
import { workerUrl } from "./support/parallelWorker.js";
import { AdError, rng, Tape, Tensor, tensor, type MultivariateFn, type VectorFn } from "../src/index.js";

type Options = Record<PropertyKey, unknown>;

interface Row {
  /** What the meta-check finds: the function, class or method itself. */
  readonly fn: unknown;
  /** `details.op` of its errors. */
  readonly op: string;
  /** A valid call with these options (merged over `base`, the required ones). */
  readonly call: (options: unknown) => unknown;
  readonly base?: Options;
  /** Every known key, with a valid value other than the default. */
  readonly keys: Options;
}

const x = () => tensor([1, 2, 3], { requiresGrad: true });
const image = () =>
  tensor([
    [
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
    ],
  ]);
const square = (t: Tensor) => t.mul(t).sum();
const spd2 = () =>
  tensor(
    [
      [2, 1],
      [1, 3],
    ],
    { dtype: "float64" },
  );
const quadratic: MultivariateFn = (xs, S) => S.mul(xs[0], xs[1]);
const pair: VectorFn = (xs, S) => [S.mul(xs[0], xs[1]), xs[0]];
const seeded = () => ({ rng: rng(0) });
const creation = { dtype: "float64", requiresGrad: true, device: "cpu" };
const gradKeys = { argnums: 0, hasAux: false };
const bowl = transform.differentiate((x: Float64Array) => x[0] * x[0] + 3 * x[1] * x[1]);
const bowlHv = (_x: Float64Array, v: Float64Array) => [2 * v[0], 6 * v[1]];
const stopping = { gradientTolerance: 1e-3, functionTolerance: 1e-3, stepTolerance: 1e-3, maxIterations: 3, maxEvaluations: 9 };
const scalarWorker = await scalarWorkerScript();
const dir = mkdtempSync(join(tmpdir(), "adjoint-options-"));
const file = join(dir, "t.safetensors");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS: Row[] = [
  // tensor creation
  { fn: adjoint.tensor, op: "tensor", call: (o) => adjoint.tensor([1, 2], o as never), keys: { ...creation, shape: [2] } },
  { fn: adjoint.full, op: "full", call: (o) => adjoint.full([2], 1, o as never), keys: creation },
  { fn: adjoint.zeros, op: "zeros", call: (o) => adjoint.zeros([2], o as never), keys: creation },
  { fn: adjoint.ones, op: "ones", call: (o) => adjoint.ones([2], o as never), keys: creation },
  { fn: adjoint.arange, op: "arange", call: (o) => adjoint.arange(0, 3, 1, o as never), keys: creation },
  { fn: adjoint.linspace, op: "linspace", call: (o) => adjoint.linspace(0, 1, 3, o as never), keys: creation },
  { fn: adjoint.eye, op: "eye", call: (o) => adjoint.eye(2, 2, o as never), keys: creation },
  { fn: adjoint.rand, op: "rand", call: (o) => adjoint.rand([2], o as never), keys: { ...creation, rng: rng(1) } },
  { fn: adjoint.randn, op: "randn", call: (o) => adjoint.randn([2], o as never), keys: { ...creation, rng: rng(1) } },
  { fn: adjoint.randint, op: "randint", call: (o) => adjoint.randint(0, 5, [2], o as never), keys: { dtype: "int32", requiresGrad: false, rng: rng(1) } },
  // tensor ops
  { fn: adjoint.conv2d, op: "conv2d", call: (o) => adjoint.conv2d(image(), adjoint.ones([1, 1, 2, 2]), o as never), keys: { stride: 2, padding: 1, dilation: 2, groups: 1 } },
  {
    fn: adjoint.conv1d,
    op: "conv1d",
    call: (o) => adjoint.conv1d(adjoint.ones([1, 2, 6]), adjoint.ones([2, 2, 2]), o as never),
    keys: { stride: 2, padding: 1, dilation: 2, groups: 1 },
  },
  {
    fn: adjoint.conv3d,
    op: "conv3d",
    call: (o) => adjoint.conv3d(adjoint.ones([1, 2, 4, 4, 4]), adjoint.ones([2, 2, 2, 2, 2]), o as never),
    keys: { stride: 2, padding: 1, dilation: 2, groups: 1 },
  },
  {
    fn: adjoint.convTranspose2d,
    op: "convTranspose2d",
    call: (o) => adjoint.convTranspose2d(image(), adjoint.ones([1, 1, 2, 2]), o as never),
    base: { stride: 2 },
    keys: { stride: 3, padding: 1, outputPadding: 1, dilation: 1, groups: 1 },
  },
  {
    fn: adjoint.convTranspose1d,
    op: "convTranspose1d",
    call: (o) => adjoint.convTranspose1d(adjoint.ones([1, 2, 4]), adjoint.ones([2, 1, 2]), o as never),
    base: { stride: 2 },
    keys: { stride: 3, padding: 1, outputPadding: 1, dilation: 1, groups: 2 },
  },
  {
    fn: adjoint.maxPool1d,
    op: "maxPool1d",
    call: (o) => adjoint.maxPool1d(adjoint.ones([1, 2, 6]), o as never),
    base: { kernel: 2 },
    keys: { dilation: 2, kernel: 3, stride: 1, padding: 1, ceilMode: true, countIncludePad: false },
  },
  {
    fn: adjoint.avgPool1d,
    op: "avgPool1d",
    call: (o) => adjoint.avgPool1d(adjoint.ones([1, 2, 6]), o as never),
    base: { kernel: 2 },
    keys: { kernel: 3, stride: 1, padding: 1, ceilMode: true, countIncludePad: false },
  },
  {
    fn: adjoint.interpolate,
    op: "interpolate",
    call: (o) => adjoint.interpolate(image(), o as never),
    base: { size: 3, mode: "bilinear" },
    keys: { size: [2, 3], mode: "nearest", alignCorners: true },
  },
  { fn: adjoint.unfold, op: "unfold", call: (o) => adjoint.unfold(image(), o as never), base: { kernel: 2 }, keys: { kernel: 2, stride: 1, padding: 1, dilation: 1 } },
  {
    fn: adjoint.fold,
    op: "fold",
    call: (o) => adjoint.fold(adjoint.ones([1, 4, 9]), [4, 4], o as never),
    base: { kernel: 2 },
    keys: { kernel: 2, stride: 1, padding: 0, dilation: 1 },
  },
  {
    fn: adjoint.maxPool2d,
    op: "maxPool2d",
    call: (o) => adjoint.maxPool2d(image(), o as never),
    base: { kernel: 2 },
    keys: { dilation: 2, kernel: 3, stride: 1, padding: 1, ceilMode: true, countIncludePad: true },
  },
  {
    fn: adjoint.avgPool2d,
    op: "avgPool2d",
    call: (o) => adjoint.avgPool2d(image(), o as never),
    base: { kernel: 2 },
    keys: { kernel: 3, stride: 1, padding: 1, ceilMode: true, countIncludePad: false },
  },
  { fn: adjoint.gelu, op: "gelu", call: (o) => adjoint.gelu(x(), o as never), keys: { approximate: "tanh" } },
  { fn: adjoint.variance, op: "variance", call: (o) => adjoint.variance(x(), 0, o as never), keys: { correction: 0, keepDims: true } },
  { fn: adjoint.std, op: "std", call: (o) => adjoint.std(x(), 0, o as never), keys: { correction: 0, keepDims: true } },
  { fn: adjoint.norm, op: "norm", call: (o) => adjoint.norm(x(), o as never), keys: { ord: 3, axis: 0, keepDims: true } },
  {
    fn: adjoint.indexAdd,
    op: "indexAdd",
    call: (o) => adjoint.indexAdd(x(), 0, tensor([2], { dtype: "int32" }), tensor([5]), o as never),
    keys: { alpha: 2 },
  },
  {
    fn: adjoint.scatter,
    op: "scatter",
    call: (o) => adjoint.scatter(x(), 0, tensor([2, 0], { dtype: "int32" }), tensor([5, 6]), o as never),
    keys: { reduce: "amax", includeSelf: false },
  },
  { fn: Tensor.prototype.norm, op: "norm", call: (o) => x().norm(o as never), keys: { ord: 3, axis: 0, keepDims: true } },
  {
    fn: Tensor.prototype.indexAdd,
    op: "indexAdd",
    call: (o) => x().indexAdd(0, tensor([2], { dtype: "int32" }), tensor([5]), o as never),
    keys: { alpha: 2 },
  },
  {
    fn: Tensor.prototype.scatter,
    op: "scatter",
    call: (o) => x().scatter(0, tensor([2, 0], { dtype: "int32" }), tensor([5, 6]), o as never),
    keys: { reduce: "amax", includeSelf: false },
  },
  { fn: adjoint.meshgrid, op: "meshgrid", call: (o) => adjoint.meshgrid(x(), x(), o as never), keys: { indexing: "xy" } },
  { fn: adjoint.sort, op: "sort", call: (o) => adjoint.sort(x(), o as never), keys: { axis: 0, descending: true, stable: true } },
  { fn: adjoint.argsort, op: "argsort", call: (o) => adjoint.argsort(x(), o as never), keys: { axis: 0, descending: true, stable: true } },
  { fn: adjoint.topk, op: "topk", call: (o) => adjoint.topk(x(), 2, o as never), keys: { axis: 0, largest: false, sorted: true } },
  { fn: adjoint.median, op: "median", call: (o) => adjoint.median(x(), o as never), base: { axis: 0 }, keys: { axis: -1, keepDims: true } },
  { fn: adjoint.nonzero, op: "nonzero", call: (o) => adjoint.nonzero(x(), o as never), keys: { size: 2, fillValue: -1 } },
  { fn: adjoint.argwhere, op: "argwhere", call: (o) => adjoint.argwhere(x(), o as never), keys: { size: 2, fillValue: -1 } },
  { fn: adjoint.searchsorted, op: "searchsorted", call: (o) => adjoint.searchsorted(x(), x(), o as never), keys: { right: true } },
  { fn: adjoint.unique, op: "unique", call: (o) => adjoint.unique(x(), o as never), keys: { sorted: false, returnInverse: true, returnCounts: true, axis: 0 } },
  // autograd
  { fn: adjoint.backward, op: "backward", call: (o) => adjoint.backward(square(x()), o as never), keys: { grad: tensor(2), createGraph: true, retainGraph: true } },
  { fn: Tensor.prototype.backward, op: "backward", call: (o) => square(x()).backward(o as never), keys: { grad: tensor(2), createGraph: true, retainGraph: true } },
  { fn: adjoint.backwardAsync, op: "backwardAsync", call: (o) => adjoint.backwardAsync(square(x()), o as never), keys: { grad: tensor(2), createGraph: true, retainGraph: true } },
  {
    fn: Tensor.prototype.backwardAsync,
    op: "backwardAsync",
    call: (o) => square(x()).backwardAsync(o as never),
    keys: { grad: tensor(2), createGraph: true, retainGraph: true },
  },
  { fn: adjoint.grad, op: "grad", call: (o) => adjoint.grad(square, o as never)(x()), keys: gradKeys },
  { fn: adjoint.valueAndGrad, op: "valueAndGrad", call: (o) => adjoint.valueAndGrad(square, o as never)(x()), keys: gradKeys },
  // jit
  {
    fn: adjoint.jit,
    op: "jit",
    call: (o) => adjoint.jit((t: Tensor, k: number) => t.mul(k), o as never)(tensor([1, 2]), 2),
    keys: { static: [1], fuse: false, donate: [0], parallelBranches: false },
  },
  // parallel (dataParallel checks its options when made and starts no worker until called)
  {
    fn: parallel.dataParallel,
    op: "dataParallel",
    call: (o) => parallel.dataParallel((p: Tensor) => p, o as never).close(),
    base: { workers: 1 },
    keys: { workers: 2, reduce: "sum", onWorkerDeath: "continue", timeoutMs: 1000, workerUrl: "worker.js" },
  },
  {
    fn: parallel.startWorkers,
    op: "startWorkers",
    call: async (o) => (await parallel.startWorkers(await workerUrl("test/parallel/echo.worker.ts"), 1, o as never)).close(),
    keys: { timeoutMs: 20_000 },
  },
  { fn: adjoint.jacfwd, op: "jacfwd", call: (o) => adjoint.jacfwd((t: Tensor) => t.mul(t), o as never)(x()), keys: gradKeys },
  { fn: adjoint.jacrev, op: "jacrev", call: (o) => adjoint.jacrev((t: Tensor) => t.mul(t), o as never)(x()), keys: gradKeys },
  { fn: adjoint.tensorHessian, op: "hessian", call: (o) => adjoint.tensorHessian(square, o as never)(x()), keys: gradKeys },
  { fn: adjoint.hessian, op: "hessian", call: (o) => adjoint.hessian(square, o as never)(x()), keys: gradKeys },
  // scalar
  { fn: scalar.hessian, op: "hessian", call: (o) => scalar.hessian(quadratic, [1, 2], o as never), keys: { checkFinite: true } },
  { fn: adjoint.valueAndGradient, op: "valueAndGradient", call: (o) => adjoint.valueAndGradient(quadratic, [1, 2], o as never), keys: { checkFinite: true } },
  { fn: adjoint.gradient, op: "gradient", call: (o) => adjoint.gradient(quadratic, [1, 2], o as never), keys: { checkFinite: true } },
  { fn: adjoint.jacobian, op: "jacobian", call: (o) => adjoint.jacobian(pair, [1, 2], o as never), keys: { checkFinite: true } },
  { fn: adjoint.hessianVectorProduct, op: "hessianVectorProduct", call: (o) => adjoint.hessianVectorProduct(quadratic, [1, 2], [1, 0], o as never), keys: { checkFinite: true } },
  { fn: Tape, op: "Tape", call: (o) => new Tape(o as never), keys: { checkFinite: true, tangents: true, capacity: 16 } },
  { fn: Tape.with, op: "Tape.with", call: (o) => Tape.with((tape) => tape.variable(1).value, o as never), keys: { checkFinite: true, tangents: true, capacity: 16 } },
  { fn: Tape.record, op: "Tape.record", call: (o) => Tape.record(quadratic, [1, 2], o as never), keys: { onBranch: "retrace" } },
  // parallel (the worker script bundled from the source: test/support/scalarWorker.ts)
  {
    fn: adjoint.parallelGradient,
    op: "parallelGradient",
    call: (o) => adjoint.parallelGradient(quadratic, [[1, 2]], o as never),
    base: { worker: scalarWorker },
    keys: { workers: 1, checkFinite: true, timeout: 60_000, worker: scalarWorker },
  },
  {
    fn: adjoint.parallelValueAndGradient,
    op: "parallelValueAndGradient",
    call: (o) => adjoint.parallelValueAndGradient(quadratic, [[1, 2]], o as never),
    base: { worker: scalarWorker },
    keys: { workers: 1, checkFinite: true, timeout: 60_000, worker: scalarWorker },
  },
  // linalg
  {
    fn: adjoint.linalg.svd,
    op: "svd",
    call: (o) =>
      adjoint.linalg.svd(
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { dtype: "float64" },
        ),
        o as never,
      ),
    keys: { fullMatrices: true },
  },
  {
    fn: adjoint.linalg.lstsqWithInfo,
    op: "lstsqWithInfo",
    call: (o) =>
      adjoint.linalg.lstsqWithInfo(
        tensor(
          [
            [1, 0],
            [0, 1],
            [1, 1],
          ],
          { dtype: "float64" },
        ),
        tensor([1, 2, 4], { dtype: "float64" }),
        o as never,
      ),
    keys: { rtol: 1e-3 },
  },
  ...(
    [
      ["solve", (o: unknown) => adjoint.linalg.solve(spd2(), tensor([1, 2], { dtype: "float64" }), o as never)],
      ["inv", (o: unknown) => adjoint.linalg.inv(spd2(), o as never)],
      ["cholesky", (o: unknown) => adjoint.linalg.cholesky(spd2(), o as never)],
      ["lu", (o: unknown) => adjoint.linalg.lu(spd2(), o as never)],
      ["luFactor", (o: unknown) => adjoint.linalg.luFactor(spd2(), o as never)],
      [
        "luSolve",
        (o: unknown) => adjoint.linalg.luSolve(adjoint.linalg.luFactor(spd2()).LU, adjoint.linalg.luFactor(spd2()).pivots, tensor([1, 2], { dtype: "float64" }), o as never),
      ],
    ] as const
  ).map(([op, call]): Row => ({ fn: adjoint.linalg[op], op, call, keys: { check: false } })),
  {
    fn: adjoint.linalg.triangularSolve,
    op: "triangularSolve",
    call: (o) => adjoint.linalg.triangularSolve(spd2(), tensor([1, 2], { dtype: "float64" }), o as never),
    keys: { lower: true, transpose: true, unitDiagonal: true, check: false },
  },
  // testing, transform, plugin
  {
    fn: adjoint.checkGradient,
    op: "checkGradient",
    call: (o) => adjoint.checkGradient((v) => v[0] * v[0], [1], o as never),
    base: { gradient: [2] },
    keys: { gradient: () => [2], step: 1e-4, rtol: 1e-5, atol: 1e-7 },
  },
  {
    fn: adjoint.differentiate,
    op: "differentiate",
    call: (o) => adjoint.differentiate((a: number) => a * a, o as never),
    keys: { mode: "forward", constants: { c: 2 }, functions: { f: (v: number) => v + 1 } },
  },
  {
    fn: adjoint.transformHessian,
    op: "transformHessian",
    call: (o) => adjoint.transformHessian((a: number) => a * a, o as never),
    keys: { constants: { c: 2 }, functions: { f: (v: number) => v + 1 } },
  },
  { fn: adjointPlugin, op: "adjointPlugin", call: (o) => adjointPlugin.rollup(o as never), keys: { precompiledFrom: "adjoint/transform/precompiled" } },
  // nn: initialisers and layers
  ...(["kaimingUniform", "kaimingNormal"] as const).map((name) => ({
    fn: nn[name],
    op: name,
    call: (o: unknown) => nn[name]([2, 3], o as never),
    base: seeded(),
    keys: { rng: rng(1), dtype: "float64", mode: "fanOut", nonlinearity: "relu", a: 0.1 },
  })),
  ...(["xavierUniform", "xavierNormal"] as const).map((name) => ({
    fn: nn[name],
    op: name,
    call: (o: unknown) => nn[name]([2, 3], o as never),
    base: seeded(),
    keys: { rng: rng(1), dtype: "float64", gain: 2 },
  })),
  { fn: nn.uniform, op: "uniform", call: (o) => nn.uniform([2], -1, 1, o as never), base: seeded(), keys: { rng: rng(1), dtype: "float64" } },
  { fn: nn.normal, op: "normal", call: (o) => nn.normal([2], 0, 1, o as never), base: seeded(), keys: { rng: rng(1), dtype: "float64" } },
  { fn: nn.Linear, op: "Linear", call: (o) => new nn.Linear(2, 3, o as never), base: seeded(), keys: { rng: rng(1), dtype: "float64", bias: false } },
  {
    fn: nn.Conv2d,
    op: "Conv2d",
    call: (o) => new nn.Conv2d(1, 2, 2, o as never),
    base: seeded(),
    keys: { rng: rng(1), dtype: "float64", bias: false, stride: 2, padding: 1, dilation: 2 },
  },
  { fn: nn.PReLU, op: "PReLU", call: (o) => new nn.PReLU(o as never), base: {}, keys: { numParameters: 3, init: 0.1, dtype: "float64" } },
  {
    fn: nn.MaxPool2d,
    op: "MaxPool2d",
    call: (o) => new nn.MaxPool2d(o as never).forward(image()),
    base: { kernel: 2 },
    keys: { dilation: 2, kernel: 3, stride: 1, padding: 1, ceilMode: true, countIncludePad: false },
  },
  {
    fn: nn.AvgPool2d,
    op: "AvgPool2d",
    call: (o) => new nn.AvgPool2d(o as never).forward(image()),
    base: { kernel: 2 },
    keys: { kernel: 3, stride: 1, padding: 1, ceilMode: true, countIncludePad: false },
  },
  { fn: nn.Dropout, op: "Dropout", call: (o) => new nn.Dropout(0.5, o as never).forward(x()), base: seeded(), keys: { rng: rng(1) } },
  {
    fn: adjoint.vmap,
    op: "vmap",
    call: (o) =>
      adjoint.vmap(
        (t: Tensor) => t.mul(2),
        o as never,
      )(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    keys: { inAxes: 1, outAxes: 1, axisSize: 2 },
  },
  {
    fn: adjoint.scan,
    op: "scan",
    call: (o) => adjoint.scan((c: Tensor, x: Tensor) => [c.add(x), x] as const, tensor(0), tensor([1, 2]), o as never),
    keys: { length: 2, reverse: true, checkpoint: true },
  },
  { fn: nn.dropout, op: "dropout", call: (o) => nn.dropout(x(), 0.5, o as never), base: { key: tensorModule.random.key(0) }, keys: { key: tensorModule.random.key(1) } },
  {
    fn: tensorModule.random.uniform,
    op: "random.uniform",
    call: (o) => tensorModule.random.uniform(tensorModule.random.key(0), [2], o as never),
    keys: { dtype: "float64", min: -1, max: 2 },
  },
  { fn: tensorModule.random.normal, op: "random.normal", call: (o) => tensorModule.random.normal(tensorModule.random.key(0), [2], o as never), keys: { dtype: "float64" } },
  { fn: nn.LayerNorm, op: "LayerNorm", call: (o) => new nn.LayerNorm(3, o as never).forward(x()), keys: { eps: 1e-3, affine: false, dtype: "float32" } },
  {
    fn: nn.MultiheadAttention,
    op: "MultiheadAttention",
    call: (o) => new nn.MultiheadAttention(4, 2, o as never).eval().forward(adjoint.ones([3, 1, 4])),
    base: seeded(),
    keys: { rng: rng(1), bias: false, dropout: 0.5, batchFirst: true, dtype: "float32" },
  },
  {
    fn: nn.MultiheadAttention.prototype.attend,
    op: "MultiheadAttention.forward",
    call: (o) => new nn.MultiheadAttention(4, 2, { rng: rng(0) }).attend(adjoint.ones([3, 1, 4]), adjoint.ones([2, 1, 4]), adjoint.ones([2, 1, 4]), o as never),
    keys: { keyPaddingMask: tensor([[false, true]]), attnMask: adjoint.zeros([3, 2]), isCausal: true, averageAttnWeights: false, key: adjoint.random.key(0) },
  },
  ...(["TransformerEncoderLayer", "TransformerDecoderLayer"] as const).map((name) => ({
    fn: nn[name],
    op: name,
    call: (o: unknown) => new nn[name](4, 2, o as never),
    base: seeded(),
    keys: { rng: rng(1), dimFeedforward: 8, dropout: 0, activation: "gelu", layerNormEps: 1e-6, batchFirst: true, normFirst: true, bias: false, dtype: "float64" },
  })),
  {
    fn: nn.TransformerEncoderLayer.prototype.encode,
    op: "TransformerEncoderLayer.forward",
    call: (o) => new nn.TransformerEncoderLayer(4, 2, { rng: rng(0), dimFeedforward: 4 }).encode(adjoint.ones([3, 1, 4]), o as never),
    base: { key: adjoint.random.key(0) },
    keys: { srcMask: adjoint.zeros([3, 3]), srcKeyPaddingMask: tensor([[false, true, false]]), isCausal: true, key: adjoint.random.key(1) },
  },
  {
    fn: nn.TransformerDecoderLayer.prototype.decode,
    op: "TransformerDecoderLayer.forward",
    call: (o) => new nn.TransformerDecoderLayer(4, 2, { rng: rng(0), dimFeedforward: 4 }).decode(adjoint.ones([3, 1, 4]), adjoint.ones([2, 1, 4]), o as never),
    base: { key: adjoint.random.key(0) },
    keys: {
      tgtMask: adjoint.zeros([3, 3]),
      memoryMask: adjoint.zeros([3, 2]),
      tgtKeyPaddingMask: tensor([[false, true, false]]),
      memoryKeyPaddingMask: tensor([[false, true]]),
      tgtIsCausal: true,
      key: adjoint.random.key(1),
    },
  },
  ...(["RNN", "LSTM", "GRU"] as const).map((name) => ({
    fn: nn[name],
    op: name,
    call: (o: unknown) => new nn[name](2, 3, o as never).forward(adjoint.ones([4, 1, 2])),
    base: seeded(),
    keys: { rng: rng(1), numLayers: 2, bias: false, batchFirst: true, bidirectional: true, dtype: "float32", ...(name === "RNN" ? { nonlinearity: "relu" } : {}) },
  })),
  { fn: nn.GroupNorm, op: "GroupNorm", call: (o) => new nn.GroupNorm(1, 3, o as never).forward(adjoint.ones([2, 3, 2])), keys: { eps: 1e-3, affine: false, dtype: "float32" } },
  {
    fn: nn.InstanceNorm1d,
    op: "InstanceNorm1d",
    call: (o) => new nn.InstanceNorm1d(3, o as never).forward(adjoint.ones([2, 3, 2])),
    keys: { eps: 1e-3, affine: true, dtype: "float32" },
  },
  { fn: nn.InstanceNorm2d, op: "InstanceNorm2d", call: (o) => new nn.InstanceNorm2d(1, o as never).forward(image()), keys: { eps: 1e-3, affine: true, dtype: "float32" } },
  {
    fn: nn.Conv1d,
    op: "Conv1d",
    call: (o) => new nn.Conv1d(2, 2, 2, o as never).forward(adjoint.ones([1, 2, 6])),
    base: seeded(),
    keys: { rng: rng(1), dtype: "float32", bias: false, stride: 2, padding: 1, dilation: 2, groups: 2 },
  },
  {
    fn: nn.ConvTranspose2d,
    op: "ConvTranspose2d",
    call: (o) => new nn.ConvTranspose2d(1, 2, 2, o as never).forward(image()),
    base: { ...seeded(), stride: 2 },
    keys: { rng: rng(1), dtype: "float32", bias: false, stride: 3, padding: 1, outputPadding: 1, dilation: 1, groups: 1 },
  },
  {
    fn: nn.ConvTranspose1d,
    op: "ConvTranspose1d",
    call: (o) => new nn.ConvTranspose1d(2, 2, 2, o as never).forward(adjoint.ones([1, 2, 4])),
    base: { ...seeded(), stride: 2 },
    keys: { rng: rng(1), dtype: "float32", bias: false, stride: 3, padding: 1, outputPadding: 1, dilation: 1, groups: 2 },
  },
  {
    fn: nn.MaxPool1d,
    op: "MaxPool1d",
    call: (o) => new nn.MaxPool1d(o as never).forward(adjoint.ones([1, 2, 6])),
    base: { kernel: 2 },
    keys: { dilation: 2, kernel: 3, stride: 1, padding: 1, ceilMode: true, countIncludePad: false },
  },
  {
    fn: nn.AvgPool1d,
    op: "AvgPool1d",
    call: (o) => new nn.AvgPool1d(o as never).forward(adjoint.ones([1, 2, 6])),
    base: { kernel: 2 },
    keys: { kernel: 3, stride: 1, padding: 1, ceilMode: true, countIncludePad: false },
  },
  {
    fn: nn.Upsample,
    op: "Upsample",
    call: (o) => new nn.Upsample(o as never).forward(image()),
    base: { size: 3, mode: "bilinear" },
    keys: { size: [2, 3], mode: "nearest", alignCorners: true },
  },
  { fn: nn.BatchNorm1d, op: "BatchNorm1d", call: (o) => new nn.BatchNorm1d(3, o as never), keys: { eps: 1e-3, affine: false, dtype: "float64", momentum: 0.5 } },
  { fn: nn.BatchNorm2d, op: "BatchNorm2d", call: (o) => new nn.BatchNorm2d(3, o as never), keys: { eps: 1e-3, affine: false, dtype: "float64", momentum: 0.5 } },
  { fn: nn.Embedding, op: "Embedding", call: (o) => new nn.Embedding(3, 2, o as never), base: seeded(), keys: { rng: rng(1), dtype: "float64" } },
  { fn: nn.GELU, op: "GELU", call: (o) => new nn.GELU(o as never).forward(x()), keys: { approximate: "tanh" } },
  // nn: losses
  { fn: nn.mseLoss, op: "mseLoss", call: (o) => nn.mseLoss(x(), tensor([0, 0, 0]), o as never), keys: { reduction: "sum" } },
  {
    fn: nn.crossEntropy,
    op: "crossEntropy",
    call: (o) => nn.crossEntropy(tensor([[1, 2, 3]]), [0], o as never),
    keys: { reduction: "none", labelSmoothing: 0.1, weight: tensor([1, 2, 3]), ignoreIndex: 2 },
  },
  {
    fn: nn.nllLoss,
    op: "nllLoss",
    call: (o) => nn.nllLoss(tensor([[-1, -2, -3]]), [1], o as never),
    keys: { reduction: "sum", weight: tensor([1, 2, 3]), ignoreIndex: 2 },
  },
  {
    fn: nn.binaryCrossEntropyWithLogits,
    op: "binaryCrossEntropyWithLogits",
    call: (o) => nn.binaryCrossEntropyWithLogits(x(), tensor([0, 1, 0]), o as never),
    keys: { reduction: "none", weight: tensor([1, 2, 1]), posWeight: tensor([2, 1, 1]) },
  },
  { fn: nn.l1Loss, op: "l1Loss", call: (o) => nn.l1Loss(x(), tensor([0, 0, 0]), o as never), keys: { reduction: "sum" } },
  { fn: nn.smoothL1Loss, op: "smoothL1Loss", call: (o) => nn.smoothL1Loss(x(), tensor([0, 0, 0]), o as never), keys: { reduction: "sum", beta: 0.5 } },
  { fn: nn.huberLoss, op: "huberLoss", call: (o) => nn.huberLoss(x(), tensor([0, 0, 0]), o as never), keys: { reduction: "sum", delta: 0.5 } },
  {
    fn: nn.binaryCrossEntropy,
    op: "binaryCrossEntropy",
    call: (o) => nn.binaryCrossEntropy(tensor([0.1, 0.5, 0.9]), tensor([0, 1, 0]), o as never),
    keys: { reduction: "none", weight: tensor([1, 2, 1]) },
  },
  { fn: nn.klDiv, op: "klDiv", call: (o) => nn.klDiv(tensor([-1, -2, -3]), tensor([0.2, 0.3, 0.5]), o as never), keys: { reduction: "batchmean", logTarget: true } },
  {
    fn: nn.poissonNllLoss,
    op: "poissonNllLoss",
    call: (o) => nn.poissonNllLoss(x(), tensor([0, 1, 2]), o as never),
    keys: { reduction: "sum", logInput: false, full: true, eps: 1e-6 },
  },
  {
    fn: nn.gaussianNllLoss,
    op: "gaussianNllLoss",
    call: (o) => nn.gaussianNllLoss(x(), tensor([0, 1, 2]), tensor([1, 1, 1]), o as never),
    keys: { reduction: "sum", full: true, eps: 1e-4 },
  },
  {
    fn: nn.marginRankingLoss,
    op: "marginRankingLoss",
    call: (o) => nn.marginRankingLoss(x(), tensor([0, 1, 2]), [1, -1, 1], o as never),
    keys: { reduction: "sum", margin: 0.5 },
  },
  {
    fn: nn.cosineEmbeddingLoss,
    op: "cosineEmbeddingLoss",
    call: (o) => nn.cosineEmbeddingLoss(x(), tensor([0, 1, 2]), tensor(1), o as never),
    keys: { reduction: "sum", margin: 0.5 },
  },
  {
    fn: nn.tripletMarginLoss,
    op: "tripletMarginLoss",
    call: (o) => nn.tripletMarginLoss(x(), tensor([0, 1, 2]), tensor([2, 1, 0]), o as never),
    keys: { reduction: "sum", margin: 0.5, p: 1, eps: 0, swap: true },
  },
  {
    fn: nn.ctcLoss,
    op: "ctcLoss",
    call: (o) => nn.ctcLoss(tensor([[[-1, -2, -3]], [[-2, -1, -3]]]), [[1]], [2], [1], o as never),
    keys: { reduction: "sum", blank: 2, zeroInfinity: true },
  },
  // nn: data and files
  {
    fn: nn.batches,
    op: "batches",
    call: (o) => [...nn.batches([tensor([1, 2, 3])], o as never)],
    base: { batchSize: 2 },
    keys: { batchSize: 1, shuffle: true, seed: 3, rng: rng(1), dropLast: true },
  },
  {
    fn: nn.DataLoader,
    op: "DataLoader",
    call: (o) => [...new nn.DataLoader([tensor([1, 2, 3])], o as never)],
    base: { batchSize: 2 },
    keys: { batchSize: 1, shuffle: true, seed: 3, rng: rng(1), dropLast: true },
  },
  { fn: nn.trainTestSplit, op: "trainTestSplit", call: (o) => nn.trainTestSplit(10, o as never), keys: { testFraction: 0.3, seed: 4 } },
  { fn: nn.loadFile, op: "loadFile", call: (o) => nn.loadFile(file, o as never), keys: { maxBytes: 1 << 20 } },
  // optim
  {
    fn: optim.SGD,
    op: "SGD",
    call: (o) => new optim.SGD([x()], o as never),
    base: { lr: 0.1 },
    keys: { lr: 0.2, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0.1 },
  },
  ...(["Adam", "AdamW"] as const).map((name) => ({
    fn: optim[name],
    op: name,
    call: (o: unknown) => new optim[name]([x()], o as never),
    base: { lr: 0.1 },
    keys: { lr: 0.2, betas: [0.8, 0.99], eps: 1e-7, weightDecay: 0.1, amsgrad: true },
  })),
  {
    fn: optim.RMSprop,
    op: "RMSprop",
    call: (o) => new optim.RMSprop([x()], o as never),
    base: { lr: 0.1 },
    keys: { lr: 0.2, alpha: 0.9, eps: 1e-7, momentum: 0.5, weightDecay: 0.1, centered: true },
  },
  // optim, functional (optax style)
  { fn: optim.sgd, op: "sgd", call: (o) => optim.sgd(o as never), base: { lr: 0.1 }, keys: { lr: 0.2, momentum: 0.9, nesterov: false, weightDecay: 0.1 } },
  ...(["adam", "adamw"] as const).map((name) => ({
    fn: optim[name],
    op: name,
    call: (o: unknown) => optim[name](o as never),
    base: { lr: 0.1 },
    keys: { lr: 0.2, betas: [0.8, 0.99], eps: 1e-7, weightDecay: 0.1, amsgrad: true },
  })),
  {
    fn: optim.rmsprop,
    op: "rmsprop",
    call: (o) => optim.rmsprop(o as never),
    base: { lr: 0.1 },
    keys: { lr: 0.2, alpha: 0.9, eps: 1e-7, momentum: 0.5, weightDecay: 0.1, centered: true },
  },
  {
    fn: optim.Adagrad,
    op: "Adagrad",
    call: (o) => new optim.Adagrad([x()], o as never),
    base: { lr: 0.1 },
    keys: { lr: 0.2, lrDecay: 0.1, weightDecay: 0.1, initialAccumulatorValue: 0.1, eps: 1e-8 },
  },
  { fn: optim.Adadelta, op: "Adadelta", call: (o) => new optim.Adadelta([x()], o as never), base: { lr: 1 }, keys: { lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.1 } },
  ...(["Adamax", "RAdam"] as const).map((name) => ({
    fn: optim[name],
    op: name,
    call: (o: unknown) => new optim[name]([x()], o as never),
    base: { lr: 0.1 },
    keys: { lr: 0.2, betas: [0.8, 0.99], eps: 1e-7, weightDecay: 0.1 },
  })),
  {
    fn: optim.NAdam,
    op: "NAdam",
    call: (o) => new optim.NAdam([x()], o as never),
    base: { lr: 0.1 },
    keys: { lr: 0.2, betas: [0.8, 0.99], eps: 1e-7, weightDecay: 0.1, momentumDecay: 0.01 },
  },
  { fn: optim.Lion, op: "Lion", call: (o) => new optim.Lion([x()], o as never), base: { lr: 0.1 }, keys: { lr: 0.2, betas: [0.8, 0.99], weightDecay: 0.1 } },
  { fn: optim.exponentialLR, op: "exponentialLR", call: (o) => optim.exponentialLR(0.1, o as never)(3), base: { gamma: 0.9 }, keys: { gamma: 0.5 } },
  { fn: optim.linearLR, op: "linearLR", call: (o) => optim.linearLR(0.1, o as never)(3), keys: { startFactor: 0.5, endFactor: 0.9, totalIters: 3 } },
  {
    fn: optim.oneCycleLR,
    op: "oneCycleLR",
    call: (o) => optim.oneCycleLR(0.1, o as never)(3),
    base: { totalSteps: 10 },
    keys: { totalSteps: 5, pctStart: 0.4, annealStrategy: "linear", divFactor: 10, finalDivFactor: 100, threePhase: true },
  },
  {
    fn: optim.cyclicLR,
    op: "cyclicLR",
    call: (o) => optim.cyclicLR(0.01, o as never)(3),
    base: { maxLr: 0.1 },
    keys: { maxLr: 0.2, stepSizeUp: 3, stepSizeDown: 2, mode: "expRange", gamma: 0.9 },
  },
  {
    fn: optim.ReduceLROnPlateau,
    op: "ReduceLROnPlateau",
    call: (o) => new optim.ReduceLROnPlateau(new optim.SGD([x()], { lr: 0.1 }), o as never),
    keys: { mode: "max", factor: 0.5, patience: 2, threshold: 0.01, thresholdMode: "abs", cooldown: 1, minLr: 0.001, eps: 1e-9 },
  },
  { fn: optim.stepDecay, op: "stepDecay", call: (o) => optim.stepDecay(0.1, o as never)(3), base: { stepSize: 2 }, keys: { stepSize: 3, gamma: 0.5 } },
  { fn: optim.cosineDecay, op: "cosineDecay", call: (o) => optim.cosineDecay(0.1, o as never)(3), base: { totalSteps: 10 }, keys: { totalSteps: 5, minLr: 0.01 } },
  { fn: optim.linearWarmup, op: "linearWarmup", call: (o) => optim.linearWarmup(0.1, o as never)(3), base: { warmupSteps: 2 }, keys: { warmupSteps: 5 } },
  {
    fn: optim.warmupCosine,
    op: "warmupCosine",
    call: (o) => optim.warmupCosine(0.1, o as never)(3),
    base: { warmupSteps: 2, totalSteps: 10 },
    keys: { warmupSteps: 1, totalSteps: 5, minLr: 0.01 },
  },
  // scientific optimisers
  { fn: optim.lbfgs, op: "lbfgs", call: (o) => optim.lbfgs(quadratic, [1, 2], o as never), keys: { ...stopping, history: 3, lower: -5, upper: [5, 5] } },
  { fn: optim.newtonCG, op: "newtonCG", call: (o) => optim.newtonCG(quadratic, [1, 2], o as never), keys: { ...stopping, maxCGIterations: 3 } },
  // newtonCG of a differentiate'd f, which needs its Hessian-vector products as an option
  {
    fn: optim.newtonCG,
    op: "newtonCG",
    call: (o) => optim.newtonCG(bowl, [1, 2], o as never),
    base: { hessianVectorProduct: bowlHv },
    keys: { ...stopping, maxCGIterations: 3, hessianVectorProduct: bowlHv },
  },
  { fn: optim.gaussNewton, op: "gaussNewton", call: (o) => optim.gaussNewton(pair, [1, 2], o as never), keys: stopping },
  {
    fn: optim.levenbergMarquardt,
    op: "levenbergMarquardt",
    call: (o) => optim.levenbergMarquardt(pair, [1, 2], o as never),
    keys: { ...stopping, initialDamping: 0.1 },
  },
  {
    fn: onnx.exportOnnx,
    op: "exportOnnx",
    call: (o) => onnx.exportOnnx((a: Tensor) => a, [tensor([1, 2])], o as never),
    keys: { dynamicBatch: true, inputNames: ["a"], outputNames: ["b"] },
  },
];

/** Callables whose options parameter is deliberately not checked here, each with the reason. */
const EXEMPT = new Map<unknown, string>([[optim.Optimizer, "the abstract base: a subclass owns its options (each built-in one refuses unknown keys, tested above)"]]);

/** Runs a row's call, awaiting a promise, and returns what it threw (undefined if nothing). */
async function thrownBy(row: Row, options: unknown): Promise<unknown> {
  try {
    await row.call(options);
    return undefined;
  } catch (e) {
    return e;
  }
}

/** `base` plus one own enumerable property, set by definition (so "__proto__" is an own key too). */
function withKey(base: Options | undefined, key: PropertyKey, value: unknown): Options {
  const o: Options = { ...base };
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}

describe("strict options", () => {
  it("setup: the file loadFile reads exists", async () => {
    await nn.saveFile(file, { t: tensor([1, 2]) });
  });

  describe.each(ROWS.map((row) => [row.op, row] as const))("%s", (_, row) => {
    const known = Object.keys(row.keys);

    it("refuses an unknown key, naming the op and the key", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.string().filter((k) => !known.includes(k)),
          fc.anything(),
          async (key, value) => {
            const e = await thrownBy(row, withKey(row.base, key, value));
            expect(e).toBeInstanceOf(AdError);
            expect((e as AdError).code).toBe("InvalidArgument");
            expect((e as AdError).details).toMatchObject({ op: row.op, key });
          },
        ),
        { numRuns: 20 },
      );
    });

    it("refuses a Symbol key and options that are not an object", async () => {
      for (const bad of [withKey(row.base, Symbol("s"), 1), null, 42, "opts", [row.base ?? {}]]) {
        const e = await thrownBy(row, bad);
        expect(e, `options ${String(bad)}`).toBeInstanceOf(AdError);
        expect((e as AdError).code).toBe("InvalidArgument");
        expect((e as AdError).details.op).toBe(row.op);
      }
    });

    it("accepts each known key with a valid value, and undefined as the default", async () => {
      expect(await thrownBy(row, row.base ?? {})).toBeUndefined();
      for (const key of known) {
        expect(await thrownBy(row, withKey(row.base, key, row.keys[key])), key).toBeUndefined();
        if (row.base?.[key] === undefined) expect(await thrownBy(row, withKey(row.base, key, undefined)), `${key}: undefined`).toBeUndefined();
      }
    });
  });
});

describe("known options with a value the op cannot honour", () => {
  const refused: [string, () => unknown, string][] = [
    ["maxPool2d", () => adjoint.maxPool2d(image(), { kernel: 2, ceilMode: 1 as never }), "ceilMode"],
    ["MaxPool2d", () => new nn.MaxPool2d({ kernel: 2, countIncludePad: "no" as never }), "countIncludePad"],
    ["jacfwd", () => adjoint.jacfwd((t: Tensor) => t, { hasAux: true }), "hasAux"],
    ["transformHessian", () => adjoint.transformHessian((a: number) => a, { mode: "forward" } as never), "mode"],
    ["batches", () => nn.batches([tensor([1, 2])], { batchSize: 1, shuffle: "yes" as never }), "shuffle"],
    ["SGD", () => new optim.SGD([x()], { lr: 0.1, nesterov: 1 as never }), "nesterov"],
    ["newtonCG", () => optim.newtonCG(quadratic, [1, 2], { hessianVectorProduct: bowlHv }), "hessianVectorProduct"],
    ["Linear", () => new nn.Linear(2, 2, { rng: rng(0), bias: "no" as never }), "bias"],
    ["backward", () => square(x()).backward({ retainGraph: "yes" as never }), "retainGraph"],
    ["Tape", () => new Tape({ checkFinite: 1 as never }), "checkFinite"],
  ];
  it.each(refused)("%s refuses %s", (op, call, key) => {
    const e = (() => {
      try {
        call();
      } catch (error) {
        return error;
      }
    })();
    expect(e).toBeInstanceOf(AdError);
    expect((e as AdError).code).toBe("InvalidArgument");
    expect((e as AdError).details.op).toBe(op);
    expect(JSON.stringify((e as AdError).details)).toContain(key);
  });

  it("a Proxy whose traps throw: the user's error propagates", () => {
    const mine = new Error("mine");
    const trap = new Proxy(
      {},
      {
        ownKeys() {
          throw mine;
        },
      },
    );
    expect(() => adjoint.zeros([1], trap as never)).toThrow(mine);
  });
});

// ── The meta-check: every exported callable with an options parameter has a row ──────────────────

/** The parameter list of a function or class constructor as written (a class without one: its parent's). */
function parameters(fn: (...args: never[]) => unknown): string | undefined {
  const src = Function.prototype.toString.call(fn);
  const isClass = src.startsWith("class");
  const at = isClass ? src.search(/\bconstructor\s*\(/) : src.indexOf("(");
  if (isClass && at < 0) {
    const parent = Object.getPrototypeOf(fn) as (...args: never[]) => unknown;
    return parent === Function.prototype ? undefined : parameters(parent);
  }
  if (at < 0) return undefined;
  const open = src.indexOf("(", at);
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === "(") depth++;
    else if (src[i] === ")" && --depth === 0) return src.slice(open + 1, i);
  }
  return undefined;
}

const OPTIONS_PARAMETER = /(^|[\s,(])(options|opts)\s*(=|,|$)/;

function callables(): Map<unknown, string> {
  const found = new Map<unknown, string>();
  const consider = (value: unknown, name: string): void => {
    if (typeof value !== "function" || found.has(value)) return;
    const params = parameters(value as (...args: never[]) => unknown);
    if (params !== undefined && OPTIONS_PARAMETER.test(params)) found.set(value, name);
  };
  const modules = { adjoint, scalar, tensor: tensorModule, nn, optim, onnx, parallel, testing, transform };
  for (const [mod, exports] of Object.entries(modules)) {
    for (const [name, value] of Object.entries(exports)) {
      consider(value, `${mod}.${name}`);
      if (typeof value !== "function" || !Function.prototype.toString.call(value).startsWith("class")) continue;
      for (const key of Object.getOwnPropertyNames(value)) {
        const d = Object.getOwnPropertyDescriptor(value, key);
        if (typeof d?.value === "function") consider(d.value, `${mod}.${name}.${key}`);
      }
      for (const key of Object.getOwnPropertyNames(value.prototype ?? {})) {
        const d = Object.getOwnPropertyDescriptor(value.prototype, key);
        if (key !== "constructor" && typeof d?.value === "function") consider(d.value, `${mod}.${name}.prototype.${key}`);
      }
    }
  }
  return found;
}

describe("meta-check", () => {
  it("every exported callable with an options parameter has a row (or a stated exemption)", () => {
    const rows = new Set(ROWS.map((r) => r.fn));
    const found = callables();
    const missing = [...found].filter(([fn]) => !rows.has(fn) && !EXEMPT.has(fn)).map(([, name]) => name);
    expect(missing).toEqual([]);
    // The detector sees the rows it should: it would miss a whole class of callables otherwise.
    expect(found.size).toBeGreaterThan(40);
  });
});
