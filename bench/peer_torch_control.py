#!/usr/bin/env python3
"""The peer of attractor_bench_control: J and its gradient for the same control problems, written
as a computational neuroscientist would in PyTorch — the Euler-discretized controlled dynamics
du/dt = (A + xi) tanh(beta u) - u + b over a batch of problems on the network's shared sparse
pattern (gather by column, index_add_ by row), the discounted cost, and autograd for dJ/dxi — on
the same device, in float64. Reads the folder `attractor_bench_control --export DIR` writes and
prints one JSON document: seconds per evaluation (forward + backward), median of 3 after a warm-up.

    python3 bench/peer_torch_control.py DIR [--device cuda|cpu]
"""
import json
import os
import sys
import time

import numpy as np
import torch


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: peer_torch_control.py DIR [--device cuda|cpu]")
    folder = sys.argv[1]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if "--device" in sys.argv:
        device = sys.argv[sys.argv.index("--device") + 1]
    load = lambda name: np.load(os.path.join(folder, name))  # noqa: E731
    with open(os.path.join(folder, "problem.json")) as f:
        p = json.load(f)
    row_ptr = load("row_ptr.npy").astype(np.int64)
    n = len(row_ptr) - 1
    rows = torch.tensor(np.repeat(np.arange(n), np.diff(row_ptr)), device=device)
    col = torch.tensor(load("col_idx.npy").astype(np.int64), device=device)
    A = torch.tensor(load("A.npy"), device=device)
    b = torch.tensor(load("b.npy"), device=device)
    u0 = torch.tensor(load("u0.npy"), device=device)
    w = load("step_weight.npy")
    problems, synapses = u0.shape[0], A.shape[0]
    steps, spi, intervals = p["steps"], p["steps_per_interval"], p["intervals"]
    mu, dt, gain = p["mu"], p["dt"], p["gain"]
    W = torch.tensor([w[c * spi:(c + 1) * spi].sum() for c in range(intervals)], device=device)

    def cost(xi):
        u = u0
        state = torch.zeros(problems, dtype=torch.float64, device=device)
        for k in range(steps):
            V = torch.tanh(gain * u)
            product = (A + xi[:, k // spi, :]) * V[:, col]
            field = torch.zeros_like(u).index_add_(1, rows, product)
            X = field + b - u
            state = state + float(w[k]) * (1.0 - mu) * (X * X).sum(dim=1)
            u = u + dt * X
        control = mu * (W[None, :] * (xi * xi).sum(dim=2)).sum(dim=1)
        return state + control

    def evaluate():
        xi = torch.zeros(problems, intervals, synapses, dtype=torch.float64, device=device,
                         requires_grad=True)
        J = cost(xi)
        J.sum().backward()
        if device == "cuda":
            torch.cuda.synchronize()
        return J.detach()

    evaluate()
    samples, J = [], None
    for _ in range(3):
        start = time.perf_counter()
        J = evaluate()
        samples.append(time.perf_counter() - start)
    seconds = sorted(samples)[1]
    print(json.dumps({
        "peer": f"PyTorch {torch.__version__} autograd, {device}",
        "problems": problems,
        "seconds_per_evaluation": seconds,
        "seconds_per_problem": seconds / problems,
        "J": J.cpu().tolist(),
    }, indent=2))


if __name__ == "__main__":
    main()
