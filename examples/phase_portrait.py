#!/usr/bin/env python3
"""Phase portrait of two neurons coupled asymmetrically, du/dt = W tanh(u) − u with
W = [[2, −2], [2, 2]]: the origin is an unstable focus and every trajectory winds onto one
limit cycle, which the engine classifies (Poincaré section) and times.

    PYTHONPATH=build/python python3 examples/phase_portrait.py phase_portrait.png
"""
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import attractor  # noqa: E402

W = np.array([[2.0, -2.0], [2.0, 2.0]])
net = attractor.network(W, activation="tanh")
g = np.linspace(-3, 3, 21)
U, V = np.meshgrid(g, g)
dU = W[0, 0] * np.tanh(U) + W[0, 1] * np.tanh(V) - U
dV = W[1, 0] * np.tanh(U) + W[1, 1] * np.tanh(V) - V
plt.streamplot(U, V, dU, dV, color="lightgrey", density=1.2)
starts = np.array([[0.05, 0.0], [2.8, 2.8], [-2.8, 1.0], [0.5, -2.9]])
out = attractor.run(net, starts, dynamics="continuous", dt=0.01, steps=3000, record_every=1,
                    record_states=True, max_period=1)
for k in range(len(starts)):
    path = out["recording"]["states"][:, k, :]
    plt.plot(path[:, 0], path[:, 1], lw=1.2)
cycle = attractor.run(net, starts[:1], dynamics="continuous", dt=0.01, steps=100000)
title = f"W = [[2, -2], [2, 2]]: {cycle['outcome'][0].replace('_', ' ')}"
if cycle["outcome"][0] == "limit_cycle":
    title += f", period {cycle['period_time'][0]:.2f}"
plt.title(title)
plt.xlabel("u₁")
plt.ylabel("u₂")
plt.gca().set_aspect("equal")
plt.savefig(sys.argv[1] if len(sys.argv) > 1 else "phase_portrait.png", dpi=110)
