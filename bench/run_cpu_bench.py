#!/usr/bin/env python3
"""Runs the CPU engine benchmark and its SciPy peer in one go on this machine and writes the
merged result, with engine/peer ratios, to bench/results/<date>-cpu-<host>.json.

    python3 bench/run_cpu_bench.py BUILD_DIR [--quick]
"""
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: run_cpu_bench.py BUILD_DIR [--quick]")
    build, quick = sys.argv[1], "--quick" in sys.argv[2:]
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as export:
        args = [os.path.join(build, "bench", "attractor_bench_cpu"), "--export", export]
        ours = json.loads(subprocess.run(args + (["--quick"] if quick else []), check=True,
                                         capture_output=True, text=True).stdout)
        n_dense = next(c["n"] for c in ours["cases"] if c["name"] == "dense_sync_step")
        peer = json.loads(subprocess.run(
            [sys.executable, os.path.join(here, "peer_scipy.py"), export, str(n_dense)],
            check=True, capture_output=True, text=True).stdout)
    for case in ours["cases"]:
        match = next(p for p in peer["cases"] if p["name"] == case["name"] and
                     p["batch"] == case["batch"] and p["precision"] == case["precision"])
        case["peer"] = peer["peer"]
        case["peer_seconds_per_step"] = match["seconds_per_step"]
        case["speedup_vs_peer"] = match["seconds_per_step"] / case["seconds_per_step"]
    commit = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    ours.update({"date": datetime.date.today().isoformat(), "commit": commit,
                 "device": f"{cpu}, {os.cpu_count()} cores", "quick": quick})
    name = f"{ours['date']}-cpu-{platform.node() or 'host'}.json"
    path = os.path.join(here, "results", name)
    with open(path, "w") as f:
        json.dump(ours, f, indent=2)
        f.write("\n")
    for c in ours["cases"]:
        print(f"{c['name']:16} {c['precision']} B={c['batch']:<3} "
              f"{c['seconds_per_step'] * 1e3:8.2f} ms/step  "
              f"{100 * c['fraction_of_copy_bandwidth']:5.1f}% of copy bw  "
              f"{c['gflops']:6.2f} GFLOP/s  x{c['speedup_vs_peer']:.2f} vs SciPy")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
