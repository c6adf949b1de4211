#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/buffer.hpp"

namespace attractor::core {

// Compressed sparse rows. Column indices are 32-bit (a million-neuron network needs no more) and
// sorted within each row; row offsets are 64-bit so nnz may exceed 2^31. The exchange format with
// SciPy (csr_matrix) and the reference every faster sparse layout is tested against.
template <typename T>
struct CsrMatrix {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  Buffer<std::int64_t> row_ptr{0};
  Buffer<std::int32_t> col_idx;
  Buffer<T> values;

  std::int64_t nnz() const { return static_cast<std::int64_t>(values.size()); }
};

// One (row, col, value) entry, as read from a coordinate file or built by a generator.
template <typename T>
struct Triplet {
  std::int64_t row;
  std::int64_t col;
  T value;
};

// Builds a CSR matrix from unordered triplets; duplicates are summed (as SciPy's tocsr does).
// Throws InputError naming `what` for an index outside rows × cols.
CsrMatrix<double> csr_from_triplets(std::int64_t rows, std::int64_t cols,
                                    std::vector<Triplet<double>> triplets, const std::string& what);

}  // namespace attractor::core
