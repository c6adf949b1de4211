// Discrete dynamics s_i ← sign(Σ_j T_ij s_j + b_i), b = h − a, a zero field keeping s_i: energy
// descent under asynchronous updates, fixed points and 2-cycles under synchronous ones, the tie
// rule, storage independence, the seeded update order, Hebbian recall, outcomes and bad input.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include "attractor/core/philox.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "engine_backends.hpp"
#include "test_networks.hpp"

namespace attractor {
namespace {

using core::DenseMatrix;
using core::Dynamics;
using core::Outcome;
using core::RngPurpose;
using Index = std::int64_t;
using test::sign_network;
using test::to_csr;
constexpr double kEps = std::numeric_limits<double>::epsilon();

std::vector<double> effective_bias(const core::Network& net) {
  std::vector<double> b(static_cast<std::size_t>(net.size()));
  for (Index i = 0; i < net.size(); ++i) b[i] = net.effective_bias(i);
  return b;
}

core::RunOptions discrete(Dynamics dynamics, Index max_steps = 1000) {
  core::RunOptions o;
  o.dynamics = dynamics;
  o.max_steps = max_steps;
  return o;
}

// The test's own arithmetic, independent of the engine's, accumulated in long double.
struct Reference {
  const DenseMatrix<double>& T;
  std::vector<double> b;

  Index n() const { return T.rows; }
  // f_i = Σ_j T_ij s_j + b_i.
  double field(Index i, const double* s) const {
    long double f = b[i];
    for (Index j = 0; j < n(); ++j) f += static_cast<long double>(T(i, j)) * s[j];
    return static_cast<double>(f);
  }
  // E(s) = −½ sᵀ T s − bᵀ s.
  double energy(const double* s) const {
    long double e = 0;
    for (Index i = 0; i < n(); ++i) {
      long double ts = 0;
      for (Index j = 0; j < n(); ++j) ts += static_cast<long double>(T(i, j)) * s[j];
      e += -0.5L * s[i] * ts - static_cast<long double>(b[i]) * s[i];
    }
    return static_cast<double>(e);
  }
  // Two evaluations of f_i in any order (FMA or not) differ by at most 2 γ_{N+1} Σ_j |terms|,
  // γ_m = m u/(1 − m u), u = ε/2 (Higham, "Accuracy and Stability of Numerical Algorithms",
  // §3.1): below this margin the test cannot tell the sign the engine saw.
  double field_rounding(Index i) const {
    double sum = std::fabs(b[i]);
    for (Index j = 0; j < n(); ++j) sum += std::fabs(T(i, j));
    return static_cast<double>(n() + 2) * kEps * sum;
  }
  // The engine sums E as Σ_i s_i(−½ (T s)_i − b_i): two nested sums, so any order is within
  // γ_{2N+2} (½ Σ_ij |T_ij| + Σ_i |b_i|) of the exact value; the difference of two such
  // evaluations (or one against this long double reference) is within twice that, (2N + 2) ε S.
  double energy_rounding() const {
    double sum = 0;
    for (Index i = 0; i < n(); ++i) {
      sum += std::fabs(b[i]);
      for (Index j = 0; j < n(); ++j) sum += 0.5 * std::fabs(T(i, j));
    }
    return static_cast<double>(2 * n() + 2) * kEps * sum;
  }
  // Whether `next` is what one synchronous step makes of `s`: next_i = sign f_i(s), or s_i when
  // f_i(s) = 0. A neuron whose field lies within rounding of zero may have gone either way.
  bool is_sync_successor(const double* s, const double* next) const {
    for (Index i = 0; i < n(); ++i) {
      const double f = field(i, s);
      if (std::fabs(f) <= field_rounding(i)) continue;
      if (next[i] != (f > 0 ? 1.0 : -1.0)) return false;
    }
    return true;
  }
  bool is_fixed_point(const double* s) const { return is_sync_successor(s, s); }
};

// Approximately standard normal: four uniforms summed (Irwin–Hall), centred, scaled to unit
// variance. No test depends on the exact coupling distribution, only on it being continuous.
double gaussianish(const core::CounterRng& rng, std::uint32_t stream, std::uint64_t index) {
  double sum = 0;
  for (std::uint64_t k = 0; k < 4; ++k) {
    sum += rng.uniform(RngPurpose::Weights, stream, 4 * index + k);
  }
  return (sum - 2.0) * std::sqrt(3.0);
}

// An SK-like network: T_ij = (J0 + g_ij √N) / N with g_ij ≈ N(0, 1) and zero diagonal, so the
// field is J0 m + O(1) noise (m = mean of s). Symmetric (g_ij = g_ji) or with independent g_ij
// and g_ji. The bias h_i and threshold a are drawn in [−½, ½] and [−¼, ¼].
struct RandomNetwork {
  DenseMatrix<double> T;
  std::vector<double> h;
  double a = 0;

  static RandomNetwork draw(const core::CounterRng& rng, std::uint32_t stream, Index n, double J0,
                            bool symmetric) {
    RandomNetwork net{DenseMatrix<double>(n, n), std::vector<double>(static_cast<std::size_t>(n)),
                      0.0};
    const double scale = 1.0 / std::sqrt(static_cast<double>(n));
    const double mean = J0 / static_cast<double>(n);
    const auto after_couplings = 4 * static_cast<std::uint64_t>(n * n);  // gaussianish takes 4
    for (Index i = 0; i < n; ++i) {
      for (Index j = 0; j < n; ++j) {
        if (i == j || (symmetric && j > i)) continue;
        net.T(i, j) =
            mean + scale * gaussianish(rng, stream, static_cast<std::uint64_t>(i * n + j));
        if (symmetric) net.T(j, i) = net.T(i, j);
      }
      net.h[i] = rng.uniform(RngPurpose::Weights, stream, after_couplings + i) - 0.5;
    }
    net.a = 0.5 * rng.uniform(RngPurpose::Weights, stream, after_couplings + n) - 0.25;
    return net;
  }
  core::Network network() const { return sign_network(T, h, a); }
};

core::StateBatch random_states(const core::CounterRng& rng, std::uint32_t stream, Index batch,
                               Index n) {
  core::StateBatch states(batch, n);
  for (std::size_t k = 0; k < states.values.size(); ++k) {
    states.values[k] = rng.sign(RngPurpose::InitialState, stream, k);
  }
  return states;
}

// Row r of a recording of B states of N neurons: the state b at recorded step r.
const double* recorded_state(const core::RunResult& result, std::size_t r, Index b, Index batch,
                             Index n) {
  return result.recording.states.data() + (r * static_cast<std::size_t>(batch) + b) * n;
}

// =============================================================================================
class AsyncDynamics : public test::OnEachBackend {};

// A flip of neuron i changes E by ΔE = −Δs_i (f_i − T_ii s_i) (T symmetric, s_i² = 1 before and
// after), and a flip happens only with sign(Δs_i) = sign(f_i) ≠ 0, so ΔE = −2|f_i| − 2 T_ii < 0
// whenever T_ii ≥ 0 (Hopfield 1982). E takes finitely many values, hence every run ends at a
// state that no single update changes: a fixed point.
TEST_P(AsyncDynamics, EnergyNeverIncreasesForSymmetricWeights) {
  const core::CounterRng rng{101};
  int states_that_moved = 0;
  for (std::uint32_t k = 0; k < 50; ++k) {
    const Index n = 20 + rng.below(RngPurpose::Weights, k, 1ull << 40, 181);  // 20 ... 200
    const auto random = RandomNetwork::draw(rng, k, n, 0.0, true);
    const auto net = random.network();
    const Reference ref{random.T, effective_bias(net)};
    const Index batch = 4;
    core::StateBatch states = random_states(rng, k, batch, n);
    auto options = discrete(Dynamics::DiscreteAsync, 10'000);
    options.seed = k;
    options.record_every = 1;
    options.record_states = true;
    const auto result = engine().run(net, states, options);
    ASSERT_TRUE(result.energy_defined);
    const auto& e = result.recording.energy;
    const std::size_t rows = result.recording.steps.size();
    ASSERT_EQ(e.size(), rows * batch);
    const double allowance = ref.energy_rounding();
    for (Index b = 0; b < batch; ++b) {
      const auto& r = result.states[b];
      ASSERT_EQ(r.outcome, Outcome::FixedPoint) << "network " << k << " state " << b;
      EXPECT_TRUE(ref.is_fixed_point(states.state(b))) << "network " << k << " state " << b;
      EXPECT_NEAR(r.energy, ref.energy(states.state(b)), allowance);
      for (std::size_t row = 0; row < rows; ++row) {
        // The recorded energy is the energy of the recorded state, ...
        EXPECT_NEAR(e[row * batch + b], ref.energy(recorded_state(result, row, b, batch, n)),
                    allowance)
            << "network " << k << " state " << b << " sweep " << row;
        // ... and it never rises from one sweep to the next.
        if (row > 0) {
          ASSERT_LE(e[row * batch + b], e[(row - 1) * batch + b] + allowance)
              << "network " << k << " state " << b << " sweep " << row;
        }
      }
      states_that_moved += r.steps > 1;
    }
  }
  // A random start is a fixed point with negligible probability: the states had flips to make,
  // so the monotonicity above was exercised, not passed vacuously.
  EXPECT_EQ(states_that_moved, 50 * 4);
}

// Without symmetry ΔE = −Δs_i (½ Σ_j (T_ij + T_ji) s_j + b_i) need not share the sign of the
// field that decided the flip, so the same check fails: on random asymmetric networks, where about
// half of all flips raise E, the energy function rises on some sweep in most networks (each runs
// 4 states for up to 50 sweeps). This is why the engine reports no energy for them.
TEST_P(AsyncDynamics, EnergyCanRiseWhenWeightsAreAsymmetric) {
  const core::CounterRng rng{202};
  int networks_with_a_rise = 0;
  for (std::uint32_t k = 0; k < 20; ++k) {
    const Index n = 50;
    const auto random = RandomNetwork::draw(rng, k, n, 0.0, false);
    const auto net = random.network();
    const Reference ref{random.T, effective_bias(net)};
    const Index batch = 4;
    core::StateBatch states = random_states(rng, k, batch, n);
    auto options = discrete(Dynamics::DiscreteAsync, 50);
    options.seed = k;
    options.record_every = 1;
    options.record_states = true;
    const auto result = engine().run(net, states, options);
    EXPECT_FALSE(result.energy_defined);
    EXPECT_TRUE(result.recording.energy.empty());
    EXPECT_TRUE(std::isnan(result.states[0].energy));
    const double allowance = ref.energy_rounding();
    bool rose = false;
    for (Index b = 0; b < batch; ++b) {
      for (std::size_t row = 1; row < result.recording.steps.size(); ++row) {
        const double before = ref.energy(recorded_state(result, row - 1, b, batch, n));
        const double after = ref.energy(recorded_state(result, row, b, batch, n));
        rose |= after > before + allowance;
      }
    }
    networks_with_a_rise += rose;
  }
  EXPECT_GE(networks_with_a_rise, 10);
}

// The documented order: a Fisher–Yates shuffle of the identity per sweep, position p (from N−1
// down to 1) swapped with j = CounterRng(seed).below(AsyncOrder, state, sweep·N + p, p + 1). With
// integer weights every field is exact, so the engine must match this trajectory bit for bit;
// this is the contract that makes a GPU backend reproduce the CPU.
TEST_P(AsyncDynamics, UpdatesNeuronsInTheDocumentedSeededOrder) {
  const Index n = 40, batch = 3;
  const core::CounterRng weights_rng{303};
  DenseMatrix<double> T(n, n);
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < i; ++j) {
      T(i, j) = T(j, i) =
          weights_rng.sign(RngPurpose::Weights, 0, static_cast<std::uint64_t>(i * n + j));
    }
  }
  const auto net = sign_network(T);
  core::StateBatch states = random_states(weights_rng, 0, batch, n);
  core::StateBatch expected = states;
  auto options = discrete(Dynamics::DiscreteAsync, 3);  // a few sweeps, converged or not
  // Both 32-bit halves of the seed are in use, as both words of the Philox key.
  options.seed = 0x5eed'0000'1234ull;
  options.record_every = 1;
  options.record_states = true;
  const auto result = engine().run(net, states, options);

  const Reference ref{T, effective_bias(net)};
  const core::CounterRng order_rng{options.seed};
  for (Index b = 0; b < batch; ++b) {
    double* s = expected.state(b);
    for (Index sweep = 1; sweep <= result.states[b].steps; ++sweep) {
      std::vector<Index> order(static_cast<std::size_t>(n));
      for (Index p = 0; p < n; ++p) order[p] = p;
      for (Index p = n - 1; p > 0; --p) {
        const auto j = order_rng.below(RngPurpose::AsyncOrder, static_cast<std::uint32_t>(b),
                                       static_cast<std::uint64_t>(sweep * n + p),
                                       static_cast<std::uint32_t>(p + 1));
        std::swap(order[p], order[j]);
      }
      for (Index i : order) {
        const double f = ref.field(i, s);
        s[i] = f > 0 ? 1.0 : (f < 0 ? -1.0 : s[i]);
      }
      const double* engine_state =
          recorded_state(result, static_cast<std::size_t>(sweep), b, batch, n);
      ASSERT_TRUE(std::equal(s, s + n, engine_state)) << "state " << b << " sweep " << sweep;
    }
  }
  EXPECT_EQ(states.values, expected.values);
}

TEST_P(AsyncDynamics, SameSeedGivesTheSameRunAndOtherSeedsOtherFixedPoints) {
  // A ±1 spin glass (symmetric random signs): frustrated, with many fixed points, so which one a
  // start reaches depends on the order in which neurons are visited.
  const Index n = 64;
  const core::CounterRng rng{404};
  DenseMatrix<double> T(n, n);
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < i; ++j) {
      T(i, j) = T(j, i) = rng.sign(RngPurpose::Weights, 0, static_cast<std::uint64_t>(i * n + j));
    }
  }
  const auto net = sign_network(T);
  const core::StateBatch start = random_states(rng, 0, 1, n);
  std::set<std::vector<double>> endings;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    auto options = discrete(Dynamics::DiscreteAsync);
    options.seed = seed;
    core::StateBatch first = start, second = start;
    const auto a = engine().run(net, first, options);
    const auto b = engine().run(net, second, options);
    ASSERT_EQ(a.states[0].outcome, Outcome::FixedPoint);
    EXPECT_EQ(first.values, second.values) << "seed " << seed;
    EXPECT_EQ(a.states[0].steps, b.states[0].steps) << "seed " << seed;
    endings.insert(first.values);
  }
  // With 8 orders on a glass of 64 spins, distinct endings are the rule (the engine's order is
  // a pure function of the seed, so this outcome is fixed, not a matter of luck).
  EXPECT_GE(endings.size(), 2u);
}

TEST_P(AsyncDynamics, StatesInABatchEvolveIndependently) {
  // A state's trajectory depends on its own start, the seed and its index in the batch, never on
  // the other states.
  const Index n = 64;
  const core::CounterRng rng{505};
  const auto random = RandomNetwork::draw(rng, 0, n, 0.0, true);
  const auto net = random.network();
  core::StateBatch batch = random_states(rng, 0, 3, n);
  core::StateBatch changed = batch;
  for (Index i = 0; i < n; ++i) changed.state(1)[i] = -changed.state(1)[i];
  auto options = discrete(Dynamics::DiscreteAsync);
  options.seed = 9;
  const auto a = engine().run(net, batch, options);
  const auto b = engine().run(net, changed, options);
  for (Index s : {0, 2}) {
    EXPECT_TRUE(std::equal(batch.state(s), batch.state(s) + n, changed.state(s))) << "state " << s;
    EXPECT_EQ(a.states[s].steps, b.states[s].steps) << "state " << s;
  }
}

TEST_P(AsyncDynamics, NeverReportsLimitCyclesEvenWhenItOscillates) {
  // T = [[0, 1], [−1, 0]]: s_0 ← s_1, s_1 ← −s_0. Whichever neuron a sweep visits first, the
  // second then flips, so no sweep is flip-free; the order changes every sweep, so the engine
  // does not classify the recurrence as a cycle: the state wanders through its whole budget.
  DenseMatrix<double> T(2, 2);
  T(0, 1) = 1.0;
  T(1, 0) = -1.0;
  core::StateBatch states(4, 2);
  states.values = {1, 1, 1, -1, -1, 1, -1, -1};
  auto options = discrete(Dynamics::DiscreteAsync, 64);
  options.max_period = 32;
  const auto result = engine().run(sign_network(T), states, options);
  for (const auto& r : result.states) {
    EXPECT_EQ(r.outcome, Outcome::Wandering);
    EXPECT_EQ(r.steps, 64);
    EXPECT_EQ(r.period, 0);
  }
}

ATTRACTOR_ON_EACH_BACKEND(AsyncDynamics);

// =============================================================================================
class SyncDynamics : public test::OnEachBackend {};

// Goles-Chacc, Fogelman-Soulié & Pellegrin (1985): with T symmetric, synchronous threshold
// dynamics end in fixed points or 2-cycles. With f(t) = T s(t) + b the function
//   L(t) = −s(t)ᵀ T s(t−1) − bᵀ (s(t) + s(t−1))
// changes by L(t+1) − L(t) = −(s(t+1) − s(t−1))ᵀ f(t) ≤ 0 (symmetry makes s(t−1)ᵀ T s(t) =
// s(t)ᵀ T s(t−1)), because each s_i(t+1) takes the sign of f_i(t); it is strictly negative unless
// s(t+1) = s(t−1) (ties keep s_i(t+1) = s_i(t), which a generic continuous T never produces). L
// takes finitely many values, so every orbit reaches s(t+1) = s(t−1): period 1 or 2.
TEST_P(SyncDynamics, EndsInFixedPointOrTwoCycleForSymmetricWeights) {
  const core::CounterRng rng{606};
  int fixed_points = 0, two_cycles = 0;
  for (std::uint32_t k = 0; k < 50; ++k) {
    const Index n = 20 + rng.below(RngPurpose::Weights, k, 1ull << 40, 181);  // 20 ... 200
    // Mean coupling J0/N with J0 in [−4, 4]: antiferromagnetic networks flip their magnetisation
    // every step (2-cycles), ferromagnetic ones settle: the sample holds both outcomes.
    const double J0 = 8.0 * rng.uniform(RngPurpose::Weights, k, 1ull << 41) - 4.0;
    const auto random = RandomNetwork::draw(rng, k, n, J0, true);
    const auto net = random.network();
    const Reference ref{random.T, effective_bias(net)};
    const Index batch = 4;
    core::StateBatch states = random_states(rng, k, batch, n);
    auto options = discrete(Dynamics::DiscreteSync, 10'000);
    options.max_period = 32;  // a longer cycle than 2 would be seen, not reported as wandering
    options.record_every = 1;
    options.record_states = true;
    const auto result = engine().run(net, states, options);
    for (Index b = 0; b < batch; ++b) {
      const auto& r = result.states[b];
      const double* final_state = states.state(b);
      if (r.outcome == Outcome::FixedPoint) {
        ++fixed_points;
        EXPECT_TRUE(ref.is_fixed_point(final_state)) << "network " << k << " state " << b;
        continue;
      }
      ASSERT_EQ(r.outcome, Outcome::LimitCycle) << "network " << k << " state " << b;
      ASSERT_EQ(r.period, 2) << "network " << k << " state " << b;
      ++two_cycles;
      // Check the cycle: s(t) = s(t−2) ≠ s(t−1), each the synchronous successor of the other.
      const auto t = static_cast<std::size_t>(r.steps);
      ASSERT_GE(t, 2u);
      const double* previous = recorded_state(result, t - 1, b, batch, n);
      EXPECT_TRUE(std::equal(final_state, final_state + n, recorded_state(result, t, b, batch, n)));
      EXPECT_TRUE(
          std::equal(final_state, final_state + n, recorded_state(result, t - 2, b, batch, n)));
      EXPECT_FALSE(std::equal(final_state, final_state + n, previous));
      EXPECT_TRUE(ref.is_sync_successor(final_state, previous)) << "network " << k;
      EXPECT_TRUE(ref.is_sync_successor(previous, final_state)) << "network " << k;
    }
  }
  EXPECT_GT(fixed_points, 0);
  EXPECT_GT(two_cycles, 0);
}

TEST_P(SyncDynamics, MutuallyInhibitingPairAlternates) {
  // T = [[0, −1], [−1, 0]]: from (1, 1) both fields are −1, from (−1, −1) both are +1.
  DenseMatrix<double> T(2, 2);
  T(0, 1) = T(1, 0) = -1.0;
  core::StateBatch states(2, 2);
  states.values = {1, 1, 1, -1};
  const auto result = engine().run(sign_network(T), states, discrete(Dynamics::DiscreteSync));
  EXPECT_EQ(result.states[0].outcome, Outcome::LimitCycle);
  EXPECT_EQ(result.states[0].period, 2);
  EXPECT_EQ(result.states[0].steps, 2);  // s(2) = s(0) is seen at step 2
  EXPECT_EQ(states.values[0], 1.0);
  EXPECT_EQ(states.values[1], 1.0);
  // (1, −1) satisfies both neurons: a fixed point, confirmed by one unchanged step.
  EXPECT_EQ(result.states[1].outcome, Outcome::FixedPoint);
  EXPECT_EQ(result.states[1].steps, 1);
}

// T_{i,i−1} = 1 (indices mod N): s_i ← s_{i−1}, a rotation, so a lone +1 returns after N steps.
DenseMatrix<double> cyclic_shift(Index n) {
  DenseMatrix<double> T(n, n);
  for (Index i = 0; i < n; ++i) T(i, (i + n - 1) % n) = 1.0;
  return T;
}

TEST_P(SyncDynamics, CyclicShiftHasPeriodNWithDenseAndCsrWeights) {
  const Index n = 5;
  const auto T = cyclic_shift(n);
  for (const core::Weights& weights : {core::Weights(T), core::Weights(to_csr(T))}) {
    core::StateBatch states(2, n, -1.0);
    states.values[0] = 1.0;  // state 0: one +1 among −1s; state 1: all −1, a fixed point
    const auto result =
        engine().run(sign_network(weights), states, discrete(Dynamics::DiscreteSync));
    EXPECT_FALSE(result.energy_defined);
    EXPECT_EQ(result.states[0].outcome, Outcome::LimitCycle);
    EXPECT_EQ(result.states[0].period, n);
    EXPECT_EQ(result.states[0].steps, n);
    EXPECT_EQ(states.values[0], 1.0);  // back at the start
    EXPECT_EQ(result.states[1].outcome, Outcome::FixedPoint);
    EXPECT_EQ(result.states[1].steps, 1);
  }
}

ATTRACTOR_ON_EACH_BACKEND(SyncDynamics);

// =============================================================================================
class DiscreteDynamics : public test::OnEachBackend {};

TEST_P(DiscreteDynamics, ZeroFieldKeepsTheState) {
  // f_0 = s_1 − s_2 + b_0, with b_0 = h_0 − a = ½ − ½ = 0 exactly. Neurons 1 and 2 have bias +1
  // and no input, so they stay +1 and f_0 = 0 whatever the update order: s_0 keeps its start
  // value. Neuron 3 (bias −1) shows the run does update neurons with a nonzero field.
  DenseMatrix<double> T(4, 4);
  T(0, 1) = 1.0;
  T(0, 2) = -1.0;
  const auto net = sign_network(T, {0.5, 1.5, 1.5, -0.5}, 0.5);
  for (auto dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
    core::StateBatch states(2, 4);
    states.values = {1, 1, 1, 1, -1, 1, 1, 1};
    const auto result = engine().run(net, states, discrete(dynamics));
    const std::vector<double> expected = {1, 1, 1, -1, -1, 1, 1, -1};
    EXPECT_EQ(states.values, expected) << core::to_string(dynamics);
    for (const auto& r : result.states) {
      EXPECT_EQ(r.outcome, Outcome::FixedPoint);
      EXPECT_EQ(r.steps, 2);  // one step flips neuron 3, the next confirms
    }
  }
  // With no weights and no bias every field is zero: every state is a fixed point as it stands.
  const Index n = 16;
  const core::CounterRng rng{707};
  for (auto dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
    core::StateBatch states = random_states(rng, 0, 4, n);
    const auto start = states.values;
    const auto result =
        engine().run(sign_network(DenseMatrix<double>(n, n)), states, discrete(dynamics));
    EXPECT_EQ(states.values, start) << core::to_string(dynamics);
    for (const auto& r : result.states) {
      EXPECT_EQ(r.outcome, Outcome::FixedPoint);
      EXPECT_EQ(r.steps, 1);
    }
  }
}

TEST_P(DiscreteDynamics, DenseAndCsrWeightsGiveIdenticalTrajectories) {
  // Integer weights and biases: every field is an exact integer whatever the summation order, so
  // the two storage formats must agree bit for bit, ties (zero fields) included.
  const Index n = 60, batch = 8;
  const core::CounterRng rng{808};
  for (bool symmetric : {true, false}) {
    DenseMatrix<double> T(n, n);
    std::vector<double> h(static_cast<std::size_t>(n));
    // About 20% of the entries nonzero, values ±1, ±2, ±3; integer biases in [−2, 2].
    for (Index i = 0; i < n; ++i) {
      for (Index j = 0; j < n; ++j) {
        if (i == j || (symmetric && j > i)) continue;
        const auto r =
            rng.draw(RngPurpose::Weights, symmetric, static_cast<std::uint64_t>(i * n + j));
        if (r.v[0] % 5 == 0) {
          T(i, j) = static_cast<double>(1 + r.v[1] % 3) * ((r.v[2] & 1u) ? 1.0 : -1.0);
        }
        if (symmetric) T(j, i) = T(i, j);
      }
      h[i] = static_cast<double>(rng.below(RngPurpose::Weights, 2 + symmetric, i, 5)) - 2.0;
    }
    const auto dense = sign_network(T, h, 1.0);
    const auto sparse = sign_network(to_csr(T), h, 1.0);
    ASSERT_EQ(dense.is_symmetric(), symmetric);
    for (auto dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
      core::StateBatch a = random_states(rng, symmetric, batch, n), b = a;
      auto options = discrete(dynamics, 200);
      options.seed = 17;
      options.record_every = 1;
      options.record_states = true;
      const auto ra = engine().run(dense, a, options);
      const auto rb = engine().run(sparse, b, options);
      EXPECT_EQ(a.values, b.values);
      EXPECT_EQ(ra.recording.states, rb.recording.states);
      EXPECT_EQ(ra.recording.energy, rb.recording.energy);  // integers and halves: exact
      // The tie rule was exercised: some neuron met an exactly zero field along the way.
      const Reference ref{T, effective_bias(dense)};
      Index ties = 0;
      for (std::size_t row = 0; row + 1 < ra.recording.steps.size(); ++row) {
        for (Index s = 0; s < batch; ++s) {
          const double* state = recorded_state(ra, row, s, batch, n);
          for (Index i = 0; i < n; ++i) ties += ref.field(i, state) == 0.0;
        }
      }
      EXPECT_GT(ties, 0);
      for (Index s = 0; s < batch; ++s) {
        EXPECT_EQ(ra.states[s].outcome, rb.states[s].outcome);
        EXPECT_EQ(ra.states[s].steps, rb.states[s].steps);
        EXPECT_EQ(ra.states[s].period, rb.states[s].period);
      }
    }
  }
}

ATTRACTOR_ON_EACH_BACKEND(DiscreteDynamics);

// =============================================================================================
// Hebbian recall at low load. The field on neuron i of a cue with overlap m with pattern μ is
//   ξ^μ_i f_i ≈ m + Σ_{ν≠μ} ξ^μ_i ξ^ν_i m^ν,
// where for random patterns each m^ν ~ N(0, 1/N), so the crosstalk is ≈ N(0, σ²), σ = √(P/N).
// At N = 1000, P = 20: σ = 0.141. A cue with 10% of its bits flipped has m = 0.8 (± 0.02 binomial
// spread), so one update leaves a bit wrong with probability Φ(−0.8/0.141) ≈ 8e-9, 3e-4 over all
// 40 000 bits of the 40 cues; the pattern itself (m = 1) is unstable in a bit with probability
// Φ(−1/0.141) ≈ 8e-13. So every cue is corrected by its first step (sweep) and the second confirms
// it: FixedPoint on the exact pattern after 2 steps.
class HebbianRecall : public test::OnEachBackend {
 protected:
  static constexpr Index kN = 1000, kP = 20, kCues = 40;
  core::PatternSet patterns = random_patterns(kP, kN, 11);
  core::Network net = sign_network(hebbian_weights(patterns));
  core::StateBatch cues = noisy_cues(patterns, kCues, 0.1, 12);

  bool is_pattern(const core::StateBatch& states, Index b, Index mu) const {
    const double* s = states.state(b);
    for (Index i = 0; i < kN; ++i) {
      if (s[i] != patterns.pattern(mu)[i]) return false;
    }
    return true;
  }
};

TEST_P(HebbianRecall, EveryNoisyCueConvergesToItsPatternAtLowLoad) {
  for (auto dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
    core::StateBatch states = cues;
    auto options = discrete(dynamics, 100);
    options.patterns = &patterns;
    options.seed = 3;
    const auto result = engine().run(net, states, options);
    ASSERT_EQ(result.overlaps.size(), static_cast<std::size_t>(kCues * kP));
    for (Index b = 0; b < kCues; ++b) {
      const Index mu = b % kP;
      const auto& r = result.states[b];
      EXPECT_EQ(r.outcome, Outcome::FixedPoint) << core::to_string(dynamics) << " cue " << b;
      EXPECT_EQ(r.steps, 2) << core::to_string(dynamics) << " cue " << b;
      EXPECT_TRUE(is_pattern(states, b, mu)) << core::to_string(dynamics) << " cue " << b;
      EXPECT_EQ(r.matched_pattern, mu);
      EXPECT_EQ(r.best_overlap, 1.0);
      EXPECT_EQ(result.overlaps[b * kP + mu], 1.0);
    }
  }
}

TEST_P(HebbianRecall, TooSmallABudgetEndsWandering) {
  // "Steps" counts the step that confirmed convergence. A stored pattern needs one (nothing
  // changes); a cue two (see above), so with a budget of one step it has been corrected but not
  // yet confirmed and is still wandering; with no budget nothing moves at all.
  core::StateBatch states(2, kN);
  std::copy(patterns.pattern(0), patterns.pattern(0) + kN, states.state(0));
  std::copy(cues.state(1), cues.state(1) + kN, states.state(1));  // a noisy version of pattern 1
  for (auto dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
    core::StateBatch zero_budget = states;
    const auto r0 = engine().run(net, zero_budget, discrete(dynamics, 0));
    EXPECT_EQ(zero_budget.values, states.values);
    for (const auto& r : r0.states) {
      EXPECT_EQ(r.outcome, Outcome::Wandering);
      EXPECT_EQ(r.steps, 0);
    }
    EXPECT_EQ(r0.neuron_updates, 0);

    core::StateBatch one_step = states;
    auto options = discrete(dynamics, 1);
    options.patterns = &patterns;
    const auto r1 = engine().run(net, one_step, options);
    EXPECT_EQ(r1.states[0].outcome, Outcome::FixedPoint);
    EXPECT_EQ(r1.states[0].steps, 1);
    EXPECT_EQ(r1.states[0].matched_pattern, 0);
    EXPECT_EQ(r1.states[1].outcome, Outcome::Wandering);
    EXPECT_EQ(r1.states[1].steps, 1);
    EXPECT_TRUE(is_pattern(one_step, 1, 1));
    // On the pattern but not confirmed as a fixed point: not a match.
    EXPECT_EQ(r1.states[1].best_overlap, 1.0);
    EXPECT_EQ(r1.states[1].matched_pattern, -1);
    EXPECT_EQ(r1.neuron_updates, 2 * kN);

    core::StateBatch enough = states;
    const auto r2 = engine().run(net, enough, discrete(dynamics, 2));
    EXPECT_EQ(r2.states[1].outcome, Outcome::FixedPoint);
    EXPECT_EQ(r2.states[1].steps, 2);
    EXPECT_EQ(r2.neuron_updates, 3 * kN);
  }
  // A cycle longer than max_period is never closed: wandering, having used the whole budget.
  core::StateBatch rotating(1, 5, -1.0);
  rotating.values[2] = 1.0;
  auto options = discrete(Dynamics::DiscreteSync, 40);
  options.max_period = 4;
  const auto r = engine().run(sign_network(cyclic_shift(5)), rotating, options);
  EXPECT_EQ(r.states[0].outcome, Outcome::Wandering);
  EXPECT_EQ(r.states[0].steps, 40);
  EXPECT_EQ(rotating.values[2], 1.0);  // 40 steps, a multiple of 5: the +1 is back at the start
}

ATTRACTOR_ON_EACH_BACKEND(HebbianRecall);

// Records at steps 0, K, 2K, ...: a state that stopped early repeats its final values (it stays
// where it stopped), so every state has a record at every recorded step. Batch: a stored
// pattern (stops at step 1), a cue (corrected at step 1, stops at step 2) and a random start,
// which wanders among the spurious states for longer before it settles.
class RecordingOfEarlyStoppers : public HebbianRecall {
 protected:
  core::RunResult run_batch(Dynamics dynamics, Index record_every, core::StateBatch& states) {
    states = core::StateBatch(3, kN);
    std::copy(patterns.pattern(0), patterns.pattern(0) + kN, states.state(0));
    std::copy(cues.state(1), cues.state(1) + kN, states.state(1));
    const core::CounterRng rng{909};
    for (Index i = 0; i < kN; ++i) states.state(2)[i] = rng.sign(RngPurpose::InitialState, 0, i);
    auto options = discrete(dynamics, 100);
    options.seed = 4;
    options.record_every = record_every;
    options.patterns = &patterns;
    return engine().run(net, states, options);
  }
  // Every row at or after a state's last step holds that state's final energy and overlaps.
  void expect_final_values_repeated(const core::RunResult& result, Index record_every) {
    const std::size_t batch = result.states.size();
    const auto& rec = result.recording;
    // The recorded and the final energy may be summed in different orders (a batched GEMM of
    // another width): equal within the rounding bound. Overlaps are exact (integer sums / N).
    const Reference ref{std::get<DenseMatrix<double>>(net.weights), effective_bias(net)};
    const double allowance = ref.energy_rounding();
    for (std::size_t b = 0; b < batch; ++b) {
      const auto& r = result.states[b];
      for (std::size_t row = 0; row < rec.steps.size(); ++row) {
        if (rec.steps[row] < r.steps) continue;
        EXPECT_NEAR(rec.energy[row * batch + b], r.energy, allowance)
            << "K " << record_every << " state " << b << " row " << row;
        const auto first = static_cast<std::ptrdiff_t>((row * batch + b) * kP);
        EXPECT_TRUE(std::equal(rec.overlaps.begin() + first, rec.overlaps.begin() + first + kP,
                               result.overlaps.begin() + static_cast<std::ptrdiff_t>(b * kP)))
            << "K " << record_every << " state " << b << " row " << row;
      }
    }
  }
};

TEST_P(RecordingOfEarlyStoppers, RepeatsFinalValuesWhenEveryStepIsRecorded) {
  for (auto dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
    core::StateBatch states;
    const auto result = run_batch(dynamics, 1, states);
    ASSERT_EQ(result.states[0].steps, 1);
    ASSERT_EQ(result.states[1].steps, 2);
    const Index longest = result.states[2].steps;
    ASSERT_GE(longest, 4) << "the random start must outlast the cue for padding to show";
    ASSERT_EQ(result.recording.steps.size(), static_cast<std::size_t>(longest + 1));
    for (std::size_t row = 0; row < result.recording.steps.size(); ++row) {
      EXPECT_EQ(result.recording.steps[row], static_cast<Index>(row));
    }
    expect_final_values_repeated(result, 1);
    // The cue's correction lowered its energy and raised its overlap with pattern 1 to 1.
    const auto& rec = result.recording;
    EXPECT_LT(rec.energy[1 * 3 + 1], rec.energy[0 * 3 + 1]);
    EXPECT_LT(rec.overlaps[(0 * 3 + 1) * kP + 1], 0.9);
    EXPECT_EQ(rec.overlaps[(1 * 3 + 1) * kP + 1], 1.0);
  }
}

// With K = 3 the cue stops at step 2, between records: its rows at steps 3, 6, ... must show the
// state it stopped in, not its last recorded one (step 0, the noisy cue).
TEST_P(RecordingOfEarlyStoppers, RepeatsFinalValuesWhenStoppingBetweenRecords) {
  for (auto dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
    core::StateBatch states;
    const auto result = run_batch(dynamics, 3, states);
    const Index longest = result.states[2].steps;
    ASSERT_GE(longest, 4);
    ASSERT_EQ(result.recording.steps.size(), static_cast<std::size_t>(longest / 3 + 1));
    for (std::size_t row = 0; row < result.recording.steps.size(); ++row) {
      EXPECT_EQ(result.recording.steps[row], static_cast<Index>(3 * row));
    }
    expect_final_values_repeated(result, 3);
  }
}

ATTRACTOR_ON_EACH_BACKEND(RecordingOfEarlyStoppers);

// =============================================================================================
class DiscreteInputErrors : public test::OnEachBackend {
 protected:
  static constexpr Index kN = 4;
  core::Network net = sign_network(cyclic_shift(kN));

  // Runs and expects an InputError raised before any work: the states are left as they were.
  void expect_rejected(const core::Network& network, core::StateBatch states,
                       const core::RunOptions& options, const char* what) {
    const auto before = states.values;
    EXPECT_THROW(engine().run(network, states, options), core::InputError) << what;
    // Bit for bit, so that a NaN left in place compares equal to itself.
    EXPECT_EQ(std::memcmp(states.values.data(), before.data(), before.size() * sizeof(double)), 0)
        << what;
  }
};

TEST_P(DiscreteInputErrors, RejectsBadStatesWeightsBiasOptionsAndPatterns) {
  const core::StateBatch good(2, kN, 1.0);
  for (auto dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
    const auto options = discrete(dynamics);
    ASSERT_NO_THROW({
      auto states = good;
      engine().run(net, states, options);
    });
    for (double bad : {0.0, 0.5, -2.0, std::numeric_limits<double>::quiet_NaN()}) {
      auto states = good;
      states.values[5] = bad;
      expect_rejected(net, states, options, "state value other than ±1");
    }
    expect_rejected(net, core::StateBatch(2, kN + 1, 1.0), options, "state length ≠ N");

    auto nan_weights = cyclic_shift(kN);
    nan_weights(2, 3) = std::numeric_limits<double>::quiet_NaN();
    expect_rejected(sign_network(nan_weights), good, options, "NaN in dense weights");
    expect_rejected(sign_network(to_csr(nan_weights)), good, options, "NaN in CSR weights");
    expect_rejected(sign_network(DenseMatrix<double>(kN, kN + 1)), good, options,
                    "non-square weights");
    expect_rejected(sign_network(cyclic_shift(kN), std::vector<double>(kN - 1, 0.0)), good, options,
                    "bias of wrong length");

    auto negative_budget = options;
    negative_budget.max_steps = -1;
    expect_rejected(net, good, negative_budget, "negative max_steps");

    const auto wrong_n = random_patterns(2, kN + 1, 1);
    auto with_patterns = options;
    with_patterns.patterns = &wrong_n;
    expect_rejected(net, good, with_patterns, "patterns of wrong N");

    auto short_patterns = random_patterns(2, kN, 1);
    short_patterns.values.pop_back();
    with_patterns.patterns = &short_patterns;
    expect_rejected(net, good, with_patterns, "patterns shorter than count x N");
    auto zero_pattern = random_patterns(2, kN, 1);
    zero_pattern.values[3] = 0;
    with_patterns.patterns = &zero_pattern;
    expect_rejected(net, good, with_patterns, "pattern value other than ±1");
  }
}

// Arrays that disagree with their own shape are refused before anything reads them.
TEST_P(DiscreteInputErrors, RejectsInconsistentWeightArrays) {
  const core::StateBatch good(1, kN, 1.0);
  const auto options = discrete(Dynamics::DiscreteSync);
  const auto csr = to_csr(cyclic_shift(kN));  // one entry per row, column i − 1

  auto column_out_of_range = csr;
  column_out_of_range.col_idx[1] = static_cast<std::int32_t>(kN);
  expect_rejected(sign_network(column_out_of_range), good, options, "CSR column index ≥ N");
  auto negative_column = csr;
  negative_column.col_idx[1] = -1;
  expect_rejected(sign_network(negative_column), good, options, "negative CSR column index");

  auto decreasing_offsets = csr;
  decreasing_offsets.row_ptr = {0, 2, 1, 3, 4};
  expect_rejected(sign_network(decreasing_offsets), good, options, "decreasing row offsets");

  auto short_row_ptr = csr;
  short_row_ptr.row_ptr.pop_back();
  expect_rejected(sign_network(short_row_ptr), good, options, "row_ptr of length N");

  auto unsorted = to_csr(DenseMatrix<double>(kN, kN, 1.0));
  std::swap(unsorted.col_idx[0], unsorted.col_idx[1]);
  expect_rejected(sign_network(unsorted), good, options, "unsorted columns in a row");

  auto short_dense = cyclic_shift(kN);
  short_dense.values.pop_back();
  expect_rejected(sign_network(short_dense), good, options, "dense values fewer than N²");
}

ATTRACTOR_ON_EACH_BACKEND(DiscreteInputErrors);

}  // namespace
}  // namespace attractor
