#pragma once
// Local learning rules for feedforward linear units y = w·x (or M units y = W x): each update uses
// only the unit's input x, its output y and quantities the synapse could hold (a running
// threshold). Plain Hebb, the covariance rule with moving thresholds, BCM, Oja's rule and Sanger's
// generalized Hebbian algorithm, trained online on the rows of an S × D sample matrix; and the
// synthetic data they are tested and demonstrated on.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attractor/core/dense_matrix.hpp"
#include "attractor/core/enum_names.hpp"
#include "attractor/core/progress.hpp"

namespace attractor {

enum class LocalRule { Hebb, Covariance, Bcm, Oja, Sanger };
constexpr core::NameTable<LocalRule, 5> enum_names(LocalRule) {
  return {"local rule",
          {{{LocalRule::Hebb, "hebb"},
            {LocalRule::Covariance, "covariance"},
            {LocalRule::Bcm, "bcm"},
            {LocalRule::Oja, "oja"},
            {LocalRule::Sanger, "sanger"}}}};
}

// Training: `epochs` passes over the S samples, each in its own seeded random order
// (epoch_order), one update per sample. The learning rate is annealed,
//   η(t) = η₀ / (1 + t/τ_η),   t = presentations / S (time in epochs),
// because a constant rate leaves Oja's and Sanger's weights fluctuating in an O(η) neighbourhood of
// the eigenvectors (‖w‖² exceeds 1 by ≈ η (tr C − λ₁)/2), while a 1/t decay satisfies Robbins and
// Monro's conditions (Σ η = ∞, Σ η² < ∞) and converges to the eigenvectors themselves. τ_η = 0
// keeps η = η₀ constant, which plain Hebb uses to show its growth (1 + η λ₁)^t cleanly.
struct LocalRuleParams {
  double rate = 0.01;          // η₀ (--rate)
  double anneal_epochs = 1.0;  // τ_η in epochs; 0 = constant rate (--anneal)
  std::int64_t epochs = 50;    // (--epochs)
  // Time constant of the running thresholds, in presentations (covariance, BCM): each
  // presentation moves θ by (v − θ)/τ, an exponential average over the last ≈ τ samples (--tau).
  double tau = 100.0;
  std::int64_t components =
      1;                   // M, the number of units (Sanger; the others train one) (--components)
  std::uint64_t seed = 1;  // sample order and initial weights (--seed)

  void validate() const;  // core::InputError naming the CLI option
  double rate_at(std::int64_t presentation, std::int64_t samples) const;  // η(t)
};

// What one training run produced. Histories have one entry per epoch run (norms: one more, the
// initial weights first).
struct LocalRuleResult {
  LocalRule rule = LocalRule::Hebb;
  core::DenseMatrix<double> weights;       // M × D, row m = unit m's w
  core::DenseMatrix<double> norm_history;  // (epochs_run + 1) × M: ‖w_m‖ after each epoch
  // Covariance: θ_y; BCM: θ — at the end of each epoch.
  std::vector<double> theta_history;
  // What θ averages, over each epoch's presentations: y (covariance) or y² (BCM).
  std::vector<double> response_history;
  std::vector<double> theta_x;  // covariance: the presynaptic thresholds θ_x at the end
  // Presentations whose postsynaptic factor φ(y) was positive (LTP: every synapse with its input
  // above threshold is strengthened) or negative (LTD): φ = y − θ_y (covariance), y (y − θ) (BCM).
  std::int64_t ltp_events = 0;
  std::int64_t ltd_events = 0;
  std::int64_t epochs_run = 0;
  std::int64_t presentations = 0;
  // Plain Hebb (and the covariance rule) grow without bound: training stops after the epoch in
  // which some ‖w_m‖ passed kMaxNorm, before the weights overflow.
  bool diverged = false;
  static constexpr double kMaxNorm = 1e100;
};

// Trains `params.components` units (one unless the rule is Sanger's) on the rows of `samples`
// (S × D, S ≥ 1, D ≥ 1, finite). Initial weights: each row a random unit vector (Gaussian draws,
// RngPurpose::Weights, stream m, index i, normalised); for BCM their absolute values, excitatory
// synapses, so that every response to non-negative inputs starts positive. `progress(epochs done,
// epochs)` is called after each epoch. core::InputError for bad samples or parameters, before any
// work.
//
// The rules (η = η(t), one sample x per update, thresholds updated after the weights):
//  - Hebb (1949):        Δw = η y x. For centred data ‖w‖ grows as (1 + η λ₁)^t along the top
//                         eigenvector v₁ of C = XᵀX/S: power iteration, and unbounded.
//  - Covariance (Sejnowski 1977): Δw = η (y − θ_y)(x − θ_x), θ_y and θ_x running averages of y
//                         and x over τ presentations: LTP when y > θ_y, LTD when y < θ_y. Hebb on
//                         the covariance: it grows along its top eigenvector, ignoring the mean.
//  - BCM (Bienenstock, Cooper & Munro 1982; Intrator & Cooper 1992's form):
//                         Δw = η x y (y − θ), θ the running ⟨y²⟩ over τ presentations. The
//                         threshold slides up as the response grows, which bounds w; on K
//                         linearly independent patterns shown equally often the stable fixed points
//                         are selective: y = K to one pattern, 0 to the others, θ = ⟨y²⟩ = K.
//  - Oja (1982):         Δw = η y (x − y w) → ±v₁ with ‖w‖ → 1.
//  - Sanger (1989), the generalized Hebbian algorithm:
//                         ΔW = η (y xᵀ − LT[y yᵀ] W), LT the lower triangle with the diagonal:
//                         row m is Oja's rule on x minus its projections on units 0..m−1, so
//                         W_m → ±v_m, the first M principal components in order. Oja is M = 1.
LocalRuleResult train_local_rule(LocalRule rule, const core::DenseMatrix<double>& samples,
                                 const LocalRuleParams& params,
                                 const core::ProgressFn& progress = {});

// The default spectrum of the synthetic data in `dims` dimensions: 5, 3, 2, 1, then halving
// (0.5, 0.25, ...): distinct eigenvalues with gaps the rules resolve in tens of epochs.
std::vector<double> default_spectrum(std::int64_t dims);

// S Gaussian samples in D = spectrum.size() dimensions with covariance U diag(λ) Uᵀ, U a random
// orthonormal basis (Haar: QR of a Gaussian matrix, signs fixed by R's diagonal):
//   x_s = Σ_k √λ_k z_sk u_k + mean·1,
// z standard normal by Box–Muller (CounterRng::normal, RngPurpose::Samples, stream 0 for U's
// draws, stream 1 for z). The samples are then centred exactly (their mean subtracted) before
// `mean` is added, so C = XᵀX/S is the sample covariance when mean = 0.
struct GaussianSamples {
  core::DenseMatrix<double> samples;  // S × D
  core::DenseMatrix<double> basis;    // D × D, row k = u_k, the population eigenvector of λ_k
  std::vector<double> spectrum;
};
GaussianSamples gaussian_samples(std::int64_t samples, const std::vector<double>& spectrum,
                                 double mean, std::uint64_t seed);

// K non-negative, unit-norm input patterns in D dimensions (the "rates" BCM is shown):
// entries u⁴, u uniform in [0, 1) (RngPurpose::Samples, stream 2), so most inputs are weak and
// patterns overlap moderately (E[cos] ≈ 0.36 for large D), then normalised.
core::DenseMatrix<double> sparse_patterns(std::int64_t count, std::int64_t dims,
                                          std::uint64_t seed);

// Eigenvalues (descending) and eigenvectors (rows) of C = XᵀX/S, the matrix the rules see: the
// sample covariance for centred data (the eigenvectors' signs are arbitrary).
struct Eigensystem {
  std::vector<double> values;
  core::DenseMatrix<double> vectors;  // D × D, row k the eigenvector of values[k]
};
Eigensystem input_eigensystem(const core::DenseMatrix<double>& samples);

// |cos(W_m, v_m)| for each row m of `weights` against the m-th eigenvector.
std::vector<double> eigenvector_alignment(const core::DenseMatrix<double>& weights,
                                          const Eigensystem& eigen);

}  // namespace attractor
