"""Golden values for eigh of matrices the wasm backend decomposes by Householder tridiagonalisation
and implicit QL (n >= 32, src/backends/wasm/eigh.ts), from PyTorch (float64), written to
eighTridiagonal.json beside this file.

Run once with a Python that has torch (Debian: apt-get install python3-torch), from the repository
root: /usr/bin/python3 test/golden/eighTridiagonal.py. The test (test/linalg/eighTridiagonal.test.ts)
reads the JSON; torch is never a test dependency. The inputs are a formula both sides evaluate
exactly (integers mod 1009 over 1009, symmetric in i and j, so no input is written); the JSON holds,
per case, the eigenvalues, three eigenvectors and the row sums of V (every entry enters one), each
eigenvector signed as adjoint signs it (its entry of largest magnitude positive).
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)


def matrix(n):
    # a[i][j] = ((37 (i + j) + 11 i j) mod 1009) / 1009 - 1/2, symmetric, in float64, as the test builds it.
    i = torch.arange(n).reshape(n, 1)
    j = torch.arange(n).reshape(1, n)
    return ((37 * (i + j) + 11 * i * j) % 1009).to(torch.float64) / 1009 - 0.5


def case(n):
    w, v = torch.linalg.eigh(matrix(n))
    big = v.abs().argmax(0)
    v = v * torch.sign(v[big, torch.arange(n)])
    columns = [0, n // 2, n - 1]
    return {
        "n": n,
        "eigenvalues": w.tolist(),
        "columns": columns,
        "vColumns": [v[:, c].tolist() for c in columns],
        "vRowSums": v.sum(1).tolist(),
    }


cases = {"n = 40": case(40), "n = 130": case(130), "n = 257": case(257)}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eighTridiagonal.json")
with open(path, "w") as f:
    json.dump({"generator": f"torch {torch.__version__}, test/golden/eighTridiagonal.py", "cases": cases}, f, indent=1)
