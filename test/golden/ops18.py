"""Golden values for issue 18's elementwise functions and activations from PyTorch (float64),
written to ops18.json beside this file.

Run once with a Python that has torch (Debian: apt-get install python3-torch), from the repository
root: /usr/bin/python3 test/golden/ops18.py. The test (test/tensor/ops18Golden.test.ts) reads the
JSON; torch is never a test dependency. Each case records the inputs, the value, and the gradient of
sum(w * f(inputs)) with respect to each input for a fixed weight w of the output's shape; the edge
cases (±0, ±inf, NaN, domain edges) record values only. Non-finite numbers and -0 are written as the
strings "NaN", "Infinity", "-Infinity" and "-0" (JSON has no literal for them).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

X = [-2.5, -1.3, -0.7, -0.2, 0.3, 0.9, 1.6, 2.2]
POSITIVE = [0.05, 0.3, 0.9, 1.0, 2.5, 10.0, 1000.0, 1e-5]
UNIT = [-0.95, -0.6, -0.1, 0.0, 0.2, 0.55, 0.9, 0.99]
ABOVE_ONE = [1.05, 1.5, 2.0, 3.7, 10.0, 100.0, 1.2, 1.0001]
ABOVE_MINUS_ONE = [-0.99, -0.5, -1e-8, 0.0, 1e-8, 0.7, 3.0, 50.0]
TIES = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.3, 0.7, 3.49, -3.51]
EDGES = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-300, -1e-300, 1.0, -1.0, 0.5, -0.5, 2.0]


def weight(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g) * 2 - 1


def encode(v):
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0 and math.copysign(1.0, v) < 0:
        return "-0"
    return v


def case(f, inputs, seed, grads=True):
    leaves = [torch.tensor(x).requires_grad_(grads) for x in inputs]
    out = f(*leaves)
    entry = {"inputs": [encode(x) for x in inputs], "shapes": [list(torch.tensor(x).shape) for x in inputs], "value": encode(out.detach().tolist())}
    if grads:
        w = weight(out.shape, seed)
        (out * w).sum().backward()
        entry["weight"] = encode(w.tolist())
        entry["grads"] = [encode(x.grad.tolist()) if x.grad is not None else encode(torch.zeros_like(x).tolist()) for x in leaves]
    return entry


UNARY = {
    "cbrt": (lambda x: torch.sign(x) * torch.abs(x).pow(1.0 / 3.0), X),
    "expm1": (torch.expm1, X),
    "log1p": (torch.log1p, ABOVE_MINUS_ONE),
    "log2": (torch.log2, POSITIVE),
    "log10": (torch.log10, POSITIVE),
    "tan": (torch.tan, [-1.4, -1.0, -0.3, 0.0, 0.4, 0.8, 1.2, 1.5]),
    "asin": (torch.asin, UNIT),
    "acos": (torch.acos, UNIT),
    "atan": (torch.atan, X),
    "sinh": (torch.sinh, X),
    "cosh": (torch.cosh, X),
    "asinh": (torch.asinh, X),
    "acosh": (torch.acosh, ABOVE_ONE),
    "atanh": (torch.atanh, UNIT),
    "floor": (torch.floor, TIES),
    "ceil": (torch.ceil, TIES),
    "round": (torch.round, TIES),
    "trunc": (torch.trunc, TIES),
    "square": (torch.square, X),
    "reciprocal": (torch.reciprocal, X),
    "silu": (F.silu, X),
    "mish": (F.mish, X + [30.0, -30.0]),
    "softsign": (F.softsign, X),
    "selu": (F.selu, X),
    "logsigmoid": (F.logsigmoid, X + [-800.0, 800.0, 40.0, -40.0]),
    "hardswish": (F.hardswish, X + [-3.0, 3.0, -4.0, 4.0, 0.0]),
    "hardsigmoid": (F.hardsigmoid, X + [-3.0, 3.0, -4.0, 4.0]),
    "relu6": (F.relu6, X + [0.0, 6.0, 7.0, 5.9]),
}

# Options passed as the test passes them: (torch function, adjoint options, inputs).
WITH_OPTIONS = {
    "leakyRelu": (lambda x: F.leaky_relu(x, 0.1), [0.1], X + [0.0]),
    "elu": (lambda x: F.elu(x, 1.3), [1.3], X + [0.0, 800.0]),
    "celu": (lambda x: F.celu(x, 0.7), [0.7], X + [0.0, 800.0]),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 1.2), [-0.5, 1.2], X + [-0.5, 1.2]),
}

A = [-2.5, -1.3, -0.7, -0.2, 0.3, 0.9, 1.6, 2.2]
B = [1.5, -0.7, 2.0, -2.5, 0.4, 1.1, -1.1, 3.0]
BINARY = {
    "atan2": (torch.atan2, A, B),
    "hypot": (torch.hypot, A, B),
    "logaddexp": (torch.logaddexp, A + [800.0, -800.0], B + [799.0, -800.0]),
    "fmod": (torch.fmod, A, B),
    "remainder": (torch.remainder, A, B),
}

cases = {}
seed = 1
for name, (f, xs) in UNARY.items():
    cases[name] = case(f, [xs], seed)
    seed += 1
for name, (f, options, xs) in WITH_OPTIONS.items():
    cases[name] = dict(case(f, [xs], seed), options=options)
    seed += 1
for name, (f, a, b) in BINARY.items():
    cases[name] = case(f, [a, b], seed)
    seed += 1
cases["lerp"] = case(torch.lerp, [A, B, [0.0, 0.25, 0.5, 0.75, 1.0, -0.3, 1.4, 0.49]], seed)
cases["prelu"] = case(F.prelu, [[[[-1.0, 2.0], [0.5, -0.25], [-3.0, 0.0]], [[1.0, -2.0], [-0.5, 0.25], [3.0, -0.1]]], [0.25, -0.5, 1.5]], seed + 1)
cases["glu"] = case(lambda x: F.glu(x, -1), [[[-1.0, 2.0, 0.5, -0.25], [3.0, 0.0, -0.7, 1.2]]], seed + 2)

# Edge values, forward only: every unary function above on ±0, ±inf, NaN and the like.
edges = {}
for name, (f, _) in UNARY.items():
    if name == "cbrt":
        continue
    edges[name] = encode(f(torch.tensor(EDGES)).tolist())
for name, (f, _, _) in WITH_OPTIONS.items():
    edges[name] = encode(f(torch.tensor(EDGES)).tolist())
E2 = [0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, 2.5, -2.5]
for name, (f, _, _) in BINARY.items():
    edges[name] = {"a": encode([a for a in E2 for _ in E2]), "b": encode([b for _ in E2 for b in E2]), "value": encode(f(torch.tensor([a for a in E2 for _ in E2]), torch.tensor([b for _ in E2 for b in E2])).tolist())}
edges["isnan"] = encode(torch.isnan(torch.tensor(EDGES)).tolist())
edges["isinf"] = encode(torch.isinf(torch.tensor(EDGES)).tolist())
edges["isfinite"] = encode(torch.isfinite(torch.tensor(EDGES)).tolist())
L = torch.tensor([0.0, -0.0, 2.0, math.nan, 0.0, 1.0])
R = torch.tensor([0.0, 3.0, 0.0, 0.0, math.nan, -1.0])
edges["logical"] = {
    "a": encode(L.tolist()),
    "b": encode(R.tolist()),
    "logicalAnd": encode(torch.logical_and(L, R).tolist()),
    "logicalOr": encode(torch.logical_or(L, R).tolist()),
    "logicalXor": encode(torch.logical_xor(L, R).tolist()),
    "logicalNot": encode(torch.logical_not(L).tolist()),
}

out = {"torch": torch.__version__, "edgeInputs": encode(EDGES), "cases": cases, "edges": edges}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops18.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
print("wrote", path)
