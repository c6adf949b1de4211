#pragma once
// Eigen-analysis of a physical network's Hessian: its lowest modes, how a task's force and
// output project on them, and the effective dimension of its responses.
//
// Responses to forces: u = H⁻¹F = Σ_n v_n (v_nᵀF) / λ_n. For isotropic forces F ~ N(0, I)
// the responses have covariance H⁻², whose participation ratio is
//   PR = (Σ λ⁻²)² / Σ λ⁻⁴  (1 ≤ PR ≤ N; PR ≈ 1 when one soft mode dominates),
// and the typical response (the root-mean-square |u|) is ḡ = sqrt(Σ λ⁻²). Stern et al. write
// the effective dimension as D_eff = (Σ λ⁻²)² / (3 Σ λ⁻⁴): a third of PR. Both are reported.
#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attractor/core/enum_names.hpp"
#include "attractor/host/physical/physical_learning.hpp"

namespace attractor {

enum class ModeMethod { Auto, Dense, ShiftInvert };
constexpr core::NameTable<ModeMethod, 3> enum_names(ModeMethod) {
  return {"mode method",
          {{{ModeMethod::Auto, "auto"},
            {ModeMethod::Dense, "dense"},
            {ModeMethod::ShiftInvert, "shift-invert"}}}};
}

struct HessianModes {
  Eigen::VectorXd values;   // ascending
  Eigen::MatrixXd vectors;  // one unit eigenvector per column
  bool complete = false;    // every eigenvalue of H (dense), not just the lowest few
  std::string method;       // "dense" or "shift-invert"
  std::int64_t iterations = 0, operations = 0;  // Lanczos restarts and H⁻¹ products (sparse)
};

// Auto takes the dense solver (all modes; O(n³)) up to kDenseModeLimit DOFs and Spectra's
// shift-invert Lanczos (SymEigsShiftSolver about σ = 0, one sparse Cholesky of H) above it.
// `count` ≥ 1 lowest modes are returned (all of them when dense and count ≥ n). A Cholesky
// factor of this H, when the caller has one (`factor_of_H`), is reused rather than made again.
constexpr std::int64_t kDenseModeLimit = 3000;
HessianModes lowest_modes(const Eigen::SparseMatrix<double>& H, std::int64_t count,
                          ModeMethod method = ModeMethod::Auto, double tolerance = 1e-10,
                          const HessianSolver* factor_of_H = nullptr);

// ḡ, PR and D_eff from every eigenvalue of H (InputError for a non-positive one).
struct ResponseSpectrum {
  double g_bar = 0, participation = 0, d_eff = 0;
};
ResponseSpectrum response_spectrum(const Eigen::VectorXd& eigenvalues);

// The same dimension measured: M forces F_m ~ N(0, I) (CounterRng(seed), RngPurpose::Forces),
// responses u_m = H⁻¹F_m, and the participation ratio (tr Ĉ)² / tr Ĉ² of their second-moment
// matrix Ĉ = M⁻¹ Σ u_m u_mᵀ. It is biased low by finite M — for Gaussian forces
// E[tr Ĉ²] = tr C² + ((tr C)² + tr C²)/M — and tends to PR as M grows.
struct EnsembleDimension {
  std::int64_t forces = 0;
  double participation = 0, d_eff = 0, g_bar = 0;
};
EnsembleDimension ensemble_dimension(const HessianSolver& solver, std::int64_t forces,
                                     std::uint64_t seed);

// How the task's input force (H u^F: the applied force plus what the held sources exert) and
// outputs project on mode n: f_n = F̂·v_n, a_n = |A v_n| / |A| (Frobenius), and their product
// |f_n| a_n, which is 1 only for a mode that is both the force's and the outputs' direction.
// The carrier is the mode with the largest share |f_n| a_n / λ_n of the output response
// A u = Σ (A v_n)(v_nᵀF)/λ_n, among the modes given.
struct ModeAlignment {
  std::vector<double> f, a, product;
  std::size_t carrier = 0;
};
ModeAlignment mode_alignment(const HessianModes& modes, const Eigen::VectorXd& input_force,
                             const Eigen::SparseMatrix<double, Eigen::RowMajor>& A);

// One eigen-analysis of H(w) while a network learns: its lowest modes (every mode, for the
// response spectrum, while a dense solve stays well under a second: up to kDenseAnalysisLimit
// free DOFs; else the `kept` lowest), how `task`'s force and outputs project on them, the carrier
// mode (when every mode is known), and with forces > 0 the dimension measured from random forces.
constexpr std::int64_t kDenseAnalysisLimit = 1500;
struct ModeAnalysis {
  HessianModes modes;
  ModeAlignment alignment;                   // over every mode found
  std::size_t kept = 0;                      // the modes a report lists: min(kept asked, found)
  std::optional<ResponseSpectrum> spectrum;  // when modes.complete
  std::optional<EnsembleDimension> ensemble;
};
ModeAnalysis analyze_modes(const PhysicalSystem& system, const std::vector<double>& w,
                           const PhysicalTask& task, std::int64_t kept, std::int64_t forces,
                           std::uint64_t seed);

}  // namespace attractor
