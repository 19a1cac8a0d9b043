"""Golden values for issue 18's sorting-based and data-dependent ops from PyTorch (float64), written
to sort18.json beside this file.

Run once with a Python that has torch (Debian: apt-get install python3-torch), from the repository
root: /usr/bin/python3 test/golden/sort18.py. The test (test/tensor/sort18Golden.test.ts) reads the
JSON; torch is never a test dependency. Each case records the op as adjoint spells it, its input(s)
and options, every output (values, int indices, inverse, counts …) and, where the op has a float
output with a gradient, the gradient of sum(w * values) for a fixed weight w of that output's shape.
Ties, NaN and empty tensors are covered where PyTorch documents the convention (topk's order among
ties is unspecified, so its cases have none). Non-finite numbers are written as "NaN", "Infinity"
and "-Infinity".
"""
import math

import torch

from common import encode, weight, write_json

torch.set_default_dtype(torch.float64)
NAN = math.nan
INF = math.inf


X = [[0.3, -1.2, 2.5, 0.7, 1.4], [1.9, -0.4, -2.2, 1.1, 0.6], [0.05, 3.3, -0.8, -1.7, 2.2]]
TIES = [[2.0, 1.0, 2.0, 0.5, 1.0], [3.0, 3.0, -1.0, 3.0, 0.0], [0.0, -0.0, 1.0, 0.0, 1.0]]
NANS = [[0.3, NAN, 2.5, NAN, -INF], [1.9, -0.4, NAN, INF, 0.6], [0.05, 3.3, -0.8, -1.7, 2.2]]
EVEN = [[4.0, 1.0, 3.0, 2.0], [0.5, 0.5, -2.0, 7.0]]
SEQ = [-2.0, -1.0, 0.0, 0.0, 1.5, 3.0]
PROBES = [[-3.0, 0.0, 1.5, 10.0], [-1.0, 0.5, 3.0, NAN]]
ROWS = [[1.0, 2.0, 2.0, 4.0], [-1.0, 0.0, 5.0, 5.0]]
ROW_PROBES = [[2.0, 0.0, 5.0], [5.0, -2.0, 0.0]]
UNIQ = [[3.0, 1.0, 2.0], [3.0, -1.0, 1.0], [2.0, 2.0, 0.5]]
UNIQ_ROWS = [[1.0, 2.0, 1.0, 2.0], [0.0, -1.0, 0.0, 3.0], [1.0, 2.0, 1.0, 2.0], [-1.0, 5.0, -1.0, 5.0], [0.0, -1.0, 0.0, 3.0]]
MASK = [[True, False, True, False, True], [False, False, True, True, False], [True, True, False, False, False]]


def vi(r):
    return {"values": r.values, "indices": r.indices}


# name -> (op, input, options (with adjoint's names), extra (k, mask, values), torch function of x returning a dict of outputs)
CASES = {
    "sort_last": ("sort", X, {}, None, lambda x: vi(torch.sort(x, stable=True))),
    "sort_axis0_descending": ("sort", X, {"axis": 0, "descending": True}, None, lambda x: vi(torch.sort(x, dim=0, descending=True, stable=True))),
    "sort_ties": ("sort", TIES, {}, None, lambda x: vi(torch.sort(x, stable=True))),
    "sort_ties_descending": ("sort", TIES, {"descending": True}, None, lambda x: vi(torch.sort(x, descending=True, stable=True))),
    "sort_nan": ("sort", NANS, {}, None, lambda x: vi(torch.sort(x, stable=True))),
    "sort_nan_descending": ("sort", NANS, {"descending": True}, None, lambda x: vi(torch.sort(x, descending=True, stable=True))),
    "sort_nan_axis0": ("sort", NANS, {"axis": 0}, None, lambda x: vi(torch.sort(x, dim=0, stable=True))),
    "argsort_ties": ("argsort", TIES, {}, None, lambda x: {"indices": torch.argsort(x, stable=True)}),
    "argsort_nan_descending": ("argsort", NANS, {"descending": True}, None, lambda x: {"indices": torch.argsort(x, descending=True, stable=True)}),
    "topk_3": ("topk", X, {}, 3, lambda x: vi(torch.topk(x, 3))),
    "topk_2_smallest_axis0": ("topk", X, {"axis": 0, "largest": False}, 2, lambda x: vi(torch.topk(x, 2, 0, largest=False))),
    "topk_nan": ("topk", [[0.3, NAN, 2.5, -1.0, 1.0]], {}, 2, lambda x: vi(torch.topk(x, 2))),
    "topk_0": ("topk", X, {}, 0, lambda x: vi(torch.topk(x, 0))),
    "median_all_odd": ("median", X, {}, None, lambda x: {"values": torch.median(x)}),
    "median_all_even": ("median", EVEN, {}, None, lambda x: {"values": torch.median(x)}),
    "median_axis1": ("median", X, {"axis": 1}, None, lambda x: vi(torch.median(x, 1))),
    "median_axis1_even_keep": ("median", EVEN, {"axis": 1, "keepDims": True}, None, lambda x: vi(torch.median(x, 1, keepdim=True))),
    "median_axis0_even": ("median", EVEN, {"axis": 0}, None, lambda x: vi(torch.median(x, 0))),
    "median_ties": ("median", TIES, {"axis": 1}, None, lambda x: vi(torch.median(x, 1))),
    "median_nan": ("median", NANS, {"axis": 1}, None, lambda x: vi(torch.median(x, 1))),
    "median_nan_all": ("median", NANS, {}, None, lambda x: {"values": torch.median(x)}),
    "cummax_axis1": ("cummax", X, {"axis": 1}, None, lambda x: vi(torch.cummax(x, 1))),
    "cummax_ties": ("cummax", TIES, {"axis": 1}, None, lambda x: vi(torch.cummax(x, 1))),
    "cummax_nan": ("cummax", NANS, {"axis": 1}, None, lambda x: vi(torch.cummax(x, 1))),
    "cummin_axis0": ("cummin", X, {"axis": 0}, None, lambda x: vi(torch.cummin(x, 0))),
    "cummin_ties": ("cummin", TIES, {"axis": 1}, None, lambda x: vi(torch.cummin(x, 1))),
    "cummin_nan": ("cummin", NANS, {"axis": 1}, None, lambda x: vi(torch.cummin(x, 1))),
    "searchsorted_left": ("searchsorted", SEQ, {}, PROBES, lambda x: {"indices": torch.searchsorted(x, torch.tensor(PROBES))}),
    "searchsorted_right": ("searchsorted", SEQ, {"right": True}, PROBES, lambda x: {"indices": torch.searchsorted(x, torch.tensor(PROBES), right=True)}),
    "searchsorted_rows": ("searchsorted", ROWS, {}, ROW_PROBES, lambda x: {"indices": torch.searchsorted(x, torch.tensor(ROW_PROBES))}),
    "searchsorted_rows_right": ("searchsorted", ROWS, {"right": True}, ROW_PROBES, lambda x: {"indices": torch.searchsorted(x, torch.tensor(ROW_PROBES), right=True)}),
    "unique": ("unique", UNIQ, {"returnInverse": True, "returnCounts": True}, None, lambda x: dict(zip(["values", "inverse", "counts"], torch.unique(x, return_inverse=True, return_counts=True)))),
    "unique_axis0": ("unique", UNIQ_ROWS, {"axis": 0, "returnInverse": True, "returnCounts": True}, None, lambda x: dict(zip(["values", "inverse", "counts"], torch.unique(x, dim=0, return_inverse=True, return_counts=True)))),
    "unique_axis1": ("unique", UNIQ_ROWS, {"axis": 1, "returnInverse": True}, None, lambda x: dict(zip(["values", "inverse"], torch.unique(x, dim=1, return_inverse=True)))),
    "nonzero": ("nonzero", TIES, {}, None, lambda x: {"indices": torch.nonzero(x)}),
    "argwhere": ("argwhere", NANS, {}, None, lambda x: {"indices": torch.argwhere(x)}),
    "maskedSelect": ("maskedSelect", X, {}, MASK, lambda x: {"values": torch.masked_select(x, torch.tensor(MASK))}),
    "maskedSelect_broadcast": ("maskedSelect", X, {}, [True, False, False, True, True], lambda x: {"values": torch.masked_select(x, torch.tensor([True, False, False, True, True]))}),
}

EMPTY = {
    "sort_empty": ("sort", [2, 0], {}, None, lambda x: vi(torch.sort(x, stable=True))),
    "sort_empty_axis0": ("sort", [0, 3], {"axis": 0}, None, lambda x: vi(torch.sort(x, dim=0, stable=True))),
    "topk_empty": ("topk", [2, 0], {}, 0, lambda x: vi(torch.topk(x, 0))),
    "cummax_empty": ("cummax", [0, 2], {"axis": 0}, None, lambda x: vi(torch.cummax(x, 0))),
    "unique_empty": ("unique", [0], {"returnCounts": True}, None, lambda x: dict(zip(["values", "counts"], torch.unique(x, return_counts=True)))),
    "nonzero_empty": ("nonzero", [0, 3], {}, None, lambda x: {"indices": torch.nonzero(x)}),
    "maskedSelect_empty": ("maskedSelect", [2, 0], {}, [], lambda x: {"values": torch.masked_select(x, torch.zeros((2, 0), dtype=torch.bool))}),
}


def output(t):
    return {"data": encode(t.detach().reshape(-1).tolist()), "shape": list(t.shape), "int": not t.is_floating_point()}


def record(op, x, options, extra, f, seed):
    outs = f(x)
    case = {"op": op, "input": encode(x.detach().reshape(-1).tolist()), "shape": list(x.shape), "options": options, "extra": encode(extra) if isinstance(extra, list) else extra}
    case["outputs"] = {k: output(v) for k, v in outs.items()}
    values = outs.get("values")
    if values is not None and values.is_floating_point() and values.requires_grad:
        w = weight(values.shape, seed)
        (w * values).sum().backward()
        case["weight"] = w.reshape(-1).tolist()
        case["grad"] = encode(x.grad.reshape(-1).tolist())
    return case


def main():
    cases = {}
    for seed, (name, (op, inp, options, extra, f)) in enumerate(CASES.items()):
        differentiable = op not in ("searchsorted", "unique", "nonzero", "argwhere", "argsort")
        x = torch.tensor(inp, requires_grad=differentiable)
        cases[name] = record(op, x, options, extra, f, seed)
    for seed, (name, (op, shape, options, extra, f)) in enumerate(EMPTY.items()):
        x = torch.zeros(shape, requires_grad=op in ("sort", "topk", "cummax", "maskedSelect"))
        cases[name] = record(op, x, options, extra, f, 100 + seed)
    write_json("sort18.json", {"torch": torch.__version__, "cases": cases}, indent=None, separators=(",", ":"))


if __name__ == "__main__":
    main()
