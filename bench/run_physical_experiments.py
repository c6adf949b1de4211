#!/usr/bin/env python3
"""The physical-learning experiments behind the README's figures, run with `attractor physical
train` and summarized in one JSON document (and drawn with scripts/plot_physical.py).

  reference   Stern et al.'s coupled-learning point: 64-node flow networks, 5 sources, 3 targets,
              alpha 0.1, eta 1e-3, 10^4 steps, over --seeds networks; the median error ratio.
  allostery   one task on a 512-node flow network and on a 512-node elastic one (boundary held):
              the error, the lowest eigenvalues, the alignment of the softest mode and D_eff;
              and on the flow network an output asked for 3x the inputs' response, by coupled
              learning: the mode that carries the response, before and after.
  capacity    the flow network trained on 1, 2, 4, ... --max-tasks tasks at once, and a 64-node
              linear network on 1–64: how far the error falls, and how soft and how
              low-dimensional the response stays.
  iris        a 64-node flow network classifying Fisher's iris, against the least-squares bound.

    /usr/bin/python3 bench/run_physical_experiments.py --out bench/results/<date>-physical
writes OUT/summary.json and the figures OUT/<run>_training.png and OUT/<run>_network.png; with
--keep-runs also OUT/<run>/ (result.json with every curve, the networks before and after).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from runner_common import HERE, commit, host_cpu, run_json

REPO = os.path.dirname(HERE)


def train(binary, out, name, args):
    folder = os.path.join(out, name)
    doc, error = run_json([binary, "physical", "train", "--json", "--out", folder] + args)
    if doc is None:
        sys.exit(f"run_physical_experiments: {name}: {error}")
    return folder, doc


def last_analysis(folder):
    with open(os.path.join(folder, "result.json")) as f:
        return json.load(f)["analyses"][-1]


def plot(folders, prefix, network=True):
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "plot_physical.py"), *folders,
                    "--out", prefix], check=True)
    if not network:
        # One drawing per task count says little the curves do not, at megabytes a figure.
        os.remove(prefix + "_network.png")
    shrink([prefix + "_training.png"] + ([prefix + "_network.png"] if network else []))


def shrink(paths):
    """A 256-colour palette keeps the committed figures a few hundred kB (needs Pillow)."""
    try:
        from PIL import Image
    except ImportError:
        return
    for path in paths:
        Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attractor", default=os.path.join(REPO, "build", "host", "cli", "attractor"))
    parser.add_argument("--out", required=True, help="folder for the runs and figures")
    parser.add_argument("--seeds", type=int, default=10, help="networks in the reference ensemble")
    parser.add_argument("--max-tasks", type=int, default=32)
    parser.add_argument("--keep-runs", action="store_true",
                        help="keep each run's folder (result.json with every curve, the networks)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    start = time.time()
    summary = {"name": "physical-learning", "commit": commit(), "host_cpu": host_cpu(),
               "date": time.strftime("%Y-%m-%d")}

    ratios = []
    for seed in range(1, args.seeds + 1):
        folder, doc = train(args.attractor, args.out, f"reference-seed{seed}",
                            ["--task", "reference", "--nodes", "64", "--seed", str(seed)])
        ratios.append(doc["cost_ratio"])
        if seed > 1:
            shutil.rmtree(folder)
    ordered = sorted(ratios)
    middle = len(ordered) // 2
    median = (ordered[middle] if len(ordered) % 2 else
              (ordered[middle - 1] * ordered[middle]) ** 0.5)
    summary["reference"] = {"nodes": 64, "sources": 5, "targets": 3, "rule": "couple",
                            "alpha": 0.1, "eta": 1e-3, "steps": 10000, "cost_ratios": ratios,
                            "median_cost_ratio": median,
                            "seeds_below_1e-2": sum(r <= 1e-2 for r in ratios)}
    plot([os.path.join(args.out, "reference-seed1")], os.path.join(args.out, "reference"))

    summary["allostery"] = {}
    for name, extra in [("flow", []), ("elastic", ["--network", "elastic", "--alpha", "0.1"]),
                        ("flow-gain3", ["--gain", "3", "--rule", "couple", "--steps", "20000"])]:
        folder, doc = train(args.attractor, args.out, f"allostery-{name}", ["--nodes", "512"] + extra)
        first = json.load(open(os.path.join(folder, "result.json")))["analyses"][0]
        last = last_analysis(folder)
        summary["allostery"][name] = {
            "result": doc, "f0_before": first["f"][0], "a0_before": first["a"][0],
            "f0_after": last["f"][0], "a0_after": last["a"][0],
            "carrier_mode_before": first.get("carrier_mode"),
            "carrier_mode_after": last.get("carrier_mode")}
        plot([folder], os.path.join(args.out, f"allostery-{name}"))

    summary["capacity"] = []
    folders = []
    tasks = 1
    while tasks <= args.max_tasks:
        folder, doc = train(args.attractor, args.out, f"capacity-tasks{tasks}",
                            ["--nodes", "512", "--tasks", str(tasks)])
        last = last_analysis(folder)
        summary["capacity"].append({
            "tasks": tasks, "cost_ratio": doc["cost_ratio"], "final_cost": doc["final_cost"],
            "lowest_eigenvalue_before": doc["lowest_eigenvalue_before"],
            "lowest_eigenvalue_after": doc["lowest_eigenvalue_after"],
            "g_bar_after": last.get("g_bar"), "d_eff_before": doc.get("d_eff_before"),
            "d_eff_after": doc.get("d_eff_after"), "edges_at_floor": doc["edges_at_floor"]})
        folders.append(folder)
        tasks *= 2
    plot(folders, os.path.join(args.out, "capacity"), network=False)

    # The same question where no floor cuts edges loose: a fully connected linear network of
    # 64 nodes (W̄ must stay positive definite; the small rate keeps it so up to 64 tasks).
    summary["capacity_linear"] = []
    for tasks in (1, 4, 16, 64):
        folder, doc = train(args.attractor, args.out, f"linear-tasks{tasks}",
                            ["--network", "linear", "--nodes", "64", "--tasks", str(tasks),
                             "--alpha", "0.02", "--steps", "8000"])
        first = json.load(open(os.path.join(folder, "result.json")))["analyses"][0]
        last = last_analysis(folder)
        summary["capacity_linear"].append({
            "tasks": tasks, "cost_ratio": doc["cost_ratio"],
            "lowest_eigenvalue_before": doc["lowest_eigenvalue_before"],
            "lowest_eigenvalue_after": doc["lowest_eigenvalue_after"],
            "g_bar_before": first.get("g_bar"), "g_bar_after": last.get("g_bar"),
            "d_eff_before": doc.get("d_eff_before"), "d_eff_after": doc.get("d_eff_after")})

    folder, doc = train(args.attractor, args.out, "iris", ["--task", "iris", "--nodes", "64"])
    summary["iris"] = doc
    plot([folder], os.path.join(args.out, "iris"))

    if not args.keep_runs:
        for entry in os.listdir(args.out):
            if os.path.isdir(os.path.join(args.out, entry)):
                shutil.rmtree(os.path.join(args.out, entry))
    summary["seconds"] = time.time() - start
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
