#!/usr/bin/env python3
"""Scaling of a row-partitioned sparse network across MPI processes on this machine: runs
attractor_bench_ranks (bench/ranks_step.cpp) on 1, 2, ... processes of one thread each, and one
process with as many OpenMP threads for comparison, plus the SciPy peer (bench/peer_scipy.py) on
the same matrix in the same run; writes one JSON document.

    python3 bench/run_rank_scaling.py --build build --out bench/results/<date>-ranks-<host>.json

Needs mpiexec (Open MPI) and a build with MPI (ATTRACTOR_MPI found it).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from runner_common import HERE, commit, host_cpu, run_json


def launch(mpiexec, ranks, threads, binary, extra):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_WAIT_POLICY="PASSIVE")
    args = [mpiexec, "--oversubscribe", "--bind-to", "none", "-n", str(ranks), binary] + extra
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"run_rank_scaling: {' '.join(args)} exited {proc.returncode}: "
                 f"{proc.stderr.strip()[-400:]}")
    return json.loads(proc.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--mpiexec", default="mpiexec")
    parser.add_argument("--max-ranks", type=int, default=os.cpu_count())
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    binary = os.path.join(args.build, "bench", "attractor_bench_ranks")
    extra = ["--quick"] if args.quick else []
    configs = [(ranks, 1) for ranks in range(1, args.max_ranks + 1)]
    if args.max_ranks > 1:
        configs.append((1, args.max_ranks))
    start = time.time()
    with tempfile.TemporaryDirectory() as export:
        runs = []
        for ranks, threads in configs:
            doc = launch(args.mpiexec, ranks, threads, binary,
                         extra + (["--export", export] if not runs else []))
            runs.append(doc)
        # The peer times the exported matrix itself (this folder) at the batches the ranks ran.
        with open(os.path.join(export, "sparse_cases.json"), "w") as f:
            json.dump([{"dir": ".", "batch": b, "steps": 20, "repeats": 7}
                       for b in sorted({c["batch"] for c in runs[0]["cases"]})], f)
        peer, error = run_json([sys.executable, os.path.join(HERE, "peer_scipy.py"), export, "64"])
        if peer is None:
            sys.exit(f"run_rank_scaling: {error}")
    base = {(c["name"], c["batch"]): c["seconds_per_step"] for c in runs[0]["cases"]}
    # The ranks run the float64 engine; the peer's float64 cases are its match.
    peer_times = {(c["name"], c["batch"]): c["seconds_per_step"] for c in peer["cases"]
                  if c["precision"] == "float64"}
    for doc in runs:
        for case in doc["cases"]:
            key = (case["name"], case["batch"])
            workers = doc["processes"] * doc["threads_per_process"]
            case["speedup_vs_one_process"] = base[key] / case["seconds_per_step"]
            case["efficiency"] = case["speedup_vs_one_process"] / workers
            case["exchange_fraction"] = case["exchange_seconds_per_step"] / case["seconds_per_step"]
            if key in peer_times:
                case["peer"] = peer["peer"]
                case["peer_seconds_per_step"] = peer_times[key]
                case["speedup_vs_peer"] = peer_times[key] / case["seconds_per_step"]
    out = {"name": "rank-scaling", "date": time.strftime("%Y-%m-%d"), "commit": commit(),
           "host_cpu": host_cpu(), "cores": os.cpu_count(), "runs": runs,
           "seconds": time.time() - start}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for doc in runs:
        for c in doc["cases"]:
            print(f"{doc['processes']} proc x {doc['threads_per_process']} thr  {c['name']:14} "
                  f"B={c['batch']:<3} {c['seconds_per_step'] * 1e3:8.2f} ms/step  "
                  f"x{c['speedup_vs_one_process']:.2f} ({100 * c['efficiency']:.0f}%)  "
                  f"exchange {100 * c['exchange_fraction']:.1f}%"
                  + (f"  x{c['speedup_vs_peer']:.2f} vs SciPy" if "speedup_vs_peer" in c else ""))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
