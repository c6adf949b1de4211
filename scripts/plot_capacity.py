#!/usr/bin/env python3
"""Plots `attractor capacity --json` output: retrieval rate and mean final overlap against the
load P/N, with the theoretical collapse at 0.138 marked.

    attractor capacity --json > capacity.json
    python3 scripts/plot_capacity.py capacity.json capacity.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_capacity.py CAPACITY.json OUT.png")
    with open(sys.argv[1]) as f:
        data = json.load(f)
    curve = data["curve"]
    alpha = [c["alpha"] for c in curve]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(alpha, [c["mean_overlap"] for c in curve],
                yerr=[c["overlap_stddev"] for c in curve], marker="o", capsize=3,
                label="mean final overlap")
    ax.plot(alpha, [c["retrieval_rate"] for c in curve], marker="s",
            label=f"retrieved (overlap ≥ {data['match_overlap']})")
    ax.axvline(data["theory_alpha_c"], color="gray", linestyle="--", label="theory α_c = 0.138")
    ax.set_xlabel("load α = P / N")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"Hopfield capacity, N = {data['n']}, {data['dynamics']}, {data['trials']} trials")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=120)


if __name__ == "__main__":
    main()
