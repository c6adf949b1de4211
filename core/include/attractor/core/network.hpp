#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "attractor/core/activation.hpp"
#include "attractor/core/csr_matrix.hpp"
#include "attractor/core/dense_matrix.hpp"
#include "attractor/core/state_batch.hpp"

namespace attractor::core {

// Hebbian weights kept in factored form, T = (1/N) Ξᵀ Ξ − (P/N) I — the outer-product rule with a
// zero diagonal — stored as the P × N patterns Ξ: T x costs O(N P) operations instead of O(N²)
// and the weights P·N bytes instead of 8 N², which is what lets a fully connected network of
// 10⁵–10⁶ neurons fit in memory. For ±1 states every sum is an integer, so fields are exact.
struct FactoredWeights {
  PatternSet patterns;
};

// Dense and sparse weights may be stored in float32 (4 bytes a weight, and 8 a synapse with its
// column, not 8 and 12): the weights are what decides whether a large network fits in memory. A
// float32 run reads them in place; a float64 run widens them exactly.
using Weights = std::variant<DenseMatrix<double>, CsrMatrix<double>, FactoredWeights,
                             CsrMatrix<float>, DenseMatrix<float>>;

// Calls f with the sparse (visit_csr) or dense (visit_dense) weights, whichever precision holds
// their values; not at all for the other forms.
template <class F>
void visit_csr(const Weights& weights, F&& f) {
  if (const auto* d = std::get_if<CsrMatrix<double>>(&weights)) f(*d);
  if (const auto* s = std::get_if<CsrMatrix<float>>(&weights)) f(*s);
}
template <class F>
void visit_dense(const Weights& weights, F&& f) {
  if (const auto* d = std::get_if<DenseMatrix<double>>(&weights)) f(*d);
  if (const auto* s = std::get_if<DenseMatrix<float>>(&weights)) f(*s);
}
inline bool is_sparse(const Weights& weights) {
  return std::holds_alternative<CsrMatrix<double>>(weights) ||
         std::holds_alternative<CsrMatrix<float>>(weights);
}
inline bool is_dense(const Weights& weights) {
  return std::holds_alternative<DenseMatrix<double>>(weights) ||
         std::holds_alternative<DenseMatrix<float>>(weights);
}

// The same weights with their values rounded to float32 (a CSR matrix's row offsets and columns
// moved, not copied), for float32 runs of networks too large to hold twice. Throws InputError
// naming `what` for a value beyond float32's range.
CsrMatrix<float> to_float32(CsrMatrix<double>&& m, const std::string& what);
DenseMatrix<float> to_float32(DenseMatrix<double>&& m, const std::string& what);

// What a network IS, independent of the backend that evolves it:
//   discrete    s_i ← sign(Σ_j T_ij s_j + b_i),
//   continuous  du_i/dt = Σ_j T_ij g(u_j) − u_i + b_i,
// with the effective bias b_i = h_i − a (bias h, threshold a). T may be asymmetric; the energy
// functions exist only when it is symmetric.
struct Network {
  Weights weights;
  std::vector<double> bias;  // h; empty means zero
  double threshold = 0.0;    // a
  Activation activation;

  std::int64_t size() const;
  std::int64_t synapse_count() const;  // entries of T: N² when dense or factored, nnz for CSR
  double effective_bias(std::int64_t i) const { return (bias.empty() ? 0.0 : bias[i]) - threshold; }
  // Throws InputError naming `what` when T is not square, the bias has the wrong length, or any
  // value is NaN/Inf.
  void validate(const std::string& what) const;
  // Exact symmetry T_ij == T_ji (Hebbian and (A + Aᵀ)/2 weights are exactly symmetric).
  bool is_symmetric() const;
};

}  // namespace attractor::core
