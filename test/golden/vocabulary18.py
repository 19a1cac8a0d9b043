"""Golden values from PyTorch (float64) for the names issue 18 lists that the first golden scripts
left without a case, written to vocabulary18.json beside this file:

- layers: the activation modules, PReLU (one weight and one per channel), Identity and the 1-D
  adaptive pools as modules, in layers18.py's layer format (test/nn/layers18.test.ts reads both);
- cases: adaptiveMaxPool1d, and dilation in fold and convTranspose1d, in layers18.py's case format
  (test/tensor/convVariants.test.ts reads both);
- schedules: warmupCosine, as torch composes it (SequentialLR of LinearLR and CosineAnnealingLR), in
  nn18.py's schedule format (test/optim/optim18.test.ts reads both).

Run once with a Python that has torch (Debian: apt-get install python3-torch), from the repository
root: /usr/bin/python3 test/golden/vocabulary18.py. torch is never a test dependency.
"""
import torch
import torch.nn.functional as F

from common import case, layer_case, lr_schedule, rand, write_json

torch.set_default_dtype(torch.float64)


# name -> (input shape, the torch module). Inputs are scaled by 3 so the clamping activations
# (hardtanh, relu6, hardswish, hardsigmoid) see both of their flat parts.
NN = torch.nn
LAYERS = {
    "LeakyReLU": ([2, 3, 4], lambda: NN.LeakyReLU(0.2)),
    "ELU": ([2, 3, 4], lambda: NN.ELU(1.3)),
    "SELU": ([2, 3, 4], lambda: NN.SELU()),
    "CELU": ([2, 3, 4], lambda: NN.CELU(0.7)),
    "SiLU": ([2, 3, 4], lambda: NN.SiLU()),
    "Mish": ([2, 3, 4], lambda: NN.Mish()),
    "Softsign": ([2, 3, 4], lambda: NN.Softsign()),
    "Hardtanh": ([2, 3, 4], lambda: NN.Hardtanh(-0.5, 1.2)),
    "Hardswish": ([2, 3, 4], lambda: NN.Hardswish()),
    "Hardsigmoid": ([2, 3, 4], lambda: NN.Hardsigmoid()),
    "LogSigmoid": ([2, 3, 4], lambda: NN.LogSigmoid()),
    "ReLU6": ([2, 3, 4], lambda: NN.ReLU6()),
    "GLU": ([2, 4, 3], lambda: NN.GLU(1)),
    "ReLU": ([2, 3, 4], lambda: NN.ReLU()),
    "GELU": ([2, 3, 4], lambda: NN.GELU()),
    "GELU_tanh": ([2, 3, 4], lambda: NN.GELU(approximate="tanh")),
    "Sigmoid": ([2, 3, 4], lambda: NN.Sigmoid()),
    "Tanh": ([2, 3, 4], lambda: NN.Tanh()),
    "PReLU": ([2, 3, 4], lambda: NN.PReLU()),
    "PReLU_channels": ([2, 3, 4], lambda: NN.PReLU(num_parameters=3, init=0.1)),
    "Identity": ([2, 3, 4], lambda: NN.Identity()),
    "AdaptiveAvgPool1d": ([2, 3, 10], lambda: NN.AdaptiveAvgPool1d(4)),
    "AdaptiveMaxPool1d": ([2, 3, 10], lambda: NN.AdaptiveMaxPool1d(4)),
    "AdaptiveMaxPool2d": ([2, 2, 7, 6], lambda: NN.AdaptiveMaxPool2d((3, 4))),
}


# name -> (input shapes, options for adjoint, torch function of the inputs), as layers18.py's cases.
CASES = {
    "adaptiveMaxPool1d": ([[2, 3, 10]], {"outputSize": 4}, lambda x: F.adaptive_max_pool1d(x, 4)),
    "adaptiveMaxPool1d_up": ([[1, 2, 3]], {"outputSize": 5}, lambda x: F.adaptive_max_pool1d(x, 5)),
    "fold_dilated": ([[1, 8, 9]], {"outputSize": [5, 4], "kernel": 2, "dilation": [2, 1], "padding": [1, 0], "stride": [2, 1]}, lambda x: F.fold(x, (5, 4), 2, dilation=(2, 1), padding=(1, 0), stride=(2, 1))),
    "convTranspose1d_dilated": ([[2, 4, 5], [4, 3, 3]], {"stride": 2, "dilation": 2, "outputPadding": 1, "groups": 2}, lambda x, w: F.conv_transpose1d(x, w, stride=2, dilation=2, output_padding=1, groups=2)),
}


# Steps 0 … totalSteps: past its end torch's cosine rises again, adjoint's stays at minLr.
def lrs(make, steps, base=0.1):
    return lr_schedule(make, steps, base)


S = torch.optim.lr_scheduler


def warmup_cosine(opt, warmup, total, min_lr):
    # adjoint's warm-up runs at lr·(s + 1)/W for s < W: LinearLR from 1/W reaching 1 after W − 1 steps.
    ramp = S.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1)
    return S.SequentialLR(opt, [ramp, S.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=min_lr)], milestones=[warmup])


SCHEDULES = {
    "warmupCosine": ("warmupCosine", [0.1, {"warmupSteps": 4, "totalSteps": 12, "minLr": 0.002}], lrs(lambda o: warmup_cosine(o, 4, 12, 0.002), 13)),
    "warmupCosine_short": ("warmupCosine", [0.1, {"warmupSteps": 2, "totalSteps": 5}], lrs(lambda o: warmup_cosine(o, 2, 5, 0.0), 6)),
}

out = {
    "torch": torch.__version__,
    "layers": {name: layer_case(shape, make, 4000 + 10 * i, 3.0) for i, (name, (shape, make)) in enumerate(LAYERS.items())},
    "cases": {name: case(shapes, options, f, 5000 + 10 * i) for i, (name, (shapes, options, f)) in enumerate(CASES.items())},
    "schedules": {name: {"fn": fn, "args": args, "lrs": values} for name, (fn, args, values) in SCHEDULES.items()},
}
write_json("vocabulary18.json", out)
