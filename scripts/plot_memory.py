#!/usr/bin/env python3
"""Plots `attractor memory-experiment --json` output: which memories the network holds after each
stage (held / lost / not recorded) above the number of synapses whose trace exceeds its bound.

    attractor memory-experiment --json > memory.json
    python3 scripts/plot_memory.py memory.json memory.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_memory.py MEMORY.json OUT.png")
    with open(sys.argv[1]) as f:
        data = json.load(f)
    stages = data["stages"]
    held = np.array([s["held"] for s in stages], dtype=float).T  # memory x stage
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 5.2), sharex=True,
                                      gridspec_kw={"height_ratios": [2, 1]})
    cmap = matplotlib.colors.ListedColormap(["white", "tab:red", "tab:blue"])
    top.imshow(held + 1, cmap=cmap, vmin=0, vmax=2, aspect="auto")
    top.set_yticks(range(held.shape[0]), [f"memory {r}" for r in range(held.shape[0])])
    for name, color in (("held", "tab:blue"), ("lost", "tab:red"), ("not recorded", "white")):
        top.plot([], [], "s", color=color, markeredgecolor="k", label=name)
    top.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for e in data["events"]:
        top.annotate(e["kind"], (e["stage"], e["memory"]), ha="center", va="center", fontsize=7)
    bounded = "A + clip(M, ±bound)" if data["bounded"] else "A + M (no bound)"
    top.set_title(f"recording a sequence, efficacy {bounded}", fontsize=10)
    bottom.bar(range(len(stages)), [s["saturated"] for s in stages], color="tab:gray")
    bottom.set_ylabel("synapses past\ntheir bound")
    bottom.set_xticks(range(len(stages)),
                      [f"{'rec' if s['action'] == 'record' else 'rel'} {s['pattern']}"
                       for s in stages])
    bottom.set_xlabel("stage")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)


if __name__ == "__main__":
    main()
