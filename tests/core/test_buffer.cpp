// core::Buffer: a matrix's array of its own or a read-only view of the caller's (how the Python
// package shares NumPy and SciPy arrays). A view is never written through, is shared by copies,
// and lets its keeper go once nothing refers to it.
#include <memory>
#include <vector>

#include "attractor/core/buffer.hpp"
#include "engine_backends.hpp"
#include "test_networks.hpp"

namespace attractor {
namespace {

using Buffer = core::Buffer<double>;

// A keeper that records its release.
std::shared_ptr<const void> keeper(bool& released) {
  return std::shared_ptr<const void>(&released, [](const void* flag) {
    *const_cast<bool*>(static_cast<const bool*>(flag)) = true;
  });
}

TEST(Buffer, ABorrowedViewReadsTheCallersMemoryAndCopiesShareIt) {
  const std::vector<double> theirs{1.0, 2.0, 3.0};
  bool released = false;
  {
    const Buffer view = Buffer::borrow(theirs.data(), theirs.size(), keeper(released));
    EXPECT_TRUE(view.borrowed());
    EXPECT_EQ(view.data(), theirs.data());
    EXPECT_EQ(view.size(), 3u);
    EXPECT_EQ(view[2], 3.0);
    const Buffer copy = view;  // NOLINT: the copy is the point
    EXPECT_EQ(copy.data(), theirs.data());
    EXPECT_EQ(copy, Buffer(std::vector<double>{1.0, 2.0, 3.0}));
  }
  EXPECT_TRUE(released);
}

TEST(Buffer, WritingCopiesFirstAndLeavesTheCallersMemoryAlone) {
  const std::vector<double> theirs{1.0, 2.0, 3.0};
  bool released = false;
  Buffer view = Buffer::borrow(theirs.data(), theirs.size(), keeper(released));
  const Buffer other = view;
  view[0] = 10.0;
  EXPECT_FALSE(view.borrowed());
  EXPECT_NE(view.data(), theirs.data());
  EXPECT_EQ(view.to_vector(), (std::vector<double>{10.0, 2.0, 3.0}));
  EXPECT_EQ(theirs[0], 1.0);
  EXPECT_EQ(other.data(), theirs.data());  // the other copy still shares the view
  EXPECT_FALSE(released);
  view.push_back(4.0);
  EXPECT_EQ(view.size(), 4u);
}

TEST(Buffer, TheLastCopyToLetGoReleasesTheKeeper) {
  const std::vector<double> theirs{1.0};
  bool released = false;
  Buffer a = Buffer::borrow(theirs.data(), theirs.size(), keeper(released));
  Buffer b = a;
  a.resize(2);  // a now owns a copy
  EXPECT_FALSE(released);
  b.clear();
  EXPECT_TRUE(released);
  EXPECT_TRUE(b.empty());
}

class BorrowedWeights : public test::OnEachBackend {};

// A network over borrowed arrays evolves exactly as one that owns the same values. (That a run
// does not copy them is the compiler's to check: engines take the network by const reference.)
TEST_P(BorrowedWeights, RunLikeOwnedOnes) {
  const std::int64_t n = 64;
  core::DenseMatrix<double> T(n, n);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < i; ++j)
      T(i, j) = T(j, i) = static_cast<double>((i * 7 + j * 3) % 5) - 2.0;
  }
  const auto owned = test::to_csr(T);
  const auto keep = std::make_shared<core::CsrMatrix<double>>(owned);
  core::CsrMatrix<double> view;
  view.rows = view.cols = n;
  view.row_ptr =
      core::Buffer<std::int64_t>::borrow(keep->row_ptr.data(), keep->row_ptr.size(), keep);
  view.col_idx =
      core::Buffer<std::int32_t>::borrow(keep->col_idx.data(), keep->col_idx.size(), keep);
  view.values = Buffer::borrow(keep->values.data(), keep->values.size(), keep);
  const auto borrowed_net = test::sign_network(view), owned_net = test::sign_network(owned);

  auto a = test::random_signs(8, n, 3), b = a;
  core::RunOptions options;
  options.max_steps = 50;
  engine().run(borrowed_net, a, options);
  engine().run(owned_net, b, options);
  EXPECT_EQ(a.values, b.values);
}

ATTRACTOR_ON_EACH_BACKEND(BorrowedWeights);

}  // namespace
}  // namespace attractor
