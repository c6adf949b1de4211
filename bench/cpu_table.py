#!/usr/bin/env python3
"""Prints the Markdown table of a run_cpu_bench.py result, as the README and bench/README.md show
it: each case's time, its fraction of the copy bandwidth measured in the run, and its speed-up
over every peer that ran it (peer time / ours; above 1 means attractor is faster).

    python3 bench/cpu_table.py bench/results/<date>-cpu-<host>.json
"""
import json
import sys

NAMES = {"csr_sync_step": "sparse sync step", "dense_sync_step": "dense sync step",
         "csr_euler_step": "sparse Euler step (tanh)", "factored_recall": "factored recall step"}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: cpu_table.py RESULT.json")
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    peers = list(doc["peers"])
    print(f"{doc['device']}, {doc['threads']} threads, commit {doc['commit']}, {doc['date']}; "
          f"copy bandwidth {doc['copy_bandwidth_bytes_per_s'] / 1e9:.1f} GB/s (read + write)."
          f" Peers: " + "; ".join(doc["peers"].values()) + ".\n")
    print("| case | N | synapses | B | precision | ms/step | of copy bw | "
          + " | ".join(f"vs {p}" for p in peers) + " |")
    print("|---|---|---|---|---|---|---|" + "---|" * len(peers))
    for c in doc["cases"]:
        if c["name"] not in NAMES:
            continue
        fraction = c.get("fraction_of_copy_bandwidth")
        synapses = c.get("synapses", c["n"] ** 2)  # factored: the N² entries of T
        cells = [f"{c['peers'][p]['speedup']:.2f}×" if p in c.get("peers", {}) else "—"
                 for p in peers]
        print(f"| {NAMES[c['name']]} | {c['n']:,} | {synapses:.3g} | {c['batch']} | "
              f"{c['precision']} | {c['seconds_per_step'] * 1e3:.2f} | "
              + (f"{100 * fraction:.0f}%" if fraction else "—") + " | " + " | ".join(cells) + " |")
    fields = {c["path"]: c for c in doc["cases"] if c["name"] == "factored_fields"}
    if fields:
        bits, int8 = fields["bits"], fields["int8"]
        print(f"\nFactored Hebbian fields, N = {bits['n']:,}, P = {bits['patterns']:,}, "
              f"{bits['batch']} states: int8 patterns {int8['seconds_per_product'] * 1e3:.0f} ms, "
              f"bits {bits['seconds_per_product'] * 1e3:.0f} ms per product "
              f"({bits['speedup_vs_int8']:.1f}× in the same run).")
    memory = [c for c in doc["cases"] if c["name"] == "memory_float32"]
    for m in memory:
        print(f"Memory, float32 run of N = {m['n']:,}, {m['synapses']:.3g} synapses, B = "
              f"{m['batch']}: peak resident {m['peak_resident_bytes'] / 1e9:.3f} GB (network "
              f"{m['network_bytes'] / 1e9:.3f} GB, {m['network_bytes_per_synapse']:.2f} bytes a "
              f"synapse with the row offsets; the run adds {m['run_bytes_per_neuron']:.0f} bytes "
              f"a neuron).")
    if "euler_vs_brian2" in doc:
        e = doc["euler_vs_brian2"]
        print(f"Euler end states against Brian2 (float64): max |Δu| = "
              f"{e['max_abs_difference_float64']:.1e}, derived bound {e['derived_bound']:.1e}.")


if __name__ == "__main__":
    main()
