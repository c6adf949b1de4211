#pragma once
// Exact low-precision weights. A Hebbian matrix is integers over N: N·T_ij = Σ_μ ξ^μ_i ξ^μ_j ∈
// [−P, P]. Stored as int8 (or fp16, which holds every integer up to 2048 exactly) and multiplied
// with ±1 states, such weights give fields with no rounding at all — integer sums in int32 or in
// fp32 accumulators that never exceed 2^24 — at a quarter (int8) or half (fp16) of fp32's bytes
// and at tensor-core rates. This header says when that applies, and is the CPU reference the
// device products are tested against.
#include <cstdint>
#include <optional>
#include <vector>

#include "attractor/core/dense_matrix.hpp"

namespace attractor::core {

enum class IntegerStorage { Int8, Float16 };

// T = K / D exactly in the sense that every stored T_ij is the double nearest K_ij / D (what
// NumPy's (Ξᵀ Ξ) / N gives): the fields below are those of the rational matrix K / D, of which T
// is the rounded copy.
struct IntegerWeights {
  std::int64_t n = 0;
  std::int64_t denominator = 1;  // D
  std::int32_t max_abs = 0;      // max |K_ij|
  IntegerStorage storage = IntegerStorage::Int8;
  std::vector<std::int16_t> values;  // K, N × N row-major (back to back for a stack)
};

// Largest |K| int8 holds, and the largest fp16 holds exactly (2^11: an 11-bit significand).
inline constexpr std::int32_t kMaxInt8Weight = 127;
inline constexpr std::int32_t kMaxHalfWeight = 2048;

// The integer form of dense weights, when one exists and a low-precision product with ±1 states
// is exact: Int8 when max|K| ≤ 127; Float16 when max|K| ≤ 2048 and N · max|K| < 2^24 (no partial
// sum of a row leaves fp32's exact integers); std::nullopt otherwise — weights that are not
// integers over one denominator (D is tried as round(d / min|T_ij|) for d = 1 .. 16), or too
// large: the caller falls back to floating point. A zero matrix has no form (nothing to gain).
std::optional<IntegerWeights> exact_integer_form(const DenseMatrix<double>& T);
// The same over `count` values of N × N matrices stored back to back (an ensemble's stack), with
// one denominator for all of them.
std::optional<IntegerWeights> exact_integer_form(const double* values, std::int64_t count,
                                                 std::int64_t n);

// The reference product: out[j N + i] = (Σ_k K_ik x_jk) / D for m states x (m × N, ±1), the
// integer sum exact in int64 and divided once — for a Hebbian matrix the very double the
// factored float64 product gives.
void integer_fields(const IntegerWeights& w, const double* x, double* out, std::int64_t m);

// IEEE 754 binary16 bits of an integer |k| ≤ 2048, exactly.
std::uint16_t half_bits(std::int32_t k);

}  // namespace attractor::core
