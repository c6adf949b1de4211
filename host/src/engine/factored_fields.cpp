#include "engine/factored_fields.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <limits>

#include "engine/cpu_kernels.hpp"

namespace attractor::cpu {

using Index = std::int64_t;

namespace {

template <class Real>
using RowMatrix = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Bytes of lookup tables swept over the neurons at once: half a typical per-core L2 cache, so a
// block's tables stay there while every neuron reads them.
constexpr Index kTableBytes = Index{256} << 10;

}  // namespace

template <class Real>
void factored_fields(const core::PatternSet& xi, const Real* x, Index m, double* y) {
  using Bits = Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using ColMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  const Index n = xi.n, p = xi.count;
  const Index block = std::max<Index>(1, std::min<Index>(p, (Index{1} << 23) / n));  // ≤ 64 MiB
  const RowMatrix<double> X = Eigen::Map<const RowMatrix<Real>>(x, n, m).template cast<double>();
  Eigen::Map<RowMatrix<double>> Y(y, n, m);
  Y.setZero();
  RowMatrix<double> xi_block;
  for (Index start = 0; start < p; start += block) {
    const Index rows = std::min(block, p - start);
    xi_block = Eigen::Map<const Bits>(xi.pattern(start), rows, n).cast<double>();
    const ColMatrixD sums = xi_block * X;  // rows × m overlap sums
    Y.noalias() += xi_block.transpose() * sums;
  }
  Y = (Y - static_cast<double>(p) * X) / static_cast<double>(n);
}

template <class Real>
bool PackedPatterns::fields(const Real* x, Index m, double* y) {
  const Index n = xi_->n, p = xi_->count;
  const Index words = (n + 63) / 64;
  state_bits_.assign(static_cast<std::size_t>(m * words), 0);
  bool binary = true;
#pragma omp parallel for schedule(static) reduction(&& : binary) if (parallel(n * m))
  for (Index w = 0; w < words; ++w) {
    for (Index i = w * 64; i < std::min(n, w * 64 + 64); ++i) {
      for (Index j = 0; j < m; ++j) {
        const Real v = x[i * m + j];
        binary = binary && (v == Real(1) || v == Real(-1));
        state_bits_[j * words + w] |= static_cast<std::uint64_t>(v > Real(0)) << (i - w * 64);
      }
    }
  }
  if (!binary) return false;
  pack();
  const Index groups = (p + 7) / 8;
  // Patterns past P (the last group's padding) keep zero sums and have zero bits.
  sums_.assign(static_cast<std::size_t>(groups * 8 * m), 0);
#pragma omp parallel for schedule(dynamic, 8) if (parallel(p * words * m))
  for (Index mu = 0; mu < p; ++mu) {
    popcount_overlaps(xi_bits_.data(), mu, mu + 1, words, state_bits_.data(), m, n,
                      sums_.data() + mu * m);
  }
  // |Σ_μ ξ^μ_i sums_μ| ≤ P N bounds every table entry and partial sum.
  if (!wide_ && p * n <= std::numeric_limits<std::int32_t>::max()) {
    second_product(x, m, y, tables32_, acc32_);
  } else {
    second_product(x, m, y, tables64_, acc64_);
  }
  return true;
}

template <class Real, class Acc>
void PackedPatterns::second_product(const Real* x, Index m, double* y, std::vector<Acc>& tables,
                                    std::vector<Acc>& acc) const {
  const Index n = xi_->n, p = xi_->count;
  const Index groups = (p + 7) / 8;
  // Row `byte` of group g: Σ_b ±sums_{8g+b}, + where bit b is set, built as the row with the
  // lowest bit cleared plus twice that bit's sum.
  tables.resize(static_cast<std::size_t>(groups * 256 * m));
#pragma omp parallel for schedule(static) if (parallel(groups * 256 * m))
  for (Index g = 0; g < groups; ++g) {
    Acc* table = tables.data() + g * 256 * m;
    const std::int64_t* group_sums = sums_.data() + g * 8 * m;
    for (Index j = 0; j < m; ++j) {
      std::int64_t all_minus = 0;
      for (Index b = 0; b < 8; ++b) all_minus -= group_sums[b * m + j];
      table[j] = static_cast<Acc>(all_minus);
    }
    for (Index byte = 1; byte < 256; ++byte) {
      const Index b = __builtin_ctzll(static_cast<std::uint64_t>(byte));
      const Acc* fewer = table + (byte & (byte - 1)) * m;
      for (Index j = 0; j < m; ++j) {
        table[byte * m + j] = static_cast<Acc>(fewer[j] + 2 * group_sums[b * m + j]);
      }
    }
  }
  const Index block = std::max<Index>(1, kTableBytes / (256 * m * Index{sizeof(Acc)}));
  acc.assign(static_cast<std::size_t>(n * m), 0);
  for (Index g0 = 0; g0 < groups; g0 += block) {
    const Index g1 = std::min(groups, g0 + block);
#pragma omp parallel for schedule(static) if (parallel(n * m * (g1 - g0)))
    for (Index first = 0; first < n; first += kBlock) {
      add_byte_lookups(tables.data(), xi_bytes_.data(), n, g0, g1, m, first,
                       std::min(first + kBlock, n), acc.data() + first * m);
    }
  }
  // The integer Σ_μ ξ^μ_i sums_μ, then factored_fields' last line, operation for operation.
  const double patterns = static_cast<double>(p), neurons = static_cast<double>(n);
#pragma omp parallel for schedule(static) if (parallel(n * m))
  for (Index e = 0; e < n * m; ++e) {
    y[e] = (static_cast<double>(acc[e]) - patterns * static_cast<double>(x[e])) / neurons;
  }
}

void PackedPatterns::pack() {
  if (!xi_bits_.empty() || xi_->count == 0) return;
  const Index n = xi_->n, p = xi_->count;
  const Index words = (n + 63) / 64;
  const Index groups = (p + 7) / 8;
  xi_bits_.assign(static_cast<std::size_t>(p * words), 0);
  xi_bytes_.assign(static_cast<std::size_t>(groups * n), 0);
#pragma omp parallel for schedule(static) if (parallel(p * n))
  for (Index mu = 0; mu < p; ++mu) {
    const std::int8_t* pattern = xi_->pattern(mu);
    for (Index i = 0; i < n; ++i) {
      xi_bits_[mu * words + i / 64] |= static_cast<std::uint64_t>(pattern[i] > 0) << (i % 64);
    }
  }
#pragma omp parallel for schedule(static) if (parallel(p * n))
  for (Index g = 0; g < groups; ++g) {
    std::uint8_t* group = xi_bytes_.data() + g * n;
    for (Index mu = g * 8; mu < std::min(p, g * 8 + 8); ++mu) {
      const std::int8_t* pattern = xi_->pattern(mu);
      for (Index i = 0; i < n; ++i) {
        group[i] |= static_cast<std::uint8_t>(static_cast<unsigned>(pattern[i] > 0) << (mu % 8));
      }
    }
  }
}

template void factored_fields(const core::PatternSet&, const float*, Index, double*);
template void factored_fields(const core::PatternSet&, const double*, Index, double*);
template bool PackedPatterns::fields(const float*, Index, double*);
template bool PackedPatterns::fields(const double*, Index, double*);

}  // namespace attractor::cpu
