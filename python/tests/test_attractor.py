"""The Python package: the same engine as the command line, reached from NumPy and SciPy."""
import os
import threading

import numpy as np
import pytest
import scipy.sparse

import attractor


def random_signs(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape)


def test_dense_and_sparse_weights_give_the_same_trajectories():
    rng = np.random.default_rng(1)
    n = 300
    W = scipy.sparse.random(n, n, density=0.05, random_state=2, format="csr")
    W.data = np.round(W.data * 8 - 4) / 8  # exact in any summation order
    W = W + W.T
    cues = random_signs(rng, (5, n))
    sparse = attractor.run(attractor.network(W), cues, steps=100)
    dense = attractor.run(attractor.network(W.toarray()), cues, steps=100)
    np.testing.assert_array_equal(sparse["final"], dense["final"])
    assert sparse["outcome"] == dense["outcome"]
    np.testing.assert_array_equal(attractor.weights(attractor.network(W)).toarray(), W.toarray())


def test_the_cpu_runs_in_the_precision_asked_for():
    rng = np.random.default_rng(3)
    n = 200
    W = scipy.sparse.random(n, n, density=0.05, random_state=4, format="csr") * 0.2
    u0 = rng.uniform(-1, 1, (3, n))
    net = attractor.network(W, activation="tanh")
    runs = {p: attractor.run(net, u0, dynamics="continuous", integrator="euler",
                             dt=0.1, steps=50, tol=0, backend="cpu", precision=p)
            for p in ("float32", "float64")}
    assert [runs[p]["precision"] for p in runs] == ["float32", "float64"]
    # float32 states round to 2^-24 relative each step; the map contracts, so the runs stay close
    # (the derived bound is tested in C++) and yet differ.
    difference = np.abs(runs["float32"]["final"] - runs["float64"]["final"]).max()
    assert 0 < difference < 1e-5


@pytest.mark.parametrize("storage", ["dense", "sparse"])
def test_float32_weights_stay_float32_and_run_as_their_float64_rounding(storage):
    rng = np.random.default_rng(9)
    n = 300
    W = scipy.sparse.random(n, n, density=0.05, random_state=10, format="csr") * 0.1
    if storage == "dense":
        W = W.toarray()
    W32 = W.astype(np.float32)
    kept = attractor.weights(attractor.network(W32, activation="tanh"))
    assert kept.dtype == np.float32
    values = (kept, W32) if storage == "dense" else (kept.data, W32.data)
    assert np.shares_memory(*values)  # the caller's array, not a copy
    u0 = rng.uniform(-1, 1, (3, n))
    for precision, twin in (("float32", W), ("float64", W32.astype(np.float64))):
        # A float32 run rounds W to the same float32 values; a float64 run widens them exactly.
        runs = [attractor.run(attractor.network(w, activation="tanh"), u0, dynamics="continuous",
                              integrator="euler", dt=0.1, steps=30, tol=0, backend="cpu",
                              precision=precision)["final"] for w in (W32, twin)]
        np.testing.assert_array_equal(runs[0], runs[1])
        assert not np.array_equal(runs[0], u0)


def test_networks_share_the_callers_arrays_where_the_layout_allows():
    rng = np.random.default_rng(6)
    n = 400
    W = scipy.sparse.random(n, n, density=0.02, random_state=7, format="csr")
    W = (W + W.T).tocsr()
    W.sort_indices()
    dense = W.toarray()
    cues = random_signs(rng, (4, n))
    shared_sparse, shared_dense = attractor.network(W), attractor.network(dense)
    before = attractor.run(shared_sparse, cues, steps=50)
    # The network reads the caller's values and column indices, before and after a run.
    assert np.shares_memory(attractor.weights(shared_sparse).data, W.data)
    assert np.shares_memory(attractor.weights(shared_dense), dense)
    view = attractor.weights(shared_dense)
    assert not view.flags.writeable
    with pytest.raises(ValueError):
        view[0, 0] = 1.0
    # Another dtype or layout is converted, and the converted copy is what gets shared.
    converted = attractor.network(np.asfortranarray(dense.astype(np.float32)))
    assert not np.shares_memory(attractor.weights(converted), dense)
    np.testing.assert_array_equal(attractor.weights(converted), dense.astype(np.float32))
    # Like a NumPy view, the network sees a change to the shared array.
    W.data *= -1.0
    after = attractor.run(shared_sparse, cues, steps=50)
    flipped = attractor.run(attractor.network(W.copy()), cues, steps=50)
    np.testing.assert_array_equal(after["final"], flipped["final"])
    assert not np.array_equal(after["final"], before["final"])
    # The arrays outlive the caller's names for them.
    del W, dense
    np.testing.assert_array_equal(attractor.run(shared_sparse, cues, steps=50)["final"],
                                  after["final"])


def test_recall_from_noisy_cues_finds_the_stored_patterns():
    rng = np.random.default_rng(3)
    n, p = 500, 10  # load 0.02, far below 0.138: every pattern is an attractor
    xi = random_signs(rng, (p, n))
    net = attractor.memory(xi)
    cues = xi * np.where(rng.random((p, n)) < 0.15, -1.0, 1.0)
    out = attractor.run(net, cues, patterns=xi)
    assert out["outcome"] == ["fixed_point"] * p
    np.testing.assert_array_equal(out["matched_pattern"], np.arange(p))
    np.testing.assert_allclose(np.diag(out["overlaps"]), 1.0)
    np.testing.assert_allclose(attractor.overlaps(out["final"], xi), out["overlaps"])
    factored = attractor.run(attractor.memory(xi, storage="factored"), cues, patterns=xi)
    np.testing.assert_array_equal(factored["final"], out["final"])


def test_hebbian_capacity_collapses_between_low_and_high_load():
    curve = attractor.capacity(n=400, alphas=(0.05, 0.3), trials=2, dynamics="discrete-sync")
    assert curve[0]["retrieval_rate"] >= 0.95
    assert curve[1]["retrieval_rate"] <= 0.5


def test_names_come_from_the_librarys_tables_and_the_old_keyword_still_works():
    assert attractor.CHOICES["dynamics"] == ("discrete-sync", "discrete-async", "glauber-sync",
                                             "glauber", "continuous")
    assert attractor.CHOICES["local_rule"] == ("hebb", "covariance", "bcm", "oja", "sanger")
    with pytest.raises(attractor.InputError, match="expected discrete-sync, discrete-async"):
        attractor.recall(n=100, patterns=2, cues=2, dynamics="sideways")
    with pytest.raises(attractor.InputError, match="expected hebb, covariance, bcm, oja or sanger"):
        attractor.train_local_rule("hebbian", np.ones((4, 3)))
    new = attractor.recall(n=200, patterns=4, cues=8, dynamics="discrete-async")
    with pytest.warns(DeprecationWarning, match="use `dynamics`"):
        old = attractor.recall(n=200, patterns=4, cues=8, mode="discrete-async")
    for key in ("recall_rate", "mean_overlap", "mean_steps"):
        assert old[key] == new[key]
    np.testing.assert_array_equal(old["steps"], new["steps"])


def test_dense_memories_store_far_more_than_the_hebbian_network():
    rng = np.random.default_rng(12)
    n, p = 100, 60  # load 0.6: past Hebbian capacity, well inside poly3's N²/(6 ln N) ≈ 360
    xi = random_signs(rng, (p, n))
    cues = xi * np.where(rng.random((p, n)) < 0.05, -1.0, 1.0)
    cubic = attractor.dense_recall(xi, cues, kind="poly3")
    assert cubic["outcome"] == ["fixed_point"] * p
    np.testing.assert_array_equal(cubic["final"], xi)
    np.testing.assert_allclose(np.diag(cubic["overlaps"]), 1.0)
    hebbian = attractor.dense_recall(xi, cues, kind="hebbian")
    assert np.mean(np.diag(hebbian["overlaps"]) >= 0.95) < 0.5
    softmax = attractor.dense_recall(xi, cues, kind="softmax", beta=1.0)
    np.testing.assert_allclose(softmax["final"], xi, atol=1e-12)
    curve = attractor.dense_capacity(n=100, alphas=(0.6,), kinds=("hebbian", "poly3"), trials=1)
    assert curve[0]["retrieval_rate"] < 0.5 and curve[1]["exact_rate"] == 1.0
    with pytest.raises(attractor.InputError, match="kind"):
        attractor.dense_recall(xi, cues, kind="poly1")


def test_asynchronous_updates_never_raise_the_energy_of_a_symmetric_network():
    rng = np.random.default_rng(4)
    n = 200
    A = rng.normal(size=(n, n))
    W = (A + A.T) / 2
    np.fill_diagonal(W, 0.0)
    out = attractor.run(attractor.network(W), random_signs(rng, (3, n)),
                        dynamics="discrete-async", record_every=1, seed=5)
    energy = out["recording"]["energy"]
    # Each flip changes E by −2|f_i| ≤ 0 exactly; the recorded sums round at ~1e-13 of |E|.
    assert np.all(np.diff(energy, axis=0) <= 1e-9 * np.abs(energy).max())
    assert out["outcome"] == ["fixed_point"] * 3


def test_glauber_dynamics_retrieve_below_the_critical_temperature_and_forget_above():
    rng = np.random.default_rng(6)
    n = 1000
    xi = random_signs(rng, (1, n))
    net = attractor.memory(xi, storage="factored")
    starts = np.repeat(xi, 8, axis=0)
    for dynamics in ("glauber", "glauber-sync"):
        cold = attractor.run(net, starts, dynamics=dynamics, temperature=0.5, steps=60, seed=1,
                             patterns=xi, record_every=1)
        hot = attractor.run(net, starts, dynamics=dynamics, temperature=1.5, steps=60, seed=1,
                            patterns=xi, record_every=1)
        # Mean field: m = tanh(m / T) is 0.9575 at T = 0.5 and 0 above T = 1; N = 1000 adds
        # fluctuations of ~0.03 per state.
        m_cold = np.abs(cold["recording"]["overlaps"][30:]).mean()
        m_hot = np.abs(hot["recording"]["overlaps"][30:]).mean()
        assert abs(m_cold - 0.9575) < 0.01, (dynamics, m_cold)
        assert m_hot < 0.08, (dynamics, m_hot)
        assert cold["outcome"] == ["wandering"] * 8
    with pytest.raises(ValueError, match="temperature"):
        attractor.run(net, starts, dynamics="glauber", temperature=0.0)


def test_an_antisymmetrically_coupled_pair_oscillates():
    net = attractor.network(np.array([[2.0, -2.0], [2.0, 2.0]]), activation="tanh")
    out = attractor.run(net, np.array([[0.1, 0.0]]), dynamics="continuous", dt=0.01,
                        steps=100000)
    assert out["outcome"] == ["limit_cycle"]
    assert out["period"][0] >= 1


def test_an_ensemble_runs_each_network_as_it_runs_alone():
    rng = np.random.default_rng(6)
    e, n = 6, 40
    xi = random_signs(rng, (e, 3, n))
    stack = np.stack([attractor.weights(attractor.memory(x, storage="dense")) for x in xi])
    cues = xi[:, 0, :] * np.where(rng.random((e, n)) < 0.1, -1.0, 1.0)
    together = attractor.run_ensemble(stack, cues, steps=50, backend="cpu")
    for k in range(e):
        alone = attractor.run(attractor.network(stack[k]), cues[k], steps=50, backend="cpu")
        np.testing.assert_array_equal(together["final"][k], alone["final"])


def test_bad_input_raises_the_command_lines_message():
    with pytest.raises(attractor.InputError, match="NaN"):
        attractor.network(np.array([[0.0, np.nan], [1.0, 0.0]]))
    with pytest.raises(attractor.InputError, match="square"):
        attractor.network(scipy.sparse.random(3, 4, density=0.5))
    net = attractor.network(np.zeros((4, 4)))
    with pytest.raises(attractor.InputError, match=r"shape \(B, 4\) or \(4,\) to match the 4-neuron"):
        attractor.run(net, np.ones((2, 5)))
    with pytest.raises(attractor.InputError, match="dynamics"):
        attractor.run(net, np.ones(4), dynamics="chaotic")
    with pytest.raises(ValueError):  # InputError is a ValueError
        attractor.recall(n=10, patterns=50)


def test_runs_release_the_interpreter():
    rng = np.random.default_rng(7)
    n = 3000
    W = scipy.sparse.random(n, n, density=0.02, random_state=8, format="csr")
    net = attractor.network(W - W.T)  # antisymmetric: wanders for every step it is given
    cues = random_signs(rng, (16, n))
    worker = threading.Thread(target=attractor.run, args=(net, cues),
                              kwargs={"steps": 400, "max_period": 1, "backend": "cpu"})
    worker.start()
    spins = 0
    while worker.is_alive():
        spins += 1
    worker.join()
    # Had the run held the GIL, this thread could not have run at all until it ended.
    assert spins > 1000


def test_oja_and_sanger_find_the_principal_components():
    rng = np.random.default_rng(9)
    basis, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    x = (rng.normal(size=(3000, 6)) * np.sqrt([5.0, 3.0, 2.0, 1.0, 0.5, 0.25])) @ basis.T
    x -= x.mean(axis=0)
    values, vectors = np.linalg.eigh(x.T @ x / len(x))
    top = vectors[:, ::-1].T  # rows: eigenvectors, largest eigenvalue first
    def cos(w, v):
        return abs(w @ v) / np.linalg.norm(w)

    # After 40 epochs the annealed rate is η = 0.01/41 = 2.4e-4: Oja's w sits within
    # O(√(η λ₂/(λ₁ − λ₂))) ≈ 0.013 rad of v₁ (1 − cos ≈ 1e-4) with ‖w‖² − 1 ≈ η (tr C − λ₁)/2
    # ≈ 8e-4; the bounds allow ten and five times those.
    oja = attractor.train_local_rule("oja", x, epochs=40)
    assert 1 - cos(oja["weights"][0], top[0]) < 1e-3
    assert abs(np.linalg.norm(oja["weights"][0]) - 1) < 2e-3
    sanger = attractor.train_local_rule("sanger", x, components=3, epochs=60)
    for m in range(3):
        assert 1 - cos(sanger["weights"][m], top[m]) < 1e-3, m
    with pytest.raises(attractor.InputError, match="unknown local rule .hopfield."):
        attractor.train_local_rule("hopfield", x)


def test_competing_units_converge_to_unit_p_norm():
    rng = np.random.default_rng(10)
    x = rng.random((400, 16)).astype(np.float32) ** 4
    W = attractor.train_competing_units(x, hidden=8, rank=2, batch=50, epochs=60, backend="cpu")
    assert W.shape == (8, 16) and W.dtype == np.float32
    # The update's fixed point is Σ_i |W_μi|^p = 1 (p = 3) for every unit that wins samples; a
    # unit that never does keeps its random start (‖·‖₃³ ≈ 16 · E|z|³ ≈ 26 here).
    norms = (np.abs(W) ** 3).sum(axis=1)
    assert np.sum(np.abs(norms - 1) < 1e-2) >= 6
    with pytest.raises(attractor.InputError, match=r"\[0, 1\]"):
        attractor.train_competing_units(x * 2 + 1, hidden=8)


def test_a_flow_network_learns_allostery_and_a_mode_softens():
    out = attractor.train_allostery(nodes=200, steps=3000, analyze_every=500, seed=2)
    assert out["cost"][-1] <= 1e-3 * out["cost"][0]
    eig = out["eigenvalues"]
    assert eig.shape == (len(out["analyzed_steps"]), 10)
    assert eig[-1, 0] < eig[0, 0]
    assert out["after"]["edges"].shape == out["before"]["edges"].shape
    # 168 free DOFs: every mode is known, so each analysis names a carrying mode; and learning a
    # response the inputs must drive through a few soft modes leaves it lower-dimensional.
    assert np.all(out["carrier_mode"] >= 0)
    assert out["f"].shape == out["alignment"].shape == eig.shape
    assert out["d_eff"][-1] < out["d_eff"][0]
    # The trained network comes back whole: its modes are the last ones the training analyzed.
    after = attractor.physical_modes(out["after"], count=10)["eigenvalues"]
    np.testing.assert_allclose(after, eig[-1], rtol=1e-9)


def test_hessian_modes_agree_across_solvers_and_give_the_response_dimension():
    net = attractor.physical_network(nodes=200, seed=2)
    dense = attractor.physical_modes(net, count=500, forces=4000, seed=3)
    lam, v = dense["eigenvalues"], dense["vectors"]
    assert dense["method"] == "dense" and len(lam) == dense["free_dofs"] == v.shape[1]
    np.testing.assert_allclose(v.T @ v, np.eye(len(lam)), atol=1e-10)
    lanczos = attractor.physical_modes(net, count=6, method="shift-invert")
    # Shift-invert converges each eigenvalue to a relative 1e-10 of its residual; 1e-8 allows
    # the dense solver's own rounding, ~n ε |H| / λ₀ with λ₀ ≈ 0.04.
    np.testing.assert_allclose(lanczos["eigenvalues"], lam[:6], rtol=1e-8)
    pr = (lam ** -2.0).sum() ** 2 / (lam ** -4.0).sum()
    assert dense["participation_ratio"] == pytest.approx(pr, rel=1e-12)
    assert dense["d_eff"] == pytest.approx(pr / 3, rel=1e-12)
    # M random forces measure PR / (1 + (PR + 1)/M) on average, with a relative spread of
    # order sqrt(2/M) ≈ 2%: 10% is five of those.
    expected = pr / (1 + (pr + 1) / 4000)
    assert dense["ensemble"]["participation_ratio"] == pytest.approx(expected, rel=0.1)


@pytest.mark.parametrize("script", ["recall_overlaps", "capacity_curve", "phase_portrait",
                                    "eigenvalue_flow", "receptive_fields", "control_outcomes"])
def test_the_examples_draw_their_figures(script, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    del matplotlib
    import runpy
    import sys
    if script == "receptive_fields" and not os.path.exists(
            "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
        pytest.skip("needs Debian's dataset-fashion-mnist")
    examples = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
    png = tmp_path / f"{script}.png"
    argv = sys.argv
    sys.argv = [script, str(png)]
    try:
        runpy.run_path(os.path.join(examples, f"{script}.py"), run_name="__main__")
    finally:
        sys.argv = argv
    assert png.stat().st_size > 10_000


def test_control_recognizes_stored_cues_and_records_novel_ones_within_the_bounds():
    net = attractor.control_network()  # the command line's example: 100 tanh neurons, 2 patterns
    assert net.patterns.shape == (2, 100) and 0 < net.silent < net.synapses
    out = attractor.control(net, attractor.control_cues(net, stored=2, novel=2), traces=True)
    assert out["outcome"] == ["recognized", "recognized", "recorded", "recorded"]
    np.testing.assert_array_equal(out["nearest_pattern"][:2], [0, 1])
    # The solver projects onto the box, so every ξ_∞ entry is within its bound exactly.
    assert np.all(np.abs(out["xi_inf"]) <= net.bounds)
    # Recognized: A already holds the state, and ξ only answers the cue's jitter of 3% of a,
    # linearly, at a few percent of K. Recorded: the network keeps the cue's signs under a
    # holding control of ≈ 0.02–0.05 per synapse that A alone lacks (A's residual there stays
    # above 0.1); the bounds are those of the library's outcome tests.
    assert np.all(out["xi_inf_max"][:2] <= 0.02 * net.K)
    assert np.all(out["xi_inf_max"][2:] > 0.01)
    assert np.all(out["residual_without_control"][2:] > 0.1)
    assert np.all(out["cue_overlap"][2:] >= 0.95)
    assert out["residual"].shape == (4, out["plan"]["steps"] + 1)
    xi = attractor.control_matrix(out["pattern"], out["xi_inf"][2])
    assert xi.shape == (100, 100) and xi.nnz == net.synapses

    # The same network given as A and a silent mask from SciPy solves to the same numbers.
    again = attractor.control_network(net.A, mask=net.mask, gain=net.gain, K=net.K, k=net.k)
    assert (again.synapses, again.silent) == (net.synapses, net.silent)
    cues = attractor.control_cues(net, stored=1, novel=1)
    np.testing.assert_array_equal(attractor.control(again, cues)["J"],
                                  attractor.control(net, cues)["J"])
    with pytest.raises(attractor.InputError, match="example network"):
        attractor.control_cues(again)
    with pytest.raises(attractor.InputError, match="mu"):
        attractor.control(net, cues, mu=1.5)


@pytest.mark.skipif("ATTRACTOR_BIN" not in os.environ,
                    reason="the command line's binary is known in the build tree's ctest run")
def test_control_gives_the_command_lines_numbers():
    import json
    import subprocess
    cli = json.loads(subprocess.run([os.environ["ATTRACTOR_BIN"], "control", "--json"],
                                    check=True, capture_output=True, text=True).stdout)
    out = attractor.control(attractor.control_network())
    assert out["outcome"] == [c["outcome"] for c in cli["cues"]]
    np.testing.assert_array_equal(out["J"], [c["J"] for c in cli["cues"]])
    np.testing.assert_array_equal(out["iterations"], [c["iterations"] for c in cli["cues"]])


def test_cheaper_control_records_more_and_the_costs_trade_monotonically():
    net = attractor.control_network()
    cues = attractor.control_cues(net, stored=0, novel=2)
    low, high = attractor.control_sweep(net, [0.3, 0.9], cues)
    # For minimizers of (1−μ) F + μ G, F cannot fall and G cannot rise as μ grows (to the
    # solver's gtol); at μ = 0.9 control is too dear to record anything.
    assert high["state_integral"] >= low["state_integral"]
    assert high["control_integral"] <= low["control_integral"]
    assert (low["recorded"], high["recorded"]) == (2, 0)


def test_a_bounded_memory_forgets_under_a_new_recording_and_recovers_on_its_release():
    out = attractor.memory_experiment()  # records patterns 0, 1, 2, then releases 1 and 2
    held = [s["held"] for s in out["stages"]]
    assert held[0][0] == 1 and held[1][0] == 0 and held[4][0] == 1
    assert {"kind": "forgotten", "memory": 0, "stage": 1} in out["events"]
    assert {"kind": "recovered", "memory": 0, "stage": 4} in out["events"]
    with pytest.raises(attractor.InputError, match="example network"):
        attractor.memory_experiment(attractor.control_network(np.eye(4) * 0.5))


def noisy_copies(rng, proto, count, keep=0.9):
    """Sample s: prototype s mod C with each pixel redrawn at random with probability 1 − keep."""
    labels = np.arange(count) % len(proto)
    redraw = rng.random((count, proto.shape[1])) >= keep
    x = np.where(redraw, rng.random((count, proto.shape[1])) < 0.5, proto[labels])
    return x.astype(np.float32), labels


def test_the_top_layer_and_backprop_classify_noisy_prototypes():
    rng = np.random.default_rng(11)
    proto = rng.random((4, 64)) < 0.5
    x, y = noisy_copies(rng, proto, 800)
    tx, ty = noisy_copies(rng, proto, 400)
    # Prototypes differ in ~32 of 64 pixels and noise moves ~3: nearest-prototype is ~perfect,
    # so both classifiers must come close to it; chance is 0.25.
    W = attractor.train_competing_units(x, hidden=40, rank=2, batch=50, epochs=30, backend="cpu")
    top = attractor.train_top_layer(W, x, y, tx, ty, epochs=60, batch=50)
    assert top["S"].shape == (4, 40) and top["loss"][-1] < top["loss"][0]
    assert top["test_accuracy"] >= 0.9
    mlp = attractor.train_mlp(x, y, tx, ty, hidden=64, epochs=20, batch=50)
    assert mlp["W1"].shape == (64, 64) and mlp["test_accuracy"] >= 0.9
    with pytest.raises(attractor.InputError, match="one label per sample"):
        attractor.train_mlp(x, y[:-1])
    with pytest.raises(attractor.InputError, match="not in"):
        attractor.train_mlp(x, y, tx, ty + 4, classes=4)
