#!/usr/bin/env python3
"""Runs the control-batch benchmark (attractor_bench_control) and its PyTorch peer
(peer_torch_control.py) in the same run on the same machine, and writes the merged JSON: our
evaluation of J and dJ/dxi per problem on the GPU (and the CPU) against PyTorch autograd on the
same problems, the whole-batch solve on the GPU against the CPU engine, with the device, commit
and date. A part that fails is recorded as an error string; the run goes on and exits 0.

    python3 bench/run_control_bench.py --build build-gpu --out bench/results/<date>-control-<device>.json
        [--quick] [--no-gpu] [-- extra attractor_bench_control arguments]
"""
import argparse
import datetime
import json
import os
import platform
import sys
import tempfile

from runner_common import commit as current_commit, host_cpu, run_json

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-gpu", action="store_true")
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    commit = current_commit()
    with tempfile.TemporaryDirectory() as export:
        ours_args = [os.path.join(args.build, "bench", "attractor_bench_control"), "--commit",
                     commit, "--export", export] + (["--quick"] if args.quick else []) + \
                    (["--no-gpu"] if args.no_gpu else []) + args.extra
        ours, error = run_json(ours_args)
        if ours is None:
            ours = {"error": error}
        peer, peer_error = run_json([sys.executable, os.path.join(HERE, "peer_torch_control.py"),
                                     export] + (["--device", "cpu"] if args.no_gpu else []))
    ours["date"] = datetime.date.today().isoformat()
    cpu = host_cpu()
    ours["host"] = f"{platform.node()}: {cpu}, {os.cpu_count()} cores"
    if peer is None:
        ours["peer_error"] = peer_error
    else:
        ours["peer"] = peer
        side = "cpu" if args.no_gpu or "gpu" not in ours else "gpu"
        if side in ours:
            ours["speedup_evaluation_vs_peer"] = (peer["seconds_per_problem"] /
                                                  ours[side]["evaluation_seconds_per_problem"])
            ours["peer_compared_with"] = side
    with open(args.out, "w") as f:
        json.dump(ours, f, indent=2)
        f.write("\n")
    for side in ("gpu", "cpu"):
        if side in ours:
            s = ours[side]
            print(f"{side}: evaluation {s['evaluation_seconds_per_problem'] * 1e3:.3f} ms/problem "
                  f"({100 * s['evaluation_fraction_of_copy_bandwidth']:.1f}% of copy bw), "
                  f"solve {s.get('solve_seconds_per_problem', s['solve_seconds'] / ours['problems']):.3f} s/problem")
    for key in ("speedup_evaluation_vs_cpu", "speedup_solve_vs_cpu", "speedup_evaluation_vs_peer"):
        if key in ours:
            print(f"{key}: {ours[key]:.1f}x")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
