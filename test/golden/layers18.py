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
    "maxPool2d_ceil": ([[2, 2, 5, 6]], {"kernel": [2, 3], "stride": 2, "padding": [1, 0], "ceilMode": True}, lambda x: F.max_pool2d(x, (2, 3), stride=2, padding=(1, 0), ceil_mode=True)),
    "avgPool2d_ceil": ([[1, 2, 5, 7]], {"kernel": 3, "stride": 2, "padding": 1, "ceilMode": True}, lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)),
    "avgPool2d_exclude": ([[1, 2, 5, 6]], {"kernel": 3, "stride": 2, "padding": 1, "countIncludePad": False}, lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)),
    "avgPool2d_ceil_exclude": ([[2, 1, 6, 5]], {"kernel": [2, 3], "stride": [3, 2], "padding": 1, "ceilMode": True, "countIncludePad": False}, lambda x: F.avg_pool2d(x, (2, 3), stride=(3, 2), padding=1, ceil_mode=True, count_include_pad=False)),
    "maxPool1d": ([[2, 3, 9]], {"kernel": 3, "stride": 2, "padding": 1, "ceilMode": True}, lambda x: F.max_pool1d(x, 3, stride=2, padding=1, ceil_mode=True)),
    "avgPool1d": ([[2, 3, 8]], {"kernel": 3, "stride": 2, "padding": 1, "countIncludePad": False}, lambda x: F.avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False)),
    "adaptiveAvgPool2d": ([[2, 2, 7, 5]], {"outputSize": [3, 2]}, lambda x: F.adaptive_avg_pool2d(x, (3, 2))),
    "adaptiveAvgPool2d_even": ([[1, 2, 6, 4]], {"outputSize": 2}, lambda x: F.adaptive_avg_pool2d(x, 2)),
    "adaptiveAvgPool1d": ([[2, 3, 10]], {"outputSize": 4}, lambda x: F.adaptive_avg_pool1d(x, 4)),
    "adaptiveMaxPool2d": ([[2, 2, 7, 6]], {"outputSize": [3, 4]}, lambda x: F.adaptive_max_pool2d(x, (3, 4))),
    "interpolate_nearest": ([[1, 2, 3, 4]], {"size": [5, 7]}, lambda x: F.interpolate(x, size=(5, 7), mode="nearest")),
    "interpolate_nearest_scale": ([[1, 2, 3, 4]], {"scaleFactor": 2}, lambda x: F.interpolate(x, scale_factor=2, mode="nearest")),
    "interpolate_nearest_down": ([[2, 1, 7]], {"size": 3}, lambda x: F.interpolate(x, size=3, mode="nearest")),
    "interpolate_bilinear": ([[1, 2, 3, 4]], {"size": [5, 7], "mode": "bilinear"}, lambda x: F.interpolate(x, size=(5, 7), mode="bilinear")),
    "interpolate_bilinear_aligned": ([[1, 2, 4, 3]], {"size": [6, 5], "mode": "bilinear", "alignCorners": True}, lambda x: F.interpolate(x, size=(6, 5), mode="bilinear", align_corners=True)),
    "interpolate_bilinear_scale": ([[1, 1, 4, 5]], {"scaleFactor": [1.5, 0.6], "mode": "bilinear"}, lambda x: F.interpolate(x, scale_factor=(1.5, 0.6), mode="bilinear")),
    "interpolate_linear": ([[2, 2, 5]], {"size": 8, "mode": "linear"}, lambda x: F.interpolate(x, size=8, mode="linear")),
    "pixelShuffle": ([[2, 8, 2, 3]], {"factor": 2}, lambda x: F.pixel_shuffle(x, 2)),
    "pixelUnshuffle": ([[2, 2, 6, 3]], {"factor": 3}, lambda x: F.pixel_unshuffle(x, 3)),
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


# Layers: name -> (input shape, the torch module). The test builds adjoint's layer of the same
# name (its constructor arguments are in the test), loads the state dict recorded here, and checks
# the output and the gradients of sum(w * layer(x)) in the input and every parameter.
LAYERS = {
    "Conv1d": ([2, 4, 9], lambda: torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2)),
    "Conv2d_depthwise": ([1, 4, 5, 5], lambda: torch.nn.Conv2d(4, 8, 3, padding=1, groups=4)),
    "ConvTranspose2d": ([2, 4, 3, 4], lambda: torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)),
    "ConvTranspose1d": ([2, 3, 5], lambda: torch.nn.ConvTranspose1d(3, 2, 3, stride=2, bias=False)),
    "GroupNorm": ([2, 6, 3, 2], lambda: torch.nn.GroupNorm(3, 6)),
    "InstanceNorm2d": ([2, 3, 4, 3], lambda: torch.nn.InstanceNorm2d(3, affine=True)),
    "InstanceNorm1d": ([2, 3, 5], lambda: torch.nn.InstanceNorm1d(3)),
    "Upsample": ([1, 2, 3, 3], lambda: torch.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)),
    "AdaptiveAvgPool2d": ([2, 2, 5, 7], lambda: torch.nn.AdaptiveAvgPool2d((3, 2))),
}


def layer_case(shape, make, seed):
    torch.manual_seed(seed)
    m = make().double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(rand(list(p.shape), seed + 7))  # not the default init: a zero bias would hide a missing one
            seed += 1
    x = rand(shape, seed + 50).requires_grad_(True)
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


out = {name: case(shapes, options, f, 10 * i) for i, (name, (shapes, options, f)) in enumerate(CASES.items())}
layers = {name: layer_case(shape, make, 1000 + 10 * i) for i, (name, (shape, make)) in enumerate(LAYERS.items())}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers18.json")
with open(path, "w") as fh:
    json.dump({"cases": out, "layers": layers}, fh)
    fh.write("\n")
