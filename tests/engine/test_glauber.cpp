// Glauber dynamics at temperature T, tested against statistical mechanics. With one stored
// pattern ξ (the Mattis model, load α = 1/N), T = ξξᵀ/N with a zero diagonal, the state's weight
// depends on the overlap m = ξ·s/N alone, and the stationary distribution of the overlap is known
// exactly at every N:
// - asynchronous heat bath samples the Boltzmann distribution, P(M) ∝ C(N, k) e^{β(M² − N)/(2N)};
// - synchronous heat bath (Little's dynamics) for symmetric T satisfies detailed balance with
//   P(s) ∝ Π_i 2cosh(β h_i(s)) (Peretto 1984); with h_i = ξ_i(M − ξ_i s_i)/N that is
//   P(M) ∝ C(N, k) cosh(β(M − 1)/N)^k cosh(β(M + 1)/N)^{N−k},
// where M = N m and k = (N + M)/2 neurons agree with the pattern. As N → ∞ both concentrate on
// the mean-field overlap, the root of m = tanh(m/T): m > 0 below T = 1, 0 above.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "attractor/core/discrete.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "engine_backends.hpp"

namespace attractor {
namespace {

using core::Dynamics;
using Index = std::int64_t;

class Glauber : public test::OnEachBackend {};

// The positive root of m = tanh(m/T) (0 for T ≥ 1), by fixed-point iteration from m = 1: the map
// is a contraction on [m*, 1] below T = 1.
double mean_field_overlap(double temperature) {
  double m = 1.0;
  for (int i = 0; i < 100000; ++i) m = std::tanh(m / temperature);
  return m;
}

// E|m| under the exact stationary distribution of M described above.
double exact_mean_abs_overlap(Index n, double temperature, bool synchronous) {
  const double beta = 1.0 / temperature;
  const auto nd = static_cast<double>(n);
  std::vector<double> log_weight;
  for (Index k = 0; k <= n; ++k) {
    const double M = 2.0 * static_cast<double>(k) - nd;
    const double log_binomial = std::lgamma(nd + 1) - std::lgamma(static_cast<double>(k) + 1) -
                                std::lgamma(nd - static_cast<double>(k) + 1);
    const double energy_term =
        synchronous ? static_cast<double>(k) * std::log(std::cosh(beta * (M - 1) / nd)) +
                          (nd - static_cast<double>(k)) * std::log(std::cosh(beta * (M + 1) / nd))
                    : beta * (M * M - nd) / (2 * nd);
    log_weight.push_back(log_binomial + energy_term);
  }
  const double top = *std::max_element(log_weight.begin(), log_weight.end());
  double z = 0.0, sum = 0.0;
  for (Index k = 0; k <= n; ++k) {
    const double w = std::exp(log_weight[k] - top);
    z += w;
    sum += w * std::fabs(2.0 * static_cast<double>(k) - nd) / nd;
  }
  return sum / z;
}

struct Estimate {
  double mean, standard_error;
};

// B independent chains (each its own random stream) from the pattern, `burn_in` steps discarded,
// then |m| averaged over `measured` steps per chain; the standard error comes from the spread of
// the B chain means, which are independent.
Estimate simulate_mean_abs_overlap(core::Engine& engine, Dynamics dynamics, Index n,
                                   double temperature, std::uint64_t seed) {
  const Index chains = 32, burn_in = 100, measured = 200;
  const auto patterns = random_patterns(1, n, seed);
  const auto network = hebbian_network(patterns, true);
  core::StateBatch states(chains, n);
  for (Index b = 0; b < chains; ++b) {
    for (Index i = 0; i < n; ++i) states.state(b)[i] = patterns.values[i];
  }
  core::RunOptions options;
  options.dynamics = dynamics;
  options.temperature = temperature;
  options.max_steps = burn_in + measured;
  options.seed = seed;
  options.patterns = &patterns;
  options.record_every = 1;
  const auto result = engine.run(network, states, options);
  const auto& overlaps = result.recording.overlaps;  // R × B × 1, R = max_steps + 1
  EXPECT_EQ(overlaps.size(), static_cast<std::size_t>((options.max_steps + 1) * chains));
  std::vector<double> chain_means;
  for (Index b = 0; b < chains; ++b) {
    double sum = 0.0;
    for (Index r = burn_in + 1; r <= options.max_steps; ++r)
      sum += std::fabs(overlaps[r * chains + b]);
    chain_means.push_back(sum / static_cast<double>(measured));
  }
  double mean = 0.0;
  for (double v : chain_means) mean += v;
  mean /= static_cast<double>(chains);
  double var = 0.0;
  for (double v : chain_means) var += (v - mean) * (v - mean);
  var /= static_cast<double>(chains - 1);
  for (const auto& r : result.states) {
    EXPECT_EQ(r.outcome, core::Outcome::Wandering);  // a heat bath never settles
    EXPECT_EQ(r.steps, options.max_steps);
  }
  return {mean, std::sqrt(var / static_cast<double>(chains))};
}

// The stationary |m| of both update schemes matches the exact finite-N value within 4.5 standard
// errors (the chain means are t-distributed with 31 degrees of freedom: P(|t| > 4.5) < 1e-4),
// and the exact value is the mean-field root up to a finite-size shift below 0.02 at N = 1000 —
// so below T = 1 the network retrieves the pattern with overlap tanh(m/T), and above T = 1 the
// overlap is only the O(1/√N) fluctuation of a disordered state.
TEST_P(Glauber, StationaryOverlapMatchesTheMeanFieldTheoryAtLowLoad) {
  const Index n = 1000;
  for (const Dynamics dynamics : {Dynamics::GlauberAsync, Dynamics::GlauberSync}) {
    for (const double temperature : {0.5, 0.7, 0.85, 1.5}) {
      const double mean_field = mean_field_overlap(temperature);
      const double exact =
          exact_mean_abs_overlap(n, temperature, dynamics == Dynamics::GlauberSync);
      const auto sim = simulate_mean_abs_overlap(engine(), dynamics, n, temperature, 17);
      std::printf(
          "  %-12s T = %.2f  simulated |m| = %.4f +- %.4f  exact (N = %lld) %.4f  "
          "mean field %.4f\n",
          core::to_string(dynamics), temperature, sim.mean, sim.standard_error,
          static_cast<long long>(n), exact, mean_field);
      EXPECT_LE(std::fabs(sim.mean - exact), 4.5 * sim.standard_error)
          << core::to_string(dynamics) << " T = " << temperature;
      if (temperature < 1) {
        EXPECT_LE(std::fabs(exact - mean_field), 0.02) << "T = " << temperature;
      } else {
        // Disordered: E|m| ≈ √(2T / (π (T − 1) N)) ≈ 0.044 at T = 1.5, N = 1000.
        EXPECT_LT(exact, 0.06);
        EXPECT_LT(sim.mean, 0.06);
      }
    }
  }
}

// The heat bath's limits: as T → 0 it is the sign rule wherever the field is not zero (here
// never: N even, one pattern, so the field (M − s_i ξ_i)ξ_i / N is odd over N), so it retrieves
// the pattern from a noisy cue in the same steps as discrete-sync; and its draws are keyed by
// (seed, state, step, neuron), so a rerun and a batch split into parts reproduce every state.
TEST_P(Glauber, ColdHeatBathIsTheSignRuleAndDrawsAreReproducible) {
  const Index n = 200;
  const auto patterns = random_patterns(1, n, 3);
  const auto network = hebbian_network(patterns, true);
  const auto cues = noisy_cues(patterns, 6, 0.3, 4);
  core::RunOptions options;
  options.max_steps = 5;
  options.seed = 2;
  for (const Dynamics dynamics : {Dynamics::GlauberSync, Dynamics::GlauberAsync}) {
    options.dynamics = dynamics;
    // |f| ≥ 1/N, so a wrong-sign update has probability ≤ e^{−2 / (N T)} = e^{−100}.
    options.temperature = 1e-4;
    auto cold = cues;
    engine().run(network, cold, options);
    auto sign_rule = cues;
    auto deterministic = options;
    deterministic.dynamics =
        dynamics == Dynamics::GlauberSync ? Dynamics::DiscreteSync : Dynamics::DiscreteAsync;
    engine().run(network, sign_rule, deterministic);
    EXPECT_EQ(cold.values, sign_rule.values) << core::to_string(dynamics);

    options.temperature = 0.8;
    auto whole = cues, again = cues;
    engine().run(network, whole, options);
    engine().run(network, again, options);
    EXPECT_EQ(whole.values, again.values);
    for (Index b = 0; b < cues.batch; ++b) {
      core::StateBatch one(1, n);
      std::copy_n(cues.state(b), n, one.state(0));
      auto part = options;
      part.stream_offset = static_cast<std::uint64_t>(b);
      engine().run(network, one, part);
      EXPECT_TRUE(std::equal(one.values.begin(), one.values.end(), whole.state(b)))
          << core::to_string(dynamics) << " state " << b;
    }
  }
}

TEST(GlauberOptions, TemperatureMustBePositiveAndFinite) {
  core::RunOptions options;
  options.dynamics = Dynamics::GlauberAsync;
  for (const double t : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
    options.temperature = t;
    EXPECT_THROW(options.validate(), core::InputError) << t;
  }
  EXPECT_EQ(parse_enum<core::Dynamics>("glauber", "d"), Dynamics::GlauberAsync);
  EXPECT_EQ(parse_enum<core::Dynamics>("glauber-sync", "d"), Dynamics::GlauberSync);
}

}  // namespace

ATTRACTOR_ON_EACH_BACKEND(Glauber);

}  // namespace attractor
