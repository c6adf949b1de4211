#pragma once
// Small controlled-plasticity problems shared by the control tests.
#include <cstdint>
#include <vector>

#include "attractor/core/control.hpp"
#include "attractor/core/philox.hpp"

namespace attractor::test {

// A random sparse asymmetric A (about `density` of the off-diagonal entries, values uniform in
// ±scale) and a random silent mask of the same density; tanh or logistic neurons of gain 1.5,
// K = 0.5, k = 0.05.
inline core::ControlledNetwork random_controlled_network(std::int64_t n, double density,
                                                         std::uint64_t seed,
                                                         core::ActivationKind kind,
                                                         double scale = 1.0) {
  const core::CounterRng rng{seed};
  std::vector<core::Triplet<double>> a, mask;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      const auto index = static_cast<std::uint64_t>(i * n + j);
      if (i == j) continue;
      if (rng.uniform(core::RngPurpose::Weights, 0, index) < density) {
        a.push_back({i, j, scale * (2.0 * rng.uniform(core::RngPurpose::Weights, 1, index) - 1.0)});
      } else if (rng.uniform(core::RngPurpose::Weights, 2, index) < density) {
        mask.push_back({i, j, 1.0});
      }
    }
  }
  return core::ControlledNetwork::build(core::csr_from_triplets(n, n, a, "A"),
                                        core::csr_from_triplets(n, n, mask, "mask"), {kind, 1.5},
                                        0.5, 0.05);
}

// `size` values uniform in (−scale, scale), from (InitialState, stream, index).
inline std::vector<double> random_vector(std::size_t size, double scale, std::uint64_t seed,
                                         std::uint32_t stream = 0) {
  const core::CounterRng rng{seed};
  std::vector<double> v(size);
  for (std::size_t e = 0; e < size; ++e) {
    v[e] = scale * (2.0 * rng.uniform(core::RngPurpose::InitialState, stream, e) - 1.0);
  }
  return v;
}

}  // namespace attractor::test
