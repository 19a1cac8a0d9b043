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


def rand(shape, seed, scale=1.0):
    """Standard normal values from their own generator (seeded), times `scale`."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g)
    return x if scale == 1.0 else x * scale


def case(shapes, options, f, seed):
    """A function of tensors: its inputs, the options as adjoint spells them, the value, and the
    gradients of sum(w * f(inputs)) for a fixed normal weight w of the output's shape."""
    xs = [rand(s, seed + i).requires_grad_(True) for i, s in enumerate(shapes)]
    y = f(*xs)
    w = rand(list(y.shape), seed + 100)
    (w * y).sum().backward()
    return {
        "inputs": [x.detach().reshape(-1).tolist() for x in xs],
        "shapes": shapes,
        "options": options,
        "value": y.detach().reshape(-1).tolist(),
        "valueShape": list(y.shape),
        "weight": w.reshape(-1).tolist(),
        "grads": [x.grad.reshape(-1).tolist() for x in xs],
    }


def layer_case(shape, make, seed, input_scale=1.0):
    """A layer (float64): its state dict, the value on a normal input (times `input_scale`), and the
    gradients of sum(w * layer(x)) in the input and every parameter. The parameters are drawn, not
    the default init: a zero bias or PReLU's 0.25 everywhere would hide a missing or mixed-up one."""
    torch.manual_seed(seed)
    m = make().double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(rand(list(p.shape), seed + 7))
            seed += 1
    x = rand(shape, seed + 50, input_scale).requires_grad_(True)
    y = m(x)
    w = rand(list(y.shape), seed + 100)
    (w * y).sum().backward()
    return {
        "input": x.detach().reshape(-1).tolist(),
        "shape": shape,
        "state": {k: {"shape": list(v.shape), "values": v.reshape(-1).tolist()} for k, v in m.state_dict().items()},
        "value": y.detach().reshape(-1).tolist(),
        "valueShape": list(y.shape),
        "weight": w.reshape(-1).tolist(),
        "grad": x.grad.reshape(-1).tolist(),
        "paramGrads": {k: p.grad.reshape(-1).tolist() for k, p in m.named_parameters()},
    }


def lr_schedule(make, steps, base=0.1, momentum=0.0):
    """The learning rate of steps 0 … steps-1 under the scheduler `make(opt)` builds over one SGD."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base, momentum=momentum)
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out
