#include "engine/factored_fields.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

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

PackedPatterns::PackedPatterns(const core::PatternSet& xi, bool wide)
    : n_(xi.n), p_(xi.count), words_((n_ + 63) / 64), groups_((p_ + 7) / 8), wide_(wide) {
  xi_bits_.assign(static_cast<std::size_t>(p_ * words_), 0);
  xi_bytes_.assign(static_cast<std::size_t>(groups_ * n_), 0);
#pragma omp parallel for schedule(static) if (parallel(p_ * n_))
  for (Index mu = 0; mu < p_; ++mu) {
    const std::int8_t* pattern = xi.pattern(mu);
    for (Index i = 0; i < n_; ++i) {
      xi_bits_[mu * words_ + i / 64] |= static_cast<std::uint64_t>(pattern[i] > 0) << (i % 64);
    }
  }
#pragma omp parallel for schedule(static) if (parallel(p_ * n_))
  for (Index g = 0; g < groups_; ++g) {
    std::uint8_t* group = xi_bytes_.data() + g * n_;
    for (Index mu = g * 8; mu < std::min(p_, g * 8 + 8); ++mu) {
      const std::int8_t* pattern = xi.pattern(mu);
      for (Index i = 0; i < n_; ++i) {
        group[i] |= static_cast<std::uint8_t>(static_cast<unsigned>(pattern[i] > 0) << (mu % 8));
      }
    }
  }
}

template <class Real>
bool PackedPatterns::fields(const Real* x, Index m, double* y) const {
  std::vector<std::uint64_t> state_bits(static_cast<std::size_t>(m * words_), 0);
  bool binary = true;
#pragma omp parallel for schedule(static) reduction(&& : binary) if (parallel(n_ * m))
  for (Index w = 0; w < words_; ++w) {
    for (Index i = w * 64; i < std::min(n_, w * 64 + 64); ++i) {
      for (Index j = 0; j < m; ++j) {
        const Real v = x[i * m + j];
        binary = binary && (v == Real(1) || v == Real(-1));
        state_bits[j * words_ + w] |= static_cast<std::uint64_t>(v > Real(0)) << (i - w * 64);
      }
    }
  }
  if (!binary) return false;
  std::vector<std::int64_t> overlaps(static_cast<std::size_t>(p_ * m));
#pragma omp parallel for schedule(dynamic, 8) if (parallel(p_ * words_ * m))
  for (Index mu = 0; mu < p_; ++mu) {
    popcount_overlaps(xi_bits_.data(), mu, mu + 1, words_, state_bits.data(), m, n_,
                      overlaps.data() + mu * m);
  }
  std::vector<std::int64_t> sums(static_cast<std::size_t>(n_ * m));
  pattern_sums(overlaps.data(), m, n_, sums.data());
  // factored_fields' last line, operation for operation, on the same integers.
  const double patterns = static_cast<double>(p_), neurons = static_cast<double>(n_);
#pragma omp parallel for schedule(static) if (parallel(n_ * m))
  for (Index e = 0; e < n_ * m; ++e) {
    y[e] = (static_cast<double>(sums[e]) - patterns * static_cast<double>(x[e])) / neurons;
  }
  return true;
}

void PackedPatterns::pattern_sums(const std::int64_t* c, Index m, Index bound,
                                  std::int64_t* out) const {
  // Every table entry and partial sum is at most P·bound in magnitude.
  if (!wide_ && bound <= std::numeric_limits<std::int32_t>::max() / std::max<Index>(p_, 1)) {
    lookups<std::int32_t>(c, m, out);
  } else {
    lookups<std::int64_t>(c, m, out);
  }
}

template <class Acc>
void PackedPatterns::lookups(const std::int64_t* c, Index m, std::int64_t* out) const {
  // Row `byte` of group g: Σ_b ±c_{8g+b}, + where bit b is set, built as the row with the lowest
  // bit cleared plus twice that bit's weight. Patterns past P (the last group's padding) have
  // zero bits and no weight.
  std::vector<Acc> tables(static_cast<std::size_t>(groups_ * 256 * m));
#pragma omp parallel for schedule(static) if (parallel(groups_ * 256 * m))
  for (Index g = 0; g < groups_; ++g) {
    Acc* table = tables.data() + g * 256 * m;
    const Index count = std::min<Index>(8, p_ - g * 8);
    const std::int64_t* weights = c + g * 8 * m;
    for (Index j = 0; j < m; ++j) {
      std::int64_t all_minus = 0;
      for (Index b = 0; b < count; ++b) all_minus -= weights[b * m + j];
      table[j] = static_cast<Acc>(all_minus);
    }
    for (Index byte = 1; byte < 256; ++byte) {
      const Index b = __builtin_ctzll(static_cast<std::uint64_t>(byte));
      const Acc* fewer = table + (byte & (byte - 1)) * m;
      for (Index j = 0; j < m; ++j) {
        // A padding pattern (b ≥ count) has no weight to read.
        table[byte * m + j] =
            b < count ? static_cast<Acc>(fewer[j] + 2 * weights[b * m + j]) : fewer[j];
      }
    }
  }
  // int64 sums accumulate in `out` itself; int32 sums (half the bytes per lookup) in their own
  // array, widened at the end.
  std::vector<Acc> narrow;
  Acc* acc = nullptr;
  if constexpr (std::is_same_v<Acc, std::int64_t>) {
    std::fill(out, out + n_ * m, Acc{0});
    acc = out;
  } else {
    narrow.assign(static_cast<std::size_t>(n_ * m), Acc{0});
    acc = narrow.data();
  }
  const Index block = std::max<Index>(1, kTableBytes / (256 * m * Index{sizeof(Acc)}));
  for (Index g0 = 0; g0 < groups_; g0 += block) {
    const Index g1 = std::min(groups_, g0 + block);
#pragma omp parallel for schedule(static) if (parallel(n_ * m * (g1 - g0)))
    for (Index first = 0; first < n_; first += kBlock) {
      add_byte_lookups(tables.data(), xi_bytes_.data(), n_, g0, g1, m, first,
                       std::min(first + kBlock, n_), acc + first * m);
    }
  }
  if constexpr (!std::is_same_v<Acc, std::int64_t>) std::copy(narrow.begin(), narrow.end(), out);
}

template void factored_fields(const core::PatternSet&, const float*, Index, double*);
template void factored_fields(const core::PatternSet&, const double*, Index, double*);
template bool PackedPatterns::fields(const float*, Index, double*) const;
template bool PackedPatterns::fields(const double*, Index, double*) const;

}  // namespace attractor::cpu
