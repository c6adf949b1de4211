#include "attractor/host/physical/hessian_modes.hpp"

#include <Spectra/SymEigsShiftSolver.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>

#include "attractor/core/error.hpp"
#include "attractor/core/philox.hpp"

namespace attractor {

using core::require;

namespace {

// Spectra's shift-solve operator, y = (H − σI)⁻¹ x, on one sparse Cholesky factor: Spectra's
// own SparseSymShiftSolve factors with SparseLU, which ignores that H is symmetric definite.
// A caller's factor of H itself serves the shift σ = 0 without a second factorization.
class CholeskyShiftSolve {
 public:
  using Scalar = double;
  CholeskyShiftSolve(const Eigen::SparseMatrix<double>& H, const HessianSolver* factor_of_H)
      : H_(H), factor_of_H_(factor_of_H) {}
  Eigen::Index rows() const { return H_.rows(); }
  Eigen::Index cols() const { return H_.cols(); }
  void set_shift(double sigma) {
    if (sigma == 0.0 && factor_of_H_ != nullptr) {
      active_ = factor_of_H_;
      return;
    }
    Eigen::SparseMatrix<double> identity(H_.rows(), H_.cols());
    identity.setIdentity();
    own_.factorize(H_ - sigma * identity);
    active_ = &own_;
  }
  void perform_op(const double* x_in, double* y_out) const {
    Eigen::Map<const Eigen::VectorXd> x(x_in, H_.rows());
    Eigen::Map<Eigen::VectorXd>(y_out, H_.rows()) = active_->solve(Eigen::VectorXd(x));
  }

 private:
  const Eigen::SparseMatrix<double>& H_;
  const HessianSolver* factor_of_H_;
  HessianSolver own_;
  const HessianSolver* active_ = nullptr;
};

}  // namespace

HessianModes lowest_modes(const Eigen::SparseMatrix<double>& H, std::int64_t count,
                          ModeMethod method, double tolerance, const HessianSolver* factor_of_H) {
  const std::int64_t n = H.rows();
  require(H.rows() == H.cols() && n > 0, "H", "must be square and non-empty");
  require(count >= 1, "--count", "must be at least 1");
  if (method == ModeMethod::Auto) {
    method = n <= kDenseModeLimit ? ModeMethod::Dense : ModeMethod::ShiftInvert;
  }
  HessianModes modes;
  if (method == ModeMethod::Dense) {
    require(n <= 20000, "--method dense",
            "would need " + std::to_string(8 * n * n / (1 << 20)) +
                " MiB for H; use shift-invert above 20000 DOFs");
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig{Eigen::MatrixXd(H)};
    require(eig.info() == Eigen::Success, "dense eigensolver", "did not converge");
    const auto kept = static_cast<Eigen::Index>(std::min(count, n));
    modes.values = eig.eigenvalues().head(kept);
    modes.vectors = eig.eigenvectors().leftCols(kept);
    modes.complete = kept == n;
    modes.method = "dense";
    return modes;
  }
  // Lanczos needs count < ncv ≤ n; 2·count + 1 (at least 20) vectors is Spectra's advice.
  require(count < n, "--count",
          "shift-invert finds fewer than the " + std::to_string(n) + " modes of H");
  const auto ncv =
      static_cast<Eigen::Index>(std::min(n, std::max<std::int64_t>(2 * count + 1, 20)));
  require(factor_of_H == nullptr || factor_of_H->size() == n, "factor of H",
          "was made for a matrix of another size");
  CholeskyShiftSolve op(H, factor_of_H);
  Spectra::SymEigsShiftSolver<CholeskyShiftSolve> eigs(op, static_cast<Eigen::Index>(count), ncv,
                                                       0.0);
  eigs.init();
  eigs.compute(Spectra::SortRule::LargestMagn, 1000, tolerance, Spectra::SortRule::SmallestAlge);
  require(eigs.info() == Spectra::CompInfo::Successful, "shift-invert Lanczos",
          "did not converge to " + std::to_string(count) + " modes");
  modes.values = eigs.eigenvalues();
  modes.vectors = eigs.eigenvectors();
  modes.method = "shift-invert";
  modes.iterations = eigs.num_iterations();
  modes.operations = eigs.num_operations();
  return modes;
}

ResponseSpectrum response_spectrum(const Eigen::VectorXd& eigenvalues) {
  require(eigenvalues.size() > 0 && eigenvalues.minCoeff() > 0, "spectrum",
          "needs positive eigenvalues");
  // Σ λ⁻² and Σ λ⁻⁴ are dominated by the softest modes; scaling by λ_min first keeps λ⁻⁴
  // in range for spectra that reach 1e-80.
  const double lambda_min = eigenvalues.minCoeff();
  const Eigen::ArrayXd r = lambda_min / eigenvalues.array();
  const double s2 = r.square().sum(), s4 = r.square().square().sum();
  ResponseSpectrum out;
  out.g_bar = std::sqrt(s2) / lambda_min;
  out.participation = s2 * s2 / s4;
  out.d_eff = out.participation / 3.0;
  return out;
}

EnsembleDimension ensemble_dimension(const HessianSolver& solver, std::int64_t forces,
                                     std::uint64_t seed) {
  require(forces >= 2, "--forces", "needs at least 2 random forces");
  const std::int64_t n = solver.size();
  require(static_cast<double>(n) * static_cast<double>(forces) * 8.0 <= 4e9, "--forces",
          "the responses would need more than 4 GB");
  const core::CounterRng rng{seed};
  Eigen::MatrixXd F(n, forces);
  for (Eigen::Index m = 0; m < forces; ++m) {
    for (Eigen::Index i = 0; i < n; ++i) {
      F(i, m) = rng.normal(core::RngPurpose::Forces, static_cast<std::uint32_t>(m),
                           static_cast<std::uint64_t>(i));
    }
  }
  const Eigen::MatrixXd U = solver.solve(F);
  const auto M = static_cast<double>(forces);
  // tr Ĉ² = |Ĉ|_F², from the smaller of the Gram matrices UᵀU (M × M) and UUᵀ (n × n).
  const double trace_C2 =
      (forces <= n ? (U.transpose() * U).squaredNorm() : (U * U.transpose()).squaredNorm()) /
      (M * M);
  const double trace_C = U.squaredNorm() / M;
  EnsembleDimension out;
  out.forces = forces;
  out.participation = trace_C * trace_C / trace_C2;
  out.d_eff = out.participation / 3.0;
  out.g_bar = std::sqrt(trace_C);
  return out;
}

ModeAlignment mode_alignment(const HessianModes& modes, const Eigen::VectorXd& input_force,
                             const Eigen::SparseMatrix<double, Eigen::RowMajor>& A) {
  require(input_force.size() == modes.vectors.rows() && A.cols() == modes.vectors.rows(),
          "alignment", "the force and outputs must live on H's degrees of freedom");
  const double force_norm = input_force.norm(), outputs_norm = A.norm();
  require(force_norm > 0 && outputs_norm > 0, "alignment", "needs a force and outputs");
  ModeAlignment out;
  for (Eigen::Index n = 0; n < modes.vectors.cols(); ++n) {
    const double f = input_force.dot(modes.vectors.col(n)) / force_norm;
    const double a = (A * modes.vectors.col(n)).norm() / outputs_norm;
    out.f.push_back(f);
    out.a.push_back(a);
    out.product.push_back(std::abs(f) * a);
    if (out.product.back() / modes.values[n] >
        out.product[out.carrier] / modes.values[static_cast<Eigen::Index>(out.carrier)]) {
      out.carrier = static_cast<std::size_t>(n);
    }
  }
  return out;
}

ModeAnalysis analyze_modes(const PhysicalSystem& system, const std::vector<double>& w,
                           const PhysicalTask& task, std::int64_t kept, std::int64_t forces,
                           std::uint64_t seed) {
  require(kept >= 1, "modes", "must be at least 1");
  const auto H = system.hessian(w);
  const bool dense = system.free_dofs() <= kDenseAnalysisLimit;
  HessianSolver solver;
  solver.factorize(H);
  ModeAnalysis out;
  out.modes = lowest_modes(
      H, dense ? system.free_dofs() : std::min<std::int64_t>(kept, system.free_dofs() - 1),
      ModeMethod::Auto, 1e-10, &solver);
  const Eigen::VectorXd u_F = free_state(solver, task);
  out.alignment = mode_alignment(out.modes, H * u_F, task.A);
  out.kept = static_cast<std::size_t>(std::min<std::int64_t>(kept, out.modes.values.size()));
  if (out.modes.complete) out.spectrum = response_spectrum(out.modes.values);
  if (forces > 0) out.ensemble = ensemble_dimension(solver, forces, seed);
  return out;
}

}  // namespace attractor
