"""Golden values for issue 18's convolution and pooling variants from PyTorch (float64), written to
layers18.json beside this file.

Run once with a Python that has torch (Debian: apt-get install python3-torch), from the repository
root: /usr/bin/python3 test/golden/layers18.py. The test (test/tensor/convVariants.test.ts) reads
the JSON; torch is never a test dependency. Each case records its inputs, the options as adjoint
spells them, the value, and the gradients of sum(w * f(inputs)) for a fixed weight w of the
output's shape.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def rand(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g)


# name -> (input shapes, options for adjoint, torch function of the inputs)
CASES = {
    "conv1d": ([[2, 3, 7], [4, 3, 3]], {}, lambda x, w: F.conv1d(x, w)),
    "conv1d_strided": ([[2, 4, 9], [6, 2, 3]], {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}, lambda x, w: F.conv1d(x, w, stride=2, padding=1, dilation=2, groups=2)),
    "conv2d_groups": ([[2, 4, 5, 6], [6, 2, 3, 2]], {"groups": 2, "padding": [1, 0], "dilation": [1, 2]}, lambda x, w: F.conv2d(x, w, padding=(1, 0), dilation=(1, 2), groups=2)),
    "conv2d_depthwise": ([[1, 3, 6, 5], [3, 1, 3, 3]], {"groups": 3, "stride": 2, "padding": 1}, lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=3)),
    "convTranspose2d": ([[2, 3, 4, 3], [3, 2, 3, 2]], {}, lambda x, w: F.conv_transpose2d(x, w)),
    "convTranspose2d_strided": (
        [[1, 4, 3, 4], [4, 3, 3, 3]],
        {"stride": [2, 3], "padding": 1, "outputPadding": [1, 2], "dilation": [1, 1], "groups": 2},
        lambda x, w: F.conv_transpose2d(x, w, stride=(2, 3), padding=1, output_padding=(1, 2), groups=2),
    ),
    "convTranspose2d_dilated": ([[1, 2, 3, 3], [2, 2, 2, 3]], {"stride": 2, "dilation": 2, "outputPadding": 1}, lambda x, w: F.conv_transpose2d(x, w, stride=2, dilation=2, output_padding=1)),
    "convTranspose1d": ([[2, 2, 5], [2, 3, 3]], {"stride": 2, "padding": 1, "outputPadding": 1}, lambda x, w: F.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1)),
    "unfold": ([[2, 2, 5, 4]], {"kernel": [2, 3], "stride": [2, 1], "padding": 1, "dilation": [1, 1]}, lambda x: F.unfold(x, (2, 3), stride=(2, 1), padding=1)),
    "unfold_dilated": ([[1, 3, 6, 6]], {"kernel": 2, "dilation": 2}, lambda x: F.unfold(x, 2, dilation=2)),
    "fold": ([[2, 12, 10]], {"outputSize": [4, 5], "kernel": [2, 3], "stride": [2, 1], "padding": [0, 1]}, lambda x: F.fold(x, (4, 5), (2, 3), stride=(2, 1), padding=(0, 1))),
}


def case(shapes, options, f, seed):
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


out = {name: case(shapes, options, f, 10 * i) for i, (name, (shapes, options, f)) in enumerate(CASES.items())}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers18.json")
with open(path, "w") as fh:
    json.dump({"cases": out}, fh)
    fh.write("\n")
