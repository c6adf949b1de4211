#!/usr/bin/env python3
"""Runs the Krotov–Hopfield epoch benchmark (attractor_bench_learning) and its PyTorch peer
(peer_torch_krotov.py) in the same run on the same machine, on the CPU with the same thread count
and, where the build has CUDA and a device is present, on the GPU; writes the merged JSON with the
speed-up of attractor over each peer form, the commit, the CPU and the date. A part that fails is
recorded as an error string; the run goes on and exits 0.

    python3 bench/run_learning_bench.py --build build --out bench/results/<date>-learning-<host>.json
        [--quick] [--no-gpu] [--epochs E] [--data DIR]
"""
import argparse
import datetime
import json
import os
import sys

from runner_common import commit as current_commit, host_cpu, run_json

HERE = os.path.dirname(os.path.abspath(__file__))


def speedups(ours, peer):
    if not ours or not peer or "forms" not in peer:
        return {}
    return {form: entry["median_epoch_seconds"] / ours["median_epoch_seconds"]
            for form, entry in peer["forms"].items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-gpu", action="store_true")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--peer-forms", default="sparse,dense")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    commit = current_commit()
    size = ["--train-limit", "6000", "--epochs", "1"] if args.quick else ["--epochs", str(args.epochs)]
    size += ["--data", args.data]
    ours, error = run_json([os.path.join(args.build, "bench", "attractor_bench_learning"),
                            "--commit", commit] + size + (["--no-gpu"] if args.no_gpu else []))
    result = ours if ours is not None else {"error": error}
    threads = str(result.get("threads", os.cpu_count()))
    peers = {}
    devices = ["cpu"] + (["cuda"] if ours and "cuda" in ours else [])
    for device in devices:
        peer, peer_error = run_json([sys.executable, os.path.join(HERE, "peer_torch_krotov.py"),
                                     "--device", device, "--threads", threads,
                                     "--forms", args.peer_forms] + size)
        peers[device] = peer if peer is not None else {"error": peer_error}
        if ours and device in ours:
            ours[device]["speedup_over_torch"] = speedups(ours[device], peer)
    result["peer_torch"] = peers
    result["date"] = datetime.date.today().isoformat()
    result["host_cpu"] = host_cpu()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(json.dumps({k: result.get(k) for k in ("cpu", "cuda") if k in result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
