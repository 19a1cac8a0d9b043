"""PyTorch on one CPU thread, the model of `npm run demo:gpt` (demo/gptModel.ts): token and learned
position embeddings N(0, 0.02), pre-norm causal TransformerEncoderLayers (GELU, feed-forward 4x
width, no dropout), a final LayerNorm and an untied head; AdamW on random windows of
demo/data/shakespeare.txt. Prints training tokens/s over the steps after the first.
A reference figure for bench/RESULTS.md, not a test dependency.

    /usr/bin/python3 bench/gpt_torch.py [--steps 6] [--batch 32] [--context 128] ...
"""
import argparse
import math
import time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
for name, default in [("layers", 4), ("heads", 4), ("width", 128), ("context", 128), ("batch", 32), ("steps", 6)]:
    p.add_argument(f"--{name}", type=int, default=default)
a = p.parse_args()
torch.set_num_threads(1)
torch.manual_seed(1)

text = open("demo/data/shakespeare.txt", encoding="utf8").read()
vocab = sorted(set(text))
data = torch.tensor([vocab.index(c) for c in text[:200_000]], dtype=torch.long)


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = nn.Embedding(len(vocab), a.width)
        self.positions = nn.Embedding(a.context, a.width)
        nn.init.normal_(self.tokens.weight, 0, 0.02)
        nn.init.normal_(self.positions.weight, 0, 0.02)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(a.width, a.heads, 4 * a.width, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
            for _ in range(a.layers)
        )
        self.norm = nn.LayerNorm(a.width)
        self.head = nn.Linear(a.width, len(vocab))
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(a.context))

    def forward(self, idx):
        x = self.tokens(idx) + self.positions.weight[: idx.shape[1]]
        for b in self.blocks:
            x = b(x, src_mask=self.mask)
        return self.head(self.norm(x))


model = Gpt()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
times = []
for step in range(a.steps):
    at = torch.randint(0, len(data) - a.context - 1, (a.batch,))
    x = torch.stack([data[i : i + a.context] for i in at])
    y = torch.stack([data[i + 1 : i + a.context + 1] for i in at])
    t0 = time.perf_counter()
    loss = nn.functional.cross_entropy(model(x).reshape(-1, len(vocab)), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    times.append(time.perf_counter() - t0)
    print(f"step {step + 1}: loss {loss.item():.4f}  {times[-1] * 1000:.0f} ms")
steady = times[1:]
print(f"torch {torch.__version__}, 1 thread: {a.batch * a.context * len(steady) / sum(steady):.0f} tokens/s "
      f"(batch {a.batch}, context {a.context}, {sum(p.numel() for p in model.parameters()):,} parameters; ln V = {math.log(len(vocab)):.3f})")
