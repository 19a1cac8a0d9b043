"""Golden values for issue 18's composed reductions from PyTorch (float64), written to
reductions18.json beside this file.

Run once with a Python that has torch (Debian: apt-get install python3-torch), from the repository
root: /usr/bin/python3 test/golden/reductions18.py. The test (test/tensor/reductions18.test.ts)
reads the JSON; torch is never a test dependency. Each case records the input, the value, and the
gradient of sum(w * f(x)) for a fixed weight w of the output's shape; edge cases record values only.
Non-finite numbers are written as the strings "NaN", "Infinity" and "-Infinity".
"""
import math

import torch

from common import encode, weight, write_json

torch.set_default_dtype(torch.float64)


X = [[0.3, -1.2, 2.5, 0.7], [1.9, -0.4, -2.2, 1.1], [0.05, 3.3, -0.8, -1.7]]
ZEROS = [[0.0, 2.0, -1.5, 0.0], [1.5, 0.0, 3.0, -2.0], [-0.5, 2.5, 1.2, 0.7]]
LARGE = [[1000.0, 999.0, -1000.0, 1001.5], [-3.0, -700.0, 2.0, 0.5], [0.0, 0.1, 0.2, 0.3]]
NANS = [[0.3, math.nan, 2.5, 0.7], [1.9, -0.4, math.nan, 1.1], [math.nan, math.nan, math.nan, -1.7]]

# name -> (input, options for the test, torch function)
CASES = {
    "variance": (X, {}, lambda x: torch.var(x)),
    "variance_axis1": (X, {"axis": 1}, lambda x: torch.var(x, dim=1)),
    "variance_axis0_c0_keep": (X, {"axis": 0, "correction": 0, "keepDims": True}, lambda x: torch.var(x, dim=0, correction=0, keepdim=True)),
    "variance_axes_c2": (X, {"axis": [0, 1], "correction": 2}, lambda x: torch.var(x, dim=(0, 1), correction=2)),
    "std": (X, {}, lambda x: torch.std(x)),
    "std_axis1_c0": (X, {"axis": 1, "correction": 0}, lambda x: torch.std(x, dim=1, correction=0)),
    "std_axis_neg1_keep": (X, {"axis": -1, "keepDims": True}, lambda x: torch.std(x, dim=-1, keepdim=True)),
    "cumprod_axis1": (ZEROS, {"axis": 1}, lambda x: torch.cumprod(x, 1)),
    "cumprod_axis0": (ZEROS, {"axis": 0}, lambda x: torch.cumprod(x, 0)),
    "cumprod_plain": (X, {"axis": 1}, lambda x: torch.cumprod(x, 1)),
    "cummax_axis1": (X, {"axis": 1}, lambda x: torch.cummax(x, 1).values),
    "cummax_axis0": (X, {"axis": 0}, lambda x: torch.cummax(x, 0).values),
    "cummin_axis1": (X, {"axis": 1}, lambda x: torch.cummin(x, 1).values),
    "cummin_axis0": (X, {"axis": 0}, lambda x: torch.cummin(x, 0).values),
    "logcumsumexp_axis1": (LARGE, {"axis": 1}, lambda x: torch.logcumsumexp(x, 1)),
    "logcumsumexp_axis0": (X, {"axis": 0}, lambda x: torch.logcumsumexp(x, 0)),
    "nansum": (NANS, {}, lambda x: torch.nansum(x)),
    "nansum_axis1_keep": (NANS, {"axis": 1, "keepDims": True}, lambda x: torch.nansum(x, dim=1, keepdim=True)),
    "nanmean_axis0": (NANS, {"axis": 0}, lambda x: torch.nanmean(x, dim=0)),
    "nanmean_axis1": (NANS, {"axis": 1}, lambda x: torch.nanmean(x, dim=1)),
}


def case(inp, options, f, seed):
    x = torch.tensor(inp, requires_grad=True)
    y = f(x)
    w = weight(y.shape, seed)
    (w * y).sum().backward()
    return {
        "input": encode(inp),
        "shape": list(x.shape),
        "options": options,
        "value": encode(y.detach().reshape(-1).tolist()),
        "valueShape": list(y.shape),
        "weight": w.reshape(-1).tolist(),
        "grad": encode(x.grad.reshape(-1).tolist()),
    }


def values(f, inp, shape):
    y = f(torch.tensor(inp).reshape(shape))
    return {"value": encode(y.reshape(-1).tolist()), "valueShape": list(y.shape)}


T = torch.tensor
EDGES = {
    # PyTorch: one element with correction 1 divides 0 by 0 (NaN, with a warning).
    "variance_single": values(lambda x: torch.var(x), [2.0], [1]),
    "std_single": values(lambda x: torch.std(x), [2.0], [1]),
    "variance_single_c0": values(lambda x: torch.var(x, dim=None, correction=0), [2.0], [1]),
    "variance_empty": values(lambda x: torch.var(x, dim=1), [], [2, 0]),
    "nanmean_allnan": values(lambda x: torch.nanmean(x, dim=1), [math.nan, math.nan, 1.0, math.nan], [2, 2]),
    "nansum_empty": values(lambda x: torch.nansum(x), [], [0]),
    "any_rows": values(lambda x: torch.any(x, dim=1), [0.0, 0.0, 0.0, math.nan, 0.0, -1.0], [3, 2]),
    "all_rows": values(lambda x: torch.all(x, dim=1), [0.0, 1.0, 2.0, math.nan, 0.0, 0.0], [3, 2]),
    "any_empty": values(lambda x: torch.any(x, dim=1), [], [2, 0]),
    "all_empty": values(lambda x: torch.all(x, dim=1), [], [2, 0]),
    "logcumsumexp_neginf": values(lambda x: torch.logcumsumexp(x, 0), [-math.inf, -math.inf, 0.0, math.inf], [4]),
    "cumprod_empty": values(lambda x: torch.cumprod(x, 1), [], [2, 0]),
}

out = {
    "cases": {name: case(inp, options, f, seed) for seed, (name, (inp, options, f)) in enumerate(CASES.items())},
    "edges": EDGES,
}
write_json("reductions18.json", out, indent=1)
