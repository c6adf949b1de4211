"""attractor: Hopfield-family recurrent networks — their dynamics, energies and attractors — and
the learning rules that shape them, from Python.

    import numpy as np, scipy.sparse as sp, attractor
    W = sp.random(10_000, 10_000, density=0.002, format="csr")
    net = attractor.network((W + W.T) / 2)
    out = attractor.run(net, np.sign(np.random.randn(64, 10_000)), steps=50)
    out["final"], out["outcome"], out["steps"]

Networks are built from NumPy arrays (dense) or SciPy sparse matrices (CSR; other formats are
converted) without copying them where their layout is the engine's: a C-ordered float64 array,
or CSR data in float64 with int32 indices (only SciPy's O(N) row offsets are widened to int64).
The network then reads those arrays, like a NumPy view: change them and the network changes;
pass a copy to keep them apart. Results come back as arrays that own the engine's output, no copy.
Runs release the GIL. Bad input raises attractor.InputError (a ValueError) with the command
line's message.
"""
import math

import numpy as np

from ._attractor import InputError, Network  # noqa: F401
from . import _attractor as _core

__all__ = ["InputError", "Network", "network", "weights", "memory", "run", "run_ensemble",
           "recall", "capacity", "overlaps", "train_local_rule", "train_competing_units",
           "physical_network", "train_allostery"]


def network(weights, bias=None, threshold=0.0, activation="sign", gain=1.0):
    """A network from its N × N weights: a NumPy array (dense) or a SciPy sparse matrix (CSR),
    shared rather than copied where the layout allows (see the module's help).

    activation: sign (discrete dynamics), or tanh, logistic, linear with `gain` (continuous).
    The field is T x + bias − threshold."""
    bias = None if bias is None else np.ascontiguousarray(bias, dtype=np.float64)
    if hasattr(weights, "tocsr"):
        csr = weights.tocsr()
        csr.sort_indices()
        if csr.shape[0] != csr.shape[1]:
            raise InputError(f"weights: must be square, got {csr.shape[0]} x {csr.shape[1]}")
        return _core._csr_network(csr.shape[0], csr.shape[1],
                                  csr.indptr.astype(np.int64, copy=False),
                                  csr.indices.astype(np.int32, copy=False),
                                  csr.data.astype(np.float64, copy=False),
                                  bias, float(threshold), activation, float(gain))
    return _core._dense_network(np.asarray(weights, dtype=np.float64), bias, float(threshold),
                                activation, float(gain))


def memory(patterns, rule="hebb", storage="auto"):
    """A network storing ±1 `patterns` (P × N) by `rule`: hebb, storkey or pinv (pseudo-inverse).

    storage: dense, factored (Hebb only: T = ΞᵀΞ/N − (P/N) I kept as the patterns, O(NP) per
    product) or auto (the command line's choice: factored for Hebb past N = 8192)."""
    return _core._memory_network(np.asarray(patterns, dtype=np.float64), rule, storage)


def weights(net):
    """The network's weights: a dense array, a SciPy CSR matrix, or (factored) the patterns. The
    arrays are read-only views of the network's own (for a shared network, of the caller's)."""
    w = _core._weights(net)
    if isinstance(w, tuple):
        import scipy.sparse
        rows, cols, indptr, indices, data = w
        return scipy.sparse.csr_matrix((data, indices, indptr), shape=(rows, cols))
    return w


def run(net, states, dynamics="discrete-sync", integrator="rk4", steps=1000, dt=0.05,
        t_end=math.inf, tol=1e-6, seed=0, record_every=0, record_states=False, max_period=32,
        patterns=None, backend="auto", precision="float32"):
    """Evolves `states` ((B, N) or (N,)) of `net` and returns a dict of NumPy arrays: final
    (B, N), outcome (fixed_point, limit_cycle or wandering per state), steps, period (steps or
    sections per cycle), period_time (continuous), time,
    energy (NaN where undefined), residual; with `patterns`, overlaps (B, P), best_overlap and
    matched_pattern; with record_every = K, recording (steps, time, energy, overlaps and, with
    record_states, states at every K-th step).

    dynamics: discrete-sync, discrete-async or continuous (integrator euler, rk4 or dopri5).
    backend: auto, cpu or cuda."""
    states = np.asarray(states, dtype=np.float64)
    pats = None if patterns is None else np.asarray(patterns, dtype=np.float64)
    out = _core._run(net, states, dynamics, integrator, int(steps), float(dt), float(t_end),
                     float(tol), int(seed), int(record_every), bool(record_states),
                     int(max_period), pats, backend, precision)
    if states.ndim == 1:
        out["final"] = out["final"][0]
    return out


def run_ensemble(weights, states, dynamics="discrete-sync", steps=1000, seed=0, threshold=0.0,
                 backend="auto", precision="float32"):
    """E independent networks (an (E, N, N) stack) evolved together, one state each (E, N):
    the shape of a disorder average. Returns run()'s dict, one entry per network."""
    return _core._run_ensemble(np.asarray(weights, dtype=np.float64),
                               np.asarray(states, dtype=np.float64), dynamics, int(steps),
                               int(seed), float(threshold), backend, precision)


def overlaps(states, patterns):
    """m^μ = (1/N) Σ_i ξ^μ_i x_i for each state (rows of `states`) and pattern: (B, P)."""
    states = np.atleast_2d(np.asarray(states, dtype=np.float64))
    patterns = np.asarray(patterns, dtype=np.float64)
    return states @ patterns.T / patterns.shape[1]


def recall(n=3000, patterns=150, cues=64, noise=0.1, mode="discrete-sync", steps=100,
           match=0.95, seed=1, storage="auto", backend="auto", precision="float32"):
    """`attractor recall`: random patterns stored by Hebb's rule, recalled from cues with a
    fraction `noise` of their bits flipped. Returns recall_rate, mean_overlap, mean_steps and
    per cue target_overlap and steps."""
    return _core._recall(int(n), int(patterns), int(cues), float(noise), mode, int(steps),
                         float(match), int(seed), storage, backend, precision)


def capacity(n=1000, alphas=(0.04, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20), trials=3,
             mode="discrete-async", steps=200, rule="hebb", seed=1, backend="auto"):
    """`attractor capacity`: for each load α, round(α N) patterns each started from itself;
    the fraction still retrieved (overlap ≥ 0.95). Hebb's rule collapses near α ≈ 0.138."""
    return _core._capacity(int(n), [float(a) for a in alphas], int(trials), mode, int(steps),
                           rule, int(seed), backend)


def train_local_rule(rule, samples, rate=0.01, anneal_epochs=1.0, epochs=50, tau=100.0,
                     components=1, seed=1):
    """A local learning rule on the rows of `samples` (S × D): hebb, covariance (LTP/LTD around
    running thresholds), bcm, oja (→ the principal eigenvector, ‖w‖ → 1) or sanger (the first
    `components` principal components). The rate anneals as rate / (1 + epoch / anneal_epochs).
    Returns weights (M × D), norm_history (epochs + 1 × M), theta_history, LTP/LTD counts."""
    return _core._train_local_rule(rule, np.asarray(samples, dtype=np.float64), float(rate),
                                   float(anneal_epochs), int(epochs), float(tau),
                                   int(components), int(seed))


def train_competing_units(samples, hidden=100, p=3.0, rank=7, delta=0.4, eps0=0.04, batch=100,
                          epochs=20, seed=1, backend="auto"):
    """Krotov & Hopfield's competing hidden units, unsupervised, on the rows of `samples` (S × D,
    values in [0, 1], e.g. images flattened): each minibatch pushes every sample's top unit
    toward it and its `rank`-th unit away by `delta`; units converge to unit p-norm. Returns the
    H × D weights (float32): their receptive fields."""
    return _core._train_competing_units(np.ascontiguousarray(samples, dtype=np.float32),
                                        int(hidden), float(p), int(rank), float(delta),
                                        float(eps0), int(batch), int(epochs), int(seed), backend)


def physical_network(kind="flow", nodes=512, dim=2, degree=4.0, seed=1, ground="boundary",
                     phi="linear"):
    """A random geometric flow or elastic network as a dict: positions (nodes × dim), edges
    (E × 2), w (one per edge), ground."""
    return _core._physical_network(kind, int(nodes), int(dim), float(degree), int(seed), ground,
                                   phi)


def train_allostery(kind="flow", nodes=512, dim=2, degree=None, seed=1, phi="linear", tasks=1,
                    inputs=2, outputs=1, gain=1.0, force=1.0, rule="nudge", alpha=0.3,
                    eta=1e-3, floor=1e-4, steps=8000, analyze_every=200, modes=10):
    """`attractor physical train`: a network held at its boundary learns allostery by the
    contrastive (nudge) or coupled rule. Returns cost (every step), analyzed_steps and
    eigenvalues (the `modes` lowest of the Hessian at each), and the networks before and after."""
    degree = (8.0 if kind == "elastic" else 4.0) if degree is None else float(degree)
    return _core._physical_allostery(kind, int(nodes), int(dim), degree, int(seed), phi,
                                     int(tasks), int(inputs), int(outputs), float(gain),
                                     float(force), rule, float(alpha), float(eta), float(floor),
                                     int(steps), int(analyze_every), int(modes))
