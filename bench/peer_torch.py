#!/usr/bin/env python3
"""PyTorch peer of bench/gpu_step.cpp: the same cases done the obvious way on the same GPU — one
framework call per product, a Python loop over steps, float32, no early exit — timed with
torch.cuda.Event (median over repeats after a warm-up run). Prints one JSON document whose case
ids match the `peer_case` fields of attractor_bench_gpu's output. Where attractor's weights have
an exact integer form (the Hebbian dense cases, the ±1/√N and Hebbian ensembles), the peer does
the case several exact ways (float32, fp16 and, where torch has the product, int8), one entry per
way naming the case in `peer_of`, and the runner compares ours with the fastest exact one.

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

CASES = ("sparse_1m", "dense_batch", "factored_1m", "binary_recall", "ensemble", "continuous",
         "exact_hebbian")
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


def exact_ways(base, ways, start_of, n_steps, repeats):
    """One entry per way of an exact case: `ways` lists (name, precision, dtype, kernels per step,
    make_step); each way runs `n_steps` from start_of(dtype) and its final states are compared
    with the float32 way's (`agrees_with_fp32`, which is also `exact`), then it is timed from the
    same start. A way that cannot be exact here (no int8 form) or fails (int8 on an old torch)
    records its error and keeps the others."""
    results, reference = [], None
    for way, precision, dtype, kernels, make_step in ways:
        entry = dict(base, id=f"{base['peer_of']}/{way}", precision=precision,
                     kernels_per_step=kernels)
        try:
            step = make_step()
            start = start_of(dtype)
            final = start
            for _ in range(n_steps):
                final = step(final)
            final = final.to(torch.float32)
            if dtype == torch.float32:
                reference = final
            # Without the float32 states to compare with, exactness rests on the argument above.
            entry["agrees_with_fp32"] = None if reference is None else \
                bool(torch.equal(final, reference))
            entry["exact"] = entry["agrees_with_fp32"] is not False
            entry.update(time_steps(step, lambda: start.clone(), n_steps, repeats))
            del step, start, final
        except Exception as error:  # noqa: BLE001 — one way failing keeps the others
            entry["error"] = f"{type(error).__name__}: {error}"
        results.append(entry)
    return results


def integer_matmul_ways(K):
    """The exact ways of S <- sign(S K) with the tie rule (a zero field keeps the old sign) for a
    symmetric integer matrix K (float32) and ±1 states as the rows of S, each what an expert
    writes with one framework call per product:

      torch-fp32  torch.addmm(S, S, K, alpha=2) on float32 K and S: integers below 2^24, exact
                  with or without TF32 (±1 and |K| <= 2048 are TF32 values);
      torch-fp16  the same on fp16 K and S: tensor cores with fp32 accumulation, exact while
                  |K| <= 2048 and N max|K| < 2^24 (the engine's fp16 rule), provided split-K
                  partial sums stay in fp32 — hence allow_fp16_reduced_precision_reduction = False
                  (set in main); the fp16 output rounds 2h + s but never changes its sign (no
                  underflow to 0 for integers, and ±inf keeps it);
      torch-int8  torch._int_mm(S8, K8.t()) on K8 = K / d, d the smallest nonzero |K| when it
                  divides every entry (2 for a Hebbian K of even P: the engine's K/2 over N/2),
                  when max|K8| <= 127: IMMA tensor cores, int32 sums; its constraints hold for
                  these cases (S8 is B x N with B = 64 > 16, N a multiple of 8; K8.t() is the
                  column-major view cuBLASLt's int8 kernels want, and K8ᵀ = K8).

    The tie rule costs no extra pass: for an integer field h, sign(2h + s) = sign(h) when h != 0
    (|2h| >= 2 > |s|) and s when h = 0, so the fp32/fp16 step is one addmm (a copy of S and the
    GEMM with beta = 1) and a sign, the int8 step _int_mm, an add and a clamp on the int32 sums in
    place, and the cast to int8 (out= cannot narrow int32 to int8). Scaling K by 1/d > 0 scales h
    and keeps its sign."""
    n = K.shape[0]
    largest = int(K.abs().max().item())

    def matmul_step(Kc):
        return lambda S: torch.addmm(S, S, Kc, alpha=2).sign_()

    def fp16_step():
        if largest > 2048 or n * largest >= 2 ** 24:
            raise ValueError(f"no exact fp16 form: max|K| = {largest}, N = {n}")
        return matmul_step(K.half())

    def int8_step():
        nonzero = K[K != 0].abs()
        d = int(nonzero.min().item()) if nonzero.numel() else 1
        if d > 1 and bool((torch.remainder(K, d) != 0).any()):
            d = 1
        if largest // d > 127:
            raise ValueError(f"no int8 form: max|K/{d}| = {largest // d} > 127")
        K8t = (K / d).to(torch.int8).t()  # a column-major view; K is symmetric, so this is K/d

        def step(S):
            h = torch._int_mm(S, K8t)
            torch.add(S, h, alpha=2, out=h)  # 2h + s in place: int8 + int32 is int32
            return h.clamp_(-1, 1).to(torch.int8)  # (clamp and sign agree on integers)
        return step

    return (("torch-fp32", "float32", torch.float32, 3, lambda: matmul_step(K)),
            ("torch-fp16", "float16", torch.float16, 3, fp16_step),
            ("torch-int8", "int8", torch.int8, 4, int8_step))


def hebbian_recall_problem(n, p, batch, gen):
    """The integer Hebbian matrix K = Ξᵀ Ξ with a zero diagonal (exact: sums of P products ±1)
    and `batch` cues, the first patterns with 10% of their signs flipped, as the rows of S0."""
    Xi = random_signs((p, n), gen)
    K = Xi.T @ Xi
    K.fill_diagonal_(0)
    flips = torch.rand((batch, n), device=DEVICE, generator=gen) < 0.1
    S0 = torch.where(flips, -Xi[:batch], Xi[:batch]).contiguous()
    return K, S0


def binary_recall(quick, repeats, gen):
    """Hebbian N = 16384, P = 1638: the dense integer K = Xi.T Xi (zero diagonal; T = K/N, which
    attractor multiplies as int8 K/2 over N/2) and 64 cues (the first patterns with 10% of their
    signs flipped) as the rows of S; 20 steps of S <- sign(S K), no early exit, done the three
    exact ways of integer_matmul_ways (K/2 for int8: max|K/2| is ~120 at this size). Compared
    with attractor's dense and factored entries through the fastest exact way."""
    n = 2048 if quick else 16384
    p, batch, n_steps = n // 10, 64, (10 if quick else 20)
    K, S0 = hebbian_recall_problem(n, p, batch, gen)
    base = dict(peer_of="binary_recall/dense", n=n, patterns=p, synapses=n * n, batch=batch,
                networks=1, steps=n_steps)
    return exact_ways(base, integer_matmul_ways(K), lambda dtype: S0.to(dtype), n_steps, repeats)


def ensemble(quick, repeats, gen):
    """E networks of N neurons with one state each, S <- sign(bmm(K, S)) per step (K E x N x N,
    S E x N x 1), no early exit: random ±1 couplings K (attractor stores T = K/√N, an exact int8
    form) for 4096 x 256, 1024 x 1024 and 16384 x 64, 100 steps; and 4096 Hebbian networks of
    N = 256 with P = 13 patterns each (K = Xi.T Xi, zero diagonal), from their pattern 0 with 10%
    of its signs flipped, 20 steps. Two exact ways, each one batched product and a sign per step:

      torch-fp32  torch.bmm on float32 K and S;
      torch-fp16  torch.bmm on fp16 K and S: half the bytes, fp32 accumulation (split-K in fp32,
                  set in main); the fp16 output may round a Hebbian sum (|h| <= 255·13) but keeps
                  its sign.

    No tie rule is needed: a field is a sum of N − 1 odd integers (±1, or Hebbian entries of odd
    P), an odd count of odd terms, so never 0. No int8 way: torch has no batched int8 product on
    CUDA (torch._int_mm is 2-D only). Compared with attractor's entries through the faster."""
    results = []
    for full_count, n, hebbian in ((4096, 256, False), (1024, 1024, False), (16384, 64, False),
                                   (4096, 256, True)):
        count = full_count // 8 if quick else full_count
        p = 13 if hebbian else 0
        if hebbian:
            Xi = random_signs((count, p, n), gen)
            K = torch.bmm(Xi.transpose(1, 2), Xi)  # exact: sums of P products ±1
            flips = torch.rand((count, n), device=DEVICE, generator=gen) < 0.1
            S0 = torch.where(flips, -Xi[:, 0, :], Xi[:, 0, :]).unsqueeze(2).contiguous()
            del Xi, flips
            n_steps = 10 if quick else 20
        else:
            K = random_signs((count, n, n), gen)
            S0 = random_signs((count, n, 1), gen)
            n_steps = steps(100, quick)
        K.diagonal(dim1=1, dim2=2).zero_()

        def bmm_step(Kc):
            return lambda S: torch.bmm(Kc, S).sign_()

        variant = f"{full_count}x{n}" + ("-hebbian" if hebbian else "")
        base = dict(peer_of=f"ensemble/{variant}", n=n, synapses=n * n, batch=1, networks=count,
                    steps=n_steps, **({"patterns": p} if hebbian else {}))
        ways = (("torch-fp32", "float32", torch.float32, 2, lambda: bmm_step(K)),
                ("torch-fp16", "float16", torch.float16, 2, lambda: bmm_step(K.half())))
        results.extend(exact_ways(base, ways, lambda dtype: S0.to(dtype), n_steps, repeats))
        del K, S0
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


def exact_hebbian(quick, repeats, gen):
    """Hebbian N = 8192, P = 101: the integer matrix K = Xi.T Xi − P·I (N·T; K is symmetric and
    its off-diagonal entries are odd integers in [−P, P] for odd P, so with N even no field is ever
    0) and 64 cues (the first patterns with 10% of their signs flipped) as the rows of S; 20 steps
    of S <- sign(S K) with the tie rule, no early exit, done the three exact ways of
    integer_matmul_ways (int8 on K itself: max|K| <= 101)."""
    n, p, batch = (1024 if quick else 8192), 101, 64
    n_steps = 10 if quick else 20
    K, S0 = hebbian_recall_problem(n, p, batch, gen)
    base = dict(peer_of="exact_hebbian/B64", n=n, patterns=p, synapses=n * n, batch=batch,
                networks=1, steps=n_steps)
    return exact_ways(base, integer_matmul_ways(K), lambda dtype: S0.to(dtype), n_steps, repeats)


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
    if torch is not None:
        # Exact fp16 products (exact_hebbian): split-K partial sums in fp32, not fp16.
        torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
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
               allow_tf32=getattr(torch.backends.cuda.matmul, "allow_tf32", None),
               allow_fp16_reduced_precision_reduction=getattr(
                   torch.backends.cuda.matmul, "allow_fp16_reduced_precision_reduction", None))
    gen = torch.Generator(device=DEVICE)
    gen.manual_seed(2026)
    for name in selected:
        print(f"[peer_torch] {name}", file=sys.stderr, flush=True)
        try:
            with torch.no_grad():
                entries = globals()[name](args.quick, args.repeats, gen)
            for e in entries:
                e.update(name=name, variant=e["id"].split("/", 1)[1], repeats=args.repeats)
                e.setdefault("precision", "float32")
                outcome = (f"{e['seconds_per_step'] * 1e3:.4f} ms/step" if "seconds_per_step" in e
                           else f"failed: {e.get('error')}")
                print(f"[peer_torch] {e['id']}: {outcome}", file=sys.stderr, flush=True)
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
