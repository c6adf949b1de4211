#!/usr/bin/env python3
"""The Python package against the command line on the same work: a 100k-neuron sparse network
built in SciPy, 1000 cues run synchronously, overlaps with 10 patterns returned. Times the
Python session (building the network from SciPy, the run, the results as NumPy) and
`attractor run` on the same matrix, cues and patterns written as .mtx/.npy (its engine time and
its whole wall time, file reading included), and checks that both end in the same states.

    PYTHONPATH=build/python python3 bench/run_python_session.py --cli build/host/cli/attractor \\
        --out bench/results/<date>-python-session-<host>.json
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import scipy.io
import scipy.sparse

import attractor
from runner_common import commit, host_cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", required=True, help="the attractor executable")
    parser.add_argument("--out", required=True)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--cues", type=int, default=1000)
    parser.add_argument("--per-row", type=int, default=10, help="random synapses per row before symmetrizing")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    n = args.n

    start = time.perf_counter()
    rows = np.repeat(np.arange(n), args.per_row)
    A = scipy.sparse.coo_matrix((rng.standard_normal(rows.size),
                                 (rows, rng.integers(0, n, rows.size))), shape=(n, n))
    W = ((A + A.T) / 2).tocsr()
    cues = rng.choice([-1.0, 1.0], size=(args.cues, n))
    patterns = rng.choice([-1.0, 1.0], size=(10, n))
    made = time.perf_counter() - start

    start = time.perf_counter()
    net = attractor.network(W)
    built = time.perf_counter() - start
    shared = bool(np.shares_memory(attractor.weights(net).data, W.data))
    start = time.perf_counter()
    out = attractor.run(net, cues, steps=args.steps, patterns=patterns, backend="cpu")
    ran = time.perf_counter() - start
    overlaps = out["overlaps"]

    with tempfile.TemporaryDirectory() as d:
        scipy.io.mmwrite(os.path.join(d, "W.mtx"), W)
        np.save(os.path.join(d, "cues.npy"), cues)
        np.save(os.path.join(d, "patterns.npy"), patterns)
        start = time.perf_counter()
        proc = subprocess.run([args.cli, "run", "--weights", os.path.join(d, "W.mtx"),
                               "--init", os.path.join(d, "cues.npy"), "--patterns",
                               os.path.join(d, "patterns.npy"), "--steps", str(args.steps),
                               "--backend", "cpu", "--json", "--out", os.path.join(d, "out")],
                              capture_output=True, text=True, check=True)
        cli_wall = time.perf_counter() - start
        cli = json.loads(proc.stdout)
        same = bool(np.array_equal(np.load(os.path.join(d, "out", "final.npy")), out["final"]))
        same_overlaps = bool(np.array_equal(np.load(os.path.join(d, "out", "overlaps.npy")), overlaps))

    result = {
        "name": "python-session", "date": time.strftime("%Y-%m-%d"), "commit": commit(),
        "host_cpu": host_cpu(), "cores": os.cpu_count(), "n": n, "synapses": int(W.nnz),
        "cues": args.cues, "max_steps": args.steps,
        "mean_steps": float(np.mean(out["steps"])),
        "scipy_build_seconds": made,
        "python": {"network_from_scipy_seconds": built, "shares_scipy_arrays": shared,
                   "run_seconds": ran,
                   "engine_seconds": out["seconds"], "loop_seconds": out["loop_seconds"]},
        "cli": {"wall_seconds": cli_wall, "engine_seconds": cli["engine_seconds"]},
        "engine_ratio_python_over_cli": out["seconds"] / cli["engine_seconds"],
        "session_ratio_python_over_cli": (built + ran) / cli_wall,
        "same_final_states": same, "same_overlaps": same_overlaps}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
