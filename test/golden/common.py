"""What the golden scripts beside this file share: numbers encoded as JSON holds them, the fixed
weights w of the sum(w * f(x)) whose gradients they record, and writing the JSON next to them.
Scripts import it as `common` (run from the repository root, Python puts their folder on the path).
"""
import json
import math
import os

import torch


def encode(v):
    """A number or nested list with bools as 0/1 and NaN, ±∞ as "NaN", "Infinity", "-Infinity"."""
    if isinstance(v, list):
        return [encode(e) for e in v]
    if isinstance(v, bool):
        return 1 if v else 0
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def weight(shape, seed):
    """Uniform in [0.5, 1.5): no zero weight hides a wrong gradient."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g) + 0.5


def write_json(name, data, **dump_options):
    """test/golden/<name>, with a final newline."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), "w") as fh:
        json.dump(data, fh, **dump_options)
        fh.write("\n")
