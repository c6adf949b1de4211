// The SELL-C-σ copy the GPU multiplies near-uniform sparse networks with (sell_matrix.hpp),
// checked on the CPU against the CSR it came from.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "attractor/core/csr_matrix.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/cuda/launch_geometry.hpp"
#include "attractor/cuda/sell_matrix.hpp"

namespace attractor {
namespace {

using cuda::SellMatrix;
using Index = std::int64_t;

// n rows; row r has length(r) entries in distinct random columns, random values.
template <class Length>
core::CsrMatrix<double> random_rows(Index n, Length length, std::uint64_t seed) {
  const core::CounterRng rng{seed};
  std::vector<core::Triplet<double>> t;
  for (Index r = 0; r < n; ++r) {
    std::vector<Index> cols;
    for (Index k = 0; static_cast<Index>(cols.size()) < std::min<Index>(length(r), n); ++k) {
      const Index c = rng.below(core::RngPurpose::Weights, static_cast<std::uint32_t>(r),
                                static_cast<std::uint64_t>(k), static_cast<std::uint32_t>(n));
      if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
    }
    for (const Index c : cols) {
      t.push_back(
          {r, c,
           rng.normal(core::RngPurpose::Weights, 1u << 30, static_cast<std::uint64_t>(r * n + c))});
    }
  }
  return core::csr_from_triplets(n, n, std::move(t), "test");
}

std::vector<double> csr_times(const core::CsrMatrix<double>& T, const std::vector<double>& x) {
  std::vector<double> y(static_cast<std::size_t>(T.rows));
  for (Index r = 0; r < T.rows; ++r) {
    double acc = 0.0;  // k ascending, as the SELL row is stored
    for (Index k = T.row_ptr[r]; k < T.row_ptr[r + 1]; ++k) acc += T.values[k] * x[T.col_idx[k]];
    y[r] = acc;
  }
  return y;
}

// Every row keeps its entries in order (only padding zeros are added, and x + 0·x_0 = x), so the
// product is CSR's to the bit; the stored rows are a permutation sorted longest-first in each
// σ-window, and every slice is as wide as its longest row. Row counts not a multiple of 32, empty
// rows and one long row included.
TEST(SellMatrix, IsAPermutationOfTheCsrRowsWithTheSameProduct) {
  for (const Index n : {1, 31, 33, 1000, 4099}) {
    const auto T = random_rows(
        n, [&](Index r) { return r == n / 2 ? 200 : (r % 7 == 3 ? 0 : 5 + r % 11); }, 5 + n);
    const SellMatrix sell = cuda::to_sell(T, cuda::kSellSigma);
    std::vector<std::int32_t> rows(sell.row_of.begin(), sell.row_of.end());
    std::sort(rows.begin(), rows.end());
    for (Index r = 0; r < n; ++r) ASSERT_EQ(rows[r], r);
    auto length = [&](Index r) { return T.row_ptr[r + 1] - T.row_ptr[r]; };
    for (Index r = 0; r + 1 < n; ++r) {
      if ((r + 1) % sell.sigma != 0) {
        ASSERT_GE(length(sell.row_of[r]), length(sell.row_of[r + 1]));
      }
    }
    for (Index s = 0; s < sell.slices(); ++s) {
      Index widest = 0;
      for (Index r = s * 32; r < std::min(n, s * 32 + 32); ++r)
        widest = std::max(widest, length(sell.row_of[r]));
      ASSERT_EQ(sell.slice_width[s], widest);
    }
    std::vector<double> x(static_cast<std::size_t>(n)), y(x.size());
    for (Index i = 0; i < n; ++i) x[i] = 0.5 - static_cast<double>(i % 13) / 7.0;
    cuda::sell_multiply(sell, x.data(), y.data());
    EXPECT_EQ(y, csr_times(T, x)) << "n = " << n;
  }
}

// Uniform rows (random networks of fixed in-degree) pad nothing and take SELL; so do hubs that
// come 32 to a window (sorting gives them a slice of their own). A lone hub per σ-window shares
// its slice with 31 short rows, pads it to its own length, and keeps the matrix in CSR; so do
// very short rows.
TEST(SellMatrix, UniformRowsChooseSellAndSkewedRowsKeepCsr) {
  const auto uniform = random_rows(
      2048, [](Index) { return 64; }, 1);
  const auto sell = cuda::to_sell(uniform, cuda::kSellSigma);
  EXPECT_DOUBLE_EQ(cuda::sell_padding(sell, uniform.nnz()), 1.0);
  EXPECT_TRUE(cuda::prefer_sell(uniform, sell));

  const auto near_uniform = random_rows(
      2048, [](Index r) { return 60 + r % 9; }, 2);
  const auto near = cuda::to_sell(near_uniform, cuda::kSellSigma);
  EXPECT_LT(cuda::sell_padding(near, near_uniform.nnz()),
            1.10);  // sorted windows: slices of equal rows
  EXPECT_TRUE(cuda::prefer_sell(near_uniform, near));

  const auto grouped = random_rows(
      2048, [](Index r) { return r % 32 == 0 ? 500 : 10; }, 3);
  const auto sorted = cuda::to_sell(grouped, cuda::kSellSigma);
  EXPECT_DOUBLE_EQ(cuda::sell_padding(sorted, grouped.nnz()), 1.0);

  const auto hubs = random_rows(
      2048, [](Index r) { return r % 1024 == 0 ? 1000 : 10; }, 3);
  const auto skewed = cuda::to_sell(hubs, cuda::kSellSigma);
  EXPECT_GT(cuda::sell_padding(skewed, hubs.nnz()), 1.10);
  EXPECT_FALSE(cuda::prefer_sell(hubs, skewed));

  const auto sparse = random_rows(
      2048, [](Index) { return 3; }, 4);
  EXPECT_FALSE(cuda::prefer_sell(sparse, cuda::to_sell(sparse, cuda::kSellSigma)));
}

TEST(SellMatrix, SigmaMustBeAMultipleOfTheSlice) {
  const auto T = random_rows(
      64, [](Index) { return 4; }, 6);
  EXPECT_THROW(cuda::to_sell(T, 48), core::InputError);
  EXPECT_THROW(cuda::to_sell(T, 0), core::InputError);
}

}  // namespace
}  // namespace attractor
