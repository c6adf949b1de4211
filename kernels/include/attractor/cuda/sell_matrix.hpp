#pragma once
// SELL-C-σ (Kreutzer et al., SIAM J. Sci. Comput. 2014): a sparse layout for GPUs whose rows have
// near-uniform lengths, the common case of random and Hebbian-sparsified networks. Rows are
// sorted by length within windows of σ rows, cut into slices of C = 32 rows (one warp, a thread
// per row), and each slice is padded to its longest row and stored column-major, so the 32
// threads of a warp read 32 consecutive values and 32 consecutive column indices at every step:
// coalesced without the warp-per-row reduction CSR needs, and with no idle lanes on rows shorter
// than a warp. Plain C++ (no CUDA): built and tested in every build.
#include <cstdint>
#include <vector>

#include "attractor/core/csr_matrix.hpp"

namespace attractor::cuda {

struct SellMatrix {
  static constexpr std::int64_t kSliceRows = 32;  // C
  std::int64_t rows = 0;
  std::int64_t sigma = 0;
  // Slice s holds stored rows [32 s, 32 s + 32): entry k of its row r (0 ≤ r < 32) is at
  // slice_ptr[s] + k · 32 + r, for k < slice_width[s]. Padding has value 0 and column 0.
  std::vector<std::int64_t> slice_ptr;    // slices + 1
  std::vector<std::int32_t> slice_width;  // slices
  std::vector<std::int32_t> row_of;       // stored row → original row (rows)
  std::vector<std::int32_t> col_idx;
  std::vector<double> values;

  std::int64_t slices() const { return static_cast<std::int64_t>(slice_width.size()); }
  std::int64_t stored() const { return static_cast<std::int64_t>(values.size()); }
};

// The SELL-C-σ copy of `T` (σ a multiple of 32, at least 32); float32 values widen exactly.
// Defined for double and float.
template <class Value>
SellMatrix to_sell(const core::CsrMatrix<Value>& T, std::int64_t sigma);

// Stored entries over non-zeros: the bytes SELL streams relative to CSR's (1 = no padding).
double sell_padding(const SellMatrix& sell, std::int64_t nnz);

// Whether the GPU should multiply `T` in SELL-C-σ rather than CSR: rows of at least 8 entries on
// average (shorter rows leave CSR's warps mostly idle, but then the states dominate anyway; this
// keeps tiny test matrices on one path) and at most 10% padding, i.e. at most 10% more bytes.
template <class Value>
bool prefer_sell(const core::CsrMatrix<Value>& T, const SellMatrix& sell);

// The window the engine sorts in: 32 slices, long enough to group rows of equal length, short
// enough that a row's stored place stays near its index (the state gathers stay local).
inline constexpr std::int64_t kSellSigma = 32 * SellMatrix::kSliceRows;

// y = T x through the SELL copy, on the host: the reference the device kernel is tested against
// (same layout, same per-row summation order: k ascending).
void sell_multiply(const SellMatrix& sell, const double* x, double* y);

}  // namespace attractor::cuda
