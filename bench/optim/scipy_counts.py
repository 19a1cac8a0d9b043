"""SciPy's iteration and evaluation counts on the Moré–Garbow–Hillstrom problems, for the table in
docs/optimisation.md (compared there with adjoint's; not a test threshold). Run once:
  python3 bench/optim/scipy_counts.py   (any Python with numpy and scipy)
The problems are those of test/optim/scientific/problems.ts, from the paper's starting points."""
import math
import numpy as np
import scipy
from scipy.optimize import least_squares, minimize


def rosen_ext(n):
    def r(x):
        out = []
        for i in range(0, n, 2):
            out += [10 * (x[i + 1] - x[i] ** 2), 1 - x[i]]
        return np.array(out)
    return r, [(-1.2 if i % 2 == 0 else 1.0) for i in range(n)]


def helical(x):
    t = math.atan(x[1] / x[0]) / (2 * math.pi) if x[0] != 0 else 0.25
    if x[0] < 0:
        t += 0.5
    return np.array([10 * (x[2] - 10 * t), 10 * (math.hypot(x[0], x[1]) - 1), x[2]])


PROBLEMS = [
    ("Rosenbrock (2-D)", *rosen_ext(2)),
    ("extended Rosenbrock (100-D)", *rosen_ext(100)),
    ("Powell singular", lambda x: np.array([x[0] + 10 * x[1], math.sqrt(5) * (x[2] - x[3]), (x[1] - 2 * x[2]) ** 2, math.sqrt(10) * (x[0] - x[3]) ** 2]), [3.0, -1.0, 0.0, 1.0]),
    ("Brown badly scaled", lambda x: np.array([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2]), [1.0, 1.0]),
    ("Beale", lambda x: np.array([y - x[0] * (1 - x[1] ** (i + 1)) for i, y in enumerate([1.5, 2.25, 2.625])]), [1.0, 1.0]),
    ("Freudenstein–Roth", lambda x: np.array([-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1], -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]]), [0.5, -2.0]),
    ("helical valley", helical, [-1.0, 0.0, 0.0]),
]


def jac(r, x, h=1e-7):
    # Central differences of the residuals: SciPy gets the same Jacobian adjoint's AD gives, up to rounding.
    x = np.asarray(x, float)
    cols = []
    for j in range(len(x)):
        e = np.zeros_like(x)
        e[j] = h * max(1, abs(x[j]))
        cols.append((r(x + e) - r(x - e)) / (2 * e[j]))
    return np.array(cols).T


print(f"scipy {scipy.__version__}")
print("| problem | L-BFGS-B nit / nfev | Newton-CG nit / nfev / nhev | least_squares lm nfev / njev | f at the end |")
for name, r, x0 in PROBLEMS:
    f = lambda x: float(np.sum(r(x) ** 2))
    g = lambda x: 2 * jac(r, x).T @ r(x)
    hessp = lambda x, p: (g(np.asarray(x) + 1e-6 * p) - g(np.asarray(x) - 1e-6 * p)) / 2e-6
    lb = minimize(f, x0, jac=g, method="L-BFGS-B", options={"gtol": 1e-8, "maxiter": 15000})
    nc = minimize(f, x0, jac=g, hessp=hessp, method="Newton-CG", options={"xtol": 1e-10, "maxiter": 15000})
    lm = least_squares(r, x0, jac=lambda x: jac(r, x), method="lm", gtol=1e-10, ftol=1e-15, xtol=1e-15)
    print(f"| {name} | {lb.nit} / {lb.nfev} | {nc.nit} / {nc.nfev} / {nc.nhev} | {lm.nfev} / {lm.njev} | {lb.fun:.3g}, {nc.fun:.3g}, {2 * lm.cost:.3g} |")
