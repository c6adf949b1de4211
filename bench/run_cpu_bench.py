#!/usr/bin/env python3
"""Runs the CPU engine benchmark and its peers in one go on this machine, on the same matrices,
and writes the merged result, with engine/peer ratios, to bench/results/<date>-cpu-<host>.json:

  SciPy    (peer_scipy.py)      every sparse and dense sync case, float64 and float32;
  PyTorch  (peer_torch_cpu.py)  every sparse sync case and the Euler case, with the same threads,
                                when a Python with torch is given (--torch-python) or found at
                                /work/torch-venv;
  Brian2   (peer_brian2.py)     the Euler case in C++ standalone mode with the same threads, one
                                tanh per neuron and step (Brian's fastest form), when python3-brian
                                is installed; its final float64 state is compared with ours.

    /usr/bin/python3 bench/run_cpu_bench.py BUILD_DIR [--quick] [--torch-python PY] [--no-brian2]
"""
import argparse
import datetime
import json
import os
import platform
import sys
import tempfile

import numpy as np

from runner_common import HERE, commit, host_cpu, run_json

EPS64 = 2.0**-53


def euler_bound(case, export):
    """The float64 gap two Euler implementations may show on the contraction of cpu_step.cpp
    (every row's Σ|T_ij| ≤ ‖T‖∞ < 1, |tanh| ≤ 1, |tanh'| ≤ 1): per step they differ by the order
    of k + 2 additions in the field (≤ (k + 2) ε ‖T‖∞) times dt plus the rounding of tanh and of
    the update (≤ 4 ε (1 + max|u|)); the map contracts at L = 1 − dt (1 − ‖T‖∞), so the gap stays
    below δ / (dt (1 − ‖T‖∞))."""
    d = os.path.join(export, "euler")
    row_ptr = np.load(f"{d}/row_ptr.npy").astype(np.int64)
    values = np.load(f"{d}/values.npy")
    norm = float(np.max(np.add.reduceat(np.abs(values), row_ptr[:-1])))
    k = int(np.max(np.diff(row_ptr)))
    u_max = float(np.max(np.abs(np.load(f"{d}/u0.npy"))))
    dt = case["dt"]
    delta = dt * (k + 2) * EPS64 * norm + 4.0 * EPS64 * (1.0 + u_max)
    return delta / (dt * (1.0 - norm)), norm


def add_peer(case, name, seconds):
    case.setdefault("peers", {})[name] = {"seconds_per_step": seconds,
                                          "speedup": seconds / case["seconds_per_step"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build")
    parser.add_argument("--quick", action="store_true", help="small problems, a smoke run")
    parser.add_argument("--torch-python", default="/work/torch-venv/bin/python",
                        help="a Python with torch for the PyTorch peer (skipped if absent)")
    parser.add_argument("--no-brian2", action="store_true", help="skip the Brian2 peer")
    args = parser.parse_args()
    skipped = {}
    with tempfile.TemporaryDirectory() as export:
        ours, error = run_json([os.path.join(args.build, "bench", "attractor_bench_cpu"),
                                "--export", export] + (["--quick"] if args.quick else []))
        if ours is None:
            sys.exit(f"run_cpu_bench: {error}")
        cases = ours["cases"]
        threads = str(ours["threads"])
        # The sparse cases and the Euler case as the engine ran them, for the peers.
        sparse = {}
        for c in cases:
            if c["name"] == "csr_sync_step":
                sparse[(c["n"], c["batch"])] = {
                    "dir": f"csr-{c['n']}-{c['synapses_per_row']}", "batch": c["batch"],
                    "steps": c["steps_per_run"], "repeats": c["repeats"]}
        with open(os.path.join(export, "sparse_cases.json"), "w") as f:
            json.dump(list(sparse.values()), f)
        euler = next(c for c in cases if c["name"] == "csr_euler_step")
        with open(os.path.join(export, "euler_case.json"), "w") as f:
            json.dump({"dt": euler["dt"], "steps": euler["steps_per_run"],
                       "repeats": euler["repeats"]}, f)

        n_dense = next(c["n"] for c in cases if c["name"] == "dense_sync_step")
        scipy_doc, error = run_json([sys.executable, os.path.join(HERE, "peer_scipy.py"), export,
                                     str(n_dense)])
        if scipy_doc is None:
            sys.exit(f"run_cpu_bench: {error}")
        peers = {"scipy": scipy_doc}
        if os.path.exists(args.torch_python):
            doc, error = run_json([args.torch_python, os.path.join(HERE, "peer_torch_cpu.py"),
                                   export, "--threads", threads])
            if doc is None:
                skipped["torch"] = error
            else:
                peers["torch"] = doc
        else:
            skipped["torch"] = f"no {args.torch_python} (see peer_torch_cpu.py for the install)"
        brian = {}
        if args.no_brian2:
            skipped["brian2"] = "--no-brian2"
        else:
            for precision in ("float64", "float32"):
                doc, error = run_json([sys.executable, os.path.join(HERE, "peer_brian2.py"),
                                       os.path.join(export, "euler"), "--dt", str(euler["dt"]),
                                       "--steps", str(euler["steps_per_run"]), "--threads",
                                       threads, "--precision", precision, "--tanh", "neuron"])
                if doc is None:
                    skipped["brian2"] = error
                    break
                brian[precision] = doc
                if precision == "float64":  # the next run writes the same file
                    theirs_u = np.load(doc["final_u_path"])
            if brian:
                ours_u = np.load(os.path.join(export, "euler", "engine_final_u_float64.npy"))
                bound, norm = euler_bound(euler, export)
                ours["euler_vs_brian2"] = {
                    "max_abs_difference_float64": float(np.max(np.abs(ours_u - theirs_u))),
                    "derived_bound": bound, "row_abs_sum_max": norm}

    for c in cases:
        key = (c["name"], c["batch"], c.get("precision"), c["n"])
        for name, doc in peers.items():
            match = next((p for p in doc["cases"] if (p["name"], p["batch"], p["precision"],
                                                      p["n"]) == key), None)
            if match is not None:
                add_peer(c, name, match["seconds_per_step"])
        if c["name"] == "csr_euler_step" and c["precision"] in brian:
            add_peer(c, "brian2", brian[c["precision"]]["seconds_per_step"])
    ours["peers"] = {name: doc["peer"] for name, doc in peers.items()}
    if brian:
        ours["peers"]["brian2"] = brian["float64"]["peer"]
    ours["peers_skipped"] = skipped
    ours.update({"date": datetime.date.today().isoformat(), "commit": commit(),
                 "device": f"{host_cpu()}, {os.cpu_count()} cores", "quick": args.quick})
    path = os.path.join(HERE, "results", f"{ours['date']}-cpu-{platform.node() or 'host'}.json")
    with open(path, "w") as f:
        json.dump(ours, f, indent=2)
        f.write("\n")
    for c in cases:
        fraction = c.get("fraction_of_copy_bandwidth")
        ratios = "  ".join(f"x{p['speedup']:.2f} vs {name}" for name, p in c.get("peers", {}).items())
        print(f"{c['name']:16} {c.get('precision', ''):8} n={c['n']:<8} B={c['batch']:<3} "
              f"{c.get('seconds_per_step', c.get('seconds_per_product', 0)) * 1e3:9.2f} ms"
              + (f"  {100 * fraction:5.1f}% of copy bw" if fraction else "") + f"  {ratios}")
    if "euler_vs_brian2" in ours:
        e = ours["euler_vs_brian2"]
        print(f"Euler vs Brian2, float64: max |Δu| {e['max_abs_difference_float64']:.2e} "
              f"(derived bound {e['derived_bound']:.2e})")
    for name, why in skipped.items():
        print(f"peer {name} skipped: {why}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
