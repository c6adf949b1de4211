#include "attractor/core/network.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "attractor/core/error.hpp"

namespace attractor::core {

namespace {

// Value stored at (i, j) of a CSR matrix with sorted rows, or 0 when absent.
template <class T>
T csr_at(const CsrMatrix<T>& m, std::int64_t i, std::int32_t j) {
  const auto first = m.col_idx.begin() + m.row_ptr[i];
  const auto last = m.col_idx.begin() + m.row_ptr[i + 1];
  const auto it = std::lower_bound(first, last, j);
  return (it != last && *it == j) ? m.values[it - m.col_idx.begin()] : T(0);
}

template <class T>
void validate_csr(const CsrMatrix<T>& csr, const std::string& what) {
  require(static_cast<std::int64_t>(csr.row_ptr.size()) == csr.rows + 1 &&
              csr.row_ptr.front() == 0 && csr.row_ptr.back() == csr.nnz() &&
              csr.col_idx.size() == csr.values.size(),
          what, "inconsistent CSR arrays (row_ptr, col_idx and values disagree in length)");
  // The messages are built only on failure: this loop runs over every stored synapse.
  const auto fail = [&](const std::string& problem, std::int64_t row) {
    throw InputError(what + ": " + problem + " in row " + std::to_string(row));
  };
  for (std::int64_t i = 0; i < csr.rows; ++i) {
    const std::int64_t begin = csr.row_ptr[i], end = csr.row_ptr[i + 1];
    if (begin > end || end > csr.nnz()) fail("CSR row offsets decrease", i);
    for (std::int64_t k = begin; k < end; ++k) {
      const std::int32_t c = csr.col_idx[k];
      if (c < 0 || c >= csr.cols)
        fail("CSR column index " + std::to_string(c) + " out of range", i);
      // Sorted, duplicate-free rows: the symmetry test and the GPU layouts rely on it.
      if (k > begin && csr.col_idx[k - 1] >= c) {
        fail("CSR column indices are not strictly increasing", i);
      }
    }
  }
}

template <class T>
bool csr_is_symmetric(const CsrMatrix<T>& csr) {
  for (std::int64_t i = 0; i < csr.rows; ++i) {
    for (std::int64_t k = csr.row_ptr[i]; k < csr.row_ptr[i + 1]; ++k) {
      if (csr_at(csr, csr.col_idx[k], static_cast<std::int32_t>(i)) != csr.values[k]) {
        return false;
      }
    }
  }
  return true;
}

// Values rounded to float32, refusing a finite value that would round to Inf.
std::vector<float> rounded_to_float32(const Buffer<double>& values, const std::string& what) {
  std::vector<float> out(values.size());
  for (std::size_t k = 0; k < out.size(); ++k) {
    out[k] = static_cast<float>(values[k]);
    if (std::isinf(out[k]) && std::isfinite(values[k])) {
      throw InputError(what + ": weight " + std::to_string(values[k]) +
                       " lies beyond float32's range");
    }
  }
  return out;
}

}  // namespace

CsrMatrix<float> to_float32(CsrMatrix<double>&& m, const std::string& what) {
  CsrMatrix<float> out;
  out.rows = m.rows;
  out.cols = m.cols;
  out.values = rounded_to_float32(m.values, what);
  m.values.clear();
  out.row_ptr = std::move(m.row_ptr);
  out.col_idx = std::move(m.col_idx);
  return out;
}

DenseMatrix<float> to_float32(DenseMatrix<double>&& m, const std::string& what) {
  DenseMatrix<float> out;
  out.rows = m.rows;
  out.cols = m.cols;
  out.values = rounded_to_float32(m.values, what);
  m.values.clear();
  return out;
}

std::int64_t Network::size() const {
  if (const auto* factored = std::get_if<FactoredWeights>(&weights)) return factored->patterns.n;
  std::int64_t rows = 0;
  visit_dense(weights, [&](const auto& dense) { rows = dense.rows; });
  visit_csr(weights, [&](const auto& csr) { rows = csr.rows; });
  return rows;
}

std::int64_t Network::synapse_count() const {
  std::int64_t count = size() * size();
  visit_csr(weights, [&](const auto& csr) { count = csr.nnz(); });
  return count;
}

void Network::validate(const std::string& what) const {
  if (const auto* factored = std::get_if<FactoredWeights>(&weights)) {
    const auto& xi = factored->patterns;
    require(xi.n > 0 && xi.count >= 0, what, "factored weights need N > 0 neurons");
    require(static_cast<std::int64_t>(xi.values.size()) == xi.count * xi.n, what,
            "factored weights hold " + std::to_string(xi.values.size()) +
                " pattern entries, not P x N");
    require(all_signs(xi.values), what, "factored weights need patterns of +1 and -1");
  } else {
    std::visit(
        [&](const auto& w) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(w)>, FactoredWeights>) {
            require(w.rows > 0, what, "the weight matrix is empty");
            require(w.rows == w.cols, what,
                    "weights must be square, got " + std::to_string(w.rows) + " x " +
                        std::to_string(w.cols));
            require(all_finite(w.values), what, "weights contain NaN or Inf");
          }
        },
        weights);
  }
  visit_dense(weights, [&](const auto& dense) {
    require(
        static_cast<std::int64_t>(dense.values.size()) == dense.rows * dense.cols, what,
        "dense weights hold " + std::to_string(dense.values.size()) + " values, not rows x cols");
  });
  visit_csr(weights, [&](const auto& csr) { validate_csr(csr, what); });
  require(bias.empty() || static_cast<std::int64_t>(bias.size()) == size(), what,
          "bias has " + std::to_string(bias.size()) + " entries but the network has " +
              std::to_string(size()) + " neurons");
  require(all_finite(bias) && std::isfinite(threshold), what, "bias or threshold is NaN or Inf");
  require(std::isfinite(activation.gain) && activation.gain > 0, what,
          "activation gain must be positive and finite");
}

bool Network::is_symmetric() const {
  if (std::holds_alternative<FactoredWeights>(weights)) return true;  // Ξᵀ Ξ is
  bool symmetric = true;
  visit_dense(weights, [&](const auto& dense) {
    for (std::int64_t i = 0; i < dense.rows && symmetric; ++i) {
      for (std::int64_t j = i + 1; j < dense.cols; ++j) {
        if (dense(i, j) != dense(j, i)) {
          symmetric = false;
          break;
        }
      }
    }
  });
  visit_csr(weights, [&](const auto& csr) { symmetric = csr_is_symmetric(csr); });
  return symmetric;
}

}  // namespace attractor::core
