#!/usr/bin/env python3
"""Plots a Krotov–Hopfield run (the result.json of `attractor learn krotov --out DIR`): the
fraction of converged units per unsupervised epoch and the top layer's loss per epoch, with the
test accuracy — and, given the result.json of `attractor learn backprop`, the baseline's loss
and accuracy beside it.

    python3 scripts/plot_learning.py krotov/result.json [backprop/result.json] learning.png
Needs python3-matplotlib.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    krotov = json.load(open(sys.argv[1]))
    backprop = json.load(open(sys.argv[2])) if len(sys.argv) == 4 else None
    fig, (units, loss) = plt.subplots(1, 2, figsize=(10, 4))
    converged = krotov["history"]["converged"]
    units.plot(range(1, len(converged) + 1), [100 * c for c in converged])
    units.set_xlabel("unsupervised epoch")
    units.set_ylabel("units converged, % (|Σ|W|^p − 1| < 0.1)")
    units.set_ylim(0, 100)
    units.set_title(f"{krotov['params']['hidden']} competing units, p = {krotov['params']['p']}, "
                    f"k = {krotov['params']['k']}, Δ = {krotov['params']['delta']}")
    top = krotov["history"]["top_loss"]
    loss.semilogy(range(1, len(top) + 1), top,
                  label=f"Krotov–Hopfield top layer: {100 * krotov['test_accuracy']:.2f}% test")
    if backprop:
        loss.semilogy(range(1, len(backprop["history"]["loss"]) + 1), backprop["history"]["loss"],
                      label=f"backprop MLP: {100 * backprop['test_accuracy']:.2f}% test")
    loss.set_xlabel("supervised epoch")
    loss.set_ylabel("training loss per sample (Σ|c − t|^m; cross-entropy)")
    loss.legend()
    fig.tight_layout()
    fig.savefig(sys.argv[-1], dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
