"""Exact eigenvalues of graded symmetric matrices (A = D·H·D, H well conditioned, D spanning 1 to
1e-12), written to eighGraded.json beside this file, to hold eigh to the relative accuracy of its
small eigenvalues that docs/linalg.md promises, and LAPACK's syevd (Householder tridiagonalisation,
PyTorch's eigvalsh) beside it for the record. The same at n = 40 ("n40", its own seed), where the
wasm backend runs tridiagonalisation + QL/QR (src/backends/wasm/eigh.ts, held to the grading it
keeps by test/linalg/eighTridiagonal.test.ts).

Run once with a Python that has torch and mpmath (Debian: apt-get install python3-torch
python3-mpmath), from the repository root: /usr/bin/python3 test/golden/eighGraded.py. The test
(test/linalg/eighGraded.test.ts) reads the JSON; neither is a test dependency. The exact eigenvalues
are mpmath's at 60 digits, rounded to float64.
"""
import json
import os

import mpmath
import torch

torch.set_default_dtype(torch.float64)
mpmath.mp.dps = 60



def graded(n, seed):
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=g))
    h = q @ torch.diag(torch.linspace(0.5, 2, n)) @ q.T
    scales = torch.tensor([10.0 ** (-i * 12 / (n - 1)) for i in range(n)])
    gradings = {"decreasing": scales, "increasing": scales.flip(0), "shuffled": scales[torch.randperm(n, generator=g)]}
    cases = {}
    for name, s in gradings.items():
        a = torch.diag(s) @ h @ torch.diag(s)
        a = (a + a.T) / 2
        exact = [float(x) for x in sorted(mpmath.eigsy(mpmath.matrix(a.tolist()), eigvals_only=True))]
        syevd = torch.linalg.eigvalsh(a).tolist()
        cases[name] = {
            "a": a.tolist(),
            "exact": exact,
            "syevdWorstRelative": max(abs(x - e) / abs(e) for x, e in zip(syevd, exact)),
        }
    return cases


cases = graded(16, 3)
n40 = graded(40, 40)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eighGraded.json")
with open(path, "w") as f:
    json.dump({"generator": f"torch {torch.__version__}, mpmath {mpmath.__version__}, test/golden/eighGraded.py", "cases": cases, "n40": n40}, f, indent=1)
