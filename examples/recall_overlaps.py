#!/usr/bin/env python3
"""Recall from noisy cues: a Hebbian network of N = 2000 neurons stores P = 100 patterns
(load 0.05); cues of pattern 0 with 10–45% of their bits flipped run synchronously, and the
overlap m(t) with pattern 0 is drawn step by step. Below the basin's edge m climbs to 1 in a
few steps; far enough out the state falls into another attractor.

    PYTHONPATH=build/python python3 examples/recall_overlaps.py recall_overlaps.png
"""
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import attractor  # noqa: E402

rng = np.random.default_rng(1)
n, p = 2000, 100
xi = rng.choice([-1.0, 1.0], size=(p, n))
net = attractor.memory(xi)
noise = np.array([0.10, 0.20, 0.30, 0.35, 0.40, 0.45])
cues = np.repeat(xi[:1], len(noise), axis=0) * np.where(rng.random((len(noise), n)) < noise[:, None], -1.0, 1.0)
out = attractor.run(net, cues, steps=30, patterns=xi, record_every=1)
m = out["recording"]["overlaps"][:, :, 0]  # steps × cues, overlap with pattern 0
for k, f in enumerate(noise):
    plt.plot(out["recording"]["steps"], m[:, k], marker="o", ms=3, label=f"{100 * f:.0f}% flipped")
plt.xlabel("synchronous step")
plt.ylabel("overlap m with the cued pattern")
plt.title(f"Hebbian recall, N = {n}, P = {p} (load {p / n:.2f})")
plt.legend()
plt.grid(alpha=0.3)
plt.savefig(sys.argv[1] if len(sys.argv) > 1 else "recall_overlaps.png", dpi=110)
