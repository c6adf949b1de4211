#!/usr/bin/env python3
"""The physical-learning experiments behind the README's figures, run with `attractor physical
train` and summarized in one JSON document (and drawn with scripts/plot_physical.py).

  reference   Stern et al.'s coupled-learning point: 64-node flow networks, 5 sources, 3 targets,
              alpha 0.1, eta 1e-3, 10^4 steps, over --seeds networks; the median error ratio.
  allostery   one task on a 512-node flow network and on a 512-node elastic one (boundary held):
              the error, the lowest eigenvalues, the alignment of the softest mode and D_eff;
              and on the flow network with phi = e^w an output asked for 10x the inputs'
              response, by coupled learning: the mode that carries the response, before and after.
  amplify     the 10x and 20x outputs on --seeds such networks: which learn, how much softer
              the carrying mode ends, and its share of the response.
  capacity    64-node flow networks (~130 edges) trained on 1, 4, ..., 1024 tasks at once over
              --capacity-seeds networks: how far the error falls against the silent cost (no
              response), and whether the response softens (g_bar, lambda_0) or stiffens, and how
              low-dimensional it stays; and a 64-node linear network on 1–64 tasks.
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


CAPACITY_TASKS = (1, 4, 16, 64, 256, 1024)


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return (ordered[middle] if len(ordered) % 2 else
            (ordered[middle - 1] * ordered[middle]) ** 0.5)


def plot_capacity(rows, path):
    """Per-network ratios after/before against the number of tasks, the medians joined."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [("g_bar_ratio", "ḡ after / before  (>1 softer)"),
              ("lowest_eigenvalue_ratio", "λ₀ after / before  (<1 softer)"),
              ("cost_ratio", "cost after / before"),
              ("d_eff_after", "D_eff after")]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6))
    for ax, (key, label) in zip(axes, panels):
        for tasks in CAPACITY_TASKS:
            values = [r[key] for r in rows if r["tasks"] == tasks]
            ax.scatter([tasks] * len(values), values, s=12, color="tab:blue", alpha=0.5)
        ax.plot(CAPACITY_TASKS, [median([r[key] for r in rows if r["tasks"] == t])
                                 for t in CAPACITY_TASKS], color="tab:blue", lw=2, label="median")
        if key == "cost_ratio":
            ax.plot(CAPACITY_TASKS, [median([r["silent_ratio"] for r in rows if r["tasks"] == t])
                                     for t in CAPACITY_TASKS], color="tab:orange", ls="--",
                    label="silent (no response)")
            ax.set_yscale("log")
        elif key == "d_eff_after":
            ax.plot(CAPACITY_TASKS, [median([r["d_eff_before"] for r in rows if r["tasks"] == t])
                                     for t in CAPACITY_TASKS], color="grey", ls="--",
                    label="before")
        else:
            ax.axhline(1, color="grey", lw=0.8)
            ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_xlabel("tasks learned at once")
        ax.set_title(label, fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle("64-node flow networks: softer below capacity, stiffer past it", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    shrink([path])


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attractor", default=os.path.join(REPO, "build", "host", "cli", "attractor"))
    parser.add_argument("--out", required=True, help="folder for the runs and figures")
    parser.add_argument("--seeds", type=int, default=10, help="networks in the reference ensemble")
    parser.add_argument("--capacity-seeds", type=int, default=6,
                        help="networks in the capacity sweep")
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
    summary["reference"] = {"nodes": 64, "sources": 5, "targets": 3, "rule": "couple",
                            "alpha": 0.1, "eta": 1e-3, "steps": 10000, "cost_ratios": ratios,
                            "median_cost_ratio": median(ratios),
                            "seeds_below_1e-2": sum(r <= 1e-2 for r in ratios)}
    plot([os.path.join(args.out, "reference-seed1")], os.path.join(args.out, "reference"))

    summary["allostery"] = {}
    for name, extra in [("flow", []), ("elastic", ["--network", "elastic", "--alpha", "0.1"]),
                        ("flow-exp-gain10", ["--phi", "exp", "--gain", "10", "--rule", "couple"])]:
        folder, doc = train(args.attractor, args.out, f"allostery-{name}", ["--nodes", "512"] + extra)
        first = json.load(open(os.path.join(folder, "result.json")))["analyses"][0]
        last = last_analysis(folder)
        summary["allostery"][name] = {
            "result": doc, "f0_before": first["f"][0], "a0_before": first["a"][0],
            "f0_after": last["f"][0], "a0_after": last["a"][0],
            "carrier_mode_before": first.get("carrier_mode"),
            "carrier_mode_after": last.get("carrier_mode")}
        plot([folder], os.path.join(args.out, f"allostery-{name}"))

    # How the softening scales with the amplification asked for, over networks: one mode ends up
    # carrying the response, A u ≈ f a / λ = B, so its λ should fall as 1/gain.
    summary["amplification"] = []
    for gain in (10, 20):
        for seed in range(1, args.seeds + 1):
            folder, doc = train(args.attractor, args.out, f"amplify-gain{gain}-seed{seed}",
                                ["--nodes", "512", "--phi", "exp", "--gain", str(gain),
                                 "--rule", "couple", "--seed", str(seed)])
            result = json.load(open(os.path.join(folder, "result.json")))
            before = result["analyses"][0]["carrier_mode"]
            after = result["analyses"][-1]["carrier_mode"]
            target = result["task_nodes"][0]["targets"][0]
            summary["amplification"].append({
                "gain": gain, "seed": seed, "cost_ratio": doc["cost_ratio"],
                "carrier_eigenvalue_before": before["eigenvalue"],
                "carrier_eigenvalue_after": after["eigenvalue"],
                "carrier_share_after": after["f"] * after["a"] / after["eigenvalue"] / target})
            shutil.rmtree(folder)

    # Past capacity (many more tasks than a 64-node network's ~130 edges can meet) the targets'
    # random signs are uncorrelated with any response the network can give, so it can only
    # approach the silent cost; the sweep shows where softening turns into stiffening.
    summary["capacity"] = []
    for seed in range(1, args.capacity_seeds + 1):
        for tasks in CAPACITY_TASKS:
            folder, doc = train(args.attractor, args.out, f"capacity-seed{seed}-tasks{tasks}",
                                ["--nodes", "64", "--tasks", str(tasks), "--seed", str(seed)])
            result = json.load(open(os.path.join(folder, "result.json")))
            first, last = result["analyses"][0], result["analyses"][-1]
            summary["capacity"].append({
                "seed": seed, "tasks": tasks, "cost_ratio": doc["cost_ratio"],
                "silent_ratio": doc["silent_cost"] / doc["initial_cost"],
                "g_bar_ratio": last["g_bar"] / first["g_bar"],
                "lowest_eigenvalue_ratio": doc["lowest_eigenvalue_after"] / doc["lowest_eigenvalue_before"],
                "d_eff_before": doc["d_eff_before"], "d_eff_after": doc["d_eff_after"],
                "edges_at_floor": doc["edges_at_floor"], "free_dofs": doc["network"]["free_dofs"]})
            if seed > 1:
                shutil.rmtree(folder)
    summary["capacity_medians"] = [
        {"tasks": t, **{key: median([r[key] for r in summary["capacity"] if r["tasks"] == t])
                        for key in ("cost_ratio", "silent_ratio", "g_bar_ratio",
                                    "lowest_eigenvalue_ratio", "d_eff_before", "d_eff_after")},
         "networks_stiffer": sum(r["g_bar_ratio"] < 1 for r in summary["capacity"] if r["tasks"] == t)}
        for t in CAPACITY_TASKS]
    plot([os.path.join(args.out, f"capacity-seed1-tasks{t}") for t in CAPACITY_TASKS],
         os.path.join(args.out, "capacity"), network=False)
    plot_capacity(summary["capacity"], os.path.join(args.out, "capacity_stiffness.png"))

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
