#pragma once
#include <cstdint>
#include <vector>

namespace attractor::core {

// B states of one network, row-major B × N: state b is contiguous, which is the layout of a
// C-ordered (B, N) NumPy array and, read column-major, an N × B matrix whose columns are states,
// so one GEMM updates the whole batch. Discrete states hold ±1; continuous states hold u.
struct StateBatch {
  std::int64_t batch = 0;
  std::int64_t n = 0;
  std::vector<double> values;

  StateBatch() = default;
  StateBatch(std::int64_t batch_, std::int64_t n_, double fill = 0.0)
      : batch(batch_), n(n_), values(static_cast<std::size_t>(batch_ * n_), fill) {}
  double* state(std::int64_t b) { return values.data() + b * n; }
  const double* state(std::int64_t b) const { return values.data() + b * n; }
};

// P stored ±1 patterns of N neurons, row-major P × N (ξ^μ_i = values[μ N + i]).
struct PatternSet {
  std::int64_t count = 0;
  std::int64_t n = 0;
  std::vector<std::int8_t> values;

  const std::int8_t* pattern(std::int64_t mu) const { return values.data() + mu * n; }

  // m^μ = (1/N) Σ_i ξ^μ_i x_i for a state x of N entries (±1, or V = g(u) for rate neurons).
  double overlap(std::int64_t mu, const double* x) const {
    const std::int8_t* xi = pattern(mu);
    double m = 0.0;
    for (std::int64_t i = 0; i < n; ++i) m += xi[i] * x[i];
    return m / static_cast<double>(n);
  }

  // Ξᵀ, N × P: neuron i's entries of every pattern contiguous, for fields read one neuron at a
  // time (asynchronous updates).
  std::vector<std::int8_t> transposed() const {
    std::vector<std::int8_t> t(values.size());
    for (std::int64_t mu = 0; mu < count; ++mu) {
      for (std::int64_t i = 0; i < n; ++i) t[i * count + mu] = values[mu * n + i];
    }
    return t;
  }
};

}  // namespace attractor::core
