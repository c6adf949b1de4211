#include "attractor/host/learning/competing_units.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "attractor/core/error.hpp"
#include "attractor/core/philox.hpp"

namespace attractor::core {

void CompetingUnitsRule::validate(std::int64_t hidden) const {
  // p < 2 makes |w|^(p−1) non-Lipschitz at w = 0 (p = 1 degenerates into sign(W)).
  require(std::isfinite(p) && p >= 2 && p <= 64, "p", "must lie in [2, 64]");
  require(rank >= 2 && rank <= hidden, "rank k",
          "must lie in [2, H] (the top-ranked unit is the Hebbian one; k ≥ 2 is pushed away)");
  require(std::isfinite(delta) && delta >= 0 && delta <= 10, "delta", "must lie in [0, 10]");
}

}  // namespace attractor::core

namespace attractor {

template <typename Scalar>
Scalar competing_power(Scalar w, double p) {
  if (p == 2) return w;
  if (p == 3) return w * std::abs(w);
  return std::copysign(std::pow(std::abs(w), static_cast<Scalar>(p - 1)), w);
}

template float competing_power<float>(float, double);
template double competing_power<double>(double, double);

template <typename Scalar>
CompetingUnitsUpdate<Scalar>::CompetingUnitsUpdate(std::int64_t hidden, std::int64_t inputs,
                                                   core::CompetingUnitsRule rule)
    : hidden_(hidden), inputs_(inputs), rule_(rule) {
  core::require(hidden > 0 && inputs > 0, "competing units", "need H > 0 units and D > 0 inputs");
  rule_.validate(hidden);
  Wp_.resize(static_cast<std::size_t>(hidden * inputs));
  dS_.resize(Wp_.size());
  coefficient_.resize(static_cast<std::size_t>(hidden));
  ranked_.resize(static_cast<std::size_t>(rule.rank));
}

template <typename Scalar>
void CompetingUnitsUpdate<Scalar>::operator()(Scalar* W, const Scalar* v, std::int64_t batch,
                                              Scalar eps) {
  using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const std::int64_t H = hidden_, D = inputs_, k = rule_.rank;
  const std::int64_t size = H * D;
  const double p = rule_.p;
  // Threads pay off only for large H × D (2000 × 784 in the experiment); small layers run serial.
  const bool parallel = size >= (std::int64_t{1} << 16);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int64_t e = 0; e < size; ++e) Wp_[e] = competing_power(W[e], p);

  // I (batch × H, each sample's unit inputs contiguous) = v Wpᵀ.
  I_.resize(static_cast<std::size_t>(batch * H));
  Eigen::Map<RowMatrix>(I_.data(), batch, H).noalias() =
      Eigen::Map<const RowMatrix>(v, batch, D) *
      Eigen::Map<const RowMatrix>(Wp_.data(), H, D).transpose();

  // Ranks: the k best units of each sample, kept sorted in a k-slot array while the units are
  // scanned in index order; core::ranks_before (I descending, then index ascending) is a strict
  // total order, so the result is the same as a full sort's, and the GPU's arg-max reductions
  // follow the same order.
  top_.resize(static_cast<std::size_t>(batch));
  kth_.resize(static_cast<std::size_t>(batch));
  for (std::int64_t b = 0; b < batch; ++b) {
    const Scalar* I = I_.data() + b * H;
    const auto unit = [I](std::int32_t mu) { return core::RankCandidate<Scalar>{I[mu], mu}; };
    std::int64_t filled = 0;
    for (std::int32_t mu = 0; mu < H; ++mu) {
      if (filled == k && !core::ranks_before(unit(mu), unit(ranked_[k - 1]))) continue;
      std::int64_t at = filled < k ? filled++ : k - 1;
      while (at > 0 && core::ranks_before(unit(mu), unit(ranked_[at - 1]))) {
        ranked_[at] = ranked_[at - 1];
        --at;
      }
      ranked_[at] = mu;
    }
    top_[b] = ranked_[0];
    kth_[b] = ranked_[k - 1];
  }

  // dS = g vᵀ − c ∘ W with c_μ = Σ_b g_μb I_μb: the 2 B non-zeros of g, in sample order.
  std::fill(dS_.begin(), dS_.end(), Scalar{0});
  std::fill(coefficient_.begin(), coefficient_.end(), Scalar{0});
  const Scalar minus_delta = static_cast<Scalar>(-rule_.delta);
  for (std::int64_t b = 0; b < batch; ++b) {
    const Scalar* vb = v + b * D;
    const std::int32_t mu = top_[b], nu = kth_[b];
    Scalar* up = dS_.data() + mu * D;
    Scalar* down = dS_.data() + nu * D;
    for (std::int64_t i = 0; i < D; ++i) up[i] += vb[i];
    for (std::int64_t i = 0; i < D; ++i) down[i] += minus_delta * vb[i];
    coefficient_[mu] += I_[b * H + mu];
    coefficient_[nu] += minus_delta * I_[b * H + nu];
  }
  Scalar max_abs = 0;
#pragma omp parallel for schedule(static) reduction(max : max_abs) if (parallel)
  for (std::int64_t mu = 0; mu < H; ++mu) {
    const Scalar c = coefficient_[mu];
    Scalar* dS = dS_.data() + mu * D;
    const Scalar* w = W + mu * D;
    for (std::int64_t i = 0; i < D; ++i) {
      dS[i] = dS[i] - c * w[i];
      max_abs = std::max(max_abs, std::abs(dS[i]));
    }
  }
  max_abs_dS_ = max_abs;
  if (max_abs == 0) return;  // nothing to learn from this minibatch (e.g. all-zero inputs)
  const Scalar scale = eps / max_abs;
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int64_t e = 0; e < size; ++e) W[e] = W[e] + scale * dS_[e];
}

template class CompetingUnitsUpdate<float>;
template class CompetingUnitsUpdate<double>;

void CompetingUnitsParams::validate() const {
  core::require(hidden > 0 && hidden <= (std::int64_t{1} << 24), "hidden", "must lie in [1, 2^24]");
  rule.validate(hidden);
  core::require(std::isfinite(eps0) && eps0 > 0 && eps0 <= 1, "eps0", "must lie in (0, 1]");
  core::require(batch > 0 && batch <= 65536, "batch", "must lie in [1, 65536]");
  core::require(epochs > 0 && epochs <= 1'000'000, "epochs", "must lie in [1, 10^6]");
}

std::vector<float> initial_competing_weights(std::int64_t hidden, std::int64_t inputs,
                                             std::uint64_t seed) {
  std::vector<float> W(static_cast<std::size_t>(hidden * inputs));
  const core::CounterRng rng{seed};
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < hidden * inputs; ++e) {
    W[e] =
        static_cast<float>(rng.normal(core::RngPurpose::Weights, 0, static_cast<std::uint64_t>(e)));
  }
  return W;
}

double competing_learning_rate(const CompetingUnitsParams& params, std::int64_t epoch) {
  return params.eps0 * (1.0 - static_cast<double>(epoch) / static_cast<double>(params.epochs));
}

void train_competing_epoch(core::CompetingUnitsStep& step, const CompetingUnitsParams& params,
                           std::int64_t samples, std::int64_t epoch) {
  const std::vector<std::int32_t> order = epoch_order(samples, params.seed, epoch);
  step.train(order.data(), samples, params.batch,
             static_cast<float>(competing_learning_rate(params, epoch)));
}

double converged_fraction(const std::vector<float>& W, std::int64_t hidden, double p,
                          double tolerance) {
  core::require(hidden > 0 && W.size() % static_cast<std::size_t>(hidden) == 0, "weights",
                "the size is not a multiple of the number of units");
  const std::int64_t D = static_cast<std::int64_t>(W.size()) / hidden;
  std::int64_t converged = 0;
#pragma omp parallel for schedule(static) reduction(+ : converged)
  for (std::int64_t mu = 0; mu < hidden; ++mu) {
    double norm = 0;  // Σ_i |W_μi|^p, accumulated in double
    for (std::int64_t i = 0; i < D; ++i)
      norm += std::pow(std::abs(static_cast<double>(W[mu * D + i])), p);
    converged += std::abs(norm - 1.0) < tolerance;
  }
  return static_cast<double>(converged) / static_cast<double>(hidden);
}

}  // namespace attractor
