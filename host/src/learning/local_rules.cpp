#include "attractor/host/learning/local_rules.hpp"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "attractor/core/error.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/host/learning/epoch_order.hpp"

namespace attractor {

namespace {

using core::CounterRng;
using core::DenseMatrix;
using core::RngPurpose;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMap = Eigen::Map<RowMatrix>;
using ConstRowMap = Eigen::Map<const RowMatrix>;
using Vector = Eigen::VectorXd;

constexpr std::int64_t kMaxSamples = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMaxDims = 100'000;
constexpr std::int64_t kMaxEpochs = 1'000'000'000;
constexpr std::int64_t kMaxSyntheticValues = std::int64_t{1} << 28;

ConstRowMap view(const DenseMatrix<double>& m) { return {m.values.data(), m.rows, m.cols}; }
RowMap view(DenseMatrix<double>& m) { return {m.values.data(), m.rows, m.cols}; }

// Each row a random unit vector: Gaussian draws (Weights, stream m, index i), normalised; their
// absolute values when `excitatory`.
RowMatrix initial_weights(std::int64_t units, std::int64_t dims, std::uint64_t seed,
                          bool excitatory) {
  const CounterRng rng{seed};
  RowMatrix W(units, dims);
  for (std::int64_t m = 0; m < units; ++m) {
    for (std::int64_t i = 0; i < dims; ++i) {
      const double z = rng.normal(RngPurpose::Weights, static_cast<std::uint32_t>(m),
                                  static_cast<std::uint64_t>(i));
      W(m, i) = excitatory ? std::abs(z) : z;
    }
    W.row(m).normalize();
  }
  return W;
}

// Per-sample updates of each rule on the units' weights W (M × D); `present` returns the
// postsynaptic factor φ whose sign says LTP or LTD (0 where the rule has none).
struct Hebb {
  static constexpr bool kThreshold = false;
  // Δw = η y x
  double present(RowMatrix& W, const Vector& x, double eta) {
    const double y = W.row(0).dot(x);
    W.row(0) += eta * y * x.transpose();
    return 0.0;
  }
};

struct Covariance {
  static constexpr bool kThreshold = true;
  double tau;
  Vector theta_x;
  double theta_y = 0.0;
  double response_sum = 0.0;  // Σ y over the epoch

  // Δw = η (y − θ_y)(x − θ_x); θ ← θ + (v − θ)/τ
  double present(RowMatrix& W, const Vector& x, double eta) {
    const double y = W.row(0).dot(x);
    const double phi = y - theta_y;
    W.row(0) += eta * phi * (x - theta_x).transpose();
    theta_x += (x - theta_x) / tau;
    theta_y += (y - theta_y) / tau;
    response_sum += y;
    return phi;
  }
  double threshold() const { return theta_y; }
};

struct Bcm {
  static constexpr bool kThreshold = true;
  double tau;
  double theta = 0.0;
  double response_sum = 0.0;  // Σ y² over the epoch

  // Δw = η x y (y − θ); θ ← θ + (y² − θ)/τ
  double present(RowMatrix& W, const Vector& x, double eta) {
    const double y = W.row(0).dot(x);
    const double phi = y * (y - theta);
    W.row(0) += eta * phi * x.transpose();
    theta += (y * y - theta) / tau;
    response_sum += y * y;
    return phi;
  }
  double threshold() const { return theta; }
};

struct Sanger {
  static constexpr bool kThreshold = false;
  Vector y, residual;

  // ΔW = η (y xᵀ − LT[y yᵀ] W): row m moves by η y_m (x − Σ_{k≤m} y_k W_k), every W_k the weights
  // before this update; the residual is peeled one unit at a time, O(M D).
  double present(RowMatrix& W, const Vector& x, double eta) {
    y.noalias() = W * x;
    residual = x;
    for (Eigen::Index m = 0; m < W.rows(); ++m) {
      residual -= y[m] * W.row(m).transpose();
      W.row(m) += eta * y[m] * residual.transpose();
    }
    return 0.0;
  }
};

void check_samples(const DenseMatrix<double>& samples) {
  core::require(samples.rows >= 1 && samples.cols >= 1 &&
                    static_cast<std::int64_t>(samples.values.size()) == samples.rows * samples.cols,
                "samples", "need an S × D matrix with S ≥ 1 and D ≥ 1");
  core::require(samples.rows <= kMaxSamples, "samples",
                "at most " + std::to_string(kMaxSamples) + " samples");
  core::require(samples.cols <= kMaxDims, "samples",
                "at most " + std::to_string(kMaxDims) + " dimensions");
  core::require(core::all_finite(samples.values), "samples", "contain NaN or Inf");
}

// The epoch loop every rule shares: a fresh shuffle per epoch, one update per sample, the
// histories at the end of each epoch.
template <class Rule>
LocalRuleResult train(LocalRule name, Rule rule, RowMatrix W, const DenseMatrix<double>& samples,
                      const LocalRuleParams& params, const core::ProgressFn& progress) {
  const std::int64_t S = samples.rows, M = W.rows();
  const ConstRowMap X = view(samples);
  LocalRuleResult result;
  result.rule = name;
  result.norm_history = DenseMatrix<double>(0, M);
  // Appends a row of ‖w_m‖; false once one has passed kMaxNorm (`!(norm <= kMaxNorm)` also
  // catches a norm that overflowed to Inf or NaN).
  const auto record_norms = [&] {
    bool bounded = true;
    for (std::int64_t m = 0; m < M; ++m) {
      const double norm = W.row(m).norm();
      result.norm_history.values.push_back(norm);
      bounded = bounded && norm <= LocalRuleResult::kMaxNorm;
    }
    ++result.norm_history.rows;
    return bounded;
  };
  record_norms();
  Vector x(samples.cols);
  for (std::int64_t epoch = 0; epoch < params.epochs; ++epoch) {
    const std::vector<std::int32_t> order = epoch_order(S, params.seed, epoch);
    for (std::int64_t k = 0; k < S; ++k) {
      x = X.row(order[k]).transpose();
      const double phi = rule.present(W, x, params.rate_at(result.presentations, S));
      result.ltp_events += phi > 0;
      result.ltd_events += phi < 0;
      ++result.presentations;
    }
    ++result.epochs_run;
    const bool bounded = record_norms();
    if constexpr (Rule::kThreshold) {
      result.theta_history.push_back(rule.threshold());
      result.response_history.push_back(rule.response_sum / static_cast<double>(S));
      rule.response_sum = 0.0;
    }
    if (progress) progress(result.epochs_run, params.epochs);
    if (!bounded) {
      result.diverged = true;
      break;
    }
  }
  if constexpr (std::is_same_v<Rule, Covariance>) {
    result.theta_x.assign(rule.theta_x.data(), rule.theta_x.data() + rule.theta_x.size());
  }
  result.weights = DenseMatrix<double>(M, samples.cols);
  view(result.weights) = W;
  return result;
}

}  // namespace

void LocalRuleParams::validate() const {
  core::require(std::isfinite(rate) && rate > 0, "--rate", "must be positive and finite");
  core::require(std::isfinite(anneal_epochs) && anneal_epochs >= 0, "--anneal",
                "must be 0 (constant rate) or a positive number of epochs");
  core::require(epochs >= 1 && epochs <= kMaxEpochs, "--epochs",
                "must lie in [1, " + std::to_string(kMaxEpochs) + "]");
  core::require(std::isfinite(tau) && tau >= 1, "--tau",
                "must be at least 1 presentation (theta moves by (v - theta)/tau)");
  core::require(components >= 1 && components <= kMaxDims, "--components",
                "must lie in [1, " + std::to_string(kMaxDims) + "]");
}

double LocalRuleParams::rate_at(std::int64_t presentation, std::int64_t samples) const {
  if (anneal_epochs == 0) return rate;
  const double t = static_cast<double>(presentation) / static_cast<double>(samples);
  return rate / (1.0 + t / anneal_epochs);
}

LocalRuleResult train_local_rule(LocalRule rule, const DenseMatrix<double>& samples,
                                 const LocalRuleParams& params, const core::ProgressFn& progress) {
  params.validate();
  check_samples(samples);
  const std::int64_t D = samples.cols;
  const std::int64_t M = rule == LocalRule::Sanger ? params.components : 1;
  core::require(
      M <= D, "--components",
      "at most the input dimension D = " + std::to_string(D) + ", got " + std::to_string(M));
  RowMatrix W = initial_weights(M, D, params.seed, rule == LocalRule::Bcm);
  switch (rule) {
    case LocalRule::Hebb: return train(rule, Hebb{}, std::move(W), samples, params, progress);
    case LocalRule::Covariance:
      return train(rule, Covariance{params.tau, Vector::Zero(D)}, std::move(W), samples, params,
                   progress);
    case LocalRule::Bcm:
      return train(rule, Bcm{params.tau}, std::move(W), samples, params, progress);
    case LocalRule::Oja:
    case LocalRule::Sanger: return train(rule, Sanger{}, std::move(W), samples, params, progress);
  }
  return {};
}

std::vector<double> default_spectrum(std::int64_t dims) {
  std::vector<double> spectrum;
  double halving = 0.5;
  for (std::int64_t k = 0; k < dims; ++k) {
    if (k < 4) {
      spectrum.push_back(std::vector<double>{5, 3, 2, 1}[static_cast<std::size_t>(k)]);
    } else {
      spectrum.push_back(halving);
      halving /= 2;
    }
  }
  return spectrum;
}

GaussianSamples gaussian_samples(std::int64_t samples, const std::vector<double>& spectrum,
                                 double mean, std::uint64_t seed) {
  const auto D = static_cast<std::int64_t>(spectrum.size());
  core::require(samples >= 2 && samples <= kMaxSamples, "--samples",
                "must lie in [2, " + std::to_string(kMaxSamples) + "]");
  core::require(D >= 1 && D <= 4096, "--dims", "must lie in [1, 4096]");
  core::require(samples * D <= kMaxSyntheticValues, "--samples",
                "S × D must stay under 2^28 values (2 GiB)");
  for (const double lambda : spectrum) {
    core::require(std::isfinite(lambda) && lambda >= 0, "spectrum",
                  "eigenvalues must be finite and non-negative");
  }
  core::require(std::isfinite(mean), "--mean", "must be finite");
  const CounterRng rng{seed};
  // Haar-distributed U (Mezzadri 2007): Q of a Gaussian matrix's QR, column k times sign(R_kk).
  RowMatrix G(D, D);
  for (std::int64_t i = 0; i < D; ++i) {
    for (std::int64_t j = 0; j < D; ++j) {
      G(i, j) = rng.normal(RngPurpose::Samples, 0, static_cast<std::uint64_t>(i * D + j));
    }
  }
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(G);
  Eigen::MatrixXd Q = qr.householderQ();
  const Eigen::MatrixXd R = qr.matrixQR().triangularView<Eigen::Upper>();
  for (std::int64_t k = 0; k < D; ++k) {
    if (R(k, k) < 0) Q.col(k) = -Q.col(k);
  }
  GaussianSamples out;
  out.spectrum = spectrum;
  out.basis = DenseMatrix<double>(D, D);
  view(out.basis) = Q.transpose();  // row k = u_k
  // X = Z diag(√λ) Uᵀ, Z the S × D standard normals.
  RowMatrix Z(samples, D);
  for (std::int64_t s = 0; s < samples; ++s) {
    for (std::int64_t k = 0; k < D; ++k) {
      Z(s, k) = std::sqrt(spectrum[static_cast<std::size_t>(k)]) *
                rng.normal(RngPurpose::Samples, 1, static_cast<std::uint64_t>(s * D + k));
    }
  }
  out.samples = DenseMatrix<double>(samples, D);
  RowMap X = view(out.samples);
  X.noalias() = Z * Q.transpose();
  const Eigen::RowVectorXd centre = X.colwise().mean();
  X.rowwise() -= centre;
  X.array() += mean;
  return out;
}

DenseMatrix<double> sparse_patterns(std::int64_t count, std::int64_t dims, std::uint64_t seed) {
  core::require(count >= 1 && count <= kMaxSamples, "--samples",
                "must lie in [1, " + std::to_string(kMaxSamples) + "]");
  core::require(dims >= 1 && dims <= kMaxDims, "--dims",
                "must lie in [1, " + std::to_string(kMaxDims) + "]");
  core::require(count * dims <= kMaxSyntheticValues, "--samples",
                "patterns × dims must stay under 2^28 values (2 GiB)");
  const CounterRng rng{seed};
  DenseMatrix<double> patterns(count, dims);
  RowMap P = view(patterns);
  for (std::int64_t k = 0; k < count; ++k) {
    for (std::int64_t i = 0; i < dims; ++i) {
      const double u =
          rng.uniform(RngPurpose::Samples, 2, static_cast<std::uint64_t>(k * dims + i));
      P(k, i) = (u * u) * (u * u);
    }
    // All-zero rows are possible in principle (every u = 0); they stay zero.
    if (P.row(k).norm() > 0) P.row(k).normalize();
  }
  return patterns;
}

Eigensystem input_eigensystem(const DenseMatrix<double>& samples) {
  check_samples(samples);
  const ConstRowMap X = view(samples);
  const Eigen::MatrixXd C = X.transpose() * X / static_cast<double>(samples.rows);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(C);
  const std::int64_t D = samples.cols;
  Eigensystem out;
  out.vectors = DenseMatrix<double>(D, D);
  // Eigen sorts ascending; the rules find the largest first.
  for (std::int64_t k = 0; k < D; ++k) {
    const Eigen::Index from = D - 1 - k;
    out.values.push_back(solver.eigenvalues()[from]);
    for (std::int64_t i = 0; i < D; ++i) out.vectors(k, i) = solver.eigenvectors()(i, from);
  }
  return out;
}

std::vector<double> eigenvector_alignment(const DenseMatrix<double>& weights,
                                          const Eigensystem& eigen) {
  const ConstRowMap W = view(weights);
  const ConstRowMap V = view(eigen.vectors);
  core::require(W.cols() == V.cols() && W.rows() <= V.rows(), "weights",
                "need at most D rows of D entries to compare with the eigenvectors");
  std::vector<double> cosines;
  for (Eigen::Index m = 0; m < W.rows(); ++m) {
    const double norm = W.row(m).norm();
    cosines.push_back(norm > 0 ? std::abs(W.row(m).dot(V.row(m))) / norm : 0.0);
  }
  return cosines;
}

}  // namespace attractor
