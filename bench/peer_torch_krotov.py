#!/usr/bin/env python3
"""PyTorch peer of the Krotov–Hopfield epoch (bench/competing_units.cpp): the same rule on the
same Fashion-MNIST training images, float32, minibatches in a shuffled order, timed per epoch
(torch.cuda.synchronize on the GPU). Two forms:

  dense   Krotov & Hopfield's published NumPy code translated call for call: a full argsort of
          I per minibatch and the dense H × B matrix g in the product g vᵀ (a second GEMM as
          large as the one that forms I);
  sparse  the form a careful PyTorch user would write: topk for the two ranks and index_add_ for
          the 2 B non-zeros of g, as attractor does.

    python3 bench/peer_torch_krotov.py [--device cpu|cuda] [--hidden 2000] [--epochs 2]
        [--threads N] [--forms dense,sparse] [--train-limit N] [--data DIR]
Prints one JSON document.
"""
import argparse
import gzip
import json
import os
import statistics
import sys
import time

import numpy as np

try:
    import torch
except ImportError as error:  # the runner records the reason
    torch = None
    TORCH_IMPORT_ERROR = f"torch is not installed: {error}"


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    count, rows, cols = (int.from_bytes(raw[4 + 4 * d:8 + 4 * d], "big") for d in range(3))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows * cols)


def epoch(W, M, eps, batch, p, k, delta, form, generator):
    hidden = W.shape[0]
    order = torch.randperm(M.shape[0], generator=generator).to(M.device)
    for start in range(0, M.shape[0], batch):
        v = M[order[start:start + batch]]          # B × D
        Wp = torch.sign(W) * W.abs() ** (p - 1)
        I = Wp @ v.T                               # H × B
        cols = torch.arange(v.shape[0], device=M.device)
        if form == "dense":
            ranked = torch.argsort(I, dim=0)
            g = torch.zeros_like(I)
            g[ranked[hidden - 1], cols] = 1.0
            g[ranked[hidden - k], cols] = -delta
            xx = (g * I).sum(dim=1)
            dS = g @ v - xx[:, None] * W
        else:
            top = torch.topk(I, k, dim=0).indices      # k × B
            first, kth = top[0], top[k - 1]
            dS = torch.zeros_like(W)
            dS.index_add_(0, first, v)
            dS.index_add_(0, kth, v, alpha=-delta)
            xx = torch.zeros(hidden, device=M.device)
            xx.index_add_(0, first, I[first, cols])
            xx.index_add_(0, kth, I[kth, cols], alpha=-delta)
            dS -= xx[:, None] * W
        W += eps * dS / dS.abs().max().clamp_min(1e-30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--hidden", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--forms", default="sparse,dense")
    parser.add_argument("--train-limit", type=int, default=0)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    if torch is None:
        print(TORCH_IMPORT_ERROR, file=sys.stderr)
        return 1
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    images = read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    if args.train_limit:
        images = images[:args.train_limit]
    M = torch.tensor(images, dtype=torch.float32, device=device) / 255.0
    result = {"peer": "torch", "torch_version": torch.__version__, "device": str(device),
              "threads": torch.get_num_threads(), "hidden": args.hidden, "samples": M.shape[0],
              "inputs": M.shape[1], "batch": args.batch, "forms": {}}
    if device.type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(device)
    for form in args.forms.split(","):
        generator = torch.Generator().manual_seed(1)
        W = torch.randn(args.hidden, M.shape[1], generator=generator).to(device)
        times = []
        for e in range(args.epochs):
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            epoch(W, M, 0.04 * (1 - e / args.epochs), args.batch, 3.0, 7, 0.4, form, generator)
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        result["forms"][form] = {"epoch_seconds": times, "median_epoch_seconds": statistics.median(times),
                                 "finite": bool(torch.isfinite(W).all())}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
