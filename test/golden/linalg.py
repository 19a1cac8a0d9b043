"""Golden values for adjoint/linalg from PyTorch (float64), written to linalg.json beside this file.

Run once with a Python that has torch (Debian: apt-get install python3-torch), from the repository
root: /usr/bin/python3 test/golden/linalg.py. The tests read the JSON; torch is never a test
dependency. Each case records the inputs, the value of the function, and the gradient of
sum(w * f(inputs)) with respect to each float input for a fixed weight w of the output's shape.
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)

# Fixed, well-conditioned inputs: a batch of two 3x3 matrices, a right-hand side, an SPD batch.
A = torch.tensor(
    [
        [[4.0, 1.0, -2.0], [0.5, 3.0, 1.0], [-1.0, 2.0, 5.0]],
        [[0.3, 2.0, 1.0], [3.5, -1.0, 0.5], [1.0, 0.25, -2.5]],
    ]
)
B = torch.tensor([[[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]], [[-2.0, 1.0], [0.5, 0.5], [1.5, -1.0]]])
C = torch.tensor([[1.0, 0.2, -0.3], [0.4, 1.5, 0.1], [-0.2, 0.6, 0.9]])
SPD = torch.stack([C @ C.T + 0.5 * torch.eye(3), A[0] @ A[0].T])


def weight(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g) * 2 - 1


def case(f, inputs, seed):
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = f(**leaves)
    w = weight(out.shape, seed)
    (out * w).sum().backward()
    return {
        "inputs": {k: v.tolist() for k, v in inputs.items()},
        "weight": w.tolist(),
        "value": out.detach().tolist(),
        "grads": {k: (v.grad if v.grad is not None else torch.zeros_like(v)).tolist() for k, v in leaves.items()},
    }


# A tall batch (2 x 4 x 3) and a wide one (2 x 2 x 3) for qr; a symmetric batch with distinct eigenvalues for eigh.
TALL = torch.cat([A, torch.tensor([[[1.0, -0.5, 0.25]], [[0.75, 1.5, -1.0]]])], dim=-2)
WIDE = A[:, :2, :]
SYM = A + A.transpose(-2, -1)


def eigh_parts(a):
    """eigh of the symmetrised a, each eigenvector signed so its largest entry (the first on a tie) is positive, as adjoint's."""
    w, v = torch.linalg.eigh((a + a.transpose(-2, -1)) / 2)
    big = v.abs().argmax(dim=-2, keepdim=True)
    return w, v * torch.sign(torch.gather(v, -2, big)).detach()


def svd_parts(a):
    """Thin svd, each column of U signed so its largest entry (the first on a tie) is positive, and Vh's row with it, as adjoint's."""
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    big = u.abs().argmax(dim=-2, keepdim=True)
    flip = torch.sign(torch.gather(u, -2, big)).detach()
    return u * flip, s, vh * flip.transpose(-2, -1)


def lu_parts(a):
    p, l, u = torch.linalg.lu(a)
    return p, l, u


cases = {
    "solve": case(lambda a, b: torch.linalg.solve(a, b), {"a": A, "b": B}, 1),
    "inv": case(lambda a: torch.linalg.inv(a), {"a": A}, 2),
    "det": case(lambda a: torch.linalg.det(a), {"a": A}, 3),
    "slogdet.logabsdet": case(lambda a: torch.linalg.slogdet(a)[1], {"a": A}, 4),
    "slogdet.sign": case(lambda a: torch.linalg.slogdet(a)[0] * 1.0, {"a": A}, 5),
    "cholesky": case(lambda a: torch.linalg.cholesky(a), {"a": SPD}, 6),
    "lu.L": case(lambda a: lu_parts(a)[1], {"a": A}, 7),
    "lu.U": case(lambda a: lu_parts(a)[2], {"a": A}, 8),
    "lu.P": case(lambda a: lu_parts(a)[0] + 0 * a, {"a": A}, 9),
    "triangularSolve.upper": case(lambda a, b: torch.linalg.solve_triangular(a, b, upper=True), {"a": A, "b": B}, 10),
    "triangularSolve.lower.unit": case(lambda a, b: torch.linalg.solve_triangular(a, b, upper=False, unitriangular=True), {"a": A, "b": B}, 11),
    "triangularSolve.upper.transpose": case(lambda a, b: torch.linalg.solve_triangular(a.transpose(-2, -1), b, upper=False), {"a": A, "b": B}, 12),
    "trace": case(lambda a: torch.diagonal(a, dim1=-2, dim2=-1).sum(-1), {"a": A}, 13),
    "diagonal.1": case(lambda a: torch.diagonal(a, offset=1, dim1=-2, dim2=-1), {"a": A}, 14),
    "tril.-1": case(lambda a: torch.tril(a, -1), {"a": A}, 15),
    "triu.1": case(lambda a: torch.triu(a, 1), {"a": A}, 16),
    "qr.Q.tall": case(lambda a: torch.linalg.qr(a)[0], {"a": TALL}, 17),
    "qr.R.tall": case(lambda a: torch.linalg.qr(a)[1], {"a": TALL}, 18),
    "qr.Q.wide": case(lambda a: torch.linalg.qr(a)[0], {"a": WIDE}, 19),
    "qr.R.wide": case(lambda a: torch.linalg.qr(a)[1], {"a": WIDE}, 20),
    "qr.Q.complete": case(lambda a: torch.linalg.qr(a, mode="complete")[0], {"a": A}, 21),
    "eigh.eigenvalues": case(lambda a: eigh_parts(a)[0], {"a": SYM}, 22),
    "eigh.eigenvectors": case(lambda a: eigh_parts(a)[1], {"a": SYM}, 23),
    "svd.S": case(lambda a: svd_parts(a)[1], {"a": A}, 24),
    "svd.U.tall": case(lambda a: svd_parts(a)[0], {"a": TALL}, 25),
    "svd.Vh.tall": case(lambda a: svd_parts(a)[2], {"a": TALL}, 26),
    "svd.U.wide": case(lambda a: svd_parts(a)[0], {"a": WIDE}, 27),
    "svd.Vh.wide": case(lambda a: svd_parts(a)[2], {"a": WIDE}, 28),
    "svdvals": case(lambda a: torch.linalg.svdvals(a), {"a": TALL}, 29),
    "pinv.tall": case(lambda a: torch.linalg.pinv(a), {"a": TALL}, 30),
    "pinv.wide": case(lambda a: torch.linalg.pinv(a), {"a": WIDE}, 31),
    "lstsq.tall": case(lambda a, b: torch.linalg.lstsq(a, b).solution, {"a": TALL, "b": TALL[..., :2]}, 32),
    "matrixPower.3": case(lambda a: torch.linalg.matrix_power(a, 3), {"a": A}, 33),
    "matrixPower.-2": case(lambda a: torch.linalg.matrix_power(a, -2), {"a": A}, 34),
    "norm.vector.3": case(lambda a: torch.linalg.vector_norm(a, ord=3, dim=-1), {"a": A}, 35),
    "norm.fro": case(lambda a: torch.linalg.matrix_norm(a, ord="fro"), {"a": A}, 36),
    "norm.nuc": case(lambda a: torch.linalg.matrix_norm(a, ord="nuc"), {"a": A}, 37),
    "norm.2": case(lambda a: torch.linalg.matrix_norm(a, ord=2), {"a": A}, 38),
    "norm.-2": case(lambda a: torch.linalg.matrix_norm(a, ord=-2), {"a": A}, 39),
    "norm.inf": case(lambda a: torch.linalg.matrix_norm(a, ord=float("inf")), {"a": A}, 40),
    "kron": case(lambda a, b: torch.kron(a, b), {"a": A[0], "b": B[0]}, 41),
    "cross": case(lambda a, b: torch.linalg.cross(a, b), {"a": A, "b": A.flip(-1)}, 42),
    "einsum.batched": case(lambda a, b: torch.einsum("bij,bjk->bik", a, b), {"a": A, "b": B}, 43),
    "einsum.chain": case(lambda a, b, c: torch.einsum("...ij,...jk,...kl->...il", a, b, c), {"a": A, "b": A.flip(-2), "c": B}, 44),
    "einsum.trace": case(lambda a: torch.einsum("bii->b", a), {"a": A}, 45),
    "einsum.implicit": case(lambda a, b: torch.einsum("bij,bkj", a, b), {"a": A, "b": TALL}, 46),
}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linalg.json")
with open(path, "w") as f:
    json.dump({"generator": f"torch {torch.__version__}, test/golden/linalg.py", "cases": cases}, f, indent=1)
    f.write("\n")
print(f"wrote {path}")
