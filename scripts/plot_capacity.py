#!/usr/bin/env python3
"""Plots `attractor capacity --json` output: retrieval rate and mean final overlap against the
load P/N, with each storage rule's theoretical load marked. Several files (one per rule, say)
are overlaid in one plot; a file may also hold several runs as {"runs": [...]}, as
bench/results/2026-12-01-capacity-rules.json does.

    attractor capacity --json > capacity.json
    python3 scripts/plot_capacity.py capacity.json capacity.png
    python3 scripts/plot_capacity.py hebb.json storkey.json pinv.json rules.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load_runs(paths):
    runs = []
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        runs.extend(data["runs"] if "runs" in data else [data])
    return runs


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: plot_capacity.py CAPACITY.json [MORE.json ...] OUT.png")
    runs = load_runs(sys.argv[1:-1])
    single = len(runs) == 1
    fig, ax = plt.subplots(figsize=(6, 4) if single else (9, 4.2))
    for k, data in enumerate(runs):
        curve = data["curve"]
        alpha = [c["alpha"] for c in curve]
        rule = data.get("rule", "hebb")  # files written before --rule existed are Hebbian
        color = f"C{k}"
        prefix = "" if single else f"{rule}: "
        ax.errorbar(alpha, [c["mean_overlap"] for c in curve],
                    yerr=[c["overlap_stddev"] for c in curve], marker="o", capsize=3,
                    color=color, label=f"{prefix}mean final overlap")
        ax.plot(alpha, [c["retrieval_rate"] for c in curve], marker="s", linestyle=":",
                color=color, label=f"{prefix}retrieved (overlap ≥ {data['match_overlap']})")
        theory = data["theory_alpha_c"]
        if theory <= max(alpha):
            ax.axvline(theory, color=color, linestyle="--", alpha=0.6,
                       label=f"{prefix}theory α = {theory:.3f}")
    first = runs[0]
    ax.set_xlabel("load α = P / N")
    ax.set_ylim(-0.05, 1.05)
    rules = ", ".join(r.get("rule", "hebb") for r in runs)
    ax.set_title(f"Hopfield capacity ({rules}), N = {first['n']}, {first['dynamics']}, "
                 f"{first['trials']} trials", fontsize=10)
    if single:
        ax.legend(loc="lower left", fontsize=8)
    else:  # beside the axes: the curves fill every corner
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[-1], dpi=120)


if __name__ == "__main__":
    main()
