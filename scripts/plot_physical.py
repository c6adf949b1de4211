#!/usr/bin/env python3
"""Plots `attractor physical train --out DIR` runs.

PREFIX_training.png: the cost C at every step (log), the lowest Hessian eigenvalues at each
analysis (log; the lowest bold, the carrier mode as dots), the alignment of the lowest mode with
the task (|f|, a and |f|·a, and the carrier mode's |f|·a), D_eff (and the ensemble's D_eff of
random forces, with --forces) and, for iris, the train and test accuracy. Several DIRs (e.g. runs
with 1, 4 and 16 tasks) are overlaid, one colour per run.

PREFIX_network.png: one row per run. For a 2D network: before and after training, edges coloured
and thickened by their conductance or stiffness phi(w) on a log scale (edges at the floor dotted
orange), and the change log10(phi_after / phi_before); grounded (pinned) nodes are grey, the first
task's inputs red triangles and outputs blue squares (other tasks' nodes hollow). For a linear
network: the coupling matrix before, after and their difference. 3D networks are not drawn.

    attractor physical train --tasks 1 --out t1 && attractor physical train --tasks 4 --out t4
    python3 scripts/plot_physical.py t1 t4 --out tasks   # tasks_training.png, tasks_network.png
Needs python3-matplotlib and numpy.
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import LogNorm, TwoSlopeNorm  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FormatStrFormatter  # noqa: E402

PROG = "plot_physical.py"
PHI = {"linear": lambda w: w, "square": lambda w: w * w, "exp": np.exp}


def fail(path, why):
    sys.exit(f"{PROG}: {path}: {why}")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        fail(path, "not found (is it an `attractor physical train --out` folder?)")
    except (OSError, ValueError) as e:
        fail(path, f"cannot be read as JSON: {e}")


def need(doc, key, path, kind=None):
    if not isinstance(doc, dict) or key not in doc:
        fail(path, f'has no "{key}"')
    if kind is not None and not isinstance(doc[key], kind):
        fail(path, f'"{key}" has the wrong type')
    return doc[key]


class Run:
    def __init__(self, folder):
        self.folder = folder
        self.path = os.path.join(folder, "result.json")
        self.doc = load(self.path)
        need(self.doc, "cost_curve", self.path, list)
        self.analyses = need(self.doc, "analyses", self.path, list)
        for a in self.analyses:
            for key in ("step", "lowest_eigenvalues", "f", "a", "alignment", "d_eff"):
                need(a, key, self.path + ' "analyses"')
        if not self.analyses:
            print(f"{PROG}: {self.path}: no analyses, only the cost is drawn", file=sys.stderr)
        self.task = self.doc.get("task", "?")
        self.tasks = self.doc.get("tasks", 1)
        self.net = self.doc.get("network", {})
        self.label = self.task if self.task == "iris" or self.tasks == 1 else \
            f"{self.task}, {self.tasks} tasks"

    def series(self, get):
        """(steps, values) of the analyses where get() finds a value; a missing key is a gap."""
        steps, values = [], []
        for a in self.analyses:
            try:
                v = get(a)
            except (KeyError, IndexError, TypeError):
                continue
            if v is not None:
                steps.append(a["step"])
                values.append(v)
        try:
            return np.array(steps), np.array(values, dtype=float)
        except ValueError:
            fail(self.path, '"analyses" hold lists of different lengths or non-numbers')


def disambiguate(runs):
    # Runs of one task (e.g. a phi or seed sweep) would share a legend entry, so name what differs.
    fields = [("", lambda r: r.net.get("kind")), ("N", lambda r: r.net.get("nodes")),
              ("φ", lambda r: r.net.get("phi")), ("rule", lambda r: r.doc.get("rule")),
              ("α", lambda r: r.doc.get("alpha")), ("η", lambda r: r.doc.get("eta")),
              ("seed", lambda r: r.doc.get("seed"))]
    labels = [r.label for r in runs]
    for name, get in fields:
        if len(set(labels)) == len(labels):
            break
        for group in set(labels):
            members = [i for i, lab in enumerate(labels) if lab == group]
            if len(members) > 1 and len({str(get(runs[i])) for i in members}) > 1:
                for i in members:
                    value = get(runs[i])
                    text = f"{value:g}" if isinstance(value, float) else str(value)
                    labels[i] += f", {name} {text}" if name else f", {text}"
    if len(set(labels)) != len(labels):
        labels = [f"{lab} ({os.path.basename(os.path.normpath(r.folder))})"
                  for lab, r in zip(labels, runs)]
    for r, lab in zip(runs, labels):
        r.label = lab


def positive(x):
    # Allostery costs reach exact zeros and alignments cross zero; a log axis needs them masked.
    x = np.abs(np.asarray(x, dtype=float))
    return np.where(x > 0, x, np.nan)


def number(x):
    return f"{x:g}" if isinstance(x, (int, float)) else "?"


def describe(run):
    n, d = run.net, run.doc
    size = f"{n.get('nodes', '?')} nodes" + (f", {n['edges']} edges" if n.get("edges") else "")
    return (f"{n.get('kind', '?')} network ({size}, φ = {n.get('phi', '?')}), {run.label}, "
            f"{d.get('rule', '?')} rule, α = {number(d.get('alpha'))}, "
            f"η = {number(d.get('eta'))}, {d.get('steps', len(d['cost_curve']) - 1)} steps")


def training(runs, out):
    iris = any(r.series(lambda a: a["train_accuracy"])[0].size for r in runs)
    panels = 5 if iris else 4
    # Overlaid runs get a panel of their own for the run legend, so that no data is covered.
    slots = panels + (len(runs) > 1)
    ncols = 2 if slots == 4 else 3
    fig, axes = plt.subplots(2, ncols, figsize=(5.2 * ncols, 8.4), squeeze=False)
    axes = list(axes.flat)
    cost, eig, align, deff = axes[:4]
    acc = axes[4] if iris else None
    for ax in axes[panels:]:
        ax.axis("off")
    for i, run in enumerate(runs):
        c = f"C{i % 10}"
        curve = run.doc["cost_curve"]
        cost.semilogy(np.arange(len(curve)), positive(curve), color=c, lw=1.4, label=run.label)
        steps, lam = run.series(lambda a: a["lowest_eigenvalues"])
        if lam.ndim == 2 and lam.size:
            for m in range(lam.shape[1] - 1, -1, -1):
                eig.semilogy(steps, positive(lam[:, m]), color=c, lw=2.2 if m == 0 else 0.7,
                             alpha=1.0 if m == 0 else 0.35)
        cs, cl = run.series(lambda a: a["carrier_mode"]["eigenvalue"])
        if cs.size:
            eig.semilogy(cs, positive(cl), ".", color=c, ms=5, mec="k", mew=0.4)
        for key, style in (("f", "--"), ("a", ":"), ("alignment", "-")):
            s, v = run.series(lambda a, key=key: a[key][0])
            align.semilogy(s, positive(v), style, color=c, lw=1.5)
        s, v = run.series(lambda a: a["carrier_mode"]["alignment"])
        if s.size:
            align.semilogy(s, positive(v), "o", color=c, ms=3.5, mfc="none", mew=0.9)
        deff.plot(*run.series(lambda a: a["d_eff"]), "-", color=c, lw=1.5)
        s, v = run.series(lambda a: a["ensemble"]["d_eff"])
        if s.size:
            deff.plot(s, v, "--", color=c, lw=1.5)
        if iris:
            for key, style in (("train_accuracy", "-"), ("test_accuracy", "--")):
                s, v = run.series(lambda a, key=key: a[key])
                if s.size:
                    acc.plot(s, 100 * v, style, color=c, lw=1.5, marker=".", ms=4)

    cost.set_ylabel("cost C")
    cost.set_title("cost at every step", fontsize=10)
    eig.set_ylabel("eigenvalue λ of the Hessian")
    eig.set_title("lowest eigenvalues (bold: λ₀; dots: carrier mode)", fontsize=10)
    eig.legend(handles=[Line2D([], [], color="k", lw=2.2, label="λ₀"),
                        Line2D([], [], color="k", lw=0.7, alpha=0.35, label="λ₁, λ₂, …"),
                        Line2D([], [], ls="", marker=".", color="k", ms=6, label="carrier mode")],
               fontsize=8)
    align.set_ylabel("alignment with the task")
    align.set_title("lowest mode: input force and output projections", fontsize=10)
    align.legend(handles=[Line2D([], [], color="k", ls="--", label="|f₀| (input force)"),
                          Line2D([], [], color="k", ls=":", label="a₀ (outputs)"),
                          Line2D([], [], color="k", ls="-", label="|f₀|·a₀"),
                          Line2D([], [], color="k", ls="", marker="o", mfc="none", ms=4,
                                 label="carrier mode |f|·a")], fontsize=8, ncol=2,
                 framealpha=0.8)
    deff.set_ylabel("D_eff")
    deff.set_title("effective dimension of the response", fontsize=10)
    deff.set_ylim(bottom=0)
    ensemble = any(r.series(lambda a: a["ensemble"]["d_eff"])[0].size for r in runs)
    deff.legend(handles=[Line2D([], [], color="k", ls="-", label="D_eff (spectrum of H)")] +
                ([Line2D([], [], color="k", ls="--", label="ensemble D_eff (random forces)")]
                 if ensemble else []), fontsize=8)
    if iris:
        acc.set_ylabel("accuracy, %")
        acc.set_title("iris classification", fontsize=10)
        acc.set_ylim(0, 100)
        acc.legend(handles=[Line2D([], [], color="k", ls="-", label="train"),
                            Line2D([], [], color="k", ls="--", label="test")], fontsize=8)
    for ax in axes[:panels]:
        ax.set_xlabel("step")
        ax.grid(True, which="major", alpha=0.3)
        lo, hi = ax.get_ylim()
        if ax.get_yscale() == "log" and hi < 10 * lo:
            # Less than a decade shows only minor ticks, which matplotlib labels as 1.2×10⁰.
            ax.yaxis.set_major_formatter(FormatStrFormatter("%.3g"))
            ax.yaxis.set_minor_formatter(FormatStrFormatter("%.3g"))
    if len(runs) == 1:
        fig.suptitle(describe(runs[0]), fontsize=11)
    else:
        axes[panels].legend(*cost.get_legend_handles_labels(), loc="center", title="runs",
                            fontsize=9)
        kinds = sorted({r.net.get("kind", "?") for r in runs})
        kinds = ", ".join(kinds[:-1]) + " and " + kinds[-1] if len(kinds) > 1 else kinds[0]
        fig.suptitle(f"physical learning, {kinds} networks: {len(runs)} runs", fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def node_roles(run, doc, path):
    need(doc, "nodes", path, int)
    tasks = run.doc.get("task_nodes") or []
    first = tasks[0] if tasks else {}
    inputs = set(first.get("inputs", []))
    outputs = set(first.get("outputs", []))
    other_in = {n for t in tasks[1:] for n in t.get("inputs", [])} - inputs - outputs
    other_out = {n for t in tasks[1:] for n in t.get("outputs", [])} - inputs - outputs
    # Iris tasks (one per sample) share their nodes; "task 1" would suggest they do not.
    shared = all(set(t.get("inputs", [])) == inputs and set(t.get("outputs", [])) == outputs
                 for t in tasks)
    return sorted(inputs), sorted(outputs), sorted(other_in), sorted(other_out), \
        "" if shared else " (task 1)"


def conductance(doc, path):
    w = np.asarray(need(doc, "weights", path, list), dtype=float)
    phi = doc.get("phi", "linear")
    if phi not in PHI:
        fail(path, f'"phi" is {phi!r}, not linear, square or exp')
    return PHI[phi](w)


def draw_nodes(ax, run, doc, path, pos):
    inputs, outputs, other_in, other_out, which = node_roles(run, doc, path)
    ground = np.asarray(doc.get("ground", []), dtype=int)
    free = np.setdiff1d(np.arange(len(pos)), ground)
    ax.scatter(pos[free, 0], pos[free, 1], s=3 if len(pos) < 1000 else 1.2, c="k", lw=0,
               zorder=2)
    grounded = "pinned" if doc.get("kind") == "elastic" else "grounded"
    if ground.size:
        ax.scatter(pos[ground, 0], pos[ground, 1], s=28, c="0.6", edgecolors="0.3", lw=0.5,
                   zorder=3, label=f"{grounded} nodes ({ground.size})")
    if other_in:
        ax.scatter(pos[other_in, 0], pos[other_in, 1], s=40, marker="^", facecolors="none",
                   edgecolors="tab:red", lw=1.0, zorder=4, label="inputs (other tasks)")
    if other_out:
        ax.scatter(pos[other_out, 0], pos[other_out, 1], s=36, marker="s", facecolors="none",
                   edgecolors="tab:blue", lw=1.0, zorder=4, label="outputs (other tasks)")
    if inputs:
        ax.scatter(pos[inputs, 0], pos[inputs, 1], s=90, marker="^", c="tab:red",
                   edgecolors="k", lw=0.7, zorder=5, label="inputs" + which)
    if outputs:
        ax.scatter(pos[outputs, 0], pos[outputs, 1], s=80, marker="s", c="tab:blue",
                   edgecolors="k", lw=0.7, zorder=5, label="outputs" + which)
    # The reference task grounds its first source: ring it, since the marker hides the grey dot.
    hidden = np.intersect1d(ground, np.array(inputs + outputs + other_in + other_out, dtype=int))
    if hidden.size:
        ax.scatter(pos[hidden, 0], pos[hidden, 1], s=260, facecolors="none", edgecolors="0.45",
                   lw=1.6, zorder=6)
    pad = 0.03 * max(np.ptp(pos[:, 0]), np.ptp(pos[:, 1]), 1e-9)
    ax.set_xlim(pos[:, 0].min() - pad, pos[:, 0].max() + pad)
    ax.set_ylim(pos[:, 1].min() - pad, pos[:, 1].max() + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def draw_edges(ax, segments, value, strength, norm, cmap, width, cut=None):
    """Edges coloured by value, widths by strength in [0, 1]; cut edges thin and dotted."""
    keep = np.ones(len(segments), bool) if cut is None else ~cut
    # Weak edges first, so that the strong ones crossing them stay on top.
    order = np.flatnonzero(keep)[np.argsort(strength[keep])]
    lines = LineCollection(segments[order], array=value[order], cmap=cmap, norm=norm,
                           linewidths=width * (0.3 + 2.7 * strength[order]), capstyle="round",
                           zorder=1)
    ax.add_collection(lines)
    if cut is not None and cut.any():
        ax.add_collection(LineCollection(segments[cut], colors="tab:orange", linewidths=1.2,
                                         linestyles=(0, (1.5, 1.5)), zorder=1.5,
                                         label=f"edges at the floor ({int(cut.sum())})"))
    return lines


def graph_row(fig, axes, run, before, after, paths):
    pos = np.asarray(need(before, "positions", paths[0], list), dtype=float)
    edges = np.asarray(need(before, "edges", paths[0], list), dtype=int).reshape(-1, 2)
    if len(edges) and (edges.min() < 0 or edges.max() >= len(pos)):
        fail(paths[0], "an edge names a node outside positions")
    edges_after = np.asarray(need(after, "edges", paths[1], list), dtype=int).reshape(-1, 2)
    if not np.array_equal(edges, edges_after):
        fail(paths[1], "has other edges than network_before.json")
    kb, ka = conductance(before, paths[0]), conductance(after, paths[1])
    if len(kb) != len(edges) or len(ka) != len(edges):
        fail(paths[1], f"{len(edges)} edges but {len(kb)} and {len(ka)} weights")
    segments = pos[edges][:, :, :2]
    floor = run.doc.get("floor", 1e-4)
    # phi(w) at the floor is a cut edge: it gets its own style, so that the colour scale spans the
    # conductances that still carry the response.
    cut_b, cut_a = kb <= floor * (1 + 1e-6), ka <= floor * (1 + 1e-6)
    live = np.concatenate([kb[~cut_b], ka[~cut_a]])
    lo = live.min() if live.size else floor
    hi = live.max() if live.size else 1.0
    if hi / lo < 1.01:
        lo, hi = lo / 1.5, hi * 1.5  # an untrained network: every phi(w) equal
    norm = LogNorm(vmin=lo, vmax=hi)
    cmap = plt.get_cmap("viridis_r")
    width = float(np.clip(np.sqrt(1024 / max(len(edges), 1)), 0.35, 1.3))

    def strength(k):
        return np.clip((np.log(k.clip(lo)) - np.log(lo)) / (np.log(hi) - np.log(lo)), 0, 1)

    steps = run.doc.get("steps", len(run.doc["cost_curve"]) - 1)
    initial = run.doc.get("initial_cost", run.doc["cost_curve"][0])
    final = run.doc.get("final_cost", run.doc["cost_curve"][-1])
    lines = draw_edges(axes[0], segments, kb, strength(kb), norm, cmap, width, cut_b)
    draw_nodes(axes[0], run, before, paths[0], pos)
    axes[0].set_title(f"{run.label}: before (C = {initial:.3g})", fontsize=10)
    draw_edges(axes[1], segments, ka, strength(ka), norm, cmap, width, cut_a)
    draw_nodes(axes[1], run, after, paths[1], pos)
    axes[1].set_title(f"after {steps} steps (C = {final:.3g})", fontsize=10)
    what = "stiffness" if before.get("kind") == "elastic" else "conductance"
    bar = fig.colorbar(lines, ax=list(axes[:2]), shrink=0.8, pad=0.01, extend="min")
    bar.set_label(f"{what} φ(w), φ = {before.get('phi', 'linear')}")
    if hi < 10 * lo:
        bar.ax.yaxis.set_major_formatter(FormatStrFormatter("%.3g"))
        bar.ax.yaxis.set_minor_formatter(FormatStrFormatter("%.3g"))

    # Most edges move by a few per cent, invisible on the scale above; the ratio shows them.
    ratio = np.log10(ka.clip(1e-300) / kb.clip(1e-300))
    moved = np.abs(ratio[~(cut_a | cut_b)])
    span = max(np.percentile(moved, 99) if moved.size else 0.0, 1e-3)
    lines = draw_edges(axes[2], segments, ratio, np.clip(np.abs(ratio) / span, 0, 1),
                       TwoSlopeNorm(0.0, -span, span), plt.get_cmap("coolwarm"), width)
    draw_nodes(axes[2], run, after, paths[1], pos)
    axes[2].set_title("change of φ(w)", fontsize=10)
    bar = fig.colorbar(lines, ax=axes[2], shrink=0.8, pad=0.01, extend="both")
    bar.set_label("log₁₀ φ_after / φ_before")
    handles, labels = axes[1].get_legend_handles_labels()
    for h, lab in zip(*axes[0].get_legend_handles_labels()):
        if lab not in labels and not lab.startswith("edges at"):
            handles.append(h)
            labels.append(lab)
    axes[1].legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.01),
                   ncol=min(len(labels), 4), fontsize=8, frameon=False)


def couplings_row(fig, axes, run, before, after, paths):
    wb = np.asarray(need(before, "couplings", paths[0], list), dtype=float)
    wa = np.asarray(need(after, "couplings", paths[1], list), dtype=float)
    if wb.ndim != 2 or wb.shape != wa.shape or wb.shape[0] != wb.shape[1]:
        fail(paths[1], '"couplings" is not a square matrix matching network_before.json')
    inputs, outputs, _, _, which = node_roles(run, before, paths[0])
    # The diagonal (~1) would wash out the small off-diagonal couplings, so each panel gets its
    # own symmetric scale.
    for ax, m, title in ((axes[0], wb, f"{run.label}: couplings before"),
                         (axes[1], wa, "couplings after"),
                         (axes[2], wa - wb, "change (after − before)")):
        span = max(np.abs(m).max(), 1e-12)
        im = ax.imshow(m, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -span, span),
                       interpolation="nearest")
        fig.colorbar(im, ax=ax, shrink=0.8, pad=0.01)
        for n in inputs:
            ax.axhline(n, color="tab:red", lw=0.6, alpha=0.7)
            ax.axvline(n, color="tab:red", lw=0.6, alpha=0.7)
        for n in outputs:
            ax.axhline(n, color="tab:green", lw=0.6, alpha=0.7)
            ax.axvline(n, color="tab:green", lw=0.6, alpha=0.7)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("node j")
        ax.set_ylabel("node i")
    axes[1].legend(handles=[Line2D([], [], color="tab:red", label="inputs" + which),
                            Line2D([], [], color="tab:green", label="outputs" + which)],
                   loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8,
                   frameon=False)


def network(runs, out):
    rows = []
    for run in runs:
        paths = [os.path.join(run.folder, f"network_{w}.json") for w in ("before", "after")]
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            print(f"{PROG}: {missing[0]}: not found, network of {run.label} not drawn",
                  file=sys.stderr)
            continue
        before, after = load(paths[0]), load(paths[1])
        if before.get("kind") == "linear" or "couplings" in before:
            rows.append(("couplings", run, before, after, paths))
        elif "positions" in before and before.get("space_dim", 2) == 2:
            rows.append(("graph", run, before, after, paths))
        else:
            print(f"{PROG}: {paths[0]}: a {before.get('space_dim', '?')}D network without a 2D "
                  f"drawing, network of {run.label} not drawn", file=sys.stderr)
    if not rows:
        return False
    fig, axes = plt.subplots(len(rows), 3, figsize=(18, 6.0 * len(rows)), squeeze=False,
                             layout="constrained")
    for row, (kind, run, before, after, paths) in zip(axes, rows):
        (graph_row if kind == "graph" else couplings_row)(fig, row, run, before, after, paths)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def main():
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Writes PREFIX_training.png and PREFIX_network.png.")
    parser.add_argument("dirs", metavar="DIR", nargs="+",
                        help="folder written by `attractor physical train --out DIR`")
    parser.add_argument("--out", metavar="PREFIX",
                        help="output prefix (default: FIRST_DIR/physical)")
    args = parser.parse_args()
    for d in args.dirs:
        if not os.path.isdir(d):
            fail(d, "not a folder")
    runs = [Run(d) for d in args.dirs]
    disambiguate(runs)
    prefix = args.out or os.path.join(args.dirs[0], "physical")
    parent = os.path.dirname(prefix)
    if parent and not os.path.isdir(parent):
        fail(parent, "output folder does not exist")
    training(runs, prefix + "_training.png")
    print(f"wrote {prefix}_training.png")
    if network(runs, prefix + "_network.png"):
        print(f"wrote {prefix}_network.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
