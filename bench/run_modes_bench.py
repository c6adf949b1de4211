#!/usr/bin/env python3
"""Runs `attractor physical modes --method shift-invert` (Eigen's SimplicialLLT with AMD ordering
under Spectra's shift-invert Lanczos about sigma = 0) and its SciPy peer (peer_scipy_eigsh.py:
eigsh with sigma = 0 on a SuperLU factor) on the same Hessian in the same run, checks that both
find the same lowest eigenvalues, and prints one JSON document (written to --out as well): per
case the problem size, attractor's factor and modes seconds, SciPy's, their ratio, the eigenvalue
agreement, and the triangular solves' achieved bandwidth as a fraction of this machine's copy
bandwidth (measured with NumPy in the same run), with the CPU, commit and date.

    python3 bench/run_modes_bench.py --out bench/results/<date>-physical-modes-<host>.json
        [--case NETWORK:LATTICE:NODES ...] [--count K] [--repeats R] [--quick]

Exit status: 1 when the two solvers' eigenvalues differ by more than --max-rel-diff, 2 when a
case could not be run (its error is recorded in the JSON); 0 otherwise.
"""
import argparse
import datetime
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from runner_common import commit as current_commit, host_cpu, run_json

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_CASES = ["flow:square:100000", "elastic:triangular:100000"]
# Eigen's SimplicialLLT keeps L in compressed columns: an 8-byte value and a 4-byte row index per
# non-zero, read once by the forward and once by the backward substitution of every solve.
BYTES_PER_FACTOR_NONZERO = 12


def copy_bandwidth(megabytes, repeats=5):
    """Bytes read + written per second by a NumPy copy of a float64 array of `megabytes` MB,
    median after a warm-up. NumPy copies on one thread, as the triangular solves run."""
    src = np.ones(int(megabytes * 1e6) // 8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(dst, src)
        times.append(time.perf_counter() - start)
    return 2 * src.nbytes / statistics.median(times), 2 * src.nbytes


def parse_case(spec):
    parts = spec.split(":")
    if len(parts) != 3 or parts[0] not in ("flow", "elastic") or \
            parts[1] not in ("square", "triangular") or not parts[2].isdigit():
        raise argparse.ArgumentTypeError(
            f"'{spec}' is not NETWORK:LATTICE:NODES (flow|elastic : square|triangular : integer)")
    return {"network": parts[0], "lattice": parts[1], "nodes_requested": int(parts[2])}


def max_relative_difference(ours, peer):
    a, b = sorted(ours), sorted(peer)
    if len(a) != len(b):
        return float("inf")
    return max(abs(x - y) / max(abs(y), np.finfo(float).tiny) for x, y in zip(a, b))


def run_case(case, args, workdir):
    name = f"{case['network']}_{case['lattice']}_{case['nodes_requested']}"
    entry = {"name": name, **case, "ground": args.ground}
    mtx = os.path.join(workdir, name + ".mtx")
    base = [args.attractor, "physical", "modes", "--network", case["network"], "--lattice",
            case["lattice"], "--nodes", str(case["nodes_requested"]), "--ground", args.ground,
            "--count", str(args.count), "--method", "shift-invert", "--json"]
    runs = []
    for repeat in range(args.repeats):
        # Only the first run writes H: the write is not timed, but it costs a run's worth of
        # wall time at 100k nodes for nothing on the repeats.
        doc, error = run_json(base + (["--write-hessian", mtx] if repeat == 0 else []))
        if doc is None:
            entry["error"] = error
            return entry
        runs.append(doc)
    totals = [r["factor_seconds"] + r["modes_seconds"] for r in runs]
    ours = runs[sorted(range(len(runs)), key=lambda i: totals[i])[len(runs) // 2]]
    net = ours["network"]
    entry.update({
        "nodes": net["nodes"], "edges": net["edges"], "rows": net["free_dofs"],
        "grounded": net["grounded"], "hessian_nonzeros": ours["hessian_nonzeros"],
        "factor_nonzeros": ours["factor_nonzeros"], "shift_solves": ours["shift_solves"],
        "lanczos_restarts": ours["lanczos_restarts"],
        "factor_seconds": ours["factor_seconds"], "modes_seconds": ours["modes_seconds"],
        "attractor_seconds": ours["factor_seconds"] + ours["modes_seconds"],
        "all_attractor_seconds": totals,
        "eigenvalues": sorted(ours["eigenvalues"]),
    })

    bytes_per_solve = 2 * ours["factor_nonzeros"] * BYTES_PER_FACTOR_NONZERO
    bandwidth = bytes_per_solve * ours["shift_solves"] / ours["modes_seconds"]
    entry.update({"bytes_per_solve": bytes_per_solve, "bandwidth_bytes_per_s": bandwidth,
                  "fraction_of_copy_bandwidth": bandwidth / args.copy_bw})
    # modes_seconds holds the Lanczos iterations on the factor that factor_seconds made (σ = 0
    # reuses it), so the solves' bandwidth is measured against that time alone.
    peer, error = run_json([sys.executable, os.path.join(HERE, "peer_scipy_eigsh.py"), mtx,
                            "--count", str(args.count), "--repeats", str(args.repeats)])
    if peer is None:
        entry["peer_error"] = error
        return entry
    diff = max_relative_difference(ours["eigenvalues"], peer["eigenvalues"])
    entry.update({
        "peer": peer["peer"], "peer_rows": peer["rows"], "peer_nonzeros": peer["nonzeros"],
        "peer_seconds": peer["seconds"], "peer_factor_seconds": peer["factor_seconds"],
        "peer_factor_nonzeros": peer["factor_nonzeros"],
        "peer_eigenvalues": peer["eigenvalues"],
        "speedup_vs_peer": peer["seconds"] / entry["attractor_seconds"],
        "factor_speedup_vs_peer": peer["factor_seconds"] / ours["factor_seconds"],
        "max_rel_eigenvalue_diff": diff,
        "eigenvalues_agree": diff <= args.max_rel_diff,
    })
    if peer["rows"] != entry["rows"]:
        entry["eigenvalues_agree"] = False
        entry["size_mismatch"] = f"attractor {entry['rows']} rows, the .mtx {peer['rows']}"
    return entry


def worktree_dirty():
    status = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", ".", ":!bench"],
                            capture_output=True, text=True).stdout
    return bool(status.strip())


def main():
    parser = argparse.ArgumentParser(
        description="attractor physical modes (shift-invert) against SciPy eigsh on the same "
                    "Hessian; prints one JSON document and writes it to --out.")
    parser.add_argument("--out", help="also write the JSON here")
    parser.add_argument("--attractor", default=os.path.join(REPO, "build", "host", "cli", "attractor"),
                        help="the attractor CLI (default: build/host/cli/attractor)")
    parser.add_argument("--case", action="append", type=parse_case, metavar="NETWORK:LATTICE:NODES",
                        help="a network to analyse, repeatable (default: "
                             + " and ".join(DEFAULT_CASES) + ")")
    parser.add_argument("--ground", default="boundary", choices=["node", "boundary"])
    parser.add_argument("--count", type=int, default=20, help="lowest modes to find")
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each solver per case; the median is reported")
    parser.add_argument("--copy-mb", type=float, default=400,
                        help="size of the array copied to measure the copy bandwidth")
    parser.add_argument("--max-rel-diff", type=float, default=1e-6,
                        help="largest relative eigenvalue difference accepted")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: the default cases at 5000 nodes")
    parser.add_argument("--note", help="a remark stored in the JSON")
    args = parser.parse_args()
    cases = args.case or [parse_case(c) for c in DEFAULT_CASES]
    if args.quick:
        cases = [dict(c, nodes_requested=min(c["nodes_requested"], 5000)) for c in cases]
    if not os.access(args.attractor, os.X_OK):
        sys.exit(f"run_modes_bench: no attractor CLI at {args.attractor} (build it or pass --attractor)")

    load_start = os.getloadavg()
    args.copy_bw, copy_bytes = copy_bandwidth(args.copy_mb)
    with tempfile.TemporaryDirectory(prefix="modes-bench-") as workdir:
        results = []
        for case in cases:
            print(f"run_modes_bench: {case['network']} {case['lattice']} "
                  f"{case['nodes_requested']} nodes ...", file=sys.stderr, flush=True)
            results.append(run_case(case, args, workdir))
    copy_bw_after, _ = copy_bandwidth(args.copy_mb)
    load_end = os.getloadavg()

    cpu = host_cpu()
    attractor_path = os.path.relpath(args.attractor, REPO)
    if attractor_path.startswith(".."):
        attractor_path = os.path.abspath(args.attractor)
    doc = {
        "benchmark": "physical_modes",
        "name": "physical modes, shift-invert Lanczos about 0 (attractor) vs SciPy eigsh",
        "date": datetime.date.today().isoformat(),
        "commit": current_commit(),
        # The CLI is taken as built; with local changes outside bench/ it may not match the commit.
        "worktree_dirty": worktree_dirty(),
        "device": f"{cpu}, {os.cpu_count()} cores",
        "host_cpu": cpu,
        "attractor": attractor_path,
        # The build folder may be rebuilt between runs: the hash says which binary this was.
        "attractor_sha256": hashlib.sha256(open(args.attractor, "rb").read()).hexdigest(),
        "attractor_built": datetime.datetime.fromtimestamp(
            os.path.getmtime(args.attractor)).isoformat(timespec="seconds"),
        "count": args.count,
        "method": "shift-invert",
        "repeats": args.repeats,
        "quick": args.quick,
        "copy_bandwidth_bytes_per_s": args.copy_bw,
        "copy_bandwidth_after_bytes_per_s": copy_bw_after,
        "copy_bytes": copy_bytes,
        # The runs are single-threaded; a load above 1 means they shared the machine's cores and
        # memory bandwidth with other work.
        "load_average_at_start": list(load_start),
        "load_average_at_end": list(load_end),
        "bytes_model": "per shift-invert solve 2 x factor_nonzeros x 12 B (value + index of L, "
                       "forward and backward substitution); achieved = bytes x shift_solves / "
                       "modes_seconds",
        "cases": results,
    }
    if args.note:
        doc["note"] = args.note
    text = json.dumps(doc, indent=2) + "\n"
    sys.stdout.write(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)

    status = 0
    for c in results:
        if "error" in c or "peer_error" in c:
            print(f"run_modes_bench: {c['name']}: {c.get('error') or c.get('peer_error')}",
                  file=sys.stderr)
            status = max(status, 2)
            continue
        print(f"run_modes_bench: {c['name']}: {c['rows']} rows, attractor {c['attractor_seconds']:.2f} s "
              f"(factor {c['factor_seconds']:.2f} + modes {c['modes_seconds']:.2f}), SciPy "
              f"{c['peer_seconds']:.2f} s (factor {c['peer_factor_seconds']:.2f}), "
              f"x{c['speedup_vs_peer']:.2f}, max rel eigenvalue diff {c['max_rel_eigenvalue_diff']:.1e}, "
              f"{100 * c['fraction_of_copy_bandwidth']:.1f}% of copy bw", file=sys.stderr)
        if not c["eigenvalues_agree"]:
            print(f"run_modes_bench: FAIL {c['name']}: attractor and SciPy eigenvalues differ by "
                  f"{c['max_rel_eigenvalue_diff']:.3e} (relative) > {args.max_rel_diff:g}"
                  + (f"; {c['size_mismatch']}" if "size_mismatch" in c else ""), file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
