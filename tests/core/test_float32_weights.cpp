// Dense and sparse weights stored in float32 (core::to_float32): the network's rules — size,
// synapses, validation, symmetry — hold for them exactly as for float64.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>

#include "attractor/core/csr_matrix.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/network.hpp"
#include "test_networks.hpp"

namespace attractor {
namespace {

core::CsrMatrix<double> three_by_three(double corner) {
  return core::csr_from_triplets(3, 3, {{0, 1, 0.1}, {1, 0, 0.1}, {2, 0, corner}, {0, 2, 0.25}},
                                 "test");
}

TEST(Float32Weights, RoundEachValueAndKeepTheLayout) {
  auto m = three_by_three(0.25);
  const auto row_ptr = m.row_ptr;
  const auto col_idx = m.col_idx;
  const auto values = m.values;
  const auto f = core::to_float32(std::move(m), "test");
  EXPECT_EQ(f.rows, 3);
  EXPECT_EQ(f.cols, 3);
  EXPECT_EQ(f.row_ptr, row_ptr);
  EXPECT_EQ(f.col_idx, col_idx);
  ASSERT_EQ(f.values.size(), values.size());
  for (std::size_t k = 0; k < values.size(); ++k) {
    EXPECT_EQ(f.values[k], static_cast<float>(values[k]));
  }
  // 0.1 is not a float32: the values really were rounded.
  EXPECT_NE(static_cast<double>(f.values[0]), values[0]);
}

TEST(Float32Weights, RefuseValuesBeyondFloat32sRange) {
  EXPECT_THROW(core::to_float32(three_by_three(1e39), "big.mtx"), core::InputError);
  EXPECT_THROW(core::to_float32(three_by_three(-1e39), "big.mtx"), core::InputError);
  // The largest float32 itself is kept, and so is a value that rounds down to it.
  EXPECT_NO_THROW(core::to_float32(three_by_three(FLT_MAX), "max.mtx"));
  EXPECT_NO_THROW(core::to_float32(three_by_three(FLT_MAX * (1.0 + 0x1p-30)), "max.mtx"));
  // NaN and Inf are not a range problem: they pass through for validate to report.
  const auto inf = core::to_float32(three_by_three(std::numeric_limits<double>::infinity()), "t");
  auto net = test::sign_network(inf);
  EXPECT_THROW(net.validate("inf.mtx"), core::InputError);
}

TEST(Float32Weights, NetworkSizeSynapsesSymmetryAndValidationAsInFloat64) {
  const auto symmetric = test::sign_network(core::to_float32(three_by_three(0.25), "t"));
  EXPECT_EQ(symmetric.size(), 3);
  EXPECT_EQ(symmetric.synapse_count(), 4);
  EXPECT_TRUE(core::is_sparse(symmetric.weights));
  EXPECT_NO_THROW(symmetric.validate("t"));
  EXPECT_TRUE(symmetric.is_symmetric());
  EXPECT_FALSE(test::sign_network(core::to_float32(three_by_three(0.5), "t")).is_symmetric());

  auto unsorted = core::to_float32(three_by_three(0.25), "t");
  std::swap(unsorted.col_idx[0], unsorted.col_idx[1]);  // row 0: columns 2, 1
  EXPECT_THROW(test::sign_network(unsorted).validate("t"), core::InputError);
  auto short_values = core::to_float32(three_by_three(0.25), "t");
  short_values.values.resize(3);
  EXPECT_THROW(test::sign_network(short_values).validate("t"), core::InputError);
  auto nan = core::to_float32(three_by_three(0.25), "t");
  nan.values[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(test::sign_network(nan).validate("t"), core::InputError);
}

TEST(Float32Weights, DenseWeightsRoundAndKeepTheirRules) {
  core::DenseMatrix<double> T(3, 3);
  T(0, 1) = T(1, 0) = 0.1;
  T(2, 0) = T(0, 2) = 0.25;
  const auto f = core::to_float32(core::DenseMatrix<double>(T), "test");
  ASSERT_EQ(f.rows, 3);
  ASSERT_EQ(f.cols, 3);
  for (std::size_t e = 0; e < T.values.size(); ++e) {
    EXPECT_EQ(f.values[e], static_cast<float>(T.values[e]));
  }
  const auto net = test::sign_network(f);
  EXPECT_EQ(net.size(), 3);
  EXPECT_EQ(net.synapse_count(), 9);
  EXPECT_TRUE(core::is_dense(net.weights));
  EXPECT_NO_THROW(net.validate("t"));
  EXPECT_TRUE(net.is_symmetric());
  auto lopsided = f;
  lopsided(2, 0) = 0.5F;
  EXPECT_FALSE(test::sign_network(lopsided).is_symmetric());
  auto short_values = f;
  short_values.values.resize(8);
  EXPECT_THROW(test::sign_network(short_values).validate("t"), core::InputError);
  T(1, 2) = 1e39;
  EXPECT_THROW(core::to_float32(std::move(T), "big.npy"), core::InputError);
}

}  // namespace
}  // namespace attractor
