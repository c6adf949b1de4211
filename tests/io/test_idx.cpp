// The IDX reader (plain and gzip) and the receptive-field picture.
#include <gtest/gtest.h>
#ifdef ATTRACTOR_HAVE_ZLIB
#include <zlib.h>
#endif

#include <filesystem>

#include "attractor/host/io/idx.hpp"
#include "attractor/host/io/image.hpp"
#include "file_fixture.hpp"

namespace attractor::test {
namespace {

const std::string kImages = kDataDir + "/tiny-images-idx3-ubyte";
const std::string kLabels = kDataDir + "/tiny-labels-idx1-ubyte";

class Idx : public TempDirTest {};

TEST_F(Idx, ReadsPlainAndGzipFilesWrittenByPython) {
  for (const std::string& path : {kImages, kImages + ".gz"}) {
    const IdxArray a = read_idx(path);
    ASSERT_EQ(a.shape, (std::vector<std::int64_t>{3, 2, 4})) << path;
    for (int s = 0; s < 3; ++s) {
      for (int r = 0; r < 2; ++r) {
        for (int c = 0; c < 4; ++c) EXPECT_EQ(a.values[(s * 2 + r) * 4 + c], 40 * s + 10 * r + c);
      }
    }
  }
  const LabeledImages set = read_labeled_images(kImages + ".gz", kLabels + ".gz");
  EXPECT_EQ(set.count, 3);
  EXPECT_EQ(set.pixels_per_image(), 8);
  EXPECT_EQ(set.labels, (std::vector<std::uint8_t>{7, 0, 9}));
}

TEST_F(Idx, RejectsTruncatedCorruptAndMalformedFiles) {
  const std::string plain = read_file(kImages), gz = read_file(kImages + ".gz");
  std::string p = write_file("cut.idx", plain.substr(0, plain.size() - 1));
  expect_input_error([&] { read_idx(p); }, p, {"truncated", "24 bytes"});
  p = write_file("long.idx", plain + "x");
  expect_input_error([&] { read_idx(p); }, p, {"1 bytes after the data"});
  p = write_file("header.idx", plain.substr(0, 9));
  expect_input_error([&] { read_idx(p); }, p, {"truncated IDX header"});
  std::string magic = plain;
  magic[1] = 1;
  p = write_file("magic.idx", magic);
  expect_input_error([&] { read_idx(p); }, p, {"not an IDX file"});
  std::string type = plain;
  type[2] = 0x0D;  // float32 elements
  p = write_file("float.idx", type);
  expect_input_error([&] { read_idx(p); }, p, {"type 13", "not supported"});

  p = write_file("cut.gz", gz.substr(0, gz.size() - 5));
  expect_input_error([&] { read_idx(p); }, p + " (gzip)", {"truncated"});
  std::string flipped = gz;
  flipped[14] = static_cast<char>(flipped[14] ^ 0x40);  // inside the compressed data
  p = write_file("flipped.gz", flipped);
  expect_input_error([&] { read_idx(p); }, p + " (gzip)", {"corrupt"});
  p = path("missing.idx");
  expect_input_error([&] { read_idx(p); }, p, {"cannot open"});
}

TEST_F(Idx, RejectsImagesAndLabelsThatDisagree) {
  // The labels file read as images, and the images' 3 labels against a 1-D file of 8 entries.
  expect_input_error([&] { read_labeled_images(kLabels, kLabels); }, kLabels, {"3 dimensions"});
  expect_input_error([&] { read_labeled_images(kImages, kImages); }, kImages, {"1 dimension"});
}

// The real data where Debian's dataset-fashion-mnist is installed: 60 000 + 10 000 images of
// 28 × 28, ten classes of exactly 6000 (train) and 1000 (test) images each.
TEST(FashionMnist, HasTheDocumentedSizesAndBalancedClasses) {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  for (const auto& [split, count] :
       {std::pair<std::string, int>{"train", 60000}, {"t10k", 10000}}) {
    const LabeledImages set = read_fashion_mnist(kFashionMnistDir, split);
    EXPECT_EQ(set.count, count);
    EXPECT_EQ(set.rows, 28);
    EXPECT_EQ(set.cols, 28);
    std::vector<int> per_class(10, 0);
    for (const std::uint8_t label : set.labels) {
      ASSERT_LT(label, 10);
      ++per_class[label];
    }
    for (const int n : per_class) EXPECT_EQ(n, count / 10);
  }
}

// The header's sizes are multiplied in 64 bits against a limit before anything is allocated:
// 65536 × 65536 wrapped to 0 in 32 bits and was accepted.
TEST_F(Idx, HeaderSizesAreCheckedBeforeAllocating) {
  const auto header = [](const std::vector<std::uint32_t>& extents) {
    std::string bytes = {0, 0, 8, static_cast<char>(extents.size())};
    for (const std::uint32_t e : extents) {
      for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>(e >> shift);
    }
    return bytes;
  };
  std::string p = write_file("wrap.idx", header({65536, 65536}));
  expect_input_error([&] { read_idx(p); }, p, {"the data", "limit"});
  p = write_file("huge.idx", header({4294967295u, 4294967295u, 4294967295u}));
  expect_input_error([&] { read_idx(p); }, p, {"limit"});
  // No images at all, with rows × cols that would overflow: read, then refused as a data set.
  p = write_file("empty.idx", header({0, 4294967295u, 4294967295u}));
  EXPECT_EQ(read_idx(p).values.size(), 0u);
  expect_input_error([&] { read_labeled_images(p, kLabels); }, p, {"holds no pixels"});
  expect_input_error([&] { read_idx("/dev/zero"); }, "/dev/zero", {"not a regular file"});
}

#ifdef ATTRACTOR_HAVE_ZLIB
// A gzip file whose header promises 24 bytes but which inflates to 64 MiB: inflating stops
// just past the promised bytes, so it fails at once and in little memory.
TEST_F(Idx, GzipIsInflatedOnlyAsFarAsTheHeaderPromises) {
  const std::string plain = read_file(kImages);
  const std::string gz = path("bomb.gz");
  {
    gzFile out = gzopen(gz.c_str(), "wb1");
    ASSERT_NE(out, nullptr);
    gzwrite(out, plain.data(), static_cast<unsigned>(plain.size()));
    const std::string zeros(1 << 20, '\0');
    for (int k = 0; k < 64; ++k) gzwrite(out, zeros.data(), static_cast<unsigned>(zeros.size()));
    gzclose(out);
  }
  EXPECT_LT(std::filesystem::file_size(gz), 1u << 20);
  expect_input_error([&] { read_idx(gz); }, gz + " (gzip)",
                     {"more data than the 24 bytes the header promises"});
}
#endif

class Image : public TempDirTest {};

TEST_F(Image, ReceptiveFieldGridDrawsSignsPerUnitScale) {
  // Two units of 2 × 2: unit 0 = (1, −1, 0.5, 0), unit 1 = 1000 × (0, 0, 0, −1).
  const std::vector<float> W{1, -1, 0.5f, 0, 0, 0, 0, -1000};
  const attractor::Image image = receptive_field_grid(W, 2, 2, 2);
  ASSERT_EQ(image.width, 2 * 3 + 1);  // ⌈√2⌉ = 2 tiles a row, 1-pixel gaps
  ASSERT_EQ(image.height, 1 * 3 + 1);
  const auto pixel = [&](std::ptrdiff_t x, std::ptrdiff_t y) {
    const std::uint8_t* p = image.pixels.data() + (y * image.width + x) * 3;
    return std::vector<int>{p[0], p[1], p[2]};
  };
  EXPECT_EQ(pixel(1, 1), (std::vector<int>{255, 0, 0}));      // +max: red
  EXPECT_EQ(pixel(2, 1), (std::vector<int>{0, 0, 255}));      // −max: blue
  EXPECT_EQ(pixel(1, 2), (std::vector<int>{255, 128, 128}));  // +half: light red (255·0.5 → 128)
  EXPECT_EQ(pixel(2, 2), (std::vector<int>{255, 255, 255}));  // zero: white
  EXPECT_EQ(pixel(5, 2), (std::vector<int>{0, 0, 255}));      // unit 1's own scale: full blue
  EXPECT_EQ(pixel(0, 0), (std::vector<int>{128, 128, 128}));  // gap

  const std::string png = path("fields.png");
  write_png(png, image);
  const std::string bytes = read_file(png);
  ASSERT_GE(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(static_cast<unsigned char>(bytes[19]), image.width);  // big-endian width, low byte
  EXPECT_EQ(static_cast<unsigned char>(bytes[23]), image.height);
  expect_input_error([&] { receptive_field_grid(W, 3, 2, 2); }, "receptive fields", {"8 entries"});
}

}  // namespace
}  // namespace attractor::test
