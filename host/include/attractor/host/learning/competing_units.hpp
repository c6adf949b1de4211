#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/competing_units.hpp"
#include "attractor/host/learning/epoch_order.hpp"

namespace attractor {

// The CPU reference of core::CompetingUnitsStep's update (see the formula there), in float or
// double. Eigen's GEMM forms I; the rest touches only the 2 B non-zeros of g and one pass over W:
// dS's Hebbian term is scattered row by row in sample order, and the decay coefficient
// c_μ = Σ_b g_μb I_μb is accumulated in the same order, so a backend that follows that order (the
// CUDA one does) differs from this only through I.
template <typename Scalar>
class CompetingUnitsUpdate {
 public:
  CompetingUnitsUpdate(std::int64_t hidden, std::int64_t inputs, core::CompetingUnitsRule rule);

  // One update of W (H × D row-major) by the minibatch v (batch × D row-major).
  void operator()(Scalar* W, const Scalar* v, std::int64_t batch, Scalar eps);

  // The last update's top-ranked and k-th ranked unit of each sample, its I (batch × H) and
  // max|dS|: what a test needs to compare backends and to bound their rounding.
  const std::vector<std::int32_t>& top() const { return top_; }
  const std::vector<std::int32_t>& kth() const { return kth_; }
  const std::vector<Scalar>& inputs_to_units() const { return I_; }
  Scalar max_abs_dS() const { return max_abs_dS_; }

 private:
  std::int64_t hidden_, inputs_;
  core::CompetingUnitsRule rule_;
  std::vector<Scalar> Wp_, I_, dS_, coefficient_;
  std::vector<std::int32_t> top_, kth_, ranked_;
  Scalar max_abs_dS_ = 0;
};

extern template class CompetingUnitsUpdate<float>;
extern template class CompetingUnitsUpdate<double>;

// sign(w) |w|^(p−1), the weighting of I; exact shortcuts for p = 2 and p = 3 (every backend takes
// the same branches, so they agree bit for bit here).
template <typename Scalar>
Scalar competing_power(Scalar w, double p);

// Training parameters; the defaults are Krotov & Hopfield's for MNIST-sized inputs.
struct CompetingUnitsParams {
  std::int64_t hidden = 2000;
  core::CompetingUnitsRule rule;
  double eps0 = 0.04;  // ε falls linearly from ε₀ to 0 over the epochs
  std::int64_t batch = 100;
  std::int64_t epochs = 100;
  std::uint64_t seed = 1;

  void validate() const;
};

// W₀ with entries N(0, 1): CounterRng(seed), purpose Weights, stream 0, index μ·D + i.
std::vector<float> initial_competing_weights(std::int64_t hidden, std::int64_t inputs,
                                             std::uint64_t seed);
// ε for `epoch` (0-based) of `epochs`: ε₀ (1 − epoch / epochs).
double competing_learning_rate(const CompetingUnitsParams& params, std::int64_t epoch);
// Runs epoch `epoch` of training on `step`, whose inputs are loaded.
void train_competing_epoch(core::CompetingUnitsStep& step, const CompetingUnitsParams& params,
                           std::int64_t samples, std::int64_t epoch);

// The fraction of units whose p-norm has converged: |Σ_i |W_μi|^p − 1| < tolerance.
double converged_fraction(const std::vector<float>& W, std::int64_t hidden, double p,
                          double tolerance = 0.1);

}  // namespace attractor
