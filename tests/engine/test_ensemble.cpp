// Ensemble engines: every network of an ensemble ends exactly where the single-network CPU engine
// run on it alone ends (synchronous and asynchronous, dense and shared-CSR weights, symmetric and
// not), Hebbian recall in many small networks at once, limit cycles, and bad input.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include "attractor/core/ensemble.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "engine_backends.hpp"
#include "test_networks.hpp"

namespace attractor {
namespace {

using core::Dynamics;
using core::Outcome;
using core::RngPurpose;
using Index = std::int64_t;
using test::random_signs;
using test::sign_network;

// Every ensemble test runs on the CPU and, where this build has CUDA and a device, on the GPU in
// float32 — its fast path. The weights below make float32 exact, so the two must agree bit for bit.
class EnsembleEngines : public test::BackendTest<core::EnsembleEngine, make_ensemble_engine,
                                                 core::Precision::Float32> {};

// Networks built one by one, and the same networks as one ensemble. The tests compare against
// `networks`, never against Ensemble::network, so a wrong slice there cannot hide.
struct Case {
  std::vector<core::Network> networks;
  core::Ensemble ensemble;
};

// Weights and biases are k/64 with |k| ≤ 64, and N ≤ 256, states ±1. Every product T_ij s_j is
// then a multiple of 1/64 of magnitude ≤ 1, so every partial sum of a field is a multiple of 1/64
// of magnitude ≤ N + 1 ≤ 257, i.e. an integer count of 1/64 below 257 · 64 < 2^24: exactly
// representable in float32's 24-bit significand. Every field is therefore exact in float32 and
// float64 alike, in any summation order, and the sign decisions (ties included) cannot differ.
// draw_k returns k/64 for an integer k uniform in [−m, m], m ≤ 64.
double draw_k(const core::CounterRng& rng, std::uint32_t stream, std::uint64_t index,
              std::uint32_t m) {
  const double k = static_cast<double>(rng.below(RngPurpose::Weights, stream, index, 2 * m + 1));
  return (k - static_cast<double>(m)) / 64.0;
}

std::vector<double> random_bias(Index n, std::uint32_t stream, std::uint64_t seed) {
  const core::CounterRng rng{seed};
  std::vector<double> h(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) h[i] = draw_k(rng, stream, 1'000'000 + i, 16);
  return h;
}

// Dense N × N weights per network: T = S + A with S symmetric (zero diagonal), entries k/64 with
// |k| ≤ 64 − asymmetry, and A independent per entry, |k| ≤ asymmetry. asymmetry = 0 meets
// Hopfield's conditions (asynchronous dynamics always reach a fixed point); a little asymmetry
// gives fixed points and short cycles, a lot gives chaotic wandering.
Case dense_case(Index count, Index n, std::uint32_t asymmetry, std::uint64_t seed) {
  const core::CounterRng rng{seed};
  Case c;
  c.ensemble.count = count;
  c.ensemble.n = n;
  c.ensemble.threshold = 0.25;
  core::Ensemble::DenseStack stack;
  for (Index e = 0; e < count; ++e) {
    const auto stream = static_cast<std::uint32_t>(e);
    core::DenseMatrix<double> T(n, n);
    for (Index i = 0; i < n; ++i) {
      for (Index j = 0; j < n; ++j) {
        const auto upper = static_cast<std::uint64_t>(std::min(i, j) * n + std::max(i, j));
        const auto entry = static_cast<std::uint64_t>(n * n + i * n + j);
        T(i, j) = (i == j ? 0.0 : draw_k(rng, stream, upper, 64 - asymmetry)) +
                  (asymmetry > 0 ? draw_k(rng, stream, entry, asymmetry) : 0.0);
      }
    }
    stack.values.insert(stack.values.end(), T.values.begin(), T.values.end());
    std::vector<double> h = random_bias(n, stream, seed);
    c.ensemble.bias.insert(c.ensemble.bias.end(), h.begin(), h.end());
    c.networks.push_back(sign_network(std::move(T), std::move(h), c.ensemble.threshold));
  }
  c.ensemble.weights = std::move(stack);
  c.ensemble.activation.kind = core::ActivationKind::Sign;
  return c;
}

// One random sparsity pattern (about a third of the entries, symmetric when `symmetric`) shared by
// every network, each with its own values; no bias.
Case csr_case(Index count, Index n, bool symmetric, std::uint64_t seed) {
  const core::CounterRng rng{seed};
  const auto present = [&](Index i, Index j) {
    const Index key = symmetric ? std::min(i, j) * n + std::max(i, j) : i * n + j;
    return rng.uniform(RngPurpose::Weights, 0xFFFFu, static_cast<std::uint64_t>(key)) < 0.3;
  };
  std::vector<core::Triplet<double>> entries;
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < n; ++j) {
      if (present(i, j)) entries.push_back({i, j, 0.0});
    }
  }
  core::Ensemble::SharedCsr shared;
  shared.pattern = core::csr_from_triplets(n, n, entries, "test pattern");
  Case c;
  c.ensemble.count = count;
  c.ensemble.n = n;
  for (Index e = 0; e < count; ++e) {
    core::CsrMatrix<double> T = shared.pattern;
    for (Index i = 0; i < n; ++i) {
      for (Index k = T.row_ptr[i]; k < T.row_ptr[i + 1]; ++k) {
        const Index j = T.col_idx[k];
        const Index key = symmetric ? std::min(i, j) * n + std::max(i, j) : i * n + j;
        T.values[k] = draw_k(rng, static_cast<std::uint32_t>(e), key, 64);
      }
    }
    shared.values.insert(shared.values.end(), T.values.begin(), T.values.end());
    c.networks.push_back(sign_network(std::move(T), {}, 0.0));
  }
  c.ensemble.weights = std::move(shared);
  c.ensemble.activation.kind = core::ActivationKind::Sign;
  return c;
}

core::RunOptions discrete(Dynamics dynamics, Index max_steps) {
  core::RunOptions o;
  o.dynamics = dynamics;
  o.max_steps = max_steps;
  o.seed = 17;
  o.stream_offset = 5;  // network e must draw from stream 5 + e
  return o;
}

// Runs the ensemble, then each network alone on the CPU reference; everything must agree exactly.
// Returns the reference outcomes, so a caller can check the case exercised what it meant to.
std::vector<Outcome> expect_each_network_as_alone(core::EnsembleEngine& engine, const Case& c,
                                                  const core::RunOptions& options) {
  const Index n = c.ensemble.n;
  core::StateBatch states = random_signs(c.ensemble.count, n, 99);
  const core::StateBatch initial = states;
  const core::RunResult result = engine.run(c.ensemble, states, options);
  EXPECT_EQ(result.backend, engine.name());
  EXPECT_EQ(static_cast<Index>(result.states.size()), c.ensemble.count);

  std::vector<Outcome> outcomes;
  bool all_symmetric = true;
  Index updates = 0;
  for (Index e = 0; e < c.ensemble.count; ++e) {
    SCOPED_TRACE("network " + std::to_string(e));
    core::StateBatch alone(1, n);
    std::copy_n(initial.state(e), n, alone.state(0));
    core::RunOptions one = options;
    one.stream_offset = options.stream_offset + static_cast<std::uint64_t>(e);
    const core::RunResult reference = CpuEngine().run(c.networks[e], alone, one);
    const core::StateResult& want = reference.states[0];
    const core::StateResult& got = result.states[e];
    EXPECT_EQ(std::vector<double>(states.state(e), states.state(e) + n), alone.values);
    EXPECT_EQ(got.outcome, want.outcome);
    EXPECT_EQ(got.steps, want.steps);
    EXPECT_EQ(got.period, want.period);
    EXPECT_EQ(got.time, static_cast<double>(want.steps));
    // Exact: T s and the energy are sums of multiples of 1/128 far below 2^53 / 128.
    if (reference.energy_defined) {
      EXPECT_EQ(got.energy, want.energy);
    } else {
      EXPECT_TRUE(std::isnan(got.energy));
    }
    all_symmetric = all_symmetric && reference.energy_defined;
    updates += want.steps * n;
    outcomes.push_back(want.outcome);
  }
  EXPECT_EQ(result.energy_defined, all_symmetric);
  EXPECT_EQ(result.neuron_updates, updates);
  return outcomes;
}

Index count_of(const std::vector<Outcome>& outcomes, Outcome which) {
  return std::count(outcomes.begin(), outcomes.end(), which);
}

TEST_P(EnsembleEngines, DenseAsymmetricNetworksEndAsEachAlone) {
  // N = 130: three 64-neuron hash words, the last one partial, and rows longer than a warp.
  std::vector<Outcome> sync;
  for (const std::uint32_t asymmetry : {8u, 64u}) {
    SCOPED_TRACE("asymmetry " + std::to_string(asymmetry));
    const Case c = dense_case(12, 130, asymmetry, 3);
    const auto outcomes =
        expect_each_network_as_alone(engine(), c, discrete(Dynamics::DiscreteSync, 60));
    sync.insert(sync.end(), outcomes.begin(), outcomes.end());
    expect_each_network_as_alone(engine(), c, discrete(Dynamics::DiscreteAsync, 30));
  }
  // The cases must exercise the endings they are meant to (fixed points: the small networks below),
  // or the comparison proves less than it seems to.
  EXPECT_GT(count_of(sync, Outcome::LimitCycle), 0);
  EXPECT_GT(count_of(sync, Outcome::Wandering), 0);
}

TEST_P(EnsembleEngines, DenseSymmetricNetworksEndAsEachAlone) {
  const Case c = dense_case(10, 70, 0, 4);
  const auto sync = expect_each_network_as_alone(engine(), c, discrete(Dynamics::DiscreteSync, 60));
  const auto async =
      expect_each_network_as_alone(engine(), c, discrete(Dynamics::DiscreteAsync, 60));
  // Symmetric weights: asynchronous dynamics always reach a fixed point (Hopfield 1982).
  EXPECT_EQ(count_of(async, Outcome::FixedPoint), c.ensemble.count);
  static_cast<void>(sync);
}

// Networks whose weights do not fit one block's shared memory: N = 256 with weights 3k/64 up to
// 192/64 (beyond int8, so float: 256 KB in float32, on a cluster of 2 blocks on sm_90) and
// N = 1024 with int8 weights (1 MB, on a cluster of 8). Sums stay exact multiples of 1/64.
TEST_P(EnsembleEngines, NetworksLargerThanABlockEndAsEachAlone) {
  Case wide = dense_case(6, 256, 8, 21);
  for (double& w : std::get<core::Ensemble::DenseStack>(wide.ensemble.weights).values) w *= 3;
  for (auto& net : wide.networks) {
    for (double& w : std::get<core::DenseMatrix<double>>(net.weights).values) w *= 3;
  }
  const auto outcomes =
      expect_each_network_as_alone(engine(), wide, discrete(Dynamics::DiscreteSync, 40));
  EXPECT_GT(count_of(outcomes, Outcome::LimitCycle) + count_of(outcomes, Outcome::Wandering), 0);
  expect_each_network_as_alone(engine(), dense_case(3, 1024, 0, 22),
                               discrete(Dynamics::DiscreteSync, 20));
}

TEST_P(EnsembleEngines, SharedCsrNetworksEndAsEachAlone) {
  for (const bool symmetric : {false, true}) {
    SCOPED_TRACE(symmetric ? "symmetric" : "asymmetric");
    const Case c = csr_case(9, 97, symmetric, 5);
    expect_each_network_as_alone(engine(), c, discrete(Dynamics::DiscreteSync, 60));
    expect_each_network_as_alone(engine(), c, discrete(Dynamics::DiscreteAsync, 30));
  }
}

TEST_P(EnsembleEngines, SmallAndSingleNeuronNetworksEndAsEachAlone) {
  // Fewer neurons than a warp's lanes, and N = 1 (no Fisher–Yates swap at all).
  std::vector<Outcome> sync, async;
  for (const Index n : {Index{1}, Index{5}}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    const Case c = dense_case(7, n, 16, 6);
    auto outcomes = expect_each_network_as_alone(engine(), c, discrete(Dynamics::DiscreteSync, 20));
    sync.insert(sync.end(), outcomes.begin(), outcomes.end());
    outcomes = expect_each_network_as_alone(engine(), c, discrete(Dynamics::DiscreteAsync, 20));
    async.insert(async.end(), outcomes.begin(), outcomes.end());
  }
  EXPECT_GT(count_of(sync, Outcome::FixedPoint), 0);
  EXPECT_GT(count_of(sync, Outcome::LimitCycle), 0);
  EXPECT_GT(count_of(async, Outcome::FixedPoint), 0);
  EXPECT_GT(count_of(async, Outcome::Wandering), 0);
}

TEST_P(EnsembleEngines, EveryHebbianNetworkRecallsItsOwnPattern) {
  // 64 networks of N = 200 neurons, each storing its own P = 10 random patterns (load 0.05, far
  // below capacity), each cued with its own pattern 0 with 10% of the bits flipped.
  constexpr Index kCount = 64, kN = 200, kP = 10;
  core::Ensemble ensemble;
  ensemble.count = kCount;
  ensemble.n = kN;
  ensemble.activation.kind = core::ActivationKind::Sign;
  core::Ensemble::DenseStack stack;
  std::vector<core::PatternSet> patterns;
  core::StateBatch cues(kCount, kN);
  for (Index e = 0; e < kCount; ++e) {
    patterns.push_back(random_patterns(kP, kN, 1000 + static_cast<std::uint64_t>(e)));
    const auto T = hebbian_weights(patterns.back());
    stack.values.insert(stack.values.end(), T.values.begin(), T.values.end());
    const core::StateBatch cue =
        noisy_cues(patterns.back(), 1, 0.1, 2000 + static_cast<std::uint64_t>(e));
    std::copy_n(cue.state(0), kN, cues.state(e));
  }
  ensemble.weights = std::move(stack);

  for (const Dynamics dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
    SCOPED_TRACE(core::to_string(dynamics));
    core::StateBatch states = cues;
    const core::RunResult result = engine().run(ensemble, states, discrete(dynamics, 100));
    EXPECT_TRUE(result.energy_defined);  // Hebbian weights are exactly symmetric
    for (Index e = 0; e < kCount; ++e) {
      EXPECT_EQ(result.states[e].outcome, Outcome::FixedPoint) << "network " << e;
      EXPECT_GE(patterns[e].overlap(0, states.state(e)), 0.95) << "network " << e;
      EXPECT_LT(patterns[e].overlap(0, cues.state(e)), 1.0) << "the cue must be noisy";
    }
  }
}

TEST_P(EnsembleEngines, SynchronousCyclesAreFoundPerNetwork) {
  // Four 4-neuron networks, each stopping on its own:
  //  0: a mutually inhibiting pair (T_01 = T_10 = −1) from (+,+): (−,−), (+,+), … a 2-cycle;
  //  1: the same pair from (+,−): unchanged after one step, a fixed point;
  //  2: a ring, s_i ← s_{i−1} (T_{i,i−1} = 1), from (+,−,−,−): the + walks round, a 4-cycle;
  //  3: self-inhibition T = −I: every neuron flips every step, a 2-cycle.
  // Neurons without couplings see a zero field and keep their state (the tie rule).
  constexpr Index kN = 4;
  std::vector<double> values(4 * kN * kN, 0.0);
  const auto T = [&](Index e, Index i, Index j) -> double& {
    return values[(e * kN + i) * kN + j];
  };
  for (Index e : {0, 1}) T(e, 0, 1) = T(e, 1, 0) = -1.0;
  for (Index i = 0; i < kN; ++i) {
    T(2, i, (i + kN - 1) % kN) = 1.0;
    T(3, i, i) = -1.0;
  }
  core::Ensemble ensemble;
  ensemble.count = 4;
  ensemble.n = kN;
  ensemble.weights = core::Ensemble::DenseStack{values};
  ensemble.activation.kind = core::ActivationKind::Sign;
  const std::vector<double> initial = {1, 1,  1,  1,   // 0
                                       1, -1, 1,  1,   // 1
                                       1, -1, -1, -1,  // 2
                                       1, 1,  -1, 1};  // 3
  core::StateBatch states(4, kN);
  states.values = initial;
  core::RunResult r = engine().run(ensemble, states, discrete(Dynamics::DiscreteSync, 50));
  EXPECT_EQ(r.states[0].outcome, Outcome::LimitCycle);
  EXPECT_EQ(r.states[0].period, 2);
  EXPECT_EQ(r.states[0].steps, 2);
  EXPECT_EQ(r.states[1].outcome, Outcome::FixedPoint);
  EXPECT_EQ(r.states[1].steps, 1);
  EXPECT_EQ(r.states[2].outcome, Outcome::LimitCycle);
  EXPECT_EQ(r.states[2].period, 4);
  EXPECT_EQ(r.states[2].steps, 4);
  EXPECT_EQ(r.states[3].outcome, Outcome::LimitCycle);
  EXPECT_EQ(r.states[3].period, 2);
  // A cycle closes where it started: the states are the initial ones again.
  EXPECT_EQ(states.values, initial);

  // Cycles longer than max_period are not looked for: the ring wanders until the budget ends.
  core::RunOptions short_memory = discrete(Dynamics::DiscreteSync, 50);
  short_memory.max_period = 3;
  states.values = initial;
  r = engine().run(ensemble, states, short_memory);
  EXPECT_EQ(r.states[0].outcome, Outcome::LimitCycle);
  EXPECT_EQ(r.states[2].outcome, Outcome::Wandering);
  EXPECT_EQ(r.states[2].steps, 50);
  EXPECT_EQ(r.states[2].period, 0);
}

TEST_P(EnsembleEngines, ProgressComesFromTheCallingThread) {
  const Case c = dense_case(16, 40, 0, 7);
  core::StateBatch states = random_signs(16, 40, 8);
  core::RunOptions options = discrete(Dynamics::DiscreteAsync, 50);
  const auto caller = std::this_thread::get_id();
  bool other_thread = false;
  options.progress = [&](Index done, Index total) {
    other_thread = other_thread || std::this_thread::get_id() != caller;
    EXPECT_LE(done, total);
  };
  engine().run(c.ensemble, states, options);
  EXPECT_FALSE(other_thread);
}

TEST_P(EnsembleEngines, RejectsBadInputBeforeAnyWork) {
  const Case c = dense_case(3, 8, 64, 9);
  const core::StateBatch good = random_signs(3, 8, 10);
  const auto expect_input_error = [&](const core::Ensemble& ensemble, core::StateBatch states,
                                      const core::RunOptions& options, const char* what) {
    SCOPED_TRACE(what);
    const core::StateBatch before = states;
    EXPECT_THROW(engine().run(ensemble, states, options), core::InputError);
    EXPECT_EQ(states.values, before.values);  // untouched
  };
  const core::RunOptions sync = discrete(Dynamics::DiscreteSync, 10);

  core::Ensemble short_weights = c.ensemble;
  std::get<core::Ensemble::DenseStack>(short_weights.weights).values.pop_back();
  expect_input_error(short_weights, good, sync, "dense weights one value short");

  core::Ensemble nan_weights = c.ensemble;
  std::get<core::Ensemble::DenseStack>(nan_weights.weights).values[5] = std::nan("");
  expect_input_error(nan_weights, good, sync, "NaN weight");

  core::Ensemble bad_bias = c.ensemble;
  bad_bias.bias.resize(5);
  expect_input_error(bad_bias, good, sync, "bias of the wrong length");

  core::StateBatch states = good;
  EXPECT_NO_THROW(engine().run(c.ensemble, states, sync));  // the control: the valid one runs
}

TEST_P(EnsembleEngines, RejectsBadSharedPatternsStatesAndOptions) {
  const core::StateBatch good = random_signs(3, 8, 10);
  const core::RunOptions sync = discrete(Dynamics::DiscreteSync, 10);
  const core::Ensemble csr = csr_case(3, 8, false, 11).ensemble;
  {
    core::StateBatch states = good;
    EXPECT_NO_THROW(engine().run(csr, states, sync));  // the control: the valid ensemble runs
  }
  const auto expect_input_error = [&](const core::Ensemble& ensemble, core::StateBatch states,
                                      const core::RunOptions& options, const char* what) {
    SCOPED_TRACE(what);
    EXPECT_THROW(engine().run(ensemble, states, options), core::InputError);
  };

  core::Ensemble unsorted = csr;
  auto& pattern = std::get<core::Ensemble::SharedCsr>(unsorted.weights).pattern;
  Index row = 0;  // the first row with two entries to swap
  while (row < 8 && pattern.row_ptr[row + 1] - pattern.row_ptr[row] < 2) ++row;
  ASSERT_LT(row, 8);
  std::swap(pattern.col_idx[pattern.row_ptr[row]], pattern.col_idx[pattern.row_ptr[row] + 1]);
  expect_input_error(unsorted, good, sync, "unsorted pattern columns");

  core::Ensemble out_of_range = csr;
  std::get<core::Ensemble::SharedCsr>(out_of_range.weights).pattern.col_idx[0] = 8;
  expect_input_error(out_of_range, good, sync, "pattern column out of range");

  core::Ensemble wrong_values = csr;
  std::get<core::Ensemble::SharedCsr>(wrong_values.weights).values.push_back(0.0);
  expect_input_error(wrong_values, good, sync, "values not count x nnz");

  core::Ensemble wrong_pattern_size = csr;
  std::get<core::Ensemble::SharedCsr>(wrong_pattern_size.weights).pattern.cols = 9;
  expect_input_error(wrong_pattern_size, good, sync, "pattern not N x N");

  expect_input_error(csr, random_signs(2, 8, 1), sync, "one state short");
  expect_input_error(csr, random_signs(3, 7, 1), sync, "states of the wrong N");
  core::StateBatch not_signs = good;
  not_signs.values[3] = 0.5;
  expect_input_error(csr, not_signs, sync, "states not +-1");

  core::RunOptions continuous = sync;
  continuous.dynamics = Dynamics::Continuous;
  expect_input_error(csr, good, continuous, "continuous dynamics");
  const core::PatternSet patterns = random_patterns(2, 8, 1);
  core::RunOptions with_patterns = sync;
  with_patterns.patterns = &patterns;
  expect_input_error(csr, good, with_patterns, "patterns given");
  core::RunOptions recording = sync;
  recording.record_every = 1;
  expect_input_error(csr, good, recording, "record_every");
  core::RunOptions bad_period = sync;
  bad_period.max_period = 0;
  expect_input_error(csr, good, bad_period, "max_period 0");
}

TEST(EnsembleModel, NetworkIsTheSliceOfItsNetwork) {
  for (const Case& c : {dense_case(3, 6, 64, 12), csr_case(3, 6, true, 13)}) {
    for (Index e = 0; e < c.ensemble.count; ++e) {
      const core::Network net = c.ensemble.network(e);
      const core::Network& want = c.networks[e];
      EXPECT_EQ(net.size(), want.size());
      EXPECT_EQ(net.bias, want.bias);
      EXPECT_EQ(net.threshold, want.threshold);
      EXPECT_EQ(net.activation.kind, want.activation.kind);
      if (const auto* dense = std::get_if<core::DenseMatrix<double>>(&want.weights)) {
        EXPECT_EQ(std::get<core::DenseMatrix<double>>(net.weights).values, dense->values);
      } else {
        const auto& w = std::get<core::CsrMatrix<double>>(want.weights);
        const auto& got = std::get<core::CsrMatrix<double>>(net.weights);
        EXPECT_EQ(got.row_ptr, w.row_ptr);
        EXPECT_EQ(got.col_idx, w.col_idx);
        EXPECT_EQ(got.values, w.values);
      }
      EXPECT_NO_THROW(net.validate("slice"));
    }
    EXPECT_THROW(static_cast<void>(c.ensemble.network(c.ensemble.count)), std::out_of_range);
  }
}

TEST(EnsembleModel, EmptyEnsembleRunsToNothing) {
  core::Ensemble empty;
  empty.weights = core::Ensemble::DenseStack{};
  core::StateBatch none(0, 0);
  const core::RunResult r =
      make_ensemble_engine(Backend::Cpu)->run(empty, none, discrete(Dynamics::DiscreteSync, 10));
  EXPECT_TRUE(r.states.empty());
  EXPECT_EQ(r.neuron_updates, 0);
}

ATTRACTOR_ON_EACH_BACKEND(EnsembleEngines);

}  // namespace
}  // namespace attractor
