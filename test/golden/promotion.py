"""Golden dtype data for adjoint's promotion lattice, from PyTorch.

Run with a Python that has torch (Debian: apt-get install python3-torch; /usr/bin/python3):
    /usr/bin/python3 test/golden/promotion.py > test/golden/promotion.json
Tests read the JSON; torch is never a test dependency. int64 and int16 are reported as-is: adjoint has neither,
and maps both to int32 (the tests say where).
"""
import json

import torch
import torch.nn.functional as F

DTYPES = {"bool": torch.bool, "uint8": torch.uint8, "int8": torch.int8, "int32": torch.int32, "float32": torch.float32, "float64": torch.float64, "float16": torch.float16}
SCALARS = {"bool": True, "int": 2, "float": 2.5}


def name(dtype):
    return str(dtype).replace("torch.", "")


def sample(d):
    # Values every op accepts (positive, nonzero: prod, div and floor_divide stay defined).
    return torch.tensor([[1, 2], [3, 1]], dtype=DTYPES[d])


def number(x):
    # JSON has no NaN or infinities: those are strings, as JavaScript's String(x) writes them.
    return x if x == x and abs(x) != float("inf") else str(x).replace("inf", "Infinity").replace("nan", "NaN")


def outcome(f):
    try:
        return name(f().dtype)
    except Exception as e:  # PyTorch refuses the dtype: keep the reason
        return "error: " + str(e).splitlines()[0]


OPS = {
    "sum": lambda x: torch.sum(x),
    "prod": lambda x: torch.prod(x),
    "cumsum": lambda x: torch.cumsum(x, 0),
    "mean": lambda x: torch.mean(x),
    "matmul": lambda x: torch.matmul(x, x),
    "abs": lambda x: torch.abs(x),
    "neg": lambda x: torch.neg(x),
    "relu": lambda x: torch.relu(x),
    "sign": lambda x: torch.sign(x),
    "exp": lambda x: torch.exp(x),
    "log": lambda x: torch.log(x),
    "sin": lambda x: torch.sin(x),
    "cos": lambda x: torch.cos(x),
    "tanh": lambda x: torch.tanh(x),
    "sqrt": lambda x: torch.sqrt(x),
    "rsqrt": lambda x: torch.rsqrt(x),
    "sigmoid": lambda x: torch.sigmoid(x),
    "softplus": lambda x: F.softplus(x),
    "erf": lambda x: torch.erf(x),
    "gelu": lambda x: F.gelu(x),
    "pow": lambda x: torch.pow(x, x),
    "softmax": lambda x: torch.softmax(x, -1),
    "log_softmax": lambda x: torch.log_softmax(x, -1),
    "logsumexp": lambda x: torch.logsumexp(x, -1),
    "div": lambda x: torch.div(x, x),
    "floor_divide": lambda x: torch.floor_divide(x, x),
    "max": lambda x: torch.max(x),
    "min": lambda x: torch.min(x),
    "maximum": lambda x: torch.maximum(x, x),
    "lt": lambda x: torch.lt(x, x),
    "eq": lambda x: torch.eq(x, x),
    "where": lambda x: torch.where(x > 1, x, x),
}

FLOOR_DIVIDE_CASES = [[7, 2], [-7, 2], [7, -2], [-7, -2], [0, 3], [5.5, 2], [-5.5, 2], [1, 0.1], [-1, 0.3], [1, 0], [-1, 0], [0, 0]]

print(json.dumps({
    "torch": torch.__version__,
    "tensorTensor": {a: {b: name(torch.result_type(sample(a), sample(b))) for b in DTYPES} for a in DTYPES},
    "tensorScalar": {a: {s: name(torch.result_type(sample(a), v)) for s, v in SCALARS.items()} for a in DTYPES},
    "cat": {a: {b: outcome(lambda: torch.cat([sample(a), sample(b)])) for b in DTYPES} for a in DTYPES},
    "ops": {op: {d: outcome(lambda: f(sample(d))) for d in DTYPES} for op, f in OPS.items()},
    "floorDivide": {
        "int32": [[a, b, outcome_value] for a, b in FLOOR_DIVIDE_CASES if float(a).is_integer() and float(b).is_integer() and b != 0
                  for outcome_value in [torch.floor_divide(torch.tensor(a, dtype=torch.int32), torch.tensor(b, dtype=torch.int32)).item()]],
        "float64": [[a, b, number(torch.floor_divide(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)).item())]
                    for a, b in FLOOR_DIVIDE_CASES],
    },
}, indent=1, allow_nan=False))
