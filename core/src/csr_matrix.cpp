#include "attractor/core/csr_matrix.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "attractor/core/error.hpp"

namespace attractor::core {

CsrMatrix<double> csr_from_triplets(std::int64_t rows, std::int64_t cols,
                                    std::vector<Triplet<double>> triplets,
                                    const std::string& what) {
  require(rows >= 0 && cols >= 0, what, "negative matrix size");
  require(cols <= std::numeric_limits<std::int32_t>::max(), what,
          "more than 2^31 - 1 columns is not supported");
  for (const auto& t : triplets) {
    if (t.row < 0 || t.row >= rows || t.col < 0 || t.col >= cols) {
      throw InputError(what + ": entry (" + std::to_string(t.row + 1) + ", " +
                       std::to_string(t.col + 1) + ") lies outside the " + std::to_string(rows) +
                       " x " + std::to_string(cols) + " matrix");
    }
  }
  std::sort(triplets.begin(), triplets.end(), [](const auto& a, const auto& b) {
    return a.row != b.row ? a.row < b.row : a.col < b.col;
  });
  CsrMatrix<double> m;
  m.rows = rows;
  m.cols = cols;
  m.row_ptr.assign(static_cast<std::size_t>(rows) + 1, 0);
  m.col_idx.reserve(triplets.size());
  m.values.reserve(triplets.size());
  for (std::size_t k = 0; k < triplets.size(); ++k) {
    const auto& t = triplets[k];
    const bool same_as_last = k > 0 && triplets[k - 1].row == t.row && triplets[k - 1].col == t.col;
    if (same_as_last) {
      // Repeated entries are summed, and finite entries can sum to Inf.
      m.values.back() += t.value;
      if (!std::isfinite(m.values.back())) {
        throw InputError(what + ": the repeated entries at (" + std::to_string(t.row + 1) + ", " +
                         std::to_string(t.col + 1) + ") sum to a value beyond double's range");
      }
      continue;
    }
    m.col_idx.push_back(static_cast<std::int32_t>(t.col));
    m.values.push_back(t.value);
    ++m.row_ptr[static_cast<std::size_t>(t.row) + 1];
  }
  for (std::int64_t i = 0; i < rows; ++i) m.row_ptr[i + 1] += m.row_ptr[i];
  return m;
}

}  // namespace attractor::core
