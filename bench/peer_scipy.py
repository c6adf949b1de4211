#!/usr/bin/env python3
"""SciPy peer of bench/cpu_step.cpp: the same synchronous step s <- sign(T s + b) (zero field
keeps s) on the same CSR matrices (exported by `attractor_bench_cpu --export DIR`) and the
obvious NumPy dense product for the dense case, each in float64 and in float32 (the matrix and
states cast, as a user would). Prints JSON with seconds per step per case."""
import json
import sys
import time

import numpy as np
import scipy.sparse


def step(T, s):
    field = T @ s
    return np.where(field > 0, 1, np.where(field < 0, -1, s)).astype(s.dtype, copy=False)


def time_steps(T, s, steps, repeats):
    step(T, s)  # warm-up
    per_step = []
    for _ in range(repeats):
        x = s.copy()
        start = time.perf_counter()
        for _ in range(steps):
            x = step(T, x)
        per_step.append((time.perf_counter() - start) / steps)
    return float(np.median(per_step))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: peer_scipy.py EXPORT_DIR N_DENSE")
    d = sys.argv[1]
    # The sparse cases the engine ran: [{"dir", "batch", "steps", "repeats"}], matrices under d.
    with open(f"{d}/sparse_cases.json") as f:
        sparse_cases = json.load(f)
    rng = np.random.default_rng(42)
    cases = []
    for sub in dict.fromkeys(sc["dir"] for sc in sparse_cases):
        row_ptr = np.load(f"{d}/{sub}/row_ptr.npy").astype(np.int64)
        col_idx = np.load(f"{d}/{sub}/col_idx.npy")
        values = np.load(f"{d}/{sub}/values.npy")
        n = row_ptr.size - 1
        T = scipy.sparse.csr_matrix((values, col_idx, row_ptr), shape=(n, n))
        for precision, dtype in (("float64", np.float64), ("float32", np.float32)):
            Tp = T.astype(dtype)
            for sc in (sc for sc in sparse_cases if sc["dir"] == sub):
                batch = sc["batch"]
                shape = (n, batch) if batch > 1 else n
                s = rng.choice([-1.0, 1.0], size=shape).astype(dtype)
                cases.append({"name": "csr_sync_step", "precision": precision, "batch": batch,
                              "n": n, "seconds_per_step": time_steps(Tp, s, sc["steps"],
                                                                     sc["repeats"])})
        del T, Tp
    n_dense = int(sys.argv[2])
    W = rng.uniform(-0.5, 0.5, size=(n_dense, n_dense))
    np.fill_diagonal(W, 0.0)
    for precision, dtype in (("float64", np.float64), ("float32", np.float32)):
        Wp = W.astype(dtype)
        for batch in (1, 64):
            shape = (n_dense, batch) if batch > 1 else n_dense
            s = rng.choice([-1.0, 1.0], size=shape).astype(dtype)
            cases.append({"name": "dense_sync_step", "precision": precision, "batch": batch,
                          "n": n_dense, "seconds_per_step": time_steps(Wp, s, 10, 5)})
    print(json.dumps({"peer": f"scipy {scipy.__version__}, numpy {np.__version__}",
                      "cases": cases}, indent=2))


if __name__ == "__main__":
    main()
