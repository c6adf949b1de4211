#include "attractor/host/io/idx.hpp"

#ifdef ATTRACTOR_HAVE_ZLIB
#include <zlib.h>
#endif

#include <algorithm>
#include <filesystem>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/host/io/input_file.hpp"
#include "attractor/host/io/npy.hpp"

namespace attractor {

namespace {

// Bytes of the file read per pass, compressed or not.
constexpr std::size_t kChunkBytes = std::size_t{1} << 16;

// The file's bytes in order, inflated when the file is gzip (RFC 1952, by its magic bytes),
// produced only as fast as they are asked for: nothing beyond what the IDX header implies is ever
// inflated, so a small file that would inflate to gigabytes costs no more than a valid one.
class IdxBytes {
 public:
  explicit IdxBytes(InputFile& file) : file_(file), what_(file.path()) {
    unsigned char magic[2] = {};
    file_.stream().read(reinterpret_cast<char*>(magic), 2);
    const auto got = static_cast<std::size_t>(file_.stream().gcount());
    gzip_ = got == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
    if (!gzip_) {
      pending_.assign(magic, magic + got);
      return;
    }
    what_ += " (gzip)";
#ifdef ATTRACTOR_HAVE_ZLIB
    // 16 + MAX_WBITS: a gzip wrapper, whose CRC-32 and length zlib checks at the end.
    core::require(inflateInit2(&stream_, 16 + MAX_WBITS) == Z_OK, what_, "cannot start inflating");
    input_.assign(magic, magic + 2);
    stream_.next_in = input_.data();
    stream_.avail_in = 2;
#else
    throw core::InputError(what_ +
                           ": this build reads no gzip files (it was built without "
                           "zlib); decompress the file with gunzip");
#endif
  }
  ~IdxBytes() {
#ifdef ATTRACTOR_HAVE_ZLIB
    if (gzip_) inflateEnd(&stream_);
#endif
  }
  IdxBytes(const IdxBytes&) = delete;
  IdxBytes& operator=(const IdxBytes&) = delete;

  bool gzip() const { return gzip_; }
  const std::string& what() const { return what_; }

  // Fills `data` with up to `size` bytes; returns how many (fewer only at the end of the data).
  std::size_t read(std::uint8_t* data, std::size_t size) {
    std::size_t done = std::min(size, pending_.size());
    std::copy(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done), data);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
    if (!gzip_) {
      file_.stream().read(reinterpret_cast<char*>(data + done),
                          static_cast<std::streamsize>(size - done));
      return done + static_cast<std::size_t>(file_.stream().gcount());
    }
#ifdef ATTRACTOR_HAVE_ZLIB
    while (done < size && !ended_) {
      if (stream_.avail_in == 0) refill();
      stream_.next_out = data + done;
      stream_.avail_out = static_cast<uInt>(std::min<std::size_t>(size - done, kChunkBytes));
      const uInt before = stream_.avail_out;
      const int status = inflate(&stream_, Z_NO_FLUSH);
      done += before - stream_.avail_out;
      if (status == Z_STREAM_END) {
        ended_ = true;
        core::require(stream_.avail_in == 0 && file_.stream().peek() == EOF, what_,
                      "data after the end of the compressed stream");
      } else if (status == Z_BUF_ERROR && stream_.avail_in == 0 && input_ended_) {
        throw core::InputError(what_ + ": truncated: the compressed data ends early");
      } else if (status != Z_OK && status != Z_BUF_ERROR) {
        throw core::InputError(
            what_ + ": corrupt compressed data (" +
            core::printable_excerpt(stream_.msg ? stream_.msg : "inflate failed") + ")");
      }
    }
#endif
    return done;
  }

 private:
#ifdef ATTRACTOR_HAVE_ZLIB
  void refill() {
    input_.resize(kChunkBytes);
    file_.stream().read(reinterpret_cast<char*>(input_.data()),
                        static_cast<std::streamsize>(input_.size()));
    const auto got = static_cast<std::size_t>(file_.stream().gcount());
    input_ended_ = got == 0;
    stream_.next_in = input_.data();
    stream_.avail_in = static_cast<uInt>(got);
  }

  z_stream stream_{};
  std::vector<Bytef> input_;
  bool input_ended_ = false;
  bool ended_ = false;
#endif
  InputFile& file_;
  std::string what_;
  bool gzip_ = false;
  std::vector<std::uint8_t> pending_;
};

std::uint32_t big_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
         std::uint32_t{p[3]};
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  InputFile file(path, "an IDX file");
  IdxBytes bytes(file);
  const std::string& what = bytes.what();
  std::uint8_t head[4] = {};
  core::require(bytes.read(head, 4) == 4, what, "truncated IDX header");
  core::require(head[0] == 0 && head[1] == 0, what,
                "not an IDX file (the first two bytes must be zero)");
  core::require(head[2] == 0x08, what,
                "IDX element type " + std::to_string(head[2]) +
                    " is not supported (unsigned bytes, type 8, are)");
  const std::size_t dims = head[3];
  core::require(dims >= 1, what, "an IDX file needs at least one dimension");
  std::vector<std::uint8_t> extents(4 * dims);
  core::require(bytes.read(extents.data(), extents.size()) == extents.size(), what,
                "truncated IDX header");
  IdxArray array;
  std::int64_t count = 1;
  for (std::size_t d = 0; d < dims; ++d) {
    array.shape.push_back(big_u32(extents.data() + 4 * d));
    count =
        core::checked_product({count, array.shape.back()}, core::kMaxIdxBytes, what, "the data");
  }
  const auto header = static_cast<std::int64_t>(4 + 4 * dims);
  if (!bytes.gzip()) {
    // A plain file's size is known: compared with the header before anything is allocated.
    const auto data = static_cast<std::int64_t>(file.size()) - header;
    core::require(data >= count, what,
                  "truncated: the header promises " + std::to_string(count) + " bytes of data, " +
                      std::to_string(data) + " follow");
    core::require(data == count, what, std::to_string(data - count) + " bytes after the data");
  }
  // Grown as the data arrives, so memory follows the bytes that exist, not the header's claim.
  for (std::int64_t done = 0; done < count;) {
    const auto chunk = static_cast<std::size_t>(std::min<std::int64_t>(count - done, 1 << 24));
    array.values.resize(static_cast<std::size_t>(done) + chunk);
    const std::size_t got = bytes.read(array.values.data() + done, chunk);
    core::require(got == chunk, what,
                  "truncated: the header promises " + std::to_string(count) + " bytes of data, " +
                      std::to_string(done + static_cast<std::int64_t>(got)) + " follow");
    done += static_cast<std::int64_t>(chunk);
  }
  std::uint8_t extra = 0;
  core::require(bytes.read(&extra, 1) == 0, what,
                "more data than the " + std::to_string(count) + " bytes the header promises");
  return array;
}

LabeledImages read_labeled_images(const std::string& images_path, const std::string& labels_path) {
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  core::require(images.shape.size() == 3, images_path,
                "images must have 3 dimensions (count, rows, columns), this has " +
                    std::to_string(images.shape.size()));
  core::require(images.shape[0] > 0 && images.shape[1] > 0 && images.shape[2] > 0, images_path,
                "holds no pixels: its shape is " + shape_text(images.shape));
  core::require(labels.shape.size() == 1, labels_path, "labels must have 1 dimension");
  core::require(labels.shape[0] == images.shape[0], labels_path,
                std::to_string(labels.shape[0]) + " labels for " + std::to_string(images.shape[0]) +
                    " images in " + images_path);
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

}  // namespace attractor
