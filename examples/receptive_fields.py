#!/usr/bin/env python3
"""Krotov–Hopfield receptive fields: 100 competing hidden units learn, without labels, from
Fashion-MNIST (Debian's dataset-fashion-mnist; the first 10 000 training images, 20 epochs);
each unit's synapses, drawn as a 28 × 28 image, become a prototype of a garment — after 20
epochs about half of them (shoes, trousers, shirts, bags); the rest still show their random
start. Δ = 0.1: with the paper's 0.4 most units here are pushed onto the mean image's negative.

    PYTHONPATH=build/python python3 examples/receptive_fields.py receptive_fields.png
"""
import gzip
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import attractor  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def images(path, count):
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = np.frombuffer(f.read(16), dtype=">u4")
        if magic != 2051:
            sys.exit(f"{path}: not an IDX image file")
        pixels = np.frombuffer(f.read(int(min(n, count)) * rows * cols), dtype=np.uint8)
    return pixels.reshape(-1, rows * cols).astype(np.float32) / 255.0, int(rows)


if not os.path.exists(DATA):
    sys.exit(f"receptive_fields.py: {DATA} not found (apt-get install dataset-fashion-mnist)")
x, side = images(DATA, 10_000)
W = attractor.train_competing_units(x, hidden=100, delta=0.1, epochs=20)
fig, axes = plt.subplots(10, 10, figsize=(8, 8))
for ax, w in zip(axes.flat, W):
    limit = np.abs(w).max()
    ax.imshow(w.reshape(side, side), cmap="bwr", vmin=-limit, vmax=limit)
    ax.axis("off")
fig.suptitle("Krotov–Hopfield receptive fields, Fashion-MNIST (p = 3, k = 7, Δ = 0.1)")
fig.tight_layout()
fig.savefig(sys.argv[1] if len(sys.argv) > 1 else "receptive_fields.png", dpi=100)
