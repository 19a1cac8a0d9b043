"""Golden data for adjoint's float16 conversion (src/backends/float16.ts), from PyTorch's torch.float16.

Run with a Python that has torch (Debian: /usr/bin/python3):
    /usr/bin/python3 test/golden/float16.py
writes test/golden/float16.json: float32 values given by their bits (edge cases: ties, the overflow
threshold, subnormals, ±0, ±inf, NaN; then seeded random bit patterns across every exponent) and the
bits of torch's float16 rounding of each; and a sample of half bit patterns with torch's float32 value
of each (given by its bits). Tests read the JSON; torch is never a test dependency.
"""
import struct

import torch

from common import write_json


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


EDGES = [
    0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 0.1, 1 / 3, 3.14159265, -2.71828,
    65504.0, 65505.0, 65519.0, 65519.99, 65520.0, 65536.0, 1e5, -65520.0, 3.4e38,
    float("inf"), float("-inf"), float("nan"),
    2 ** -14, 2 ** -14 * (1 - 2 ** -11), 2 ** -14 * (1 - 2 ** -12), 2 ** -24, 2 ** -25, 1.5 * 2 ** -25, 2 ** -25 * 1.0000001,
    2 ** -26, 3 * 2 ** -25, 5 * 2 ** -25, 7 * 2 ** -25, 1023.5 * 2 ** -24, 1e-8, -1e-8, 6e-8, -6e-8, 2 ** -149,
    1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20, 2048 + 1, 2048 + 3, 4096 + 2, 4096 + 6, 1 - 2 ** -12, 1 - 2 ** -11,
    2047.5 * 2 ** 5, 0.333251953125, 1.00048828125,
]
edge_bits = [f32_bits(x) for x in EDGES]

g = torch.Generator().manual_seed(16)
# Random float32 bit patterns with exponents around the half range (2^-30 .. 2^17), both signs.
exponents = torch.randint(127 - 30, 127 + 17, (2000,), generator=g)
mantissas = torch.randint(0, 1 << 23, (2000,), generator=g)
signs = torch.randint(0, 2, (2000,), generator=g)
random_bits = [int(s) << 31 | int(e) << 23 | int(m) for s, e, m in zip(signs, exponents, mantissas)]

bits = edge_bits + random_bits
as_f32 = torch.tensor(bits, dtype=torch.int64).to(torch.int32).view(torch.float32)
halves = as_f32.to(torch.float16).view(torch.int16).to(torch.int32) & 0xFFFF

# Half bit patterns: every 7th, and the ends of each range, widened to float32 by torch.
half_sample = sorted(set(range(0, 65536, 7)) | {0, 1, 0x3FF, 0x400, 0x7BFF, 0x7C00, 0x7C01, 0x7E00, 0x8000, 0x8001, 0xFBFF, 0xFC00, 0xFFFF})
widened = torch.tensor(half_sample, dtype=torch.int32).to(torch.int16).view(torch.float16).to(torch.float32).view(torch.int32)

write_json(
    "float16.json",
    {
        "torch": torch.__version__,
        "float32Bits": [b & 0xFFFFFFFF for b in bits],
        "halfBits": [int(h) for h in halves],
        "halfSample": half_sample,
        "widenedBits": [int(w) & 0xFFFFFFFF for w in widened],
    },
)
