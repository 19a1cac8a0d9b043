"""SciPy's L-BFGS-B on the bounded problems of test/optim/scientific/lbfgsb.test.ts, written to
lbfgsb.json beside this file: its minimiser, value, iterations and evaluations (nfev: f with its
gradient, line-search trials included), at its defaults (m = 10, ftol = 2.22e-9, gtol = 1e-5),
which are adjoint's lbfgs defaults too.

Run once with a Python that has SciPy (Debian: apt-get install python3-scipy), from the repository
root: /usr/bin/python3 test/golden/lbfgsb.py. The test reads the JSON; SciPy is never a test
dependency. The problems are written out here and in the test (their published minima are the
test's oracle; SciPy's figures are the yardstick for the counts).
"""
import json
import math
import os

import numpy as np
import scipy
from scipy.optimize import minimize


def rosenbrock(n):
    def f(x):
        a, b = x[0::2], x[1::2]
        return float(np.sum(100 * (b - a * a) ** 2 + (1 - a) ** 2))

    def g(x):
        a, b = x[0::2], x[1::2]
        out = np.zeros_like(x)
        out[0::2] = -400 * a * (b - a * a) - 2 * (1 - a)
        out[1::2] = 200 * (b - a * a)
        return out

    return f, g


def scipy_bounds_test():
    # scipy/optimize/tests/test_optimize.py, TestLBFGSBBounds: ½(x₀² + x₁²) with x₀ ≥ 1.
    return (lambda x: 0.5 * (x[0] ** 2 + x[1] ** 2)), (lambda x: np.array([x[0], x[1]]))


def hs3():
    return (lambda x: x[1] + 1e-5 * (x[1] - x[0]) ** 2), (lambda x: np.array([-2e-5 * (x[1] - x[0]), 1 + 2e-5 * (x[1] - x[0])]))


def hs4():
    return (lambda x: (x[0] + 1) ** 3 / 3 + x[1]), (lambda x: np.array([(x[0] + 1) ** 2, 1.0]))


def hs5():
    def f(x):
        return math.sin(x[0] + x[1]) + (x[0] - x[1]) ** 2 - 1.5 * x[0] + 2.5 * x[1] + 1

    def g(x):
        c = math.cos(x[0] + x[1])
        return np.array([c + 2 * (x[0] - x[1]) - 1.5, c - 2 * (x[0] - x[1]) + 2.5])

    return f, g


def hs38():
    def f(x):
        x1, x2, x3, x4 = x
        return 100 * (x2 - x1**2) ** 2 + (1 - x1) ** 2 + 90 * (x4 - x3**2) ** 2 + (1 - x3) ** 2 + 10.1 * ((x2 - 1) ** 2 + (x4 - 1) ** 2) + 19.8 * (x2 - 1) * (x4 - 1)

    def g(x):
        x1, x2, x3, x4 = x
        return np.array(
            [
                -400 * x1 * (x2 - x1**2) - 2 * (1 - x1),
                200 * (x2 - x1**2) + 20.2 * (x2 - 1) + 19.8 * (x4 - 1),
                -360 * x3 * (x4 - x3**2) - 2 * (1 - x3),
                180 * (x4 - x3**2) + 20.2 * (x4 - 1) + 19.8 * (x2 - 1),
            ]
        )

    return f, g


def hs110():
    def f(x):
        return float(np.sum(np.log(x - 2) ** 2 + np.log(10 - x) ** 2) - np.prod(x) ** 0.2)

    def g(x):
        p = np.prod(x) ** 0.2
        return 2 * np.log(x - 2) / (x - 2) - 2 * np.log(10 - x) / (10 - x) - 0.2 * p / x

    return f, g


INF = math.inf
PROBLEMS = {
    "Rosenbrock, x1 <= 1/2": (rosenbrock(2), [-1.2, 1.0], [(-INF, 0.5), (-INF, INF)]),
    "extended Rosenbrock 10-D in a box": (rosenbrock(10), [-1.2, 1.0] * 5, [(-2.0, 0.5 if i % 2 == 0 else 0.2) for i in range(10)]),
    "SciPy TestLBFGSBBounds": (scipy_bounds_test(), [0.0, -1.0], [(1.0, INF), (-INF, INF)]),
    "Hock-Schittkowski 3": (hs3(), [10.0, 1.0], [(-INF, INF), (0.0, INF)]),
    "Hock-Schittkowski 4": (hs4(), [1.125, 0.125], [(1.0, INF), (0.0, INF)]),
    "Hock-Schittkowski 5": (hs5(), [0.0, 0.0], [(-1.5, 4.0), (-3.0, 3.0)]),
    "Hock-Schittkowski 38": (hs38(), [-3.0, -1.0, -3.0, -1.0], [(-10.0, 10.0)] * 4),
    "Hock-Schittkowski 110": (hs110(), [9.0] * 10, [(2.001, 9.999)] * 10),
}


def run(name):
    (f, g), x0, bounds = PROBLEMS[name]
    bounds = [(None if lo == -INF else lo, None if hi == INF else hi) for lo, hi in bounds]
    r = minimize(f, np.array(x0), jac=g, method="L-BFGS-B", bounds=bounds, options={"gtol": 1e-5})
    return {"x": r.x.tolist(), "fun": float(r.fun), "nit": int(r.nit), "nfev": int(r.nfev), "success": bool(r.success)}


cases = {name: run(name) for name in PROBLEMS}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lbfgsb.json")
with open(path, "w") as out:
    json.dump({"generator": f"scipy {scipy.__version__}, test/golden/lbfgsb.py", "cases": cases}, out, indent=1)
