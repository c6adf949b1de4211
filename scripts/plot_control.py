#!/usr/bin/env python3
"""Plots `attractor control --out DIR` results.

A single run (DIR/summary.json with "cues", plus residual.npy, control_norm.npy, time.npy):
|X|(t) and |xi|(t) of every cue, coloured by its outcome. A sweep (`--mus`, summary.json with
"pareto"): the outcome map (cues x mu) and the Pareto front of the two cost integrals.

    attractor control --out ctl && python3 scripts/plot_control.py ctl ctl.png
    attractor control --mus 0.1,0.3,0.6,0.9 --out sweep && python3 scripts/plot_control.py sweep sweep.png
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLORS = {"recognized": "tab:blue", "recorded": "tab:red", "limit_cycle": "tab:green",
          "wandering": "tab:gray"}


def traces(folder, data, out):
    t = np.load(os.path.join(folder, "time.npy"))
    residual = np.load(os.path.join(folder, "residual.npy"))
    control = np.load(os.path.join(folder, "control_norm.npy"))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 6.0), sharex=True)
    seen = set()
    for cue, r, c in zip(data["cues"], residual, control):
        outcome = cue["outcome"]
        label = None if outcome in seen else outcome
        seen.add(outcome)
        style = "-" if cue["kind"] != "novel" else "--"
        top.semilogy(t, np.maximum(r, 1e-300), style, color=COLORS[outcome], label=label)
        bottom.plot(t, c, style, color=COLORS[outcome])
    top.set_ylabel("|X|(t) = |du/dt|")
    bottom.set_ylabel("|ξ|(t) (Frobenius)")
    bottom.set_xlabel("t")
    p = data["problem"]
    top.set_title(f"controlled trajectories, μ = {p['mu']:g}, λ = {p['lambda']:g}, "
                  f"K = {data['network']['K']:g} (dashed: novel cues)", fontsize=10)
    top.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def sweep(data, out):
    points = data["pareto"]
    mus = [p["mu"] for p in points]
    kinds = data["cue_kinds"]
    names = list(COLORS)
    grid = np.array([[names.index(o) for o in p["outcomes"]] for p in points]).T
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    cmap = matplotlib.colors.ListedColormap([COLORS[n] for n in names])
    left.imshow(grid, cmap=cmap, vmin=0, vmax=len(names) - 1, aspect="auto")
    left.set_xticks(range(len(mus)), [f"{m:g}" for m in mus])
    left.set_yticks(range(len(kinds)), [f"{b}: {k}" for b, k in enumerate(kinds)])
    left.set_xlabel("μ (conservative →)")
    left.set_title("outcome map", fontsize=10)
    for n in names:
        left.plot([], [], "s", color=COLORS[n], label=n)
    left.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    right.plot([p["control_integral"] for p in points], [p["state_integral"] for p in points],
               "o-")
    for p in points:
        right.annotate(f"μ={p['mu']:g}", (p["control_integral"], p["state_integral"]), fontsize=8)
    right.set_yscale("log")
    right.set_xlabel("∫|ξ|² e^{-λt} dt (mean over cues)")
    right.set_ylabel("∫|X|² e^{-λt} dt (mean over cues)")
    right.set_title("Pareto front", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_control.py OUT_FOLDER OUT.png")
    with open(os.path.join(sys.argv[1], "summary.json")) as f:
        data = json.load(f)
    if "pareto" in data:
        sweep(data, sys.argv[2])
    else:
        traces(sys.argv[1], data, sys.argv[2])


if __name__ == "__main__":
    main()
