#!/usr/bin/env python3
"""Runs the GPU engine benchmark (attractor_bench_gpu) and its PyTorch peer (peer_torch.py) in the
same run on the same machine, merges them — per case our time per step, the peer's, the ratio
peer/ours, the fraction of the copy bandwidth, each beside the H100 prediction attractor_bench_gpu
writes for the case — with the device, commit and date, writes the JSON to --out and prints a
markdown table last. A case the peer does several ways (the exact integer cases: exact_hebbian
and binary_recall's dense T in float32, fp16 and int8, the ensembles in float32 and fp16) is
compared with the fastest exact way, and every way is listed.

Each case group runs in its own processes (ours, then the peer's), so a failure — an exception, a
crash, a sticky CUDA error, a timeout — costs that group only: it is recorded as an error string
and the run goes on. Without a GPU, without the program or without torch the script still writes
its JSON (full of errors) and exits 0; it exits 2 only for bad arguments.

    python3 bench/run_gpu_bench.py --build build-gpu --out bench/results/<date>-<device>.json
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ("sparse_1m", "dense_batch", "factored_1m", "binary_recall", "ensemble", "continuous",
         "exact_hebbian")

# The targets the GPU backend is built to meet (bench/README.md, "GPU").
TARGETS = (
    ("sparse_1m/B1", "fraction_of_copy_bandwidth", 0.70,
     "1M neurons / 100M synapses sparse step >= 70% of copy bandwidth"),
    ("dense_batch/B64", "speedup_vs_peer", 3.0, "one network x 64 states >= 3x PyTorch"),
    ("ensemble/4096x256", "speedup_vs_peer", 10.0,
     "4096 networks of N=256 >= 10x the best exact PyTorch bmm loop (fp32 / fp16)"),
    ("ensemble/1024x1024", "speedup_vs_peer", 10.0,
     "1024 networks of N=1024 >= 10x the best exact PyTorch bmm loop (fp32 / fp16)"),
    ("ensemble/16384x64", "speedup_vs_peer", 10.0,
     "16384 networks of N=64 >= 10x the best exact PyTorch bmm loop (fp32 / fp16)"),
    ("ensemble/4096x256-hebbian", "speedup_vs_peer", 10.0,
     "4096 Hebbian networks of N=256 (int8 in shared memory) >= 10x the best exact PyTorch bmm "
     "loop (fp32 / fp16)"),
    ("binary_recall/factored", "speedup_over_dense", 10.0,
     "bit-packed binary recall >= 10x the dense path (set against fp32; that T now runs as "
     "exact int8/fp16)"),
    ("exact_hebbian/B64", "speedup_vs_peer", 1.0,
     "exact int8/fp16 Hebbian fields >= 1x the best PyTorch exact peer (fp16 matmul / int8 _int_mm)"),
)
# What attractor_bench_gpu predicts for a target's metric, where it predicts one.
PREDICTED = {"fraction_of_copy_bandwidth": "predicted_fraction_of_copy_bandwidth",
             "speedup_over_dense": "predicted_speedup_over_dense"}


def log(message):
    print(f"[run_gpu_bench] {message}", file=sys.stderr, flush=True)


def run_json(args, timeout):
    """Runs a program that prints one JSON document on stdout (progress on stderr, passed
    through). Returns (document or None, error string or None); never raises."""
    if timeout is not None and timeout <= 0:
        return None, "skipped: the time budget was spent"
    try:
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=None, text=True,
                              timeout=timeout)
    except FileNotFoundError as error:
        return None, f"cannot run {args[0]}: {error}"
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s (the rest of the time budget)"
    except OSError as error:
        return None, f"cannot run {args[0]}: {error}"
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = proc.stdout.strip()[-300:]
        return None, f"exit code {proc.returncode}, no JSON on stdout" + (f": {tail}" if tail else "")
    if not isinstance(doc, dict):
        return None, f"exit code {proc.returncode}, stdout is JSON but not an object"
    error = doc.get("error")
    if proc.returncode != 0 and not error:
        error = f"exit code {proc.returncode}"
    return doc, error


def commit_of_checkout():
    try:
        out = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def ms(seconds):
    return f"{seconds * 1e3:.4g}" if isinstance(seconds, (int, float)) else "—"


def fraction(value):
    return f"{value:.2f}" if isinstance(value, (int, float)) else "—"


def sizes(case):
    parts = [f"N={case['n']:,}"] if "n" in case else []
    if case.get("storage") == "csr":
        parts.append(f"nnz={case['synapses']:,}")
    if "patterns" in case:
        parts.append(f"P={case['patterns']:,}")
    if case.get("networks", 1) > 1:
        parts.append(f"{case['networks']:,} nets")
    if "batch" in case:
        parts.append(f"B={case['batch']}")
    return " ".join(parts)


def table(merged):
    lines = ["| case | sizes | steps | ours ms/step | predicted ms/step (H100) | PyTorch ms/step | "
             "PyTorch/ours | fraction of copy bw | predicted fraction | GB/s | notes |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in merged["cases"]:
        if "seconds_per_step" not in c:
            lines.append(f"| {c['id']} | | | error | | {ms(c.get('peer_seconds_per_step'))} | | | | | "
                         f"{c.get('error', '')[:120]} |")
            continue
        notes = []
        if c.get("steps_min", c.get("max_steps")) != c.get("max_steps"):
            span = sorted({c["steps_min"], c["steps_max"]})
            notes.append(f"states stopped after {'-'.join(map(str, span))} steps")
        if c.get("layout") in ("sell", "csr"):
            notes.append(f"{c['layout'].upper()} layout"
                         + (f" (SELL padding {c['sell_padding']:.4f})" if "sell_padding" in c else ""))
        if c.get("weights_form") and c["weights_form"] != "float32":
            notes.append(f"{c['weights_form']} weights")
        if "speedup_over_dense" in c:
            predicted = c.get("predicted_speedup_over_dense")
            notes.append(f"{c['speedup_over_dense']:.2f}x the dense path"
                         + (f" (predicted {predicted:.2f}x)" if predicted else ""))
        if c.get("peer_best"):
            notes.append(f"vs {c['peer_best'].rsplit('/', 1)[-1]}, the fastest exact peer")
        if c.get("predicted_bound"):
            notes.append(f"predicted bound: {c['predicted_bound']}")
        if c.get("peer_error"):
            notes.append(f"peer: {c['peer_error'][:80]}")
        if c.get("sizes_match") is False:
            notes.append("peer sizes differ!")
        ratio = c.get("speedup_vs_peer")
        lines.append(
            f"| {c['id']} | {sizes(c)} | {c['steps_max']}/{c['max_steps']} | "
            f"{ms(c['seconds_per_step'])} | {ms(c.get('predicted_seconds_per_step'))} | "
            f"{ms(c.get('peer_seconds_per_step'))} | {f'{ratio:.2f}x' if ratio else '—'} | "
            f"{fraction(c.get('fraction_of_copy_bandwidth'))} | "
            f"{fraction(c.get('predicted_fraction_of_copy_bandwidth'))} | "
            f"{c['bandwidth_bytes_per_s'] / 1e9:.3g} | {'; '.join(notes)} |")
        for p in c.get("peers", []) if len(c.get("peers", [])) > 1 else []:
            ratio = p.get("speedup_vs_peer")
            state = p.get("error") or ("" if p.get("exact", True) else "not exact: not compared")
            lines.append(f"| ↳ {p['id']} ({p.get('precision', '')}) | | | | | "
                         f"{ms(p.get('seconds_per_step'))} | {f'{ratio:.2f}x' if ratio else '—'} | "
                         f"| | | {state[:120]} |")
    compared = {c.get("peer_case") for c in merged["cases"] if "peer_seconds_per_step" in c}
    compared |= {p["id"] for c in merged["cases"] for p in c.get("peers", [])}
    for p in merged["peer_cases"]:
        if "seconds_per_step" in p and p["id"] not in compared:
            lines.append(f"| {p['id']} (PyTorch only) | {sizes(p)} | {p['steps']} | — | | "
                         f"{ms(p['seconds_per_step'])} | | | | | |")
    for e in merged["errors"]:
        lines.append(f"| {e['id']} | | | | | | | | | | {e['error'][:120]} |")
    return "\n".join(lines)


def merge_group(ours, peer, merged):
    """Adds one case group's entries to `merged`, each of ours with its peer's time and ratio.
    A case's peers are the entry whose id is its `peer_case` and the entries that name it in
    `peer_of` (one per precision); it is compared with the fastest of those that are exact (an
    entry says `exact: false` when its final states differ from float32's), and all are listed
    under `peers` when there are several."""
    peer_cases = {p["id"]: p for p in (peer or {}).get("cases", []) if "id" in p}
    peer_failed = next((p["error"] for p in peer_cases.values() if "error" in p), None)
    for case in ours:
        case = dict(case)
        target = case.get("peer_case")
        candidates = [p for p in peer_cases.values()
                      if p["id"] == target or p.get("peer_of") == target]
        timed = [p for p in candidates if "seconds_per_step" in p and p.get("exact", True)]
        best = min(timed, key=lambda p: p["seconds_per_step"]) if timed else None
        if "seconds_per_step" in case and best:
            case["peer_seconds_per_step"] = best["seconds_per_step"]
            case["speedup_vs_peer"] = best["seconds_per_step"] / case["seconds_per_step"]
            if len(candidates) > 1:
                case["peer_best"] = best["id"]
            # Same problem? (The peer's factored_1m and binary_recall entries stand for several
            # of ours, so only the fields both report are compared.)
            keys = [k for k in ("n", "batch", "networks", "patterns") if k in best and k in case]
            case["sizes_match"] = all(best[k] == case[k] for k in keys) and \
                best.get("steps") == case.get("max_steps")
        elif "seconds_per_step" in case:
            p = candidates[0] if candidates else {}
            case["peer_error"] = p.get("error") or peer_failed or \
                (peer or {}).get("error") or "no peer entry"
        if len(candidates) > 1:
            case["peers"] = []
            for p in candidates:
                listed = {k: p[k] for k in ("id", "precision", "seconds_per_step", "exact",
                                            "agrees_with_fp32", "error") if k in p}
                if "seconds_per_step" in p and "seconds_per_step" in case:
                    listed["speedup_vs_peer"] = p["seconds_per_step"] / case["seconds_per_step"]
                case["peers"].append(listed)
        merged["cases"].append(case)
    merged["peer_cases"].extend(peer_cases.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build-gpu", help="build folder with bench/attractor_bench_gpu")
    parser.add_argument("--out", help="where to write the merged JSON "
                        "(default bench/results/<date>-<device>.json)")
    parser.add_argument("--case", action="append", default=[], help="only these case groups")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--commit", help="recorded in the output (default: git rev-parse)")
    parser.add_argument("--budget", type=float,
                        help="seconds for everything (default: no limit); a run past it is "
                             "stopped and recorded as timed out, later ones as skipped")
    parser.add_argument("--no-peer", action="store_true", help="run ours only")
    parser.add_argument("--cpu", action="store_true",
                        help="our cases on the CPU reference engines (attractor_bench_gpu --cpu) "
                             "and the peer on the CPU (--device cpu): a check of the pipeline "
                             "without a GPU, not a benchmark")
    args = parser.parse_args()
    groups = [c for arg in args.case for c in arg.split(",") if c] or list(CASES)
    if any(g not in CASES for g in groups) or args.repeats < 1:
        parser.error(f"cases must be among {', '.join(CASES)}; --repeats must be positive")

    deadline = None if args.budget is None else time.monotonic() + args.budget

    def remaining():
        return None if deadline is None else deadline - time.monotonic()

    commit = args.commit or commit_of_checkout()
    program = os.path.join(args.build, "bench", "attractor_bench_gpu")
    common = (["--quick"] if args.quick else []) + ["--repeats", str(args.repeats)]
    merged = {"benchmark": "gpu_step", "date": datetime.date.today().isoformat(),
              "commit": commit, "quick": args.quick, "repeats": args.repeats,
              "engines": "cpu (reference check)" if args.cpu else "cuda",
              "device": None, "copy_bandwidth_bytes_per_s": None, "peer": None,
              "cases": [], "peer_cases": [], "errors": [], "targets": []}
    copy_bandwidths = []
    for group in groups:
        log(f"{group}: attractor_bench_gpu")
        ours, error = run_json([program, "--case", group, "--commit", commit] + common +
                               (["--cpu"] if args.cpu else []),
                               remaining())
        if ours:
            merged["device"] = merged["device"] or ours.get("device")
            merged["prediction_model"] = merged.get("prediction_model") or \
                ours.get("prediction_model")
            if ours.get("copy_bandwidth_bytes_per_s"):
                copy_bandwidths.append(ours["copy_bandwidth_bytes_per_s"])
        our_cases = (ours or {}).get("cases", [])
        if error or not our_cases:
            merged["errors"].append({"id": f"{group}/*", "error": error or "no cases reported"})
        peer, peer_error = None, "not run (--no-peer)"
        if not args.no_peer:
            log(f"{group}: peer_torch.py")
            peer, peer_error = run_json([sys.executable, os.path.join(HERE, "peer_torch.py"),
                                         "--case", group] + common +
                                        (["--device", "cpu"] if args.cpu else []), remaining())
            if peer and peer.get("peer", "pytorch") != "pytorch":
                merged["peer"] = peer["peer"]
                merged["peer_device"] = peer.get("device")
        if peer_error:
            peer = dict(peer or {}, error=peer_error)
            if not args.no_peer:
                merged["errors"].append({"id": f"{group}/* (peer)", "error": peer_error})
        merge_group(our_cases, peer, merged)

    if copy_bandwidths:
        copy_bandwidths.sort()
        merged["copy_bandwidth_bytes_per_s"] = copy_bandwidths[len(copy_bandwidths) // 2]
        merged["copy_bandwidth_runs"] = copy_bandwidths
    by_id = {c["id"]: c for c in merged["cases"] if "id" in c}
    for case_id, key, goal, what in TARGETS:
        value = by_id.get(case_id, {}).get(key)
        predicted = by_id.get(case_id, {}).get(PREDICTED.get(key, ""))
        merged["targets"].append({"target": what, "case": case_id, "metric": key, "goal": goal,
                                  "value": value, "predicted": predicted,
                                  "met": None if value is None else value >= goal})

    device_name = (merged["device"] or {}).get("name") or merged.get("peer_device") or "no-gpu"
    out = args.out or os.path.join(
        HERE, "results", f"{merged['date']}-{re.sub(r'[^A-Za-z0-9]+', '-', device_name).strip('-').lower()}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".tmp", "w") as f:
        json.dump(merged, f, indent=2)
        f.write("\n")
    os.replace(out + ".tmp", out)

    bw = merged["copy_bandwidth_bytes_per_s"]
    print(f"\n## GPU benchmark, {merged['date']}, commit {commit}, {device_name}"
          + (" (CPU reference engines: a check, not a benchmark)" if args.cpu else "")
          + (f", copy bandwidth {bw / 1e9:.0f} GB/s" if bw else "")
          + (f", peer {merged['peer']}" if merged["peer"] else "") + "\n")
    for t in merged["targets"]:
        state = "not measured" if t["met"] is None else ("met" if t["met"] else "NOT met")
        value = "" if t["value"] is None else f" ({t['value']:.2f})"
        predicted = "" if t["predicted"] is None else f"; predicted {t['predicted']:.2f}"
        print(f"- {t['target']}: {state}{value}{predicted}")
    print(f"\nwrote {out}\n")
    print(table(merged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
