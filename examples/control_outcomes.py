#!/usr/bin/env python3
"""Controlled plasticity on the command line's example network (100 tanh neurons, two stored
patterns, silent synapses): for cues near the stored patterns and at two novel ones, the optimal
synaptic change ξ(t) (|ξ| ≤ K, ≤ k on silent synapses, piecewise constant on 20 intervals) and
the network's speed |du/dt| under it, up to the horizon where the discount makes the rest
negligible. Near a stored pattern a small ξ answers the cue's jitter and the state settles:
recognized. At a novel pattern a ξ fifty times larger holds the state near the cue, and A + ξ_∞
keeps a fixed point with the cue's signs: recorded.

    PYTHONPATH=build/python python3 examples/control_outcomes.py control_outcomes.png
"""
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import attractor  # noqa: E402

net = attractor.control_network()
cues = attractor.control_cues(net, stored=2, novel=2)
out = attractor.control(net, cues, traces=True)
kinds = ["stored", "stored", "novel", "novel"]
colors = {"recognized": "tab:blue", "recorded": "tab:red", "limit_cycle": "tab:green",
          "wandering": "tab:grey"}
fig, (speed, change) = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
for b, outcome in enumerate(out["outcome"]):
    label = f"cue {b} ({kinds[b]}): {outcome.replace('_', ' ')}"
    style = "-" if b % 2 == 0 else "--"
    speed.semilogy(out["time"], out["residual"][b], style, color=colors[outcome], label=label)
    change.plot(out["time"], out["control_norm"][b], style, color=colors[outcome])
speed.set_xlabel("t")
speed.set_ylabel("|du/dt| under A + ξ(t)")
speed.legend(fontsize=8)
change.set_xlabel("t")
change.set_ylabel("|ξ(t)| (Frobenius)")
fig.suptitle(f"N = {net.n}, {net.synapses} synapses ({net.silent} silent), K = {net.K}, "
             f"k = {net.k}; μ = 0.3, λ = 2")
fig.tight_layout()
fig.savefig(sys.argv[1] if len(sys.argv) > 1 else "control_outcomes.png", dpi=110)
