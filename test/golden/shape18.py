"""Golden values for issue 18's shape and indexing ops and the norm reduction from PyTorch
(float64), written to shape18.json beside this file.

Run once with a Python that has torch (Debian: apt-get install python3-torch), from the repository
root: /usr/bin/python3 test/golden/shape18.py. The test (test/tensor/shape18Golden.test.ts) reads
the JSON; torch is never a test dependency. Each case records its float inputs, its integer inputs
(indices, masks as 0/1), the parameters adjoint is called with, the value (ops with several outputs
are recorded as their flattened outputs joined), and the gradient of sum(w * f(...)) for a fixed
weight w with respect to each float input. Non-finite numbers are the strings "NaN", "Infinity",
"-Infinity".
"""
import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)


def encode(v):
    if isinstance(v, list):
        return [encode(e) for e in v]
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, dict):
        return {k: encode(e) for k, e in v.items()}
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def weight(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, generator=g) + 0.5


X = [[0.3, -1.2, 2.5, 0.7], [1.9, -0.4, -2.2, 1.1], [0.05, 3.3, -0.8, -1.7]]
X3 = [[[0.1 * (i * 12 + j * 4 + k) - 1.1 + 0.37 * ((i + 2 * j + 3 * k) % 5) for k in range(4)] for j in range(3)] for i in range(2)]
ZEROS = [[0.0, 2.0, -1.5, 0.0], [0.0, 0.0, 0.0, 0.0], [-0.5, 2.5, 1.2, 0.7]]
TIES = [[1.5, -1.5, 0.5, 1.5], [2.0, -2.0, 2.0, 1.0], [0.0, 0.0, 0.0, 0.0]]
V = [0.4, -1.3, 2.2]
U = [1.5, -0.5]
IDX_COLS = [[0, 1, 2, 0], [2, 0, 0, 1]]  # distinct per column: plain scatter is deterministic
IDX_DUP = [[0, 1, 1, 0], [0, 1, 2, 0]]  # repeats per column: the reductions combine
SRC = [[0.5, -2.0, 1.5, 3.0, 9.0], [2.5, 0.0, -1.0, 0.6, 9.0], [9.0, 9.0, 9.0, 9.0, 9.0]]
SRC_TIES = [[0.3, 3.3, 0.0, 0.7], [0.3, -0.4, -2.2, 2.0]]  # equal to x's slot or to each other
MASK = [[1, 0, 0, 1], [0, 0, 1, 0], [1, 1, 0, 0]]


def cut(src, index):
    """The part of src that scatter reads (index's shape): this torch's scatter backward refuses a larger src."""
    return src[tuple(slice(0, d) for d in index.shape)]


def flatten_all(ys):
    return torch.cat([y.reshape(-1) for y in ys])


# name -> (float inputs, int inputs, params for the adjoint call, torch function of (*floats, *ints))
CASES = {
    "flip_axis0": ([X], [], {"axes": 0}, lambda x: torch.flip(x, [0])),
    "flip_neg": ([X3], [], {"axes": [-1]}, lambda x: torch.flip(x, [-1])),
    "flip_all": ([X3], [], {"axes": [0, 2, 1]}, lambda x: torch.flip(x, [0, 2, 1])),
    "roll_axis1": ([X], [], {"shifts": 1, "axes": 1}, lambda x: torch.roll(x, 1, 1)),
    "roll_large_negative": ([X], [], {"shifts": -7, "axes": -1}, lambda x: torch.roll(x, -7, -1)),
    "roll_two_axes": ([X3], [], {"shifts": [1, 5], "axes": [0, 1]}, lambda x: torch.roll(x, (1, 5), (0, 1))),
    "roll_flat": ([X], [], {"shifts": 3}, lambda x: torch.roll(x, 3)),
    "repeat_same_rank": ([X], [], {"reps": [2, 1]}, lambda x: x.repeat(2, 1)),
    "repeat_new_axis": ([X], [], {"reps": [2, 1, 3]}, lambda x: x.repeat(2, 1, 3)),
    "tile_short_reps": ([X], [], {"reps": [2]}, lambda x: torch.tile(x, (2,))),
    "tile_vector": ([V], [], {"reps": [2, 3]}, lambda x: torch.tile(x, (2, 3))),
    "repeatInterleave_axis0": ([X], [], {"repeats": 2, "axis": 0}, lambda x: torch.repeat_interleave(x, 2, dim=0)),
    "repeatInterleave_counts": ([X], [], {"repeats": [1, 0, 3, 2], "axis": 1}, lambda x: torch.repeat_interleave(x, torch.tensor([1, 0, 3, 2]), dim=1)),
    "repeatInterleave_flat": ([X], [], {"repeats": 2}, lambda x: torch.repeat_interleave(x, 2)),
    "narrow_negative_start": ([X], [], {"axis": 1, "start": -3, "length": 2}, lambda x: torch.narrow(x, 1, 1, 2)),
    "movedim_one": ([X3], [], {"source": 0, "destination": -1}, lambda x: torch.movedim(x, 0, -1)),
    "movedim_list": ([X3], [], {"source": [0, 1], "destination": [2, 0]}, lambda x: torch.movedim(x, (0, 1), (2, 0))),
    "moveaxis_one": ([X3], [], {"source": 2, "destination": 0}, lambda x: torch.moveaxis(x, 2, 0)),
    "chunk_uneven": ([X], [], {"chunks": 3, "axis": 1}, lambda x: flatten_all(torch.chunk(x, 3, 1))),
    "unbind_axis1": ([X3], [], {"axis": 1}, lambda x: flatten_all(torch.unbind(x, 1))),
    "maskedFill_number": ([X], [MASK], {"value": -2.5}, lambda x, m: x.masked_fill(m.bool(), -2.5)),
    "maskedFill_tensor": ([X, 1.25], [MASK], {}, lambda x, v, m: x.masked_fill(m.bool(), v)),
    "indexAdd_duplicates": ([X, SRC[:3]], [[0, 2, 0]], {"axis": 0}, lambda x, s, i: x.index_add(0, i, s[:, :4])),
    "indexAdd_alpha": ([X, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]], [[3, 3]], {"axis": 1, "alpha": -0.5}, lambda x, s, i: x.index_add(1, i, s, alpha=-0.5)),
    "takeAlongDim_axis1": ([X], [[[3, 0], [1, 1], [0, 2]]], {"axis": 1}, lambda x, i: torch.take_along_dim(x, i, 1)),
    "takeAlongDim_broadcast": ([X], [[[2, 0, 3]]], {"axis": 1}, lambda x, i: torch.take_along_dim(x, i, 1)),
    "takeAlongDim_flat": ([X], [[11, 0, 5, 5]], {}, lambda x, i: torch.take_along_dim(x, i)),
    "take_negative": ([X], [[[0, -1], [5, -12]]], {}, lambda x, i: torch.take(x, i)),
    "scatter_plain": ([X, SRC], [IDX_COLS], {"axis": 0}, lambda x, s, i: x.scatter(0, i, cut(s, i))),
    "scatter_sum": ([X, SRC], [IDX_DUP], {"axis": 0, "reduce": "sum"}, lambda x, s, i: x.scatter_reduce(0, i, cut(s, i), "sum")),
    "scatter_sum_noself": ([X, SRC], [IDX_DUP], {"axis": 0, "reduce": "sum", "includeSelf": False}, lambda x, s, i: x.scatter_reduce(0, i, cut(s, i), "sum", include_self=False)),
    "scatter_prod": ([X, SRC], [IDX_DUP], {"axis": 0, "reduce": "prod"}, lambda x, s, i: x.scatter_reduce(0, i, cut(s, i), "prod")),
    "scatter_prod_noself": ([X, SRC], [IDX_DUP], {"axis": 0, "reduce": "prod", "includeSelf": False}, lambda x, s, i: x.scatter_reduce(0, i, cut(s, i), "prod", include_self=False)),
    "scatter_mean": ([X, SRC], [IDX_DUP], {"axis": 0, "reduce": "mean"}, lambda x, s, i: x.scatter_reduce(0, i, cut(s, i), "mean")),
    "scatter_mean_noself": ([X, SRC], [IDX_DUP], {"axis": 0, "reduce": "mean", "includeSelf": False}, lambda x, s, i: x.scatter_reduce(0, i, cut(s, i), "mean", include_self=False)),
    "scatter_amax": ([X, SRC], [IDX_DUP], {"axis": 0, "reduce": "amax"}, lambda x, s, i: x.scatter_reduce(0, i, cut(s, i), "amax")),
    "scatter_amax_ties": ([X, SRC_TIES], [IDX_DUP], {"axis": 0, "reduce": "amax"}, lambda x, s, i: x.scatter_reduce(0, i, cut(s, i), "amax")),
    "scatter_amin_ties": ([X, SRC_TIES], [IDX_DUP], {"axis": 0, "reduce": "amin"}, lambda x, s, i: x.scatter_reduce(0, i, cut(s, i), "amin")),
    "scatter_amin_noself": ([X, SRC], [IDX_DUP], {"axis": 0, "reduce": "amin", "includeSelf": False}, lambda x, s, i: x.scatter_reduce(0, i, cut(s, i), "amin", include_self=False)),
    "scatter_axis1": ([X, SRC], [[[3, 3], [0, 1], [2, 2]]], {"axis": 1, "reduce": "amax"}, lambda x, s, i: x.scatter_reduce(1, i, cut(s, i), "amax")),
    "meshgrid_ij": ([V, U], [], {"indexing": "ij"}, lambda a, b: flatten_all(torch.meshgrid(a, b, indexing="ij"))),
    "meshgrid_xy": ([V, U], [], {"indexing": "xy"}, lambda a, b: flatten_all(torch.meshgrid(a, b, indexing="xy"))),
    "tril_below": ([X], [], {"k": -1}, lambda x: torch.tril(x, -1)),
    "triu_above": ([X3], [], {"k": 1}, lambda x: torch.triu(x, 1)),
    "diagonal_offset_axes": ([X3], [], {"k": 1, "axis1": 0, "axis2": 2}, lambda x: torch.diagonal(x, 1, 0, 2)),
    "diagonal_below": ([X], [], {"k": -1}, lambda x: torch.diagonal(x, -1)),
    "diag_vector": ([V], [], {"k": 1}, lambda x: torch.diag(x, 1)),
    "diag_matrix": ([X], [], {"k": 2}, lambda x: torch.diag(x, 2)),
    "diagEmbed_batch": ([X], [], {"k": -1}, lambda x: torch.diag_embed(x, -1)),
    # index: a spec {"tensor": k} is the k-th int input ({"mask": k} the same as a bool mask); [start] a
# range from start; None the whole axis.
    "index_one_tensor": ([X3], [[2, 0, 2]], {"specs": [None, {"tensor": 0}]}, lambda x, i: x[:, i]),
    "index_two_adjacent": ([X3], [[0, 2, 0], [1, 3, 1]], {"specs": [None, {"tensor": 0}, {"tensor": 1}]}, lambda x, i, j: x[:, i, j]),
    "index_two_apart": ([X3], [[0, 1], [[3], [-1]]], {"specs": [{"tensor": 0}, None, {"tensor": 1}]}, lambda x, i, j: x[i, :, j]),
    "index_with_int_and_range": ([X3], [[[0], [2]]], {"specs": [1, [1], {"tensor": 0}]}, lambda x, i: x[1, 1:, i]),
    "norm_default": ([X], [], {}, lambda x: torch.linalg.vector_norm(x)),
    "norm_p3_axis1": ([X], [], {"ord": 3, "axis": 1}, lambda x: torch.linalg.vector_norm(x, 3, dim=1)),
    "norm_half_zeros": ([ZEROS], [], {"ord": 0.5, "axis": -1}, lambda x: torch.linalg.vector_norm(x, 0.5, dim=-1)),
    "norm_2_zero_row": ([ZEROS], [], {"axis": 1, "keepDims": True}, lambda x: torch.linalg.vector_norm(x, dim=1, keepdim=True)),
    "norm_p3_zero_row": ([ZEROS], [], {"ord": 3, "axis": 1}, lambda x: torch.linalg.vector_norm(x, 3, dim=1)),
    "norm_1_zeros": ([ZEROS], [], {"ord": 1, "axis": 0}, lambda x: torch.linalg.vector_norm(x, 1, dim=0)),
    "norm_inf_ties": ([TIES], [], {"ord": math.inf, "axis": 1}, lambda x: torch.linalg.vector_norm(x, math.inf, dim=1)),
    "norm_neginf": ([X], [], {"ord": -math.inf, "axis": [0, 1]}, lambda x: torch.linalg.vector_norm(x, -math.inf, dim=(0, 1))),
    "norm_0": ([ZEROS], [], {"ord": 0, "axis": 1}, lambda x: torch.linalg.vector_norm(x, 0, dim=1)),
    "norm_neg2": ([X], [], {"ord": -2, "axis": 0}, lambda x: torch.linalg.vector_norm(x, -2, dim=0)),
    # x[mask]: a spec {"mask": k} is the k-th int input as a bool mask (nonzero is true).
    "index_bool_leading": ([X3], [[[1, 0, 1], [0, 1, 1]]], {"specs": [{"mask": 0}]}, lambda x, m: x[m.bool()]),
    "index_bool_trailing": ([X3], [[1, 0, 0, 1]], {"specs": [None, None, {"mask": 0}]}, lambda x, m: x[:, :, m.bool()]),
    "index_bool_middle": ([X3], [[0, 1, 1]], {"specs": [None, {"mask": 0}]}, lambda x, m: x[:, m.bool()]),
}


def case(floats, ints, params, f, seed):
    xs = [torch.tensor(v, requires_grad=True) for v in floats]
    js = [torch.tensor(v, dtype=torch.int64) for v in ints]
    y = f(*xs, *js)
    w = weight(y.numel(), seed).reshape(y.shape)
    (w * y).sum().backward()
    return {
        "floats": [{"values": encode(torch.tensor(v).reshape(-1).tolist()), "shape": list(torch.tensor(v).shape)} for v in floats],
        "ints": [{"values": torch.tensor(v).reshape(-1).tolist(), "shape": list(torch.tensor(v).shape)} for v in ints],
        "params": {k: encode(v) for k, v in params.items()},
        "value": encode(y.detach().reshape(-1).tolist()),
        "valueShape": list(y.shape),
        "weight": w.reshape(-1).tolist(),
        "grads": [encode(x.grad.reshape(-1).tolist()) if x.grad is not None else [0.0] * x.numel() for x in xs],
    }


def shapes(ys):
    return [list(y.shape) for y in ys]


E = torch.empty
EDGES = {
    "chunk_shapes": shapes(torch.chunk(E(6, 5), 4, 0)) + shapes(torch.chunk(E(5, 2), 3, 0)),
    "chunk_empty": shapes(torch.chunk(E(0, 2), 3, 0)),
    "unbind_empty": shapes(torch.unbind(E(0, 3), 0)) + shapes(torch.unbind(E(2, 0), 0)),
    "flip_empty": list(torch.flip(E(0, 3), [0, 1]).shape),
    "roll_empty": list(torch.roll(E(0, 3), 5, 0).shape),
    "repeat_zero": list(E(2, 3).repeat(0, 2).shape),
    "tile_empty": list(torch.tile(E(0, 3), (2, 2)).shape),
    "repeatInterleave_zero": list(torch.repeat_interleave(E(2, 3), 0, dim=1).shape),
    "norm_empty": torch.linalg.vector_norm(E(0, 3), dim=0).tolist(),
    "diagonal_none": list(torch.diagonal(E(2, 3), 5).shape),
    "meshgrid_three_xy": shapes(torch.meshgrid(E(2), E(3), E(4), indexing="xy")),
}

out = {
    "cases": {name: case(fl, it, pa, f, seed) for seed, (name, (fl, it, pa, f)) in enumerate(CASES.items())},
    "edges": EDGES,
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "shape18.json"), "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
