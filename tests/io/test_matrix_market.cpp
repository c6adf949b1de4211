#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "attractor/core/csr_matrix.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/host/io/matrix_market.hpp"
#include "file_fixture.hpp"

namespace attractor {
namespace {

namespace fs = std::filesystem;
using core::CsrMatrix;
using Dense = std::vector<std::vector<double>>;

using test::expect_input_error;
using test::read_file;
const std::string& kData = test::kDataDir;

class MatrixMarket : public test::TempDirTest {};

Dense to_dense(const CsrMatrix<double>& m) {
  Dense d(static_cast<std::size_t>(m.rows), std::vector<double>(static_cast<std::size_t>(m.cols)));
  for (std::int64_t i = 0; i < m.rows; ++i) {
    for (std::int64_t k = m.row_ptr[i]; k < m.row_ptr[i + 1]; ++k) d[i][m.col_idx[k]] = m.values[k];
  }
  return d;
}

std::uint64_t bits(double v) {
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Compares values by bit pattern, so -0.0 differs from 0.0.
void expect_same_matrix(const CsrMatrix<double>& expected, const CsrMatrix<double>& actual) {
  EXPECT_EQ(expected.rows, actual.rows);
  EXPECT_EQ(expected.cols, actual.cols);
  EXPECT_EQ(expected.row_ptr, actual.row_ptr);
  EXPECT_EQ(expected.col_idx, actual.col_idx);
  ASSERT_EQ(expected.values.size(), actual.values.size());
  for (std::size_t k = 0; k < expected.values.size(); ++k) {
    EXPECT_EQ(bits(expected.values[k]), bits(actual.values[k]))
        << "entry " << k << ": " << expected.values[k] << " vs " << actual.values[k];
  }
}

// Runs `f`, which must throw core::InputError with a one-line message naming `path` and containing
// every word of `words`.
TEST_F(MatrixMarket, RoundTripsGeneralMatrixExactly) {
  const double tiny = std::numeric_limits<double>::denorm_min();
  const CsrMatrix<double> m = core::csr_from_triplets(
      4, 5,
      {{0, 0, 0.1}, {0, 4, 1.0 / 3.0}, {2, 1, -tiny}, {2, 3, 1e308}, {3, 0, -0.0}, {3, 2, 3e-17}},
      "test");
  const std::string p = path("m.mtx");
  write_matrix_market(p, m);
  EXPECT_EQ(read_file(p).rfind("%%MatrixMarket matrix coordinate real general\n4 5 6\n", 0), 0u);
  expect_same_matrix(m, read_matrix_market(p));
}

TEST_F(MatrixMarket, RoundTripsSymmetricMatrixWritingOnlyTheLowerTriangle) {
  const CsrMatrix<double> m = core::csr_from_triplets(
      3, 3, {{0, 0, 2.0}, {0, 1, 0.1}, {1, 0, 0.1}, {1, 2, -1e-5}, {2, 1, -1e-5}, {2, 2, 7.0}},
      "test");
  const std::string p = path("m.mtx");
  write_matrix_market(p, m, /*symmetric=*/true);
  EXPECT_EQ(read_file(p),
            "%%MatrixMarket matrix coordinate real symmetric\n3 3 4\n"
            "1 1 2\n2 1 0.10000000000000001\n3 2 -1.0000000000000001e-05\n3 3 7\n");
  expect_same_matrix(m, read_matrix_market(p));
}

TEST_F(MatrixMarket, RoundTripsMatricesWithoutEntries) {
  for (const auto& [rows, cols] : {std::pair{3, 2}, std::pair{0, 0}}) {
    const CsrMatrix<double> m = core::csr_from_triplets(rows, cols, {}, "test");
    const std::string p = path("m.mtx");
    write_matrix_market(p, m);
    expect_same_matrix(m, read_matrix_market(p));
  }
}

TEST_F(MatrixMarket, ReadsFilesWrittenByScipy) {
  EXPECT_EQ(to_dense(read_matrix_market(kData + "/general.mtx")),
            (Dense{{1.5, 0, 0, -2.0}, {0, 0, 1e-300, 0}, {0, 0.1, 0, 0}}));
  EXPECT_EQ(to_dense(read_matrix_market(kData + "/symmetric.mtx")),
            (Dense{{2.0, 0.5, 0}, {0.5, 0, -3.25}, {0, -3.25, 1.0}}));
  EXPECT_EQ(to_dense(read_matrix_market(kData + "/integer.mtx")), (Dense{{0, 7}, {-4, 0}}));
  const CsrMatrix<double> pattern = read_matrix_market(kData + "/pattern.mtx");
  EXPECT_EQ(pattern.nnz(), 3);
  EXPECT_EQ(to_dense(pattern), (Dense{{1, 0}, {1, 1}}));
}

TEST_F(MatrixMarket, MirrorsSkewSymmetricEntriesWithTheSignNegated) {
  const std::string p = write_file("m.mtx",
                                   "%%MatrixMarket matrix coordinate real skew-symmetric\n"
                                   "3 3 2\n2 1 1.5\n3 1 -4\n");
  EXPECT_EQ(to_dense(read_matrix_market(p)), (Dense{{0, -1.5, 4}, {1.5, 0, 0}, {-4, 0, 0}}));
}

TEST_F(MatrixMarket, ToleratesCaseCommentsBlankLinesAndCrlf) {
  const std::string p = write_file("m.mtx",
                                   "%%matrixmarket MATRIX Coordinate Real General\r\n"
                                   "% a comment\r\n"
                                   "\r\n"
                                   "  2 2 2\r\n"
                                   "%another\n"
                                   "\t1\t2\t+2.5e0 \n"
                                   "\n"
                                   "2 2 -.5\n"
                                   "\n");
  EXPECT_EQ(to_dense(read_matrix_market(p)), (Dense{{0, 2.5}, {0, -0.5}}));
}

TEST_F(MatrixMarket, SumsDuplicateEntries) {
  const std::string p = write_file("m.mtx",
                                   "%%MatrixMarket matrix coordinate real general\n"
                                   "1 1 2\n1 1 1.25\n1 1 2\n");
  EXPECT_EQ(to_dense(read_matrix_market(p)), (Dense{{3.25}}));
}

TEST_F(MatrixMarket, RejectsMissingOrMalformedBanner) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty file"},
      {"3 3 0\n", "line 1: missing '%%MatrixMarket' banner"},
      {"% comment\n%%MatrixMarket matrix coordinate real general\n1 1 0\n", "line 1: missing"},
      {"%%MatrixMarket matrix coordinate real\n1 1 0\n", "line 1: malformed banner"},
      {"%%MatrixMarketmatrix coordinate real general x\n1 1 0\n", "malformed banner"},
      {"%%MatrixMarket vector coordinate real general\n1 1 0\n", "'vector'"},
      {"%%MatrixMarket matrix sparse real general\n1 1 0\n", "unknown format 'sparse'"},
      {"%%MatrixMarket matrix coordinate double general\n1 1 0\n", "unknown field 'double'"},
      {"%%MatrixMarket matrix coordinate real upper\n1 1 0\n", "unknown symmetry 'upper'"},
      {"%%MatrixMarket matrix coordinate pattern skew-symmetric\n1 1 0\n", "pattern"},
  };
  for (const auto& [text, words] : cases) {
    const std::string p = write_file("m.mtx", text);
    expect_input_error([&] { read_matrix_market(p); }, p, {words});
  }
}

TEST_F(MatrixMarket, RejectsArrayFormatSuggestingCoordinate) {
  const std::string p =
      write_file("m.mtx", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n");
  expect_input_error([&] { read_matrix_market(p); }, p,
                     {"line 1", "'array' format is not supported", "'coordinate'"});
}

TEST_F(MatrixMarket, RejectsComplexAndHermitian) {
  const std::string complex =
      write_file("c.mtx", "%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1.0 2.0\n");
  expect_input_error([&] { read_matrix_market(complex); }, complex, {"complex"});
  const std::string hermitian =
      write_file("h.mtx", "%%MatrixMarket matrix coordinate real hermitian\n1 1 1\n1 1 1.0\n");
  expect_input_error([&] { read_matrix_market(hermitian); }, hermitian, {"hermitian"});
}

TEST_F(MatrixMarket, RejectsBadSizeLine) {
  const std::string banner = "%%MatrixMarket matrix coordinate real general\n% c\n";
  for (const std::string size :
       {"3 3\n", "3 3 1 1\n", "3 x 1\n", "3 -3 1\n", "3 3 1.0\n", "99999999999999999999 3 1\n"}) {
    const std::string p = write_file("m.mtx", banner + size + "1 1 1\n");
    expect_input_error([&] { read_matrix_market(p); }, p, {"line 3: bad size line"});
  }
  const std::string missing = write_file("m.mtx", banner);
  expect_input_error([&] { read_matrix_market(missing); }, missing, {"truncated", "size line"});
  const std::string wide = write_file("w.mtx", banner + "1 3000000000 0\n");
  expect_input_error([&] { read_matrix_market(wide); }, wide, {"line 3", "limit"});
  const std::string nonsquare =
      write_file("s.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n");
  expect_input_error([&] { read_matrix_market(nonsquare); }, nonsquare,
                     {"line 2", "square", "2 x 3"});
}

TEST_F(MatrixMarket, RejectsWrongNumberOfFieldsOnAnEntryLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"real general\n2 2 1\n1 1\n", "expected 3 fields (row col value), found 2"},
      {"integer general\n2 2 1\n1 1 1 1\n", "expected 3 fields (row col value), found 4"},
      {"pattern general\n2 2 1\n1 1 1\n", "expected 2 fields (row col), found 3"},
  };
  for (const auto& [text, words] : cases) {
    const std::string p = write_file("m.mtx", "%%MatrixMarket matrix coordinate " + text);
    expect_input_error([&] { read_matrix_market(p); }, p, {"line 3", words});
  }
}

TEST_F(MatrixMarket, RejectsIndexOutOfRange) {
  for (const std::string entry : {"0 1 1.0", "3 1 1.0", "1 4 1.0", "-1 1 1.0"}) {
    const std::string p = write_file(
        "m.mtx", "%%MatrixMarket matrix coordinate real general\n2 3 2\n1 1 1\n" + entry + "\n");
    expect_input_error([&] { read_matrix_market(p); }, p,
                       {"line 4", "out of range", "outside the 2 x 3 matrix"});
  }
}

TEST_F(MatrixMarket, RejectsNonNumericValuesAndIndices) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"real general\n1 1 1\n1 1 abc\n", "value 'abc' is not a number"},
      {"real general\n1 1 1\n1 1 1.0D+00\n", "value '1.0D+00' is not a number"},
      {"real general\n1 1 1\n1 1 1e999\n", "value '1e999' is not a number"},
      {"integer general\n1 1 1\n1 1 1.5\n", "value '1.5' is not an integer"},
      {"real general\n1 1 1\n1.0 1 2\n", "row and column must be integers"},
  };
  for (const auto& [text, words] : cases) {
    const std::string p = write_file("m.mtx", "%%MatrixMarket matrix coordinate " + text);
    expect_input_error([&] { read_matrix_market(p); }, p, {"line 3", words});
  }
}

TEST_F(MatrixMarket, RejectsNanAndInfiniteValues) {
  for (const std::string value : {"nan", "NaN", "inf", "-Infinity"}) {
    const std::string p = write_file(
        "m.mtx", "%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 " + value + "\n");
    expect_input_error([&] { read_matrix_market(p); }, p, {"line 3", "'" + value + "'", "NaN"});
  }
}

TEST_F(MatrixMarket, RejectsTruncatedEntryList) {
  const std::string p = kData + "/truncated.mtx";
  expect_input_error([&] { read_matrix_market(p); }, p,
                     {"truncated", "declares 4 entries", "ends after 3"});
}

TEST_F(MatrixMarket, RejectsMoreEntriesThanDeclared) {
  const std::string p = write_file(
      "m.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n% c\n2 2 1\n");
  expect_input_error([&] { read_matrix_market(p); }, p,
                     {"line 5", "more entries than the 1 declared"});
}

TEST_F(MatrixMarket, RejectsDiagonalEntryInSkewSymmetricMatrix) {
  const std::string p = write_file(
      "m.mtx", "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 2\n2 1 1\n2 2 1\n");
  expect_input_error([&] { read_matrix_market(p); }, p,
                     {"line 4", "skew-symmetric", "diagonal", "(2, 2)"});
}

TEST_F(MatrixMarket, RejectsMissingFileOrDirectory) {
  const std::string p = path("absent.mtx");
  expect_input_error([&] { read_matrix_market(p); }, p, {"cannot open"});
  const std::string dir = path("");
  expect_input_error([&] { read_matrix_market(dir); }, dir, {"is a directory"});
}

TEST_F(MatrixMarket, WriteRejectsNonFiniteValuesAndLeavesNoFile) {
  const std::string p = path("m.mtx");
  const CsrMatrix<double> m =
      core::csr_from_triplets(2, 2, {{0, 1, std::numeric_limits<double>::quiet_NaN()}}, "test");
  expect_input_error([&] { write_matrix_market(p, m); }, p, {"NaN"});
  EXPECT_FALSE(fs::exists(p));
}

TEST_F(MatrixMarket, WriteRejectsNonSquareSymmetricMatrix) {
  const std::string p = path("m.mtx");
  const CsrMatrix<double> m = core::csr_from_triplets(2, 3, {{0, 1, 1.0}}, "test");
  expect_input_error([&] { write_matrix_market(p, m, /*symmetric=*/true); }, p,
                     {"square", "2 x 3"});
}

// A 60-byte size line asked for 16 GiB of row offsets before any entry was read.
TEST_F(MatrixMarket, RejectsSizesBeyondTheLimitBeforeAllocating) {
  for (const std::string size :
       {"2147483647 2147483647 0", "214004736 214004736 0", "3 99999999999 0"}) {
    const std::string p =
        write_file("huge.mtx", "%%MatrixMarket matrix coordinate real general\n" + size + "\n");
    expect_input_error([&] { read_matrix_market(p); }, p, {"line 2", "limit"});
  }
}

// Each entry is finite; their sum is not.
TEST_F(MatrixMarket, RejectsRepeatedEntriesThatSumBeyondDoublesRange) {
  const std::string p = write_file("dup.mtx",
                                   "%%MatrixMarket matrix coordinate real general\n"
                                   "2 2 2\n1 2 1e308\n1 2 1e308\n");
  expect_input_error([&] { read_matrix_market(p); }, p, {"(1, 2)", "beyond double's range"});
}

// A token reaches the message only as a short printable excerpt: no 50 MB error line, no
// terminal escape codes, no message cut at a NUL.
TEST_F(MatrixMarket, QuotesBadTokensAsShortPrintableExcerpts) {
  const std::string header = "%%MatrixMarket matrix coordinate real general\n2 2 1\n";
  for (const std::string& value : {std::string(100000, '9') + "x", std::string("\x1b[31mred"),
                                   std::string("1\0"
                                               "5",
                                               3)}) {
    const std::string p = write_file("bad.mtx", header + "1 1 " + value + "\n");
    try {
      read_matrix_market(p);
      ADD_FAILURE() << "accepted a bad value";
    } catch (const core::InputError& e) {
      const std::string message = e.what();
      EXPECT_LT(message.size(), p.size() + 200) << message;
      for (const char c : message) EXPECT_TRUE(c >= ' ' && c <= '~') << message;
    }
  }
  const std::string p = write_file("long.mtx", header + std::string(core::kMaxLineBytes + 1, ' '));
  expect_input_error([&] { read_matrix_market(p); }, p, {"line 3", "longer than"});
  expect_input_error([&] { read_matrix_market("/dev/zero"); }, "/dev/zero", {"not a regular file"});
}

}  // namespace
}  // namespace attractor
