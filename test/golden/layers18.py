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

from common import case, layer_case, rand

torch.set_default_dtype(torch.float64)


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
    "conv3d": ([[2, 2, 4, 5, 4], [3, 2, 2, 3, 2]], {}, lambda x, w: F.conv3d(x, w)),
    "conv3d_strided": (
        [[1, 4, 5, 4, 6], [4, 2, 3, 2, 3]],
        {"stride": [2, 1, 2], "padding": [1, 0, 1], "dilation": [1, 2, 1], "groups": 2},
        lambda x, w: F.conv3d(x, w, stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2),
    ),
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
    "maxPool2d_dilated": ([[2, 2, 7, 8]], {"kernel": [2, 3], "stride": [1, 2], "padding": 1, "dilation": [2, 3]}, lambda x: F.max_pool2d(x, (2, 3), stride=(1, 2), padding=1, dilation=(2, 3))),
    "maxPool2d_dilated_ceil": ([[1, 2, 8, 8]], {"kernel": 2, "stride": 2, "dilation": 3, "ceilMode": True}, lambda x: F.max_pool2d(x, 2, stride=2, dilation=3, ceil_mode=True)),
    "maxPool1d_dilated": ([[2, 3, 9]], {"kernel": 3, "stride": 2, "padding": 1, "dilation": 2}, lambda x: F.max_pool1d(x, 3, stride=2, padding=1, dilation=2)),
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


# Recurrent layers: name -> (input shape, the torch module, whether the initial states are given).
# Recorded: the outputs, the final states, and the gradients of
# sum(w * output) + sum(wh * h_n) (+ sum(wc * c_n)) in the input, the initial states and every parameter.
RECURRENT = {
    "RNN_tanh": ([5, 2, 3], lambda: torch.nn.RNN(3, 4), True),
    "RNN_relu_2layers_batchFirst": ([2, 4, 3], lambda: torch.nn.RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True), False),
    "LSTM": ([4, 2, 3], lambda: torch.nn.LSTM(3, 5), True),
    "LSTM_2layers_bidirectional": ([4, 3, 2], lambda: torch.nn.LSTM(2, 3, num_layers=2, bidirectional=True), True),
    "GRU": ([5, 2, 3], lambda: torch.nn.GRU(3, 4), True),
    "GRU_bidirectional_batchFirst_nobias": ([2, 4, 3], lambda: torch.nn.GRU(3, 2, bidirectional=True, batch_first=True, bias=False), False),
    "LSTM_unbatched": ([4, 3], lambda: torch.nn.LSTM(3, 2), True),
}


def recurrent_case(shape, make, with_state, seed):
    torch.manual_seed(seed)
    m = make().double()
    lstm = isinstance(m, torch.nn.LSTM)
    x = rand(shape, seed + 50).requires_grad_(True)
    d = 2 if m.bidirectional else 1
    state_shape = [m.num_layers * d] + ([] if len(shape) == 2 else [shape[0] if m.batch_first else shape[1]]) + [m.hidden_size]
    h0 = rand(state_shape, seed + 60).requires_grad_(True)
    c0 = rand(state_shape, seed + 70).requires_grad_(True)
    if with_state:
        out, st = m(x, (h0, c0) if lstm else h0)
    else:
        out, st = m(x)
    h, c = st if lstm else (st, None)
    w = rand(list(out.shape), seed + 100)
    wh = rand(list(h.shape), seed + 110)
    loss = (w * out).sum() + (wh * h).sum()
    wc = None
    if lstm:
        wc = rand(list(c.shape), seed + 120)
        loss = loss + (wc * c).sum()
    loss.backward()
    result = {
        "input": x.detach().reshape(-1).tolist(),
        "shape": shape,
        "state": {k: {"shape": list(v.shape), "values": v.reshape(-1).tolist()} for k, v in m.state_dict().items()},
        "value": out.detach().reshape(-1).tolist(),
        "valueShape": list(out.shape),
        "h": h.detach().reshape(-1).tolist(),
        "stateShape": list(h.shape),
        "weight": w.reshape(-1).tolist(),
        "weightH": wh.reshape(-1).tolist(),
        "grad": x.grad.reshape(-1).tolist(),
        "paramGrads": {k: p.grad.reshape(-1).tolist() for k, p in m.named_parameters()},
    }
    if with_state:
        result["h0"] = h0.detach().reshape(-1).tolist()
        result["gradH0"] = h0.grad.reshape(-1).tolist()
    if lstm:
        result["c"] = c.detach().reshape(-1).tolist()
        result["weightC"] = wc.reshape(-1).tolist()
        if with_state:
            result["c0"] = c0.detach().reshape(-1).tolist()
            result["gradC0"] = c0.grad.reshape(-1).tolist()
    return result


recurrent = {name: recurrent_case(shape, make, given, 2000 + 10 * i) for i, (name, (shape, make, given)) in enumerate(RECURRENT.items())}
# Attention and transformer layers (eval mode: dropout off): name -> (the torch module, its inputs' shapes,
# keyword arguments of the call, adjoint's options for it). Masks are fixed data, recorded as given.
def causal(n):
    return torch.triu(torch.ones(n, n, dtype=torch.bool), 1)


PAD = torch.tensor([[False, False, False, True], [False, True, False, False]])
FLOAT_MASK = rand([3, 4], 9)

ATTENTION = {
    "mha": (lambda: torch.nn.MultiheadAttention(6, 2), [[3, 2, 6], [4, 2, 6], [4, 2, 6]], {}, {}),
    "mha_masks_batchFirst": (
        lambda: torch.nn.MultiheadAttention(6, 3, batch_first=True),
        [[2, 3, 6], [2, 4, 6], [2, 4, 6]],
        {"key_padding_mask": PAD, "attn_mask": FLOAT_MASK},
        {"keyPaddingMask": PAD, "attnMask": FLOAT_MASK},
    ),
    "mha_causal": (lambda: torch.nn.MultiheadAttention(4, 2, bias=False), [[4, 2, 4], [4, 2, 4], [4, 2, 4]], {"attn_mask": causal(4)}, {"isCausal": True}),
    "encoder": (lambda: torch.nn.TransformerEncoderLayer(6, 2, dim_feedforward=8), [[3, 2, 6]], {}, {}),
    "encoder_normFirst_gelu": (
        lambda: torch.nn.TransformerEncoderLayer(6, 3, dim_feedforward=5, activation="gelu", norm_first=True, batch_first=True),
        [[2, 4, 6]],
        {"src_key_padding_mask": PAD, "src_mask": causal(4)},
        {"srcKeyPaddingMask": PAD, "isCausal": True},
    ),
    "decoder": (lambda: torch.nn.TransformerDecoderLayer(4, 2, dim_feedforward=6), [[3, 2, 4], [4, 2, 4]], {"tgt_mask": causal(3)}, {"tgtIsCausal": True}),
    "decoder_normFirst": (
        lambda: torch.nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, norm_first=True, batch_first=True),
        [[2, 3, 4], [2, 4, 4]],
        {"memory_key_padding_mask": PAD},
        {"memoryKeyPaddingMask": PAD},
    ),
}


def encode_option(v):
    if isinstance(v, torch.Tensor):
        return {"dtype": "bool" if v.dtype == torch.bool else "float64", "shape": list(v.shape), "values": [float(e) for e in v.reshape(-1).tolist()]}
    return v


def attention_case(make, shapes, kwargs, options, seed):
    torch.manual_seed(seed)
    m = make().double().eval()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(rand(list(p.shape), seed + 7) * 0.5)
            seed += 1
    xs = [rand(s, seed + 50 + i).requires_grad_(True) for i, s in enumerate(shapes)]
    if isinstance(m, torch.nn.MultiheadAttention):
        y = m(*xs, need_weights=False, **kwargs)[0]
    else:
        y = m(*xs, **kwargs)
    w = rand(list(y.shape), seed + 100)
    (w * y).sum().backward()
    return {
        "inputs": [x.detach().reshape(-1).tolist() for x in xs],
        "shapes": shapes,
        "options": {k: encode_option(v) for k, v in options.items()},
        "state": {k: {"shape": list(v.shape), "values": v.reshape(-1).tolist()} for k, v in m.state_dict().items()},
        "value": y.detach().reshape(-1).tolist(),
        "valueShape": list(y.shape),
        "weight": w.reshape(-1).tolist(),
        "grads": [x.grad.reshape(-1).tolist() for x in xs],
        "paramGrads": {k: p.grad.reshape(-1).tolist() for k, p in m.named_parameters()},
    }


attention = {name: attention_case(make, shapes, kwargs, options, 3000 + 10 * i) for i, (name, (make, shapes, kwargs, options)) in enumerate(ATTENTION.items())}
out = {name: case(shapes, options, f, 10 * i) for i, (name, (shapes, options, f)) in enumerate(CASES.items())}
layers = {name: layer_case(shape, make, 1000 + 10 * i) for i, (name, (shape, make)) in enumerate(LAYERS.items())}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers18.json")
with open(path, "w") as fh:
    json.dump({"cases": out, "layers": layers, "recurrent": recurrent, "attention": attention}, fh)
    fh.write("\n")
