#include "attractor/cuda/sell_matrix.hpp"

#include <algorithm>
#include <numeric>

#include "attractor/core/error.hpp"

namespace attractor::cuda {

using Index = std::int64_t;

template <class Value>
SellMatrix to_sell(const core::CsrMatrix<Value>& T, Index sigma) {
  constexpr Index C = SellMatrix::kSliceRows;
  core::require(sigma >= C && sigma % C == 0, "SELL-C-sigma", "sigma must be a multiple of 32");
  SellMatrix s;
  s.rows = T.rows;
  s.sigma = sigma;
  auto length = [&](Index r) { return T.row_ptr[r + 1] - T.row_ptr[r]; };
  s.row_of.resize(static_cast<std::size_t>(T.rows));
  std::iota(s.row_of.begin(), s.row_of.end(), 0);
  for (Index w = 0; w < T.rows; w += sigma) {
    // Longest first within the window; stable, so equal lengths keep their order.
    std::stable_sort(s.row_of.begin() + w, s.row_of.begin() + std::min(T.rows, w + sigma),
                     [&](std::int32_t a, std::int32_t b) { return length(a) > length(b); });
  }
  const Index slices = (T.rows + C - 1) / C;
  s.slice_ptr.assign(static_cast<std::size_t>(slices) + 1, 0);
  s.slice_width.assign(static_cast<std::size_t>(slices), 0);
  for (Index sl = 0; sl < slices; ++sl) {
    Index width = 0;
    for (Index r = sl * C; r < std::min(T.rows, sl * C + C); ++r)
      width = std::max(width, length(s.row_of[r]));
    s.slice_width[sl] = static_cast<std::int32_t>(width);
    s.slice_ptr[sl + 1] = s.slice_ptr[sl] + width * C;
  }
  s.col_idx.assign(static_cast<std::size_t>(s.slice_ptr[slices]), 0);
  s.values.assign(s.col_idx.size(), 0.0);
  for (Index r = 0; r < T.rows; ++r) {
    const Index sl = r / C, lane = r % C, row = s.row_of[r];
    for (Index k = 0; k < length(row); ++k) {
      const Index at = s.slice_ptr[sl] + k * C + lane;
      s.col_idx[at] = T.col_idx[T.row_ptr[row] + k];
      s.values[at] = T.values[T.row_ptr[row] + k];
    }
  }
  return s;
}

double sell_padding(const SellMatrix& sell, Index nnz) {
  return nnz == 0 ? 1.0 : static_cast<double>(sell.stored()) / static_cast<double>(nnz);
}

template <class Value>
bool prefer_sell(const core::CsrMatrix<Value>& T, const SellMatrix& sell) {
  return T.rows > 0 && T.nnz() >= 8 * T.rows && sell_padding(sell, T.nnz()) <= 1.10;
}

template SellMatrix to_sell(const core::CsrMatrix<double>&, Index);
template SellMatrix to_sell(const core::CsrMatrix<float>&, Index);
template bool prefer_sell(const core::CsrMatrix<double>&, const SellMatrix&);
template bool prefer_sell(const core::CsrMatrix<float>&, const SellMatrix&);

void sell_multiply(const SellMatrix& sell, const double* x, double* y) {
  constexpr Index C = SellMatrix::kSliceRows;
  for (Index r = 0; r < sell.rows; ++r) {
    const Index sl = r / C, lane = r % C;
    double acc = 0.0;
    for (Index k = 0; k < sell.slice_width[sl]; ++k) {
      const Index at = sell.slice_ptr[sl] + k * C + lane;
      acc += sell.values[at] * x[sell.col_idx[at]];
    }
    y[sell.row_of[r]] = acc;
  }
}

}  // namespace attractor::cuda
