#!/usr/bin/env python3
"""Plots `attractor dam --json` output: the fraction of cues retrieved against the load P/N for
each memory, with the Hebbian network's theoretical collapse at 0.138 and, for the polynomial
memories, Krotov & Hopfield's error-free capacity marked.

    attractor dam --json > dam.json
    python3 scripts/plot_dam.py dam.json dam.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {"hebbian": "Hebbian, F = x²", "exp": "exponential, F = eˣ",
          "softmax": "modern (softmax), β = {beta:g}"}


def label(kind, data):
    if kind.startswith("poly"):
        return f"polynomial, F = x^{kind[4:]}"
    return LABELS[kind].format(beta=data["beta"])


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_dam.py DAM.json OUT.png")
    with open(sys.argv[1]) as f:
        data = json.load(f)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    # Memories that never fail overlap at 1.0: distinct markers and dashes keep each visible.
    styles = zip("os^Dv<>p", ["-", "-", "-", "--", ":", "-.", "-", "--"])
    for kind, (marker, dashes) in zip(data["kinds"], styles):
        points = sorted((c["alpha"], c["retrieval_rate"]) for c in data["curve"] if c["kind"] == kind)
        line, = ax.plot([a for a, _ in points], [r for _, r in points], marker=marker,
                        linestyle=dashes, markersize=4, fillstyle="none", label=label(kind, data))
        error_free = data["theory"]["error_free_alpha"].get(kind)
        if error_free is not None and kind != "hebbian":
            ax.axvline(error_free, color=line.get_color(), linestyle=":", linewidth=1)
    ax.axvline(data["theory"]["hebbian_alpha_c"], color="gray", linestyle="--",
               label="Hebbian α_c = 0.138")
    ax.plot([], [], color="gray", linestyle=":", linewidth=1,
            label="error-free N^(n-1) / (2 (2n-3)!! ln N)")
    ax.set_xscale("log")
    ax.set_xlabel("load α = P / N")
    ax.set_ylabel(f"retrieved (final overlap ≥ {data['match_overlap']})")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"Dense associative memory capacity, N = {data['n']}, {data['trials']} trials, "
                 f"noise {data['noise']:g}", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)


if __name__ == "__main__":
    main()
