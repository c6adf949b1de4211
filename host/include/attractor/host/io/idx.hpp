#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace attractor {

// IDX files (LeCun's MNIST format, also Fashion-MNIST's): a big-endian header — two zero bytes,
// the element type, the number of dimensions, then each dimension as a 32-bit count — followed by
// the elements in C order. Read plain or gzip-compressed (by content, not by name). Only unsigned
// bytes (type 0x08), the type of every image and label file of these datasets, are accepted.
struct IdxArray {
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> values;  // C order
};

// Throws core::InputError("<path>: <problem>") for a missing file, a corrupt or truncated gzip
// stream, a bad header, another element type, or a size that disagrees with the header.
IdxArray read_idx(const std::string& path);

// A labelled image set: `count` images of rows × cols pixels (0–255) and a label (0–255) each.
struct LabeledImages {
  std::int64_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // count × rows × cols
  std::vector<std::uint8_t> labels;  // count

  std::int64_t pixels_per_image() const { return rows * cols; }
};

// An (n, rows, cols) image file and its (n,) label file; InputError when they disagree.
LabeledImages read_labeled_images(const std::string& images_path, const std::string& labels_path);

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST's train ("train") or test ("t10k") split from `dir`; the InputError for a missing
// file names the package that provides it.
LabeledImages read_fashion_mnist(const std::string& dir, const std::string& split);

}  // namespace attractor
