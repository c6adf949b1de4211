#!/usr/bin/env python3
"""The capacity curve: for each load α = P/N, patterns stored by Hebb's and Storkey's rules are
each started from themselves and kept when the state they settle in still overlaps them by
≥ 0.95. Hebb's rule collapses near α ≈ 0.138 (Amit, Gutfreund & Sompolinsky), Storkey's later.

    PYTHONPATH=build/python python3 examples/capacity_curve.py capacity_curve.png
"""
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import attractor  # noqa: E402

alphas = [0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.25, 0.30]
for rule in ("hebb", "storkey"):
    curve = attractor.capacity(n=500, alphas=alphas, trials=2, rule=rule)
    plt.plot([c["alpha"] for c in curve], [c["retrieval_rate"] for c in curve], marker="o",
             label=rule)
plt.axvline(0.138, color="grey", ls="--", label="α = 0.138")
plt.xlabel("load α = P / N")
plt.ylabel("patterns retrieved")
plt.title("Storage capacity, N = 500, asynchronous updates")
plt.legend()
plt.grid(alpha=0.3)
plt.savefig(sys.argv[1] if len(sys.argv) > 1 else "capacity_curve.png", dpi=110)
