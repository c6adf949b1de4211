#!/usr/bin/env python3
"""PyTorch peer of bench/gpu_step.cpp: the same cases done the obvious way on the same GPU — one
framework call per product, a Python loop over steps, float32, no early exit — timed with
torch.cuda.Event (median over repeats after a warm-up run). Prints one JSON document whose case
ids match the `peer_case` fields of attractor_bench_gpu's output.

The peer draws its own random data of the same sizes and distributions (torch's generator, not
attractor's Philox): a memory- or compute-bound step takes the same time whatever the values, and
regenerating on the GPU costs seconds where shipping a 10^8-entry matrix through files would cost
minutes. The tie rule (sign(0)) does not matter for timing.

    python3 bench/peer_torch.py [--case NAME]... [--quick] [--repeats R]
"""
import argparse
import json
import math
import statistics
import sys
import time
import warnings

try:
    import torch
except ImportError as error:  # --help and the runner's error path work without torch
    torch = None
    TORCH_IMPORT_ERROR = f"torch is not installed: {error}"

CASES = ("sparse_1m", "dense_batch", "factored_1m", "binary_recall", "ensemble", "continuous")
DEVICE = "cuda"  # --device cpu: a check of this script on a machine without a GPU


def steps(full, quick):
    """Steps per run: what attractor_bench_gpu takes for the same case (full / 5 with --quick)."""
    return full // 5 if quick else full


def time_steps(step, init, n_steps, repeats):
    """Median, min and max seconds per step of `n_steps` calls x = step(x) from x = init(), over
    `repeats` runs after one untimed warm-up run, each run timed between two CUDA events (with
    --device cpu: by the wall clock)."""
    per_step = []
    for r in range(repeats + 1):
        x = init()
        if DEVICE == "cuda":
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            for _ in range(n_steps):
                x = step(x)
            stop.record()
            stop.synchronize()
            seconds = start.elapsed_time(stop) * 1e-3
        else:
            started = time.perf_counter()
            for _ in range(n_steps):
                x = step(x)
            seconds = time.perf_counter() - started
        if r > 0:
            per_step.append(seconds / n_steps)
    return {"seconds_per_step": statistics.median_high(per_step),
            "min_seconds_per_step": min(per_step), "max_seconds_per_step": max(per_step)}


def random_signs(shape, gen, dtype=None):
    dtype = dtype or torch.float32
    return (torch.randint(0, 2, shape, device=DEVICE, generator=gen, dtype=torch.int8) * 2 - 1).to(dtype)


def sparse_1m(quick, repeats, gen):
    """One random asymmetric CSR matrix, N = 10^6, 100 columns per row drawn uniformly and
    sorted (duplicates, ~0.5% of rows, kept: cuSPARSE sums them), values ±1/10, int32 indices
    like attractor's. Per step s = sign(T @ s): cuSPARSE SpMV for B = 1, SpMM (T @ S, S N×16) for
    B = 16."""
    n, k = (100_000 if quick else 1_000_000), 100
    cols = torch.randint(0, n, (n, k), device=DEVICE, generator=gen).sort(dim=1).values
    cols = cols.to(torch.int32).reshape(-1)
    crow = torch.arange(0, n * k + 1, k, device=DEVICE, dtype=torch.int32)
    values = random_signs((n * k,), gen) / math.sqrt(k)
    # The layout is valid by construction; checking it would only add set-up time.
    T = torch.sparse_csr_tensor(crow, cols, values, size=(n, n), check_invariants=False)
    del cols, values
    results = []
    for batch in (1, 16):
        shape = (n,) if batch == 1 else (n, batch)
        s0 = random_signs(shape, gen)
        r = time_steps(lambda s: torch.sign(T @ s), lambda: s0.clone(), steps(100, quick), repeats)
        results.append(dict(r, id=f"sparse_1m/B{batch}", n=n, synapses=n * k, batch=batch,
                            networks=1, steps=steps(100, quick)))
    return results


def dense_batch(quick, repeats, gen):
    """Dense random asymmetric T, N = 8192, 64 states as the columns of S: S = sign(T @ S)."""
    n, batch = (1024 if quick else 8192), 64
    T = torch.rand((n, n), device=DEVICE, generator=gen) - 0.5
    T.fill_diagonal_(0)
    S0 = random_signs((n, batch), gen)
    r = time_steps(lambda S: torch.sign(T @ S), lambda: S0.clone(), steps(100, quick), repeats)
    return [dict(r, id="dense_batch/B64", n=n, synapses=n * n, batch=batch, networks=1,
                 steps=steps(100, quick))]


def factored_1m(quick, repeats, gen):
    """Hebbian N = 10^6, P = 1000 kept as the patterns Xi (P×N, float32: torch has no int8 GEMV
    on CUDA), the obvious factored step: M = Xi @ s, h = Xi.T @ M / N − (P/N) s, s = sign(h)."""
    n, p = (100_000, 100) if quick else (1_000_000, 1000)
    Xi = random_signs((p, n), gen)
    s0 = random_signs((n,), gen)

    def step(s):
        M = Xi @ s
        return torch.sign(Xi.T @ M / n - (p / n) * s)

    r = time_steps(step, lambda: s0.clone(), steps(100, quick), repeats)
    return [dict(r, id="factored_1m/B1", n=n, patterns=p, synapses=n * n, batch=1, networks=1,
                 steps=steps(100, quick))]


def binary_recall(quick, repeats, gen):
    """Hebbian N = 16384, P = 1638: the dense float32 T = Xi.T Xi / N (zero diagonal) and 64 cues
    as the columns of S, S = sign(T @ S) for 20 steps."""
    n = 2048 if quick else 16384
    p, batch, n_steps = n // 10, 64, (10 if quick else 20)
    Xi = random_signs((p, n), gen)
    T = (Xi.T @ Xi) / n
    T.fill_diagonal_(0)
    S0 = Xi[:batch].T.contiguous() if p >= batch else random_signs((n, batch), gen)
    flips = torch.rand((n, batch), device=DEVICE, generator=gen) < 0.1
    S0 = torch.where(flips, -S0, S0)
    del Xi
    r = time_steps(lambda S: torch.sign(T @ S), lambda: S0.clone(), n_steps, repeats)
    return [dict(r, id="binary_recall/dense", n=n, patterns=p, synapses=n * n, batch=batch,
                 networks=1, steps=n_steps)]


def ensemble(quick, repeats, gen):
    """E networks of N neurons (random ±1/√N weights), one state each: S = sign(bmm(W, S)) with
    W E×N×N and S E×N×1, one batched product per step."""
    results = []
    for full_count, n in ((4096, 256), (1024, 1024), (16384, 64)):
        count = full_count // 8 if quick else full_count
        W = random_signs((count, n, n), gen) / math.sqrt(n)
        W.diagonal(dim1=1, dim2=2).zero_()
        S0 = random_signs((count, n, 1), gen)
        r = time_steps(lambda S: torch.sign(torch.bmm(W, S)), lambda: S0.clone(),
                       steps(100, quick), repeats)
        results.append(dict(r, id=f"ensemble/{full_count}x{n}", n=n, synapses=n * n, batch=1,
                            networks=count, steps=steps(100, quick)))
        del W, S0
    return results


def continuous(quick, repeats, gen):
    """du/dt = T tanh(u) − u, T dense random with variance 1.5²/N, N = 4096, 64 states, classic
    RK4 with dt = 0.01 in a Python loop (four products T @ tanh(u_stage) per step)."""
    n, batch, dt = (1024 if quick else 4096), 64, 0.01
    T = (torch.rand((n, n), device=DEVICE, generator=gen) - 0.5) * (1.5 * math.sqrt(12.0 / n))
    T.fill_diagonal_(0)
    U0 = torch.rand((n, batch), device=DEVICE, generator=gen) * 2 - 1

    def f(u):
        return T @ torch.tanh(u) - u

    def step(u):
        k1 = f(u)
        k2 = f(u + 0.5 * dt * k1)
        k3 = f(u + 0.5 * dt * k2)
        k4 = f(u + dt * k3)
        return u + (dt / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)

    r = time_steps(step, lambda: U0.clone(), steps(100, quick), repeats)
    return [dict(r, id="continuous/B64", n=n, synapses=n * n, batch=batch, networks=1,
                 steps=steps(100, quick))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", default=[],
                        help=f"run only this case (repeatable, or comma-separated): {', '.join(CASES)}")
    parser.add_argument("--quick", action="store_true", help="the sizes of attractor_bench_gpu --quick")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs after one warm-up")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                        help="cpu: run on the CPU, timed by the wall clock (a check of this script "
                             "without a GPU, not a benchmark)")
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
    selected = [c for arg in args.case for c in arg.split(",") if c] or list(CASES)
    unknown = [c for c in selected if c not in CASES]
    if unknown or args.repeats < 1:
        parser.error(f"unknown case {unknown}" if unknown else "--repeats must be positive")

    out = {"peer": "pytorch", "quick": args.quick, "repeats": args.repeats, "cases": []}
    if torch is None or (DEVICE == "cuda" and not torch.cuda.is_available()):
        out["error"] = TORCH_IMPORT_ERROR if torch is None else "torch sees no CUDA device"
        print(json.dumps(out, indent=2))
        return 1
    out.update(peer=f"pytorch {torch.__version__} (CUDA {torch.version.cuda})",
               device=torch.cuda.get_device_name(0) if DEVICE == "cuda" else "cpu",
               allow_tf32=getattr(torch.backends.cuda.matmul, "allow_tf32", None))
    gen = torch.Generator(device=DEVICE)
    gen.manual_seed(2026)
    for name in selected:
        print(f"[peer_torch] {name}", file=sys.stderr, flush=True)
        try:
            with torch.no_grad():
                entries = globals()[name](args.quick, args.repeats, gen)
            for e in entries:
                e.update(name=name, variant=e["id"].split("/", 1)[1], precision="float32",
                         repeats=args.repeats)
                print(f"[peer_torch] {e['id']}: {e['seconds_per_step'] * 1e3:.4f} ms/step",
                      file=sys.stderr, flush=True)
            out["cases"].extend(entries)
        except Exception as error:  # noqa: BLE001 — one failing case must not lose the others
            print(f"[peer_torch] {name} failed: {error}", file=sys.stderr, flush=True)
            out["cases"].append({"id": f"{name}/*", "name": name, "error": f"{type(error).__name__}: {error}"})
        if DEVICE == "cuda":
            torch.cuda.empty_cache()
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
