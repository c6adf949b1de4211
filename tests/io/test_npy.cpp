#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "attractor/core/error.hpp"
#include "attractor/host/io/npy.hpp"
#include "file_fixture.hpp"

namespace attractor {
namespace {

namespace fs = std::filesystem;

using test::expect_input_error;
using test::read_file;
using Values = std::vector<double>;  // write_npy reads a span, which a braced list cannot make
const std::string& kData = test::kDataDir;

class Npy : public test::TempDirTest {};

// A .npy file as NumPy lays it out: magic, version, header length, the dict padded with spaces to
// a 64-byte boundary and ended by '\n', then `data`.
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  header.resize((prefix + header.size() + 1 + 63) / 64 * 64 - prefix - 1, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>(header.size() >> (8 * i));
  return out + header + data;
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

// Runs `f`, which must throw core::InputError with a one-line message naming `path` and containing
// every word of `words`.
std::uint64_t bits(double v) {
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Compares bit patterns, so -0.0 differs from 0.0 and NaN equals itself.
void expect_same_bits(const std::vector<double>& expected, const std::vector<double>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (std::size_t k = 0; k < expected.size(); ++k) {
    EXPECT_EQ(bits(expected[k]), bits(actual[k]))
        << "index " << k << ": " << expected[k] << " vs " << actual[k];
  }
}

TEST_F(Npy, RoundTripsEveryDtypeAndShape) {
  const std::vector<std::vector<std::int64_t>> shapes = {{},     {0},       {5},
                                                         {2, 3}, {3, 0, 2}, {2, 2, 2}};
  for (NpyDtype dtype : {NpyDtype::Float32, NpyDtype::Float64, NpyDtype::Int8, NpyDtype::Int32}) {
    const bool integral = dtype == NpyDtype::Int8 || dtype == NpyDtype::Int32;
    for (const auto& shape : shapes) {
      SCOPED_TRACE(std::string(to_string(dtype)) + " of " + std::to_string(shape.size()) + "-d");
      std::int64_t n = 1;
      for (std::int64_t d : shape) n *= d;
      std::vector<double> values;
      // Quarters are exact in float32; the integer dtypes get -n/2 .. n/2.
      const std::int64_t half = n / 2;
      for (std::int64_t k = 0; k < n; ++k) {
        values.push_back(integral ? static_cast<double>(k - half)
                                  : 0.25 * static_cast<double>(k) - 1.0);
      }
      const std::string p = path("a.npy");
      write_npy(p, shape, values, dtype);
      const NpyArray a = read_npy(p);
      EXPECT_EQ(a.dtype, dtype);
      EXPECT_EQ(a.shape, shape);
      EXPECT_EQ(a.size(), n);
      EXPECT_EQ(a.values, values);
    }
  }
}

TEST_F(Npy, Float64RoundTripIsBitExactIncludingNonFinite) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> values = {0.1,
                                      3.141592653589793,
                                      -0.0,
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::quiet_NaN(),
                                      -inf,
                                      inf};
  const std::string p = path("a.npy");
  write_npy(p, {4, 2}, values);
  expect_same_bits(values, read_npy(p).values);
}

TEST_F(Npy, Float32WriteRoundsToNearestFloat) {
  const std::string p = path("a.npy");
  write_npy(p, {2}, Values{0.1, std::numeric_limits<double>::infinity()}, NpyDtype::Float32);
  const NpyArray a = read_npy(p);
  EXPECT_EQ(a.values[0], static_cast<double>(0.1f));
  EXPECT_EQ(a.values[1], std::numeric_limits<double>::infinity());
}

TEST_F(Npy, WritesHeaderAsNumpyDoes) {
  const std::string p = path("a.npy");
  write_npy(p, {2, 3}, std::vector<double>(6, 1.0));
  const std::string bytes = read_file(p);
  ASSERT_EQ(bytes.size(), 128u + 48u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(bytes[8], 118);  // header length 128 - 10, little-endian
  EXPECT_EQ(bytes[9], 0);
  const std::string header = bytes.substr(10, 118);
  const std::string dict_text = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(header.substr(0, dict_text.size()), dict_text);
  EXPECT_EQ(header.find_first_not_of(' ', dict_text.size()), header.size() - 1);
  EXPECT_EQ(header.back(), '\n');
}

TEST_F(Npy, WritesVersion2HeaderOnlyWhenVersion1CannotHoldIt) {
  // 30000 dimensions of 1 make a header longer than the 65535 bytes a 1.0 length field holds.
  const std::vector<std::int64_t> shape(30000, 1);
  const std::string p = path("a.npy");
  write_npy(p, shape, Values{2.5});
  const std::string bytes = read_file(p);
  EXPECT_EQ(bytes[6], 2);
  EXPECT_EQ((bytes.size() - 8) % 64, 0u);
  const NpyArray a = read_npy(p);
  EXPECT_EQ(a.shape, shape);
  EXPECT_EQ(a.values, Values{2.5});
}

TEST_F(Npy, ReadsFilesWrittenByNumpy) {
  const NpyArray f64 = read_npy(kData + "/float64_2d.npy");
  EXPECT_EQ(f64.dtype, NpyDtype::Float64);
  EXPECT_EQ(f64.shape, (std::vector<std::int64_t>{2, 3}));
  expect_same_bits({0.1, -2.5, 3.141592653589793, 1e-300, -0.0, 6.02214076e23}, f64.values);

  const NpyArray f32 = read_npy(kData + "/float32_1d.npy");
  EXPECT_EQ(f32.dtype, NpyDtype::Float32);
  EXPECT_EQ(f32.shape, (std::vector<std::int64_t>{4}));
  EXPECT_EQ(f32.values,
            (Values{0.1f, -1.5f, 3.4028235e38f, std::numeric_limits<float>::denorm_min()}));

  const NpyArray i8 = read_npy(kData + "/int8_2d.npy");
  EXPECT_EQ(i8.dtype, NpyDtype::Int8);
  EXPECT_EQ(i8.shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(i8.values, (Values{-128, 0, 1, 127}));

  const NpyArray i32 = read_npy(kData + "/int32_3d.npy");
  EXPECT_EQ(i32.dtype, NpyDtype::Int32);
  EXPECT_EQ(i32.shape, (std::vector<std::int64_t>{2, 1, 2}));
  EXPECT_EQ(i32.values, (Values{-2147483648.0, -1, 0, 2147483647}));

  const NpyArray v2 = read_npy(kData + "/float64_v2.npy");
  EXPECT_EQ(v2.shape, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(v2.values, (Values{1, 2, 3}));
}

TEST_F(Npy, ReadsVersion3HeaderAndAnyKeyOrderOrQuoting) {
  const std::string one_int32("\x07\x00\x00\x00", 4);
  const NpyArray a = read_npy(write_file(
      "v3.npy",
      npy_bytes("{\"shape\": (1,), \"fortran_order\": False, \"descr\": \"<i4\"}", one_int32, 3)));
  EXPECT_EQ(a.dtype, NpyDtype::Int32);
  EXPECT_EQ(a.values, Values{7});
}

TEST_F(Npy, ReadsOneByteIntegersWhateverTheByteOrderMark) {
  for (const std::string descr : {"|i1", "<i1", "i1"}) {
    const NpyArray a = read_npy(write_file("a.npy", npy_bytes(dict(descr, "(2,)"), "\xff\x05")));
    EXPECT_EQ(a.dtype, NpyDtype::Int8) << descr;
    EXPECT_EQ(a.values, (Values{-1, 5})) << descr;
  }
}

TEST_F(Npy, RejectsFortranOrder) {
  const std::string p = write_file("a.npy", npy_bytes(dict("<f8", "(1, 1)", true), "12345678"));
  expect_input_error([&] { read_npy(p); }, p, {"Fortran"});
}

TEST_F(Npy, RejectsBigEndian) {
  const std::string p = write_file("a.npy", npy_bytes(dict(">f8", "(1,)"), "12345678"));
  expect_input_error([&] { read_npy(p); }, p, {"big-endian", "'>f8'"});
}

TEST_F(Npy, RejectsUnsupportedDtypeNamingIt) {
  for (const std::string descr : {"<c16", "<i8", "|b1", "<U3", "<f2", "|u1"}) {
    const std::string p = write_file("a.npy", npy_bytes(dict(descr, "(1,)"), std::string(16, 'x')));
    expect_input_error([&] { read_npy(p); }, p, {"dtype", "'" + descr + "'"});
  }
  const std::string p = write_file(
      "s.npy",
      npy_bytes("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", "12345678"));
  expect_input_error([&] { read_npy(p); }, p, {"dtype", "structured"});
}

TEST_F(Npy, RejectsTruncatedDataSayingHowManyBytes) {
  const std::string p = kData + "/truncated.npy";
  expect_input_error([&] { read_npy(p); }, p, {"truncated", "expected 48 bytes", "found 40"});
}

TEST_F(Npy, RejectsTrailingBytesAfterTheData) {
  const std::string p = write_file("a.npy", npy_bytes(dict("<f8", "(1,)"), "123456789"));
  expect_input_error([&] { read_npy(p); }, p, {"1 trailing bytes", "expected 8 bytes"});
}

TEST_F(Npy, RejectsBadMagic) {
  const std::string p = write_file("a.npy", "PK\x03\x04 this is a zip file, not an array");
  expect_input_error([&] { read_npy(p); }, p, {"magic"});
}

TEST_F(Npy, RejectsTruncatedHeader) {
  const std::string whole = npy_bytes(dict("<f8", "()"), "12345678");
  for (std::size_t length : {0u, 4u, 9u, 40u}) {
    const std::string p = write_file("a.npy", whole.substr(0, length));
    expect_input_error([&] { read_npy(p); }, p, {"truncated header"});
  }
}

TEST_F(Npy, RejectsUnsupportedFormatVersion) {
  std::string bytes = npy_bytes(dict("<f8", "()"), "12345678");
  bytes[6] = 4;
  const std::string p = write_file("a.npy", bytes);
  expect_input_error([&] { read_npy(p); }, p, {"version 4.0"});
}

TEST_F(Npy, RejectsMalformedHeaderDict) {
  const std::vector<std::string> dicts = {
      "{'descr': '<f8', 'shape': (1,), }",                                  // key missing
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1, }",  // unknown key
      "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1), }",  // not a tuple
      "{'descr': '<f8', 'fortran_order': False, 'shape': [1], }",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1.5,), }",
      "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }",
      "{'descr': '<f8, 'fortran_order': False, 'shape': (1,), }",  // unbalanced quote
      "{'descr': '<f8' 'fortran_order': False, 'shape': (1,), }",  // missing comma
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), } extra",
      "['descr', '<f8']",
      "",
  };
  for (const auto& text : dicts) {
    const std::string p = write_file("a.npy", npy_bytes(text, "12345678"));
    expect_input_error([&] { read_npy(p); }, p, {"malformed .npy header"});
  }
}

TEST_F(Npy, RejectsNegativeShape) {
  const std::string p = write_file("a.npy", npy_bytes(dict("<f8", "(2, -3)"), ""));
  expect_input_error([&] { read_npy(p); }, p, {"negative dimension -3", "(2, -3)"});
}

TEST_F(Npy, RejectsShapeWhoseByteCountOverflows) {
  // 2^31 * 2^31 elements of 8 bytes is 2^65 bytes; 2^61 * 2 of 1 byte fits and is merely absent.
  const std::string huge =
      write_file("a.npy", npy_bytes(dict("<f8", "(2147483648, 2147483648)"), ""));
  expect_input_error([&] { read_npy(huge); }, huge, {"too large"});
  const std::string absurd =
      write_file("b.npy", npy_bytes(dict("|i1", "(2305843009213693952, 2)"), ""));
  expect_input_error([&] { read_npy(absurd); }, absurd, {"truncated data"});
  const std::string beyond =
      write_file("c.npy", npy_bytes(dict("<f8", "(99999999999999999999,)"), ""));
  expect_input_error([&] { read_npy(beyond); }, beyond, {"too large"});
}

TEST_F(Npy, RejectsMissingFileOrDirectory) {
  const std::string p = path("absent.npy");
  expect_input_error([&] { read_npy(p); }, p, {"cannot open"});
  const std::string dir = path("");
  expect_input_error([&] { read_npy(dir); }, dir, {"is a directory"});
}

TEST_F(Npy, WriteRejectsIntegersThatDoNotFitTheDtype) {
  const std::string p = path("a.npy");
  for (double bad : {128.0, -129.0, 1.5, std::nan("")}) {
    expect_input_error(
        [&] {
          write_npy(p, {2}, Values{0.0, bad}, NpyDtype::Int8);
        },
        p, {"index 1", "int8"});
  }
  expect_input_error([&] { write_npy(p, {1}, Values{2147483648.0}, NpyDtype::Int32); }, p,
                     {"int32"});
  expect_input_error([&] { write_npy(p, {1}, Values{1e39}, NpyDtype::Float32); }, p, {"float32"});
  EXPECT_FALSE(fs::exists(p));
}

TEST_F(Npy, WriteRejectsShapeThatDoesNotMatchTheValues) {
  const std::string p = path("a.npy");
  expect_input_error(
      [&] {
        write_npy(p, {2, 2}, Values{1, 2, 3});
      },
      p, {"holds 4 values", "3 were given"});
  expect_input_error([&] { write_npy(p, {-1}, Values{}); }, p, {"negative"});
}

TEST_F(Npy, FailedWriteLeavesTheEarlierFileUntouched) {
  const std::string p = path("a.npy");
  write_npy(p, {1}, Values{3.0}, NpyDtype::Int8);
  EXPECT_THROW(write_npy(p, {1}, Values{300.0}, NpyDtype::Int8), core::InputError);
  EXPECT_EQ(read_npy(p).values, Values{3.0});
  EXPECT_EQ(
      std::distance(fs::directory_iterator(fs::path(p).parent_path()), fs::directory_iterator()),
      1);
}

TEST_F(Npy, NamesEveryDtype) {
  EXPECT_STREQ(to_string(NpyDtype::Float32), "float32");
  EXPECT_STREQ(to_string(NpyDtype::Float64), "float64");
  EXPECT_STREQ(to_string(NpyDtype::Int8), "int8");
  EXPECT_STREQ(to_string(NpyDtype::Int32), "int32");
}

}  // namespace
}  // namespace attractor
