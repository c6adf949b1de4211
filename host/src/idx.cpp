#include "attractor/host/idx.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "attractor/core/error.hpp"
#include "stb_codecs.hpp"

namespace attractor::host {

namespace {

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  core::require(static_cast<bool>(in), path, "cannot open the file");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  core::require(!in.bad(), path, "read error");
  return bytes;
}

std::uint32_t crc32(const std::uint8_t* data, std::size_t size) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::uint32_t little_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

// RFC 1952: header, raw deflate data, CRC-32 and length of the uncompressed data. The trailer is
// checked, so a truncated or corrupted file never reaches the IDX parser as plausible bytes.
std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& gz, const std::string& path) {
  const std::string what = path + " (gzip)";
  core::require(gz.size() >= 18, what, "truncated header");
  core::require(gz[2] == 8, what, "unknown compression method " + std::to_string(gz[2]));
  const std::uint8_t flags = gz[3];
  std::size_t at = 10;
  if (flags & 0x04u) {  // FEXTRA
    core::require(at + 2 <= gz.size(), what, "truncated header");
    at += 2 + (std::size_t{gz[at]} | std::size_t{gz[at + 1]} << 8);
  }
  for (const std::uint8_t zero_terminated : {std::uint8_t{0x08}, std::uint8_t{0x10}}) {  // FNAME, FCOMMENT
    if (!(flags & zero_terminated)) continue;
    while (at < gz.size() && gz[at] != 0) ++at;
    ++at;
  }
  if (flags & 0x02u) at += 2;  // FHCRC
  core::require(at + 8 <= gz.size(), what, "truncated header");
  const std::size_t deflate_size = gz.size() - at - 8;
  core::require(deflate_size <= static_cast<std::size_t>(std::numeric_limits<int>::max() - 8), what,
                "larger than 2 GiB compressed");
  std::vector<std::uint8_t> out;
  // The decoder reads ahead by up to four bytes; the trailer behind the stream serves as that
  // slack (the last block's end marker stops it, whatever follows).
  core::require(inflate_raw(gz.data() + at, deflate_size + 8, out), what,
                "corrupt or truncated compressed data");
  const std::uint8_t* trailer = gz.data() + gz.size() - 8;
  core::require(little_u32(trailer + 4) == static_cast<std::uint32_t>(out.size()), what,
                "corrupt or truncated: the stored length disagrees with the data");
  core::require(little_u32(trailer) == crc32(out.data(), out.size()), what,
                "CRC-32 mismatch: the file is corrupt");
  return out;
}

std::uint32_t big_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
         std::uint32_t{p[3]};
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  std::vector<std::uint8_t> bytes = read_bytes(path);
  if (bytes.size() >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B) bytes = gunzip(bytes, path);
  core::require(bytes.size() >= 4, path, "truncated IDX header");
  core::require(bytes[0] == 0 && bytes[1] == 0, path,
                "not an IDX file (the first two bytes must be zero)");
  core::require(bytes[2] == 0x08, path,
                "IDX element type " + std::to_string(bytes[2]) +
                    " is not supported (unsigned bytes, type 8, are)");
  const std::size_t dims = bytes[3];
  core::require(dims >= 1, path, "an IDX file needs at least one dimension");
  core::require(bytes.size() >= 4 + 4 * dims, path, "truncated IDX header");
  IdxArray array;
  std::uint64_t count = 1;
  for (std::size_t d = 0; d < dims; ++d) {
    const std::uint32_t extent = big_u32(bytes.data() + 4 + 4 * d);
    array.shape.push_back(extent);
    count *= extent;
    core::require(count <= (std::uint64_t{1} << 40), path, "dimensions too large");
  }
  const std::size_t header = 4 + 4 * dims;
  core::require(bytes.size() - header >= count, path,
                "truncated: the header promises " + std::to_string(count) + " bytes of data, " +
                    std::to_string(bytes.size() - header) + " follow");
  core::require(bytes.size() - header == count, path,
                std::to_string(bytes.size() - header - count) + " bytes after the data");
  array.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return array;
}

LabeledImages read_labeled_images(const std::string& images_path, const std::string& labels_path) {
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  core::require(images.shape.size() == 3, images_path,
                "images must have 3 dimensions (count, rows, columns), this has " +
                    std::to_string(images.shape.size()));
  core::require(labels.shape.size() == 1, labels_path, "labels must have 1 dimension");
  core::require(labels.shape[0] == images.shape[0], labels_path,
                std::to_string(labels.shape[0]) + " labels for " +
                    std::to_string(images.shape[0]) + " images in " + images_path);
  LabeledImages set;
  set.count = images.shape[0];
  set.rows = images.shape[1];
  set.cols = images.shape[2];
  set.pixels = std::move(images.values);
  set.labels = std::move(labels.values);
  return set;
}

LabeledImages read_fashion_mnist(const std::string& dir, const std::string& split) {
  core::require(split == "train" || split == "t10k", "split", "must be train or t10k");
  const std::string images = dir + "/" + split + "-images-idx3-ubyte.gz";
  const std::string labels = dir + "/" + split + "-labels-idx1-ubyte.gz";
  for (const std::string& file : {images, labels}) {
    core::require(std::filesystem::exists(file), file,
                  "not found (Debian: apt-get install dataset-fashion-mnist, or pass the folder "
                  "of the IDX files)");
  }
  return read_labeled_images(images, labels);
}

}  // namespace attractor::host
