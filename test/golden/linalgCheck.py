"""Golden values for adjoint/linalg's `{ check: false }` and `_ex` forms from PyTorch's
cholesky_ex, lu_factor_ex with lu_solve, and solve_triangular (float64), written to
linalgCheck.json beside this file.

Run once with a Python that has torch, from the repository root:
/usr/bin/python3 test/golden/linalgCheck.py. The tests read the JSON; torch is never a test
dependency. Each batch mixes good matrices with a singular (or not positive definite) one, so the
test can check that the bad one does not change the others.
"""
import torch

from common import encode, write_json

torch.set_default_dtype(torch.float64)

# Batch 0 regular, batch 1 singular with its zero pivot in the middle (column 1: after the first
# elimination step the column below the diagonal is zero), batch 2 singular at the last pivot. The
# multipliers are powers of two, so the zero pivots are exact whatever the order of the sums.
SINGULAR = torch.tensor(
    [
        [[4.0, 1.0, -2.0], [0.5, 3.0, 1.0], [-1.0, 2.0, 5.0]],
        [[4.0, 8.0, 12.0], [2.0, 4.0, 5.0], [1.0, 2.0, 7.0]],
        [[4.0, 4.0, 8.0], [2.0, 1.0, 3.0], [1.0, 0.5, 1.5]],
    ]
)
B = torch.tensor([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]])

# Batch 0 positive definite, batch 1 fails at column 1 (pivot exactly 0), batch 2 at column 2 (negative).
NOT_PD = torch.tensor(
    [
        [[4.0, 2.0, 1.0], [2.0, 5.0, 1.0], [1.0, 1.0, 3.0]],
        [[4.0, 2.0, 1.0], [2.0, 1.0, 3.0], [1.0, 3.0, 5.0]],
        [[4.0, 2.0, 0.0], [2.0, 5.0, 1.0], [0.0, 1.0, -3.0]],
    ]
)

# An upper triangular batch, the second with a zero on its diagonal.
TRIANGULAR = torch.tensor([[[2.0, 1.0, 0.5], [0.0, 4.0, -1.0], [0.0, 0.0, 1.0]], [[2.0, 1.0, 0.5], [0.0, 0.0, -1.0], [0.0, 0.0, 1.0]]])

L, cholesky_info = torch.linalg.cholesky_ex(NOT_PD)
LU, pivots, lu_info = torch.linalg.lu_factor_ex(SINGULAR)
# LAPACK's gesv of A is getrf then getrs: lu_factor_ex then lu_solve. (solve_ex and inv_ex factor Aᵀ
# when A is stored row-major, so their info and their ±∞/NaN pattern at a singular A differ: kept
# to say so in the docs.)
solution = torch.linalg.lu_solve(LU, pivots, B.expand(3, 3, 2))
inverse = torch.linalg.lu_solve(LU, pivots, torch.eye(3).expand(3, 3, 3))
_, solve_ex_info = torch.linalg.solve_ex(SINGULAR, B)
_, inv_ex_info = torch.linalg.inv_ex(SINGULAR)
triangular = torch.linalg.solve_triangular(TRIANGULAR, B, upper=True)
# The gradient of sum(U) through lu: NaN where the rule divides by the zero pivot, exact elsewhere.
leaf = SINGULAR.clone().requires_grad_(True)
torch.linalg.lu(leaf)[2].sum().backward()

write_json(
    "linalgCheck.json",
    {
        "singular": encode(SINGULAR.tolist()),
        "b": encode(B.tolist()),
        "notPd": encode(NOT_PD.tolist()),
        "triangular": encode(TRIANGULAR.tolist()),
        "cholesky": {"L": encode(L.tolist()), "info": cholesky_info.tolist()},
        "luFactor": {"LU": encode(LU.tolist()), "info": lu_info.tolist()},
        "solve": {"result": encode(solution.tolist()), "solveExInfo": solve_ex_info.tolist()},
        "inv": {"inverse": encode(inverse.tolist()), "invExInfo": inv_ex_info.tolist()},
        "triangularSolve": encode(triangular.tolist()),
        "luGradient": encode(leaf.grad.tolist()),
    },
    indent=1,
)
