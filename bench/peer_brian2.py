#!/usr/bin/env python3
"""Brian2 peer of the continuous rate network: du_i/dt = -u_i + sum_j T_ij tanh(u_j) (tau = 1, no
bias), forward Euler with step DT for S steps from u0, on the CSR matrix of an export directory
(row_ptr.npy, col_idx.npy, values.npy, u0.npy), in Brian2's C++ standalone mode with K OpenMP
threads, written as a Brian2 user would: a NeuronGroup (method='euler') and a Synapses object
whose `(summed)` variable carries w * tanh(u_pre) to the post neuron (pre = column, post = row).
With --tanh neuron the rate r = tanh(u) is a neuron variable set once per neuron at the start of
each step (run_regularly, 'before_groups') and the synapses carry w * r_pre: the same arithmetic
with N instead of nnz tanh calls, what a user who profiles would write.

Brian2 runs the summed-variable updater in the 'groups' slot just before the group's state
updater, so each step is exactly u <- u + dt (-u + T tanh(u)); the script checks this against a
NumPy/SciPy Euler iteration of the same precision and reports the max abs difference. Brian 2.5's
summed-variable loop over synapses is serial (only the zeroing and the state update use OpenMP),
so the threads help little; that is the peer as it ships.

Timing: seconds_per_step is the simulation loop alone, as the standalone binary measures it itself
(Network::run, omp_get_wtime, read back by Brian as device._last_run_time) divided by S. It leaves
out code generation and compilation (compile_seconds: Brian's `make` timer) and the binary's
set-up (loading the arrays, creating the synapses) and result writing (binary_seconds: the whole
binary run, wall clock). The binary runs --repeats times; the median loop time is reported.

    /usr/bin/python3 bench/peer_brian2.py DIR --dt DT --steps S --threads K \
        [--precision float64|float32] [--tanh synapse|neuron] [--repeats R] [--keep-project]

Needs Debian's python3-brian (Brian 2.5) and g++: `apt-get install -y python3-brian g++`.
Prints one JSON document on stdout; Brian's and make's chatter goes to stderr.
"""
import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse


@contextlib.contextmanager
def stdout_to_stderr():
    """Brian runs `make` and the binary through os.system/subprocess, which write to fd 1; keep
    fd 1 for the JSON alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def reference(T, u0, dt, steps):
    """The same Euler iteration in NumPy/SciPy, in the dtype of T and u0."""
    u = u0.copy()
    for _ in range(steps):
        u = u + dt * (-u + T @ np.tanh(u))
    return u


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--dt", type=float, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True,
                        help="OpenMP threads (>= 1: with 0 Brian times by CPU clock, not wall)")
    parser.add_argument("--precision", choices=("float64", "float32"), default="float64")
    parser.add_argument("--tanh", choices=("synapse", "neuron"), default="synapse",
                        help="evaluate tanh per synapse (w * tanh(u_pre)) or once per neuron")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the compiled binary")
    parser.add_argument("--keep-project", action="store_true",
                        help="keep Brian's generated project (~300 MB at 10^7 synapses)")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be >= 1")

    d = args.dir
    row_ptr = np.load(f"{d}/row_ptr.npy").astype(np.int64)
    col_idx = np.load(f"{d}/col_idx.npy")
    values = np.load(f"{d}/values.npy")
    u0 = np.load(f"{d}/u0.npy")
    n, nnz = row_ptr.size - 1, values.size
    dtype = np.dtype(args.precision)

    with stdout_to_stderr():
        import brian2 as b2
        # Brian's default float type is a core preference honoured by the standalone code
        # generator (every float array and the generated code use it; dt and t stay double).
        b2.prefs.core.default_float_dtype = dtype.type
        b2.prefs.devices.cpp_standalone.openmp_threads = args.threads
        # Brian's default is `make -j` (unbounded); this machine may be shared.
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{min(args.threads, 2)}"]
        workdir = tempfile.mkdtemp(prefix="peer_brian2_")
        b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
        b2.defaultclock.dt = args.dt * b2.second

        tau = 1 * b2.second  # time in units of tau; Brian needs the dimension
        G = b2.NeuronGroup(n, "du/dt = (I - u) / tau : 1\nI : 1\nr : 1", method="euler",
                           namespace={"tau": tau})
        G.u = u0.astype(dtype)
        if args.tanh == "neuron":
            # before the summed updater and the state updater (both in 'groups') of each step
            G.run_regularly("r = tanh(u)", when="before_groups")
            S = b2.Synapses(G, G, "w : 1\nI_post = w * r_pre : 1 (summed)")
        else:
            S = b2.Synapses(G, G, "w : 1\nI_post = w * tanh(u_pre) : 1 (summed)")
        # CSR order (post-major, columns sorted) so Brian's serial summed loop adds each row's
        # terms in the order SciPy's csr matvec does.
        post = np.repeat(np.arange(n, dtype=np.int32), np.diff(row_ptr))
        S.connect(i=col_idx.astype(np.int32), j=post)
        S.w = values.astype(dtype)
        b2.run(args.steps * args.dt * b2.second)

        started = time.perf_counter()
        b2.device.build(directory=workdir, compile=True, run=False)
        build_seconds = time.perf_counter() - started
        compile_seconds = sum(v for v in b2.device.timers["compile"].values() if v)

        loop, binary = [], []
        for _ in range(args.repeats):
            b2.device.run(workdir, with_output=False, run_args=[])
            loop.append(b2.device._last_run_time)
            binary.append(b2.device.timers["run_binary"])
        final_u = np.asarray(G.u[:])

    T = scipy.sparse.csr_matrix((values, col_idx, row_ptr), shape=(n, n)).astype(dtype)
    ref = reference(T, u0.astype(dtype), dtype.type(args.dt), args.steps)
    out_path = os.path.abspath(f"{d}/brian2_final_u.npy")
    np.save(out_path, final_u)
    gxx = subprocess.run(["g++", "-dumpfullversion"], capture_output=True, text=True).stdout
    print(json.dumps({
        "peer": f"brian2 {b2.__version__} cpp_standalone, {args.threads} OpenMP threads, "
                f"g++ {gxx.strip()}, tanh per {args.tanh}",
        "compile_flags": " ".join(b2.prefs.codegen.cpp.extra_compile_args_gcc),
        "precision": args.precision, "n": n, "synapses": nnz, "steps": args.steps,
        "dt": args.dt, "seconds_per_step": statistics.median(loop) / args.steps,
        "loop_seconds": loop, "binary_seconds": binary, "compile_seconds": compile_seconds,
        "build_seconds": build_seconds,
        "max_abs_diff_vs_scipy": float(np.max(np.abs(final_u.astype(np.float64) - ref))),
        "max_abs_u": float(np.max(np.abs(ref))),
        "final_u_path": out_path,
        "project_dir": workdir if args.keep_project else None}, indent=2))
    if not args.keep_project:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
