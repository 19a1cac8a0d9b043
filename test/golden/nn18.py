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
  pseudo-code (Chen et al. 2023, Algorithm 2) with torch tensor ops; NAdam is torch 2's step (see
  nadam below: the installed torch 1.13 has a since-fixed slip in it).
- schedules: the learning rate of each of the first steps, read from torch's schedulers.
- uint8 and int8: the values of a cast from every dtype to every dtype, and a few wrapping and
  promoting operations (their dtype and values; torch's int64 and int16 are int32 in adjoint).
Non-finite numbers are written as the strings "NaN", "Infinity" and "-Infinity".
"""

import torch
import torch.nn.functional as F

from common import encode, lr_schedule, write_json
from common import weight as common_weight

torch.set_default_dtype(torch.float64)


def rand(shape, seed, low=-2.0, high=2.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g) * (high - low) + low).tolist()


def weight(shape, seed):
    return common_weight(shape, 1000 + seed)


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


# ---------------------------------------------------------------- optimisers
OPT_X = rand([4, 3], 40)
OPT_Y = rand([4, 2], 41)
OPT_W = rand([3, 2], 42)
OPT_B = rand([2], 43)
OPT_STEPS = 8


def objective(w, b):
    r = torch.tensor(OPT_X) @ w + b - torch.tensor(OPT_Y)
    return (r * r).sum() + 0.1 * (w**4).sum()


def lion_step(params, state, lr, betas, weight_decay):
    # Chen et al. 2023, Algorithm 2 (torch has no Lion).
    with torch.no_grad():
        for p in params:
            m = state.setdefault(id(p), torch.zeros_like(p))
            p.mul_(1 - lr * weight_decay)
            p.add_(torch.sign(betas[0] * m + (1 - betas[0]) * p.grad), alpha=-lr)
            m.mul_(betas[1]).add_(p.grad, alpha=1 - betas[1])


def nadam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
    # torch 1.13 (the one installed here) multiplies mu into mu_product_next twice; torch 2 and the
    # documented algorithm use prod_{i<=t+1} mu_i = mu_product * mu_next. This is torch 2's
    # _single_tensor_nadam (without decoupled decay), written out with torch ops.
    def make(params):
        state = {}

        def step():
            with torch.no_grad():
                for p in params:
                    s = state.setdefault(id(p), {"t": 0, "mu_product": 1.0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
                    s["t"] += 1
                    t = s["t"]
                    g = p.grad.add(p, alpha=weight_decay) if weight_decay != 0 else p.grad
                    mu = betas[0] * (1.0 - 0.5 * (0.96 ** (t * momentum_decay)))
                    mu_next = betas[0] * (1.0 - 0.5 * (0.96 ** ((t + 1) * momentum_decay)))
                    s["mu_product"] *= mu
                    s["m"].mul_(betas[0]).add_(g, alpha=1 - betas[0])
                    s["v"].mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
                    denom = s["v"].div(1 - betas[1] ** t).sqrt().add_(eps)
                    p.addcdiv_(g, denom, value=-lr * (1.0 - mu) / (1.0 - s["mu_product"]))
                    p.addcdiv_(s["m"], denom, value=-lr * mu_next / (1.0 - s["mu_product"] * mu_next))

        return step

    return make


def run_optimizer(make):
    w = torch.tensor(OPT_W, requires_grad=True)
    b = torch.tensor(OPT_B, requires_grad=True)
    step = make([w, b])
    trail = []
    for _ in range(OPT_STEPS):
        w.grad = None
        b.grad = None
        objective(w, b).backward()
        step()
        trail.append({"w": w.detach().reshape(-1).tolist(), "b": b.detach().tolist()})
    return trail


def torch_step(cls, **kw):
    def make(params):
        return cls(params, **kw).step

    return make


def lion(**kw):
    def make(params):
        state = {}
        return lambda: lion_step(params, state, kw["lr"], kw.get("betas", (0.9, 0.99)), kw.get("weight_decay", 0.0))

    return make


O = torch.optim
# name -> (class as adjoint names it, adjoint options, torch optimiser)
OPTIMIZERS = {
    "adagrad": ("Adagrad", {"lr": 0.1}, torch_step(O.Adagrad, lr=0.1)),
    "adagrad_all": (
        "Adagrad",
        {"lr": 0.1, "lrDecay": 0.05, "weightDecay": 0.1, "initialAccumulatorValue": 0.2, "eps": 1e-8},
        torch_step(O.Adagrad, lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-8),
    ),
    "adadelta": ("Adadelta", {"lr": 1.0}, torch_step(O.Adadelta, lr=1.0)),
    "adadelta_all": ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weightDecay": 0.05}, torch_step(O.Adadelta, lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.05)),
    "adamax": ("Adamax", {"lr": 0.02}, torch_step(O.Adamax, lr=0.02)),
    "adamax_all": ("Adamax", {"lr": 0.02, "betas": [0.8, 0.95], "eps": 1e-6, "weightDecay": 0.1}, torch_step(O.Adamax, lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    "nadam": ("NAdam", {"lr": 0.02}, nadam(lr=0.02)),
    "nadam_all": (
        "NAdam",
        {"lr": 0.02, "betas": [0.85, 0.99], "eps": 1e-6, "weightDecay": 0.1, "momentumDecay": 0.01},
        nadam(lr=0.02, betas=(0.85, 0.99), eps=1e-6, weight_decay=0.1, momentum_decay=0.01),
    ),
    "radam": ("RAdam", {"lr": 0.01}, torch_step(O.RAdam, lr=0.01)),
    "radam_rectified": ("RAdam", {"lr": 0.01, "betas": [0.9, 0.9], "weightDecay": 0.1}, torch_step(O.RAdam, lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),
    "lion": ("Lion", {"lr": 0.01}, lion(lr=0.01)),
    "lion_all": ("Lion", {"lr": 0.01, "betas": [0.8, 0.95], "weightDecay": 0.5}, lion(lr=0.01, betas=(0.8, 0.95), weight_decay=0.5)),
}

# ---------------------------------------------------------------- schedules
SCHED_STEPS = 20


def lrs(make, base=0.1, steps=SCHED_STEPS, momentum=0.0):
    return lr_schedule(make, steps, base, momentum)


S = O.lr_scheduler
# name -> (schedule as adjoint names it, its arguments, torch's rates for steps 0, 1, …)
SCHEDULES = {
    "exponentialLR": ("exponentialLR", [0.1, {"gamma": 0.9}], lrs(lambda o: S.ExponentialLR(o, gamma=0.9))),
    "linearLR": ("linearLR", [0.1, {}], lrs(lambda o: S.LinearLR(o), steps=8)),
    "linearLR_all": ("linearLR", [0.1, {"startFactor": 0.25, "endFactor": 0.9, "totalIters": 4}], lrs(lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=4), steps=8)),
    "oneCycleLR": ("oneCycleLR", [0.5, {"totalSteps": 20}], lrs(lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=20), momentum=0.9)),
    "oneCycleLR_three_linear": (
        "oneCycleLR",
        [0.5, {"totalSteps": 20, "pctStart": 0.25, "annealStrategy": "linear", "divFactor": 10, "finalDivFactor": 100, "threePhase": True}],
        lrs(lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=20, pct_start=0.25, anneal_strategy="linear", div_factor=10, final_div_factor=100, three_phase=True), momentum=0.9),
    ),
    "cyclicLR": ("cyclicLR", [0.01, {"maxLr": 0.1, "stepSizeUp": 4}], lrs(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False), base=0.01)),
    "cyclicLR_triangular2": (
        "cyclicLR",
        [0.01, {"maxLr": 0.1, "stepSizeUp": 3, "stepSizeDown": 2, "mode": "triangular2"}],
        lrs(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2, mode="triangular2", cycle_momentum=False), base=0.01),
    ),
    "cyclicLR_expRange": (
        "cyclicLR",
        [0.01, {"maxLr": 0.1, "stepSizeUp": 4, "mode": "expRange", "gamma": 0.9}],
        lrs(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range", gamma=0.9, cycle_momentum=False), base=0.01),
    ),
    # Warm-up then cosine as torch composes it: SequentialLR of LinearLR and CosineAnnealingLR.
    "warmupThenCosine": (
        "warmupThenCosine",
        [0.1, {"startFactor": 0.1, "warmupSteps": 3, "totalSteps": 10, "minLr": 0.001}],
        lrs(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3), S.CosineAnnealingLR(o, T_max=7, eta_min=0.001)], milestones=[3]), steps=10),
    ),
}

METRICS = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.93, 0.5, 0.6, 0.7, 0.8, 0.9, 0.45, 0.46, 0.47, 0.48, 0.49, 0.5]


def plateau(**kw):
    opt = O.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = S.ReduceLROnPlateau(opt, **kw)
    out = []
    for m in METRICS:
        sched.step(m)
        out.append(opt.param_groups[0]["lr"])
    return out


PLATEAUS = {
    "min_rel": ({"patience": 2, "cooldown": 1}, plateau(patience=2, cooldown=1)),
    "max_abs": (
        {"mode": "max", "factor": 0.5, "patience": 1, "threshold": 0.05, "thresholdMode": "abs", "minLr": 0.02},
        plateau(mode="max", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs", min_lr=0.02),
    ),
}

# ---------------------------------------------------------------- uint8 and int8
DT = {"float32": torch.float32, "float64": torch.float64, "int32": torch.int32, "uint8": torch.uint8, "int8": torch.int8, "bool": torch.bool, "float16": torch.float16}
# Finite values only: a float out of an integer type's range converts by truncation then wrapping on
# this machine (x86), which C++ leaves undefined; NaN and ±inf are left out for the same reason.
CAST_SAMPLES = {
    "float32": [-1.5, 0.0, 2.7, 127.9, 200.2, 300.7, -129.5],
    "float64": [-1.5, 0.0, 2.7, 127.9, 200.2, 300.7, -129.5],
    "int32": [-1, 0, 255, 256, 300, -129, 70000],
    "uint8": [0, 1, 127, 128, 255],
    "int8": [-128, -1, 0, 1, 127],
    "bool": [False, True],
    "float16": [-1.5, 0.0, 2.7, 127.9, 200.2, 300.7, -129.5],
}
# encode: int32 70000 overflows float16 to infinity, which JSON writes as a string.
CASTS = {src: {dst: encode(torch.tensor(CAST_SAMPLES[src], dtype=DT[src]).to(DT[dst]).to(torch.float64).tolist()) for dst in DT} for src in DT}

U = [200, 100, 7, 0, 255]
I8 = [100, -100, 7, -128, 127]


def byte_op(f, a, da, b=None, db=None):
    x = torch.tensor(a, dtype=DT[da])
    y = f(x) if b is None else f(x, torch.tensor(b, dtype=DT[db]) if db is not None else b)
    return {"dtype": str(y.dtype).replace("torch.", ""), "value": y.to(torch.float64).tolist()}


# float32 is the default float here, as in adjoint (the losses above run in float64).
torch.set_default_dtype(torch.float32)
BYTE_OPS = {
    "add_uint8": byte_op(torch.add, U, "uint8", [100, 200, 1, 0, 1], "uint8"),
    "sub_uint8": byte_op(torch.sub, U, "uint8", [201, 0, 8, 1, 255], "uint8"),
    "mul_uint8": byte_op(torch.mul, U, "uint8", [2, 3, 40, 9, 255], "uint8"),
    "neg_uint8": byte_op(torch.neg, U, "uint8"),
    "add_int8": byte_op(torch.add, I8, "int8", [100, -100, 1, -1, 1], "int8"),
    "mul_int8": byte_op(torch.mul, I8, "int8", [2, 3, -40, 1, 2], "int8"),
    "neg_int8": byte_op(torch.neg, I8, "int8"),
    "add_uint8_int8": byte_op(torch.add, U, "uint8", I8, "int8"),
    "add_uint8_number": byte_op(torch.add, U, "uint8", 100),
    "mul_int8_number": byte_op(torch.mul, I8, "int8", 3),
    "add_uint8_float": byte_op(torch.add, U, "uint8", 0.5),
    "add_uint8_int32": byte_op(torch.add, U, "uint8", [1000, -1, 0, 5, 1], "int32"),
    "sum_uint8": byte_op(torch.sum, U, "uint8"),
    "max_int8": byte_op(torch.max, I8, "int8"),
    "gt_uint8_int8": byte_op(torch.gt, U, "uint8", I8, "int8"),
    "div_uint8": byte_op(torch.div, U, "uint8", [3, 7, 2, 1, 5], "uint8"),
}
torch.set_default_dtype(torch.float64)

out = {
    "losses": {name: loss_case(fn, args, options, f, seed) for seed, (name, (fn, args, options, f)) in enumerate(LOSSES.items())},
    "lossEdges": EDGES,
    "optimizer": {"x": OPT_X, "y": OPT_Y, "w": OPT_W, "b": OPT_B},
    "optimizers": {name: {"class": cls, "options": options, "trail": run_optimizer(make)} for name, (cls, options, make) in OPTIMIZERS.items()},
    "schedules": {name: {"fn": fn, "args": args, "lrs": values} for name, (fn, args, values) in SCHEDULES.items()},
    "casts": {"samples": {k: [float(v) for v in vs] for k, vs in CAST_SAMPLES.items()}, "values": CASTS},
    "byteOps": BYTE_OPS,
    "plateau": {"metrics": METRICS, "cases": {name: {"options": options, "lrs": values} for name, (options, values) in PLATEAUS.items()}},
}
write_json("nn18.json", out, indent=1)
