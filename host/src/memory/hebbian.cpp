#include "attractor/host/memory/hebbian.hpp"

#include <Eigen/Core>
#include <cmath>

#include "attractor/core/error.hpp"
#include "attractor/core/philox.hpp"

namespace attractor {

core::PatternSet random_patterns(std::int64_t count, std::int64_t n, std::uint64_t seed) {
  core::require(count >= 0 && n > 0, "patterns", "need a positive N and a non-negative count");
  core::PatternSet patterns{count, n,
                            std::vector<std::int8_t>(static_cast<std::size_t>(count * n))};
  const core::CounterRng rng{seed};
  // Each bit is addressed by (μ, i), so threads fill rows independently and the result does not
  // depend on their number (10⁹ draws for a million-neuron network with 1000 patterns).
#pragma omp parallel for schedule(static)
  for (std::int64_t mu = 0; mu < count; ++mu) {
    for (std::int64_t i = 0; i < n; ++i) {
      patterns.values[mu * n + i] = static_cast<std::int8_t>(
          rng.sign(core::RngPurpose::Patterns, static_cast<std::uint32_t>(mu), i));
    }
  }
  return patterns;
}

core::DenseMatrix<double> hebbian_weights(const core::PatternSet& patterns) {
  const std::int64_t n = patterns.n, p = patterns.count;
  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  RowMatrix xi(p, n);
  for (std::int64_t k = 0; k < p * n; ++k) xi.data()[k] = patterns.values[k];
  core::DenseMatrix<double> T(n, n);
  Eigen::Map<RowMatrix> t(T.values.data(), n, n);
  t.noalias() = xi.transpose() * xi;  // integer-valued, |entries| ≤ P < 2^53: exact
  t /= static_cast<double>(n);
  t.diagonal().setZero();
  return T;
}

core::Network hebbian_network(const core::PatternSet& patterns, bool factored) {
  core::Network network;
  if (factored) {
    network.weights = core::FactoredWeights{patterns};
  } else {
    network.weights = hebbian_weights(patterns);
  }
  network.activation.kind = core::ActivationKind::Sign;
  return network;
}

void hebbian_store(core::DenseMatrix<double>& T, const double* v) {
  const std::int64_t n = T.rows;
  const double scale = 1.0 / static_cast<double>(n);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    double* row = T.row(i);
    for (std::int64_t j = 0; j < n; ++j) {
      // v_i v_j first: the product commutes exactly, so T stays exactly symmetric.
      if (j != i) row[j] += scale * (v[i] * v[j]);
    }
  }
}

core::StateBatch noisy_cues(const core::PatternSet& patterns, std::int64_t cues, double noise,
                            std::uint64_t seed) {
  core::require(patterns.count > 0, "cues", "need at least one stored pattern");
  core::require(cues >= 0, "cues", "the number of cues must not be negative");
  core::require(std::isfinite(noise) && noise >= 0 && noise <= 1, "noise", "must lie in [0, 1]");
  const std::int64_t n = patterns.n;
  core::StateBatch states(cues, n);
  const core::CounterRng rng{seed};
  for (std::int64_t b = 0; b < cues; ++b) {
    const std::int8_t* xi = patterns.pattern(b % patterns.count);
    for (std::int64_t i = 0; i < n; ++i) {
      const bool flip =
          rng.uniform(core::RngPurpose::CueNoise, static_cast<std::uint32_t>(b), i) < noise;
      states.state(b)[i] = flip ? -xi[i] : xi[i];
    }
  }
  return states;
}

}  // namespace attractor
