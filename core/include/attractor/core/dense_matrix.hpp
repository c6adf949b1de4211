#pragma once
#include <cstdint>
#include <vector>

#include "attractor/core/buffer.hpp"

namespace attractor::core {

// Row-major rows × cols matrix; the layout NumPy writes for a C-ordered 2-D array.
template <typename T>
struct DenseMatrix {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  Buffer<T> values;

  DenseMatrix() = default;
  DenseMatrix(std::int64_t rows_, std::int64_t cols_, T fill = T{})
      : rows(rows_), cols(cols_), values(static_cast<std::size_t>(rows_ * cols_), fill) {}

  T& operator()(std::int64_t i, std::int64_t j) { return values[i * cols + j]; }
  const T& operator()(std::int64_t i, std::int64_t j) const { return values[i * cols + j]; }
  T* row(std::int64_t i) { return values.data() + i * cols; }
  const T* row(std::int64_t i) const { return values.data() + i * cols; }
};

}  // namespace attractor::core
