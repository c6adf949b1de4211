// libFuzzer target: read_matrix_market on arbitrary bytes.
#include "attractor/host/io/matrix_market.hpp"
#include "fuzz_file.hpp"

// An accepted file is a well-formed CSR matrix: monotone row offsets, sorted in-range columns.
ATTRACTOR_FUZZ_READER_CHECKED(attractor::read_matrix_market, m) {
  ATTRACTOR_FUZZ_CHECK(m.rows >= 0 && m.cols >= 0);
  ATTRACTOR_FUZZ_CHECK(m.row_ptr.size() == static_cast<std::size_t>(m.rows) + 1);
  ATTRACTOR_FUZZ_CHECK(m.row_ptr[0] == 0 && m.row_ptr.back() == m.nnz());
  ATTRACTOR_FUZZ_CHECK(m.col_idx.size() == m.values.size());
  for (std::int64_t r = 0; r < m.rows; ++r) {
    const auto first = m.row_ptr[static_cast<std::size_t>(r)];
    const auto last = m.row_ptr[static_cast<std::size_t>(r) + 1];
    ATTRACTOR_FUZZ_CHECK(first <= last);
    for (auto k = first; k < last; ++k) {
      const std::int32_t c = m.col_idx[static_cast<std::size_t>(k)];
      ATTRACTOR_FUZZ_CHECK(c >= 0 && c < m.cols);
      ATTRACTOR_FUZZ_CHECK(k == first || m.col_idx[static_cast<std::size_t>(k) - 1] < c);
    }
  }
}
