"""Golden values for the blocked Householder QR (matrices of two panels and more, n >= 128, which the
wasm backend factors by compact-WY blocks) from PyTorch (float64), written to qrBlocked.json beside
this file.

Run once with a Python that has torch (Debian: apt-get install python3-torch), from the repository
root: /usr/bin/python3 test/golden/qrBlocked.py. The test (test/linalg/qrBlocked.test.ts) reads the
JSON; torch is never a test dependency. The inputs are a formula both sides evaluate exactly
(integers mod 1009 over 1009, so no input is written); the JSON holds, per case, R's diagonal, the
columns of Q at panel edges, and Q's row sums (every entry of Q enters one), not all of Q.
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)


def matrix(m, n):
    # a[i][j] = ((37 i + 91 j + 11 i j) mod 1009) / 1009 - 1/2, plus 4 on the diagonal (full rank,
    # well conditioned), in float64, as the test builds it.
    i = torch.arange(m).reshape(m, 1)
    j = torch.arange(n).reshape(1, n)
    return ((37 * i + 91 * j + 11 * i * j) % 1009).to(torch.float64) / 1009 - 0.5 + 4 * (i == j).to(torch.float64)


COLUMNS = [0, 63, 64, 127, 128]


def case(m, n, mode):
    q, r = torch.linalg.qr(matrix(m, n), mode=mode)
    columns = [c for c in COLUMNS if c < q.shape[1]]
    return {
        "m": m,
        "n": n,
        "mode": mode,
        "rDiagonal": torch.diagonal(r).tolist(),
        "columns": columns,
        "qColumns": [q[:, c].tolist() for c in columns],
        "qRowSums": q.sum(1).tolist(),
    }


cases = {
    "tall 200x150": case(200, 150, "reduced"),
    "square 130x130": case(130, 130, "reduced"),
    "wide 140x260": case(140, 260, "reduced"),
    "tall 160x130, complete": case(160, 130, "complete"),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qrBlocked.json")
with open(path, "w") as f:
    json.dump({"generator": f"torch {torch.__version__}, test/golden/qrBlocked.py", "cases": cases}, f, indent=1)
