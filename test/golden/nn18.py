"""Golden values for issue 18's losses, optimisers and schedules from PyTorch, written to nn18.json
beside this file.

Run once with a Python that has torch (Debian: apt-get install python3-torch), from the repository
root: /usr/bin/python3 test/golden/nn18.py. The tests (test/nn/losses18.test.ts,
test/optim/optim18.test.ts) read the JSON; torch is never a test dependency.

- losses: each case records its arguments (float ones with their gradients), the options as adjoint
  spells them, the value, and the gradient of sum(w * loss) for a fixed weight w of the value's shape.
- ctcLoss takes logits through logSoftmax on both sides: torch's ctc_loss backward is the
  gradient with respect to the logits of a log_softmax, not to its own input (pytorch#52241).
- optimisers: a few steps of each on a small problem (two parameters, a fixed loss), recording the
  parameters after each step. Lion is not in torch: its step is written out from the paper's
  pseudo-code (Chen et al. 2023, Algorithm 2) with torch tensor ops.
- schedules: the learning rate of each of the first steps, read from torch's schedulers.
Non-finite numbers are written as the strings "NaN", "Infinity" and "-Infinity".
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def encode(v):
    if isinstance(v, list):
        return [encode(e) for e in v]
    if isinstance(v, bool):
        return 1 if v else 0
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def rand(shape, seed, low=-2.0, high=2.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g) * (high - low) + low).tolist()


def weight(shape, seed):
    g = torch.Generator().manual_seed(1000 + seed)
    return torch.rand(shape, generator=g) + 0.5


# Argument kinds: "x" a float input differentiated, "c" a float constant, "i" int32 labels,
# "n" a plain number[] (lengths).
def X(v):
    return ("x", v)


def Cst(v):
    return ("c", v)


def I(v):
    return ("i", v)


def N(v):
    return ("n", v)


def loss_case(fn, args, options, f, seed):
    tensors = []
    for kind, v in args:
        if kind == "x":
            tensors.append(torch.as_tensor(v).clone().requires_grad_(True))
        elif kind == "c":
            tensors.append(torch.as_tensor(v).clone())
        elif kind == "i":
            tensors.append(torch.tensor(v, dtype=torch.long))
        else:
            tensors.append(v)
    y = f(*tensors)
    w = weight(y.shape, seed)
    differentiable = [t for (kind, _), t in zip(args, tensors) if kind == "x"]
    grads = torch.autograd.grad((w * y).sum(), differentiable, allow_unused=True) if differentiable else []
    out_grads = []
    gi = 0
    for kind, v in args:
        if kind == "x":
            g = grads[gi]
            gi += 1
            out_grads.append(encode((g if g is not None else torch.zeros_like(torch.as_tensor(v))).reshape(-1).tolist()))
        else:
            out_grads.append(None)
    return {
        "fn": fn,
        "args": [{"kind": kind, "data": encode(torch.as_tensor(v).reshape(-1).tolist()) if kind != "n" else v, "shape": list(torch.as_tensor(v).shape)} for kind, v in args],
        "options": options,
        "value": encode(y.detach().reshape(-1).tolist()),
        "valueShape": list(y.shape),
        "weight": w.reshape(-1).tolist(),
        "grads": out_grads,
    }


A = rand([4, 3], 1)
B = rand([4, 3], 2)
B_NEAR = (torch.tensor(A) + torch.tensor(rand([4, 3], 3, -0.6, 0.6))).tolist()
LOGITS = rand([5, 4], 4, -3, 3)
LABELS = [3, 0, 1, 1, 2]
PROBS = torch.softmax(torch.tensor(rand([5, 4], 5, -2, 2)), -1).tolist()
CLASS_W = [0.5, 2.0, 1.0, 0.25]
P = torch.sigmoid(torch.tensor(rand([4, 3], 6, -3, 3))).tolist()
Y01 = torch.tensor(rand([4, 3], 7, 0, 1)).tolist()
HARD = [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]
LOGQ = torch.log_softmax(torch.tensor(rand([3, 4], 8)), -1).tolist()
TGT = torch.softmax(torch.tensor(rand([3, 4], 9)), -1).tolist()
TGT_ZERO = [[0.0, 0.5, 0.5, 0.0], [0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0]]
COUNTS = [[0.0, 1.0, 3.0], [2.0, 5.0, 0.0], [1.0, 4.0, 7.0], [0.0, 2.0, 1.0]]
RATES = torch.tensor(rand([4, 3], 10, 0.2, 4.0)).tolist()
VAR = torch.tensor(rand([4, 3], 11, 0.1, 2.0)).tolist()
VAR_ROW = torch.tensor(rand([4], 12, 0.1, 2.0)).tolist()
E1 = rand([4, 5], 13)
E2 = rand([4, 5], 14)
E3 = rand([4, 5], 15)
SIGNS = [1.0, -1.0, -1.0, 1.0]
S1 = rand([6], 16)
S2 = rand([6], 17)
SIGNS6 = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0]
CTC_LOGITS = rand([6, 3, 5], 18, -2, 2)
CTC_TGT = [[1, 2, 2], [3, 0, 0], [4, 4, 0]]
CTC_SHORT = rand([2, 2, 4], 19, -2, 2)

# name -> (fn as adjoint names it, args, adjoint options, torch function)
LOSSES = {
    "l1": ("l1Loss", [X(A), X(B)], {}, lambda a, b: F.l1_loss(a, b)),
    "l1_none": ("l1Loss", [X(A), X(B)], {"reduction": "none"}, lambda a, b: F.l1_loss(a, b, reduction="none")),
    "smoothL1": ("smoothL1Loss", [X(A), X(B_NEAR)], {}, lambda a, b: F.smooth_l1_loss(a, b)),
    "smoothL1_beta": ("smoothL1Loss", [X(A), X(B_NEAR)], {"beta": 0.3, "reduction": "none"}, lambda a, b: F.smooth_l1_loss(a, b, beta=0.3, reduction="none")),
    "smoothL1_beta0": ("smoothL1Loss", [X(A), X(B)], {"beta": 0, "reduction": "sum"}, lambda a, b: F.smooth_l1_loss(a, b, beta=0.0, reduction="sum")),
    "huber": ("huberLoss", [X(A), X(B_NEAR)], {}, lambda a, b: F.huber_loss(a, b)),
    "huber_delta": ("huberLoss", [X(A), X(B)], {"delta": 0.4, "reduction": "none"}, lambda a, b: F.huber_loss(a, b, delta=0.4, reduction="none")),
    "bce": ("binaryCrossEntropy", [X(P), X(Y01)], {}, lambda p, y: F.binary_cross_entropy(p, y)),
    "bce_weight": ("binaryCrossEntropy", [X(P), Cst(HARD), Cst([0.5, 2.0, 1.0])], {"reduction": "none"}, lambda p, y, w: F.binary_cross_entropy(p, y, weight=w, reduction="none")),
    "bceLogits_pos": (
        "binaryCrossEntropyWithLogits",
        [X(A), X(Y01), Cst([1.0, 3.0, 0.5]), Cst([[2.0], [1.0], [0.0], [0.5]])],
        {"reduction": "sum"},
        lambda x, y, p, w: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=p, reduction="sum"),
    ),
    "klDiv_batchmean": ("klDiv", [X(LOGQ), X(TGT)], {"reduction": "batchmean"}, lambda x, t: F.kl_div(x, t, reduction="batchmean")),
    "klDiv_mean_zeros": ("klDiv", [X(LOGQ), Cst(TGT_ZERO)], {}, lambda x, t: F.kl_div(x, t, reduction="mean")),
    "klDiv_logTarget": ("klDiv", [X(LOGQ), X(torch.log(torch.tensor(TGT)).tolist())], {"reduction": "none", "logTarget": True}, lambda x, t: F.kl_div(x, t, reduction="none", log_target=True)),
    "nll": ("nllLoss", [X(LOGQ), I([3, 0, 2])], {}, lambda x, y: F.nll_loss(x, y)),
    "nll_weight_ignore": ("nllLoss", [X(LOGITS), I([3, -100, 1, 1, 2]), Cst(CLASS_W)], {}, lambda x, y, w: F.nll_loss(x, y, weight=w)),
    "nll_ignore7": ("nllLoss", [X(LOGITS), I([3, 7, 1, 7, 2])], {"ignoreIndex": 7, "reduction": "none"}, lambda x, y: F.nll_loss(x, y, ignore_index=7, reduction="none")),
    "ce_weight": ("crossEntropy", [X(LOGITS), I(LABELS), Cst(CLASS_W)], {}, lambda x, y, w: F.cross_entropy(x, y, weight=w)),
    "ce_weight_sum": ("crossEntropy", [X(LOGITS), I(LABELS), Cst(CLASS_W)], {"reduction": "sum"}, lambda x, y, w: F.cross_entropy(x, y, weight=w, reduction="sum")),
    "ce_ignore_smooth": ("crossEntropy", [X(LOGITS), I([3, -100, 1, -100, 2])], {"labelSmoothing": 0.2}, lambda x, y: F.cross_entropy(x, y, label_smoothing=0.2)),
    "ce_all": (
        "crossEntropy",
        [X(LOGITS), I([3, -100, 1, 0, 2]), Cst(CLASS_W)],
        {"labelSmoothing": 0.1, "reduction": "none"},
        lambda x, y, w: F.cross_entropy(x, y, weight=w, label_smoothing=0.1, reduction="none"),
    ),
    "ce_all_mean": ("crossEntropy", [X(LOGITS), I([3, -100, 1, 0, 2]), Cst(CLASS_W)], {"labelSmoothing": 0.1}, lambda x, y, w: F.cross_entropy(x, y, weight=w, label_smoothing=0.1)),
    "ce_zero_weight": ("crossEntropy", [X(LOGITS), I(LABELS), Cst([0.0, 1.0, 1.0, 2.0])], {}, lambda x, y, w: F.cross_entropy(x, y, weight=w)),
    "ce_probs_weight_smooth": (
        "crossEntropy",
        [X(LOGITS), X(PROBS), Cst(CLASS_W)],
        {"labelSmoothing": 0.15},
        lambda x, p, w: F.cross_entropy(x, p, weight=w, label_smoothing=0.15),
    ),
    "poissonNll": ("poissonNllLoss", [X(A), X(COUNTS)], {}, lambda x, y: F.poisson_nll_loss(x, y)),
    "poissonNll_rates_full": (
        "poissonNllLoss",
        [X(RATES), Cst(COUNTS)],
        {"logInput": False, "full": True, "reduction": "none"},
        lambda x, y: F.poisson_nll_loss(x, y, log_input=False, full=True, reduction="none"),
    ),
    "gaussianNll": ("gaussianNllLoss", [X(A), X(B), X(VAR)], {}, lambda x, y, v: F.gaussian_nll_loss(x, y, v)),
    "gaussianNll_row_full": ("gaussianNllLoss", [X(A), X(B), X(VAR_ROW)], {"full": True, "reduction": "sum"}, lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True, reduction="sum")),
    "cosineEmbedding": ("cosineEmbeddingLoss", [X(E1), X(E2), Cst(SIGNS)], {"reduction": "none"}, lambda a, b, y: F.cosine_embedding_loss(a, b, y, reduction="none")),
    "cosineEmbedding_margin": ("cosineEmbeddingLoss", [X(E1), X(E2), Cst(SIGNS)], {"margin": -0.2}, lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=-0.2)),
    "marginRanking": ("marginRankingLoss", [X(S1), X(S2), Cst(SIGNS6)], {"margin": 0.5, "reduction": "none"}, lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.5, reduction="none")),
    "marginRanking_mean": ("marginRankingLoss", [X(S1), X(S2), Cst(SIGNS6)], {}, lambda a, b, y: F.margin_ranking_loss(a, b, y)),
    "triplet": ("tripletMarginLoss", [X(E1), X(E2), X(E3)], {"reduction": "none", "margin": 2.0}, lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, reduction="none")),
    "triplet_p1_swap": ("tripletMarginLoss", [X(E1), X(E2), X(E3)], {"p": 1, "swap": True, "margin": 3.0}, lambda a, p, n: F.triplet_margin_loss(a, p, n, p=1, swap=True, margin=3.0)),
    "triplet_p3": ("tripletMarginLoss", [X(E1), X(E2), X(E3)], {"p": 3, "margin": 2.0, "reduction": "sum"}, lambda a, p, n: F.triplet_margin_loss(a, p, n, p=3, margin=2.0, reduction="sum")),
    "ctc": ("ctcLoss", [X(CTC_LOGITS), I(CTC_TGT), N([6, 5, 6]), N([3, 1, 2])], {}, lambda lp, t, il, tl: F.ctc_loss(lp.log_softmax(-1), t, il, tl)),
    "ctc_none": ("ctcLoss", [X(CTC_LOGITS), I(CTC_TGT), N([6, 4, 3]), N([3, 0, 2])], {"reduction": "none"}, lambda lp, t, il, tl: F.ctc_loss(lp.log_softmax(-1), t, il, tl, reduction="none")),
    "ctc_blank4_sum": ("ctcLoss", [X(CTC_LOGITS), I([[1, 2, 2], [3, 0, 0], [0, 0, 1]]), N([6, 5, 6]), N([3, 1, 3])], {"blank": 4, "reduction": "sum"}, lambda lp, t, il, tl: F.ctc_loss(lp.log_softmax(-1), t, il, tl, blank=4, reduction="sum")),
    "ctc_zeroInfinity": (
        "ctcLoss",
        [X(CTC_SHORT), I([[1, 1], [2, 0]]), N([2, 2]), N([2, 1])],
        {"reduction": "none", "zeroInfinity": True},
        lambda lp, t, il, tl: F.ctc_loss(lp.log_softmax(-1), t, il, tl, reduction="none", zero_infinity=True),
    ),
}


def edge_values(fn, args, options, f):
    return loss_case(fn, [(("c" if k == "x" else k), v) for k, v in args], options, f, 0)


EDGES = {
    # Every label ignored: "mean" is 0/0.
    "nll_all_ignored": edge_values("nllLoss", [X(LOGQ), I([-100, -100, -100])], {}, lambda x, y: F.nll_loss(x, y)),
    "ce_all_ignored_sum": edge_values("crossEntropy", [X(LOGITS), I([-100] * 5)], {"reduction": "sum"}, lambda x, y: F.cross_entropy(x, y, reduction="sum")),
    "ce_empty_sum": edge_values("crossEntropy", [X(torch.zeros(0, 4)), I([])], {"reduction": "sum"}, lambda x, y: F.cross_entropy(x, y, reduction="sum")),
    "bce_ends": edge_values("binaryCrossEntropy", [X([0.0, 1.0, 0.0, 1.0]), Cst([1.0, 0.0, 0.0, 1.0])], {"reduction": "none"}, lambda p, y: F.binary_cross_entropy(p, y, reduction="none")),
    "ctc_unreachable": edge_values("ctcLoss", [X(CTC_SHORT), I([[1, 1], [2, 0]]), N([2, 2]), N([2, 1])], {"reduction": "none"}, lambda lp, t, il, tl: F.ctc_loss(lp.log_softmax(-1), t, il, tl, reduction="none")),
}

out = {
    "losses": {name: loss_case(fn, args, options, f, seed) for seed, (name, (fn, args, options, f)) in enumerate(LOSSES.items())},
    "lossEdges": EDGES,
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn18.json"), "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
