// Factored Hebbian weights, T = (1/N) Ξᵀ Ξ − (P/N) I kept as the patterns Ξ, against the same
// network stored densely: identical dynamics, one storage being O(N P) and the other O(N²).
#include <cmath>
#include <limits>

#include "attractor/core/error.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "engine_backends.hpp"

namespace attractor {
namespace {

using core::Dynamics;
constexpr double kEps = std::numeric_limits<double>::epsilon();

class FactoredWeights : public test::OnEachBackend {};

// With N even and P odd the field numerator Σ_μ ξ^μ_i m_μ − P s_i (m_μ = ξ^μ·s) is odd — each
// m_μ has the parity of N, so the sum has the parity of P·N + P — hence never zero: no state meets
// the tie rule, and |f_i| ≥ 1/N. The dense path sums N terms k_ij/N rounded to double, an error
// ≤ N ε (P/N) = P ε ≪ 1/N, so both storages take every sign decision alike and the runs must agree
// state for state, step for step.
TEST_P(FactoredWeights, DynamicsMatchTheDenseHebbianNetworkStateForState) {
  const std::int64_t n = 400;
  for (const std::int64_t p : {21, 61, 81}) {  // loads 0.05, 0.15, 0.2: clean recall to spin glass
    const auto patterns = random_patterns(p, n, 100 + p);
    const auto dense = hebbian_network(patterns, false);
    const auto factored = hebbian_network(patterns, true);
    for (auto dynamics : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
      core::RunOptions options;
      options.dynamics = dynamics;
      options.max_steps = 200;
      options.seed = 5;
      options.patterns = &patterns;
      options.record_every = 1;
      auto states_dense = noisy_cues(patterns, 12, 0.2, 9);
      auto states_factored = states_dense;
      const auto a = engine().run(dense, states_dense, options);
      const auto b = engine().run(factored, states_factored, options);
      ASSERT_EQ(states_dense.values, states_factored.values)
          << "P = " << p << ", " << core::to_string(dynamics);
      ASSERT_TRUE(b.energy_defined);
      // Energies: the dense one carries the rounding of N sums of N terms, ≤ ½ N · P ε.
      const double rounding = 0.5 * static_cast<double>(n * p) * kEps;
      ASSERT_EQ(a.recording.energy.size(), b.recording.energy.size());
      for (std::size_t k = 0; k < a.recording.energy.size(); ++k) {
        ASSERT_NEAR(a.recording.energy[k], b.recording.energy[k], rounding);
      }
      for (std::size_t s = 0; s < a.states.size(); ++s) {
        EXPECT_EQ(a.states[s].outcome, b.states[s].outcome);
        EXPECT_EQ(a.states[s].steps, b.states[s].steps);
        EXPECT_EQ(a.states[s].period, b.states[s].period);
        EXPECT_EQ(a.states[s].matched_pattern, b.states[s].matched_pattern);
      }
    }
  }
}

// Rate neurons with a low gain contract: the eigenvalues of (1/N) ΞᵀΞ stay below
// (1 + √(P/N))² ≈ 1.5 (Marchenko–Pastur, P/N = 0.05) and g' ≤ 0.5, so ‖T‖ g' ≤ 0.75 < 1. The
// per-step rounding differences of the two products (≤ P ε per field) then stay bounded rather
// than grow: the states differ by at most ~ P ε / (1 − 0.75) ≈ 1.3e-14 per component; 1e-11
// leaves room for the constants.
TEST_P(FactoredWeights, ContinuousDynamicsMatchTheDenseNetwork) {
  const std::int64_t n = 300, p = 15;
  const auto patterns = random_patterns(p, n, 3);
  auto dense = hebbian_network(patterns, false);
  auto factored = hebbian_network(patterns, true);
  dense.activation = factored.activation = {core::ActivationKind::Tanh, 0.5};
  core::RunOptions options;
  options.dynamics = Dynamics::Continuous;
  options.integrator = core::Integrator::RK4;
  options.dt = 0.1;
  options.max_steps = 300;
  options.tol = 0.0;
  auto u_dense = noisy_cues(patterns, 4, 0.1, 1);
  auto u_factored = u_dense;
  engine().run(dense, u_dense, options);
  engine().run(factored, u_factored, options);
  for (std::size_t k = 0; k < u_dense.values.size(); ++k) {
    ASSERT_NEAR(u_dense.values[k], u_factored.values[k], 1e-11) << k;
  }
}

TEST(FactoredWeightsNetwork, IsSymmetricAndCountsEveryPair) {
  const auto net = hebbian_network(random_patterns(3, 50, 1), true);
  EXPECT_TRUE(net.is_symmetric());
  EXPECT_EQ(net.size(), 50);
  EXPECT_EQ(net.synapse_count(), 2500);
  EXPECT_NO_THROW(net.validate("net"));
}

TEST(FactoredWeightsNetwork, RejectsPatternsThatAreNotSignsOrHaveTheWrongSize) {
  auto net = hebbian_network(random_patterns(3, 50, 1), true);
  auto& xi = std::get<core::FactoredWeights>(net.weights).patterns;
  xi.values[7] = 0;
  EXPECT_THROW(net.validate("net"), core::InputError);
  xi.values[7] = 1;
  xi.values.pop_back();
  EXPECT_THROW(net.validate("net"), core::InputError);
}

ATTRACTOR_ON_EACH_BACKEND(FactoredWeights);

}  // namespace
}  // namespace attractor
