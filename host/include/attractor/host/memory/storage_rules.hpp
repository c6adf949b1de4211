#pragma once
#include <string>

#include "attractor/core/dense_matrix.hpp"
#include "attractor/core/enum_names.hpp"
#include "attractor/core/network.hpp"
#include "attractor/core/state_batch.hpp"

namespace attractor {

// How P patterns become the weights of a recurrent associative memory of sign neurons.
//   Hebb            T = (1/N) Σ_μ ξ^μ ξ^μᵀ, T_ii = 0 (Hopfield 1982; hebbian.hpp).
//   Storkey         the incremental, local rule of Storkey (1997), capacity N/√(2 ln N).
//   PseudoInverse   the projection rule of Personnaz, Guyon & Dreyfus (1985): every stored
//                   pattern is a fixed point while the patterns are linearly independent.
enum class StorageRule { Hebb, Storkey, PseudoInverse };
constexpr core::NameTable<StorageRule, 3> enum_names(StorageRule) {
  return {"storage rule",
          {{{StorageRule::Hebb, "hebb"},
            {StorageRule::Storkey, "storkey"},
            {StorageRule::PseudoInverse, "pinv"}}}};
}
// "hebb", "storkey" or "pinv"; anything else is an InputError naming `what` (the option).

// Storkey's rule (A. Storkey, "Increasing the capacity of a Hopfield network without sacrificing
// functionality", ICANN 1997) stores one pattern ξ into T:
//   T_ij += (1/N) (ξ_i ξ_j − ξ_i h_ji − h_ij ξ_j),   h_ij = Σ_{k≠i,j} T_ik ξ_k,   i ≠ j,
// with the diagonal left as it is. The local fields h = T ξ are computed once (O(N²)) and
// h_ij = h_i − T_ii ξ_i − T_ij ξ_j. T must be square and symmetric: only its upper triangle is
// read, and the result is mirrored from it, so T stays symmetric bit for bit. `xi` has N entries
// (±1 for a binary pattern; any finite values are accepted).
void storkey_store(core::DenseMatrix<double>& T, const double* xi);

// The patterns stored in order by storkey_store into T = 0: a symmetric matrix with T_ii = 0.
// The first pattern gives Hebb's T exactly (h = 0); later ones subtract the crosstalk each
// pattern's field already receives from the others.
core::DenseMatrix<double> storkey_weights(const core::PatternSet& patterns);

// The projection rule T = Ξ (ΞᵀΞ)⁻¹ Ξᵀ, Ξ the N × P matrix with the patterns as columns: the
// orthogonal projection onto their span, so T ξ^μ = ξ^μ for every stored pattern (exactly, up to
// rounding) and each one is a fixed point with margin ξ_i (T ξ)_i = 1. The diagonal is kept
// (T_ii ≈ P/N on average), so T is the projection itself; zeroing it would leave margins
// 1 − T_ii, still positive, but T ξ ≠ ξ and other basins of attraction (the variant of Kanter &
// Sompolinsky 1987). The P × P Gram matrix ΞᵀΞ (integers, exact) is factored by Cholesky with
// diagonal pivoting (Eigen::LDLT), which also gives its numerical rank; patterns that are
// linearly dependent (P > N, a repeated or negated pattern, ...) are an InputError that states
// the rank. T is symmetrized, (T + Tᵀ)/2, so it is symmetric bit for bit.
core::DenseMatrix<double> pseudo_inverse_weights(const core::PatternSet& patterns);

// A network of sign neurons, no bias and no threshold, with the weights `rule` makes from the
// patterns. `factored` (core::FactoredWeights, P·N bytes) holds only Hebb's rule: asking it of
// another rule is an InputError.
core::Network memory_network(StorageRule rule, const core::PatternSet& patterns,
                             bool factored = false);

}  // namespace attractor
