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
import warnings

import numpy as np

from ._attractor import ControlledNetwork, InputError, Network, __version__  # noqa: F401
from . import _attractor as _core

# The names every string argument accepts, by kind ("dynamics", "backend", "storage_rule", ...):
# the C++ library's own tables, so Python, the command line and the library agree.
CHOICES = {kind: tuple(names) for kind, names in _core._choices().items()}

__all__ = ["CHOICES", "InputError", "Network", "network", "weights", "memory", "run", "run_ensemble",
           "recall", "capacity", "dense_recall", "dense_capacity", "overlaps",
           "train_local_rule", "train_competing_units", "train_top_layer", "train_mlp",
           "physical_network", "physical_modes", "train_allostery",
           "ControlledNetwork", "control_network", "control_cues", "control", "control_sweep",
           "memory_experiment", "control_matrix"]


def network(weights, bias=None, threshold=0.0, activation="sign", gain=1.0):
    """A network from its N × N weights: a NumPy array (dense) or a SciPy sparse matrix (CSR),
    shared rather than copied where the layout allows (see the module's help). float32 weights
    stay float32 (half the bytes, read in place by float32 runs); others are taken as float64.

    activation: sign (discrete dynamics), or tanh, logistic, linear with `gain` (continuous).
    The field is T x + bias − threshold."""
    bias = None if bias is None else np.ascontiguousarray(bias, dtype=np.float64)
    if hasattr(weights, "tocsr"):
        csr = _square_csr(weights, "weights")
        return _core._csr_network(csr.shape[0], csr.shape[1], *_engine_layout(csr), bias,
                                  float(threshold), activation, float(gain))
    weights = np.asarray(weights)
    if weights.dtype != np.float32:
        weights = weights.astype(np.float64, copy=False)
    return _core._dense_network(weights, bias, float(threshold), activation, float(gain))


def memory(patterns, rule="hebb", storage="auto"):
    """A network storing ±1 `patterns` (P × N) by `rule`: hebb, storkey or pinv (pseudo-inverse).

    storage: dense, factored (Hebb only: T = ΞᵀΞ/N − (P/N) I kept as the patterns, O(NP) per
    product) or auto (the command line's choice: factored for Hebb past N = 8192)."""
    return _core._memory_network(np.asarray(patterns, dtype=np.float64), rule, storage)


def _square_csr(matrix, what):
    """`matrix` as CSR with sorted indices (a CSR matrix keeps its arrays), square or refused."""
    import scipy.sparse
    csr = scipy.sparse.csr_matrix(matrix)
    csr.sort_indices()
    if csr.shape[0] != csr.shape[1]:
        raise InputError(f"{what}: must be square, got {csr.shape[0]} x {csr.shape[1]}")
    return csr


def _engine_layout(csr):
    """Row offsets (int64), columns (int32) and values (float32 kept, anything else float64) as
    the engine keeps them: the matrix's own arrays where they already have those types."""
    values = csr.data if csr.data.dtype == np.float32 else csr.data.astype(np.float64, copy=False)
    return (csr.indptr.astype(np.int64, copy=False), csr.indices.astype(np.int32, copy=False),
            values)


def _csr(parts):
    """A SciPy CSR matrix from the extension's (rows, cols, indptr, indices, data)."""
    import scipy.sparse
    rows, cols, indptr, indices, data = parts
    return scipy.sparse.csr_matrix((data, indices, indptr), shape=(rows, cols))


def weights(net):
    """The network's weights: a dense array, a SciPy CSR matrix, or (factored) the patterns. The
    arrays are read-only views of the network's own (for a shared network, of the caller's)."""
    w = _core._weights(net)
    return _csr(w) if isinstance(w, tuple) else w


def run(net, states, dynamics="discrete-sync", integrator="rk4", steps=1000, dt=0.05,
        t_end=math.inf, tol=1e-6, seed=0, record_every=0, record_states=False, max_period=32,
        patterns=None, backend="auto", precision="float32", temperature=1.0):
    """Evolves `states` ((B, N) or (N,)) of `net` and returns a dict of NumPy arrays: final
    (B, N), outcome (fixed_point, limit_cycle or wandering per state), steps, period (steps or
    sections per cycle), period_time (continuous), time,
    energy (NaN where undefined), residual; with `patterns`, overlaps (B, P), best_overlap and
    matched_pattern; with record_every = K, recording (steps, time, energy, overlaps and, with
    record_states, states at every K-th step).

    dynamics: discrete-sync, discrete-async, glauber (heat bath at `temperature`, one neuron at
    a time: P(s_i = +1) = 1 / (1 + exp(-2 h_i / T))), glauber-sync (heat bath, all neurons at
    once) or continuous (integrator euler, rk4 or dopri5).
    backend: auto, cpu or cuda. precision: float32 (weights and states in half the bytes;
    sparse sums in float64) or float64 (the reference), on either backend; the result's
    "precision" says which ran."""
    states = np.asarray(states, dtype=np.float64)
    pats = None if patterns is None else np.asarray(patterns, dtype=np.float64)
    out = _core._run(net, states, dynamics, integrator, int(steps), float(dt), float(t_end),
                     float(tol), int(seed), int(record_every), bool(record_states),
                     int(max_period), pats, backend, precision, float(temperature))
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


def _dynamics(dynamics, mode):
    """`dynamics`, or the previous release's `mode` keyword (deprecated, removed in the next)."""
    if mode is None:
        return dynamics
    warnings.warn("the keyword `mode` is deprecated; use `dynamics`", DeprecationWarning,
                  stacklevel=3)
    return mode


def recall(n=3000, patterns=150, cues=64, noise=0.1, dynamics="discrete-sync", steps=100,
           match=0.95, seed=1, storage="auto", backend="auto", precision="float32", mode=None):
    """`attractor recall`: random patterns stored by Hebb's rule, recalled from cues with a
    fraction `noise` of their bits flipped. Returns recall_rate, mean_overlap, mean_steps and
    per cue target_overlap and steps."""
    dynamics = _dynamics(dynamics, mode)
    return _core._recall(int(n), int(patterns), int(cues), float(noise), dynamics, int(steps),
                         float(match), int(seed), storage, backend, precision)


def capacity(n=1000, alphas=(0.04, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20), trials=3,
             dynamics="discrete-async", steps=200, rule="hebb", seed=1, backend="auto",
             mode=None):
    """`attractor capacity`: for each load α, round(α N) patterns each started from itself;
    the fraction still retrieved (overlap ≥ 0.95). Hebb's rule collapses near α ≈ 0.138."""
    dynamics = _dynamics(dynamics, mode)
    return _core._capacity(int(n), [float(a) for a in alphas], int(trials), dynamics, int(steps),
                           rule, int(seed), backend)


def dense_recall(patterns, cues, kind="poly3", dynamics="discrete-async", beta=1.0, steps=100,
                 seed=1, mode=None):
    """Cues (B × N) run to convergence on a memory of the ±1 `patterns` (P × N) beyond the
    Hebbian network's 0.138 N: Krotov & Hopfield's dense associative memory E = −Σ_μ F(ξ^μ·σ)
    with kind "polyN" (F = xᴺ/N; "hebbian" is poly2) or "exp" (F = eˣ), by asynchronous sweeps
    or synchronous steps (`dynamics`), or kind "softmax": the modern Hopfield update
    ξ ← X softmax(β Xᵀ ξ). Returns final (B × N), outcome, steps (sweeps when asynchronous),
    period and overlaps (B × P)."""
    dynamics = _dynamics(dynamics, mode)
    return _core._dense_recall(np.asarray(patterns, dtype=np.float64),
                               np.asarray(cues, dtype=np.float64), kind, dynamics, float(beta),
                               int(steps), int(seed))


def dense_capacity(n=200, alphas=(0.05, 0.1, 0.138, 0.2, 0.3, 0.5, 1, 2, 4, 8, 16, 32),
                   kinds=("hebbian", "poly3", "poly4", "exp", "softmax"), noise=0.0, trials=3,
                   cues=100, dynamics="discrete-async", beta=1.0, steps=100, match=0.95, seed=1,
                   mode=None):
    """`attractor dam`: for each kind and load α = P / N, the fraction of P random patterns
    (probed from up to `cues` of them, `noise` of their bits flipped) that stay retrieved
    (overlap ≥ match), the fraction recovered exactly, mean overlap and steps. Polynomial F = xⁿ
    stores ≈ N^(n−1) / (2 (2n − 3)!! ln N) without error."""
    dynamics = _dynamics(dynamics, mode)
    return _core._dense_capacity(int(n), [float(a) for a in alphas], list(kinds), float(noise),
                                 int(trials), int(cues), dynamics, float(beta), int(steps),
                                 float(match), int(seed))


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


def physical_modes(net, count=20, method="auto", tolerance=1e-10, forces=0, seed=1):
    """`attractor physical modes`: the `count` lowest eigenvalues of the Hessian H of `net` (a
    dict from physical_network() or train_allostery()'s before / after) and their eigenvectors
    (free DOFs × count). method: dense (every mode, to 3000 DOFs), shift-invert (Spectra's
    Lanczos about 0 on a sparse Cholesky factor) or auto. With every mode (dense), the response
    spectrum: g_bar = sqrt(Σ λ⁻²), participation_ratio = (Σ λ⁻²)² / Σ λ⁻⁴ and d_eff, a third of
    it; with forces = M > 0, the same dimension measured from M random forces (ensemble)."""
    return _core._physical_modes(net, int(count), method, float(tolerance), int(forces),
                                 int(seed))


def train_allostery(kind="flow", nodes=512, dim=2, degree=None, seed=1, phi="linear", tasks=1,
                    inputs=2, outputs=1, gain=1.0, force=1.0, rule="nudge", alpha=0.3,
                    eta=1e-3, floor=1e-4, steps=8000, analyze_every=200, modes=10):
    """`attractor physical train`: a network held at its boundary learns allostery by the
    contrastive (nudge) or coupled rule. Returns cost (every step), analyzed_steps and at each:
    eigenvalues (the `modes` lowest of the Hessian), task 0's projections on those modes (f: its
    input force, a: its outputs, alignment = |f| a), and, where every mode is known (up to 1500
    free DOFs; NaN and -1 above), g_bar, participation_ratio, d_eff, carrier_mode (the mode with
    the largest share |f| a / λ of the response) and carrier_eigenvalue; and the networks before
    and after."""
    degree = (8.0 if kind == "elastic" else 4.0) if degree is None else float(degree)
    return _core._physical_allostery(kind, int(nodes), int(dim), degree, int(seed), phi,
                                     int(tasks), int(inputs), int(outputs), float(gain),
                                     float(force), rule, float(alpha), float(eta), float(floor),
                                     int(steps), int(analyze_every), int(modes))


def _optional_array(a, dtype):
    return None if a is None else np.ascontiguousarray(a, dtype=dtype)


def train_top_layer(weights, samples, labels, test_samples=None, test_labels=None, classes=None,
                    n=None, m=None, beta=None, epochs=None, batch=None, lr0=None, lr_end=None,
                    seed=1):
    """Krotov & Hopfield's supervised top layer on frozen competing units `weights` (H × D, from
    train_competing_units): h = max(0, W v̂)ⁿ, c = tanh(β S h), loss Σ|c − t|ᵐ with ±1 targets,
    Adam with the rate annealed geometrically from lr0 to lr_end. Samples are S × D in [0, 1],
    labels integers in [0, classes) (classes: one more than the largest label when None). Every
    option left None is the command line's default. Returns S (classes × H), loss per epoch,
    train_accuracy and, with test data, test_accuracy."""
    return _core._train_top_layer(
        np.ascontiguousarray(weights, dtype=np.float32),
        np.ascontiguousarray(samples, dtype=np.float32),
        np.ascontiguousarray(labels, dtype=np.int64), _optional_array(test_samples, np.float32),
        _optional_array(test_labels, np.int64), classes, n, m, beta, epochs, batch, lr0, lr_end,
        int(seed))


def train_mlp(samples, labels, test_samples=None, test_labels=None, classes=None, hidden=None,
              epochs=None, batch=None, lr0=None, lr_end=None, seed=1):
    """The backprop baseline: x → ReLU(W1 x + b1) → softmax, cross-entropy, Adam, on the same
    data as train_top_layer. Options left None are the command line's defaults (2000 hidden
    units). Returns W1 (hidden × D), loss per epoch, train_accuracy and test_accuracy."""
    return _core._train_mlp(
        np.ascontiguousarray(samples, dtype=np.float32),
        np.ascontiguousarray(labels, dtype=np.int64), _optional_array(test_samples, np.float32),
        _optional_array(test_labels, np.int64), classes, hidden, epochs, batch, lr0, lr_end,
        int(seed))


def control_network(A=None, mask=None, bias=None, K=None, k=None, gain=None, n=None,
                    patterns=None, connectivity=None, silent=None, strength=None, seed=1,
                    memory=False, backend="auto"):
    """The network of controlled plasticity, T(ξ) = A + ξ with |ξ| ≤ K on existing synapses and
    ≤ k on silent ones, of tanh neurons of `gain`: du/dt = T g(u) − u + bias.

    With A (an N × N SciPy sparse matrix or array; its entries are the existing synapses) and
    `mask` (its entries are the silent candidates; default none), that network. Without A, the
    command line's embedded example: a diluted asymmetric Hebbian network of n neurons storing
    `patterns` random patterns, whose stored equilibria are found on `backend`; memory=True takes
    the memory experiment's bounds (K = 0.1, k = 0.01). Options left None are the library's."""
    if A is None:
        if mask is not None or bias is not None:
            raise InputError("mask: mask and bias need A")
        return _core._control_example(n, patterns, connectivity, silent, strength, gain, K, k,
                                      int(seed), bool(memory), backend)
    import scipy.sparse
    A = _square_csr(A, "A")
    N = A.shape[0]
    M = scipy.sparse.csr_matrix((N, N)) if mask is None else scipy.sparse.csr_matrix(mask)
    M.sort_indices()
    if M.shape != A.shape:
        raise InputError(f"mask: must be {N} x {N} like A, got {M.shape[0]} x {M.shape[1]}")
    return _core._control_from(N, *_engine_layout(A), *_engine_layout(M)[:2],
                               _optional_array(bias, np.float64), gain, K, k)


# A, the silent candidates and the bound of every synapse of a ControlledNetwork, for SciPy.
ControlledNetwork.A = property(lambda net: _csr(net._parts()[0]),
                               doc="A as an N × N SciPy CSR matrix: the existing synapses")
ControlledNetwork.mask = property(lambda net: _csr(net._parts()[1]),
                                  doc="the silent candidates as an N × N CSR matrix of ones")
ControlledNetwork.bounds = property(
    lambda net: np.where(net.silent_entries, net.k, net.K),
    doc="|ξ| ≤ bounds on each synapse of the union pattern (K existing, k silent)")


def control_cues(net, stored=2, noise=0.0, jitter=0.03, novel=2, seed=1):
    """Cues for the example network (B × N): `stored` stored equilibria with a fraction `noise`
    of their signs flipped and each neuron moved by up to jitter · a, then `novel` new patterns
    a η far from every stored one."""
    return _core._control_cues(net, int(stored), float(noise), float(jitter), int(novel),
                               int(seed))


def _overrides(mu, lambda_, dt, intervals, tail_tol, gtol, max_iterations, same_overlap,
               max_steps):
    o = _core._ControlOverrides()
    o.mu, o.lambda_, o.dt, o.intervals, o.tail_tol = mu, lambda_, dt, intervals, tail_tol
    o.gtol, o.max_iterations, o.same_overlap, o.max_steps = (gtol, max_iterations, same_overlap,
                                                               max_steps)
    return o


def control_matrix(pattern, values):
    """ξ (or a trace) on the network's union pattern, as an N × N SciPy CSR matrix."""
    return _csr((*pattern, np.asarray(values)))


def control(net, cues=None, mu=None, lambda_=None, dt=None, intervals=None, tail_tol=None,
            gtol=None, max_iterations=None, same_overlap=None, max_steps=None, traces=False,
            backend="auto"):
    """`attractor control`: for each cue u⁰ (rows of `cues`; default control_cues(net)) the
    synapses ξ(t) minimizing J = ∫ ((1−μ)|X|² + μ|ξ|²) e^(−λt) dt, X = du/dt, within the bounds,
    and what the network then does: outcome recognized, recorded, limit_cycle or wandering.

    Returns per cue J, state_cost, control_cost, iterations, converged, final_residual,
    xi_inf_max, cue_overlap, stored_overlap, nearest_pattern (−1 when none), period, u_limit
    (B × N, where the continuation under A + ξ_∞ ended) and xi_inf (B × synapses on the union
    `pattern`; control_matrix(out["pattern"], out["xi_inf"][b]) is cue b's ξ_∞ as a matrix);
    with traces=True, time and |X|(t), |ξ|(t) per cue (residual, control_norm). Options left
    None are the command line's (μ = 0.3, λ = 2)."""
    cues = control_cues(net) if cues is None else np.asarray(cues, dtype=np.float64)
    return _core._control(net, cues, _overrides(mu, lambda_, dt, intervals, tail_tol, gtol,
                                                max_iterations, same_overlap, max_steps),
                          bool(traces), backend)


def control_sweep(net, mus, cues=None, lambda_=None, dt=None, intervals=None, tail_tol=None,
                  gtol=None, max_iterations=None, same_overlap=None, max_steps=None,
                  backend="auto"):
    """The Pareto sweep: the same cues solved at each μ in `mus`, with the integrals of |X|² and
    |ξ|² (state_integral, control_integral; monotone in μ for exact minimizers) and the outcome
    counts, one dict per μ."""
    cues = control_cues(net) if cues is None else np.asarray(cues, dtype=np.float64)
    return _core._control_sweep(net, cues, [float(m) for m in mus],
                                _overrides(None, lambda_, dt, intervals, tail_tol, gtol,
                                           max_iterations, same_overlap, max_steps), backend)


def memory_experiment(net=None, sequence=(0, 1, 2, -2, -3), bounded=True, probe_noise=None,
                      overlap=None, seed=1, mu=None, lambda_=None, dt=None, intervals=None,
                      tail_tol=None, gtol=None, max_iterations=None, same_overlap=None,
                      max_steps=None, backend="auto"):
    """`attractor memory-experiment`: records novel patterns in turn (r ≥ 0 in `sequence`) into
    a trace M with the efficacy A + clip(M, bound), releases recording r at −(r + 1), and after
    every stage probes each memory. Returns stages (action, outcome, saturated synapses, held per
    memory: 1, 0 or −1 not yet recorded), events (forgotten / recovered) and the final trace on
    the union pattern. `net`: an example network (default control_network(memory=True))."""
    net = control_network(memory=True, seed=seed, backend=backend) if net is None else net
    return _core._memory_experiment(net, [int(r) for r in sequence], bool(bounded), probe_noise,
                                    overlap, int(seed),
                                    _overrides(mu, lambda_, dt, intervals, tail_tol, gtol,
                                               max_iterations, same_overlap, max_steps), backend)
