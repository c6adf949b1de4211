#include "attractor/host/memory/storage_rules.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cfloat>
#include <string>
#include <vector>

#include "attractor/core/error.hpp"
#include "attractor/host/memory/hebbian.hpp"

namespace attractor {

namespace {

// storkey_store makes three passes over T per pattern, each ending in a barrier. Below this N a
// pass takes at most a few milliseconds single-threaded (8 N² ≤ 32 MiB), about what waking a
// descheduled thread costs on a busy machine: on the 2-core development VM under load, two
// threads made Storkey's rule at N = 1000 ten times slower than one. Larger N runs in parallel.
constexpr std::int64_t kStorkeyParallelMinN = 2048;

}  // namespace

void storkey_store(core::DenseMatrix<double>& T, const double* xi) {
  const std::int64_t n = T.rows;
  core::require(n > 0 && T.cols == n, "storkey", "the weights must be a non-empty square matrix");
  const double scale = 1.0 / static_cast<double>(n);
  // g_i = Σ_{k≠i} T_ik ξ_k, the field without the self-coupling; then h_ij = g_i − T_ij ξ_j.
  std::vector<double> g(static_cast<std::size_t>(n));
  const bool parallel = n >= kStorkeyParallelMinN;
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int64_t i = 0; i < n; ++i) {
    const double* row = T.row(i);
    double h = 0.0;
    for (std::int64_t k = 0; k < n; ++k) h += row[k] * xi[k];
    g[i] = h - row[i] * xi[i];
  }
  // The upper triangle, from the old values (each entry reads only itself and g); row i has
  // N − 1 − i entries, hence the dynamic schedule.
#pragma omp parallel for schedule(dynamic, 16) if (parallel)
  for (std::int64_t i = 0; i < n; ++i) {
    double* row = T.row(i);
    for (std::int64_t j = i + 1; j < n; ++j) {
      const double t_ij = row[j];  // = T_ji
      const double h_ij = g[i] - t_ij * xi[j];
      const double h_ji = g[j] - t_ij * xi[i];
      row[j] = t_ij + scale * (xi[i] * xi[j] - xi[i] * h_ji - h_ij * xi[j]);
    }
  }
  // The lower triangle is a copy, so T stays symmetric bit for bit.
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int64_t i = 1; i < n; ++i) {
    double* row = T.row(i);
    for (std::int64_t j = 0; j < i; ++j) row[j] = T(j, i);
  }
}

core::DenseMatrix<double> storkey_weights(const core::PatternSet& patterns) {
  const std::int64_t n = patterns.n;
  core::require(n > 0, "patterns", "need a positive N");
  core::DenseMatrix<double> T(n, n);
  std::vector<double> xi(static_cast<std::size_t>(n));
  for (std::int64_t mu = 0; mu < patterns.count; ++mu) {
    for (std::int64_t i = 0; i < n; ++i) xi[static_cast<std::size_t>(i)] = patterns.pattern(mu)[i];
    storkey_store(T, xi.data());
  }
  return T;
}

core::DenseMatrix<double> pseudo_inverse_weights(const core::PatternSet& patterns) {
  const std::int64_t n = patterns.n, p = patterns.count;
  core::require(n > 0 && p >= 1, "patterns",
                "the pseudo-inverse rule needs a positive N and at least one pattern");
  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  RowMatrix xi_t(p, n);  // Ξᵀ: row μ is pattern μ
  for (std::int64_t k = 0; k < p * n; ++k) xi_t.data()[k] = patterns.values[k];
  // Sums of ±1 products, integers of magnitude ≤ N < 2^53: exact in any order.
  const Eigen::MatrixXd gram = xi_t * xi_t.transpose();
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(gram);
  // Numerical rank: the pivots of a diagonally pivoted Cholesky factorization of a positive
  // semidefinite matrix do not increase, and rounding leaves a dependent direction a pivot of
  // order P ε max_k G_kk; LAPACK's xPSTRF takes the same default threshold.
  const Eigen::VectorXd pivots = ldlt.vectorD().cwiseAbs();
  const double threshold = static_cast<double>(p) * DBL_EPSILON * pivots.maxCoeff();
  const std::int64_t rank = (pivots.array() > threshold).count();
  core::require(rank == p, "patterns",
                "the " + std::to_string(p) + " patterns of " + std::to_string(n) +
                    " neurons are linearly dependent (their Gram matrix Xi^T Xi has rank " +
                    std::to_string(rank) +
                    "); the pseudo-inverse rule needs independent patterns: P <= N, none "
                    "repeated or negated");
  core::DenseMatrix<double> T(n, n);
  Eigen::Map<RowMatrix> t(T.values.data(), n, n);
  t.noalias() = xi_t.transpose() * ldlt.solve(xi_t);  // Ξ (ΞᵀΞ)⁻¹ Ξᵀ
  // (a + b)/2 is commutative in floating point, so the two triangles get the same bits.
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = i + 1; j < n; ++j) {
      const double mean = 0.5 * (T(i, j) + T(j, i));
      T(i, j) = mean;
      T(j, i) = mean;
    }
  }
  return T;
}

core::Network memory_network(StorageRule rule, const core::PatternSet& patterns, bool factored) {
  if (rule == StorageRule::Hebb) return hebbian_network(patterns, factored);
  core::require(!factored, "storage",
                std::string("factored weights hold only Hebb's rule; the ") + to_string(rule) +
                    " rule needs dense weights");
  core::Network network;
  network.weights =
      rule == StorageRule::Storkey ? storkey_weights(patterns) : pseudo_inverse_weights(patterns);
  network.activation.kind = core::ActivationKind::Sign;
  return network;
}

}  // namespace attractor
