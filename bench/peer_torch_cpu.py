#!/usr/bin/env python3
"""PyTorch CPU peer of bench/cpu_step.cpp and of the continuous rate network, written as a user
would: torch.sparse_csr_tensor from the exported CSR arrays (row_ptr.npy, col_idx.npy,
values.npy; rows = post, columns = pre), torch.set_num_threads(K), one framework call per product
in a Python loop. Times, in float32 and float64,
  csr_sync_step:  s <- sign(T s), a zero field keeping s (as peer_scipy.py), batch B = 1, 16, 64
                  (s of shape (N,) or (N, B));
  csr_euler_step: u <- u + dt (-u + T tanh(u)), B = 1.
Each matrix is a folder of the export (sparse_cases.json lists the cases: folder, batch, steps and
repeats; euler/ holds the rate network and u0, euler_case.json its dt and steps), so the cases are
those the engine ran. Seconds per step are the median over the repeats after one warm-up run, by
the wall clock. Before timing, T @ x is checked against SciPy's csr product on the same arrays so a
transposed or mis-built matrix cannot go unnoticed. Prints one JSON document on stdout.

    python bench/peer_torch_cpu.py DIR [--threads K]

Needs torch and NumPy/SciPy. PyPI's Linux torch wheel is a CUDA build that will not import without
its CUDA libraries even on a machine without a GPU (so `pip install --no-deps torch` does not do),
hence the full install, ~5 GB:
    /usr/bin/python3 -m venv --system-site-packages /work/torch-venv
    /work/torch-venv/bin/pip install torch
"""
import argparse
import json
import statistics
import time
import warnings

import numpy as np
import scipy.sparse

try:
    import torch
except ImportError as error:
    raise SystemExit(f"peer_torch_cpu.py needs torch (see the docstring): {error}")

# torch warns that sparse CSR is "beta"; that is part of what a user gets, not an error.
warnings.filterwarnings("ignore", message="Sparse")


def sync_step(T, s):
    field = T @ s
    return torch.where(field > 0, 1.0, torch.where(field < 0, -1.0, s)).to(s.dtype)


def euler_step(T, u, dt):
    return u + dt * (-u + T @ torch.tanh(u))


def time_steps(step, x0, steps, repeats):
    per_step = []
    for r in range(repeats + 1):  # run 0 is the warm-up
        x = x0.clone()
        start = time.perf_counter()
        for _ in range(steps):
            x = step(x)
        if r:
            per_step.append((time.perf_counter() - start) / steps)
    return statistics.median(per_step)


def load_csr(d):
    """The exported CSR matrix of folder d as a float64 torch tensor, checked against SciPy."""
    row_ptr = np.load(f"{d}/row_ptr.npy").astype(np.int64)
    col_idx = np.load(f"{d}/col_idx.npy")
    values = np.load(f"{d}/values.npy")
    n = row_ptr.size - 1
    # torch wants crow and col indices of one dtype. int32 where they fit: with int64 indices the
    # product (MKL's) runs ~3x slower here, so an informed user would cast down, not up.
    index = np.int32 if row_ptr[-1] < 2**31 else np.int64
    T = torch.sparse_csr_tensor(torch.from_numpy(row_ptr.astype(index)),
                                torch.from_numpy(col_idx.astype(index)),
                                torch.from_numpy(values), size=(n, n))
    x = np.random.default_rng(0).uniform(-1, 1, n)
    ref = scipy.sparse.csr_matrix((values, col_idx, row_ptr), shape=(n, n)) @ x
    err = float(np.max(np.abs((T @ torch.from_numpy(x)).numpy() - ref)))
    if err > 1e-12 * max(1.0, float(np.max(np.abs(ref)))):
        raise SystemExit(f"torch CSR product disagrees with SciPy's in {d}: max abs diff {err}")
    return T, n, np.dtype(index).name, err


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", help="the export folder of attractor_bench_cpu, with "
                        "sparse_cases.json and euler_case.json beside the matrices")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(f"{args.dir}/sparse_cases.json") as f:
        sparse_cases = json.load(f)
    with open(f"{args.dir}/euler_case.json") as f:
        euler = json.load(f)

    gen = torch.Generator().manual_seed(42)
    cases, checks = [], {}
    with torch.inference_mode():
        for sub in dict.fromkeys(sc["dir"] for sc in sparse_cases):
            T64, n, index, checks[sub] = load_csr(f"{args.dir}/{sub}")
            for precision, dtype in (("float32", torch.float32), ("float64", torch.float64)):
                T = T64.to(dtype)
                for sc in (sc for sc in sparse_cases if sc["dir"] == sub):
                    batch = sc["batch"]
                    shape = (n, batch) if batch > 1 else (n,)
                    s = (torch.randint(0, 2, shape, generator=gen) * 2 - 1).to(dtype)
                    cases.append({"name": "csr_sync_step", "precision": precision,
                                  "batch": batch, "n": n, "seconds_per_step": time_steps(
                                      lambda v: sync_step(T, v), s, sc["steps"], sc["repeats"])})
            del T64, T
        T64, n, index, checks["euler"] = load_csr(f"{args.dir}/euler")
        u0 = torch.from_numpy(np.load(f"{args.dir}/euler/u0.npy"))
        for precision, dtype in (("float32", torch.float32), ("float64", torch.float64)):
            T = T64.to(dtype)
            cases.append({"name": "csr_euler_step", "precision": precision, "batch": 1, "n": n,
                          "seconds_per_step": time_steps(
                              lambda v: euler_step(T, v, euler["dt"]), u0.to(dtype),
                              euler["steps"], euler["repeats"])})
    print(json.dumps({"peer": f"torch {torch.__version__} CPU, {args.threads} threads",
                      "index_dtype": index, "csr_check_max_abs_diff_vs_scipy": checks,
                      "cases": cases}, indent=2))


if __name__ == "__main__":
    main()
