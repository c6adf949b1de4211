// libFuzzer target: read_idx on arbitrary bytes. Built twice: fuzz_idx (seeded with plain
// IDX files) and fuzz_idx_gzip (seeded with .gz files). With ATTRACTOR_FUZZ_GZIP_MUTATOR, the
// gzip target mutates most inputs that decompress by mutating the IDX payload and recompressing
// it, and the rest as raw bytes (headers, flags, deflate blocks, trailer).
#include "attractor/host/io/idx.hpp"
#include "fuzz_file.hpp"

ATTRACTOR_FUZZ_READER_CHECKED(attractor::read_idx, array) {
  std::uint64_t count = 1;
  for (const std::int64_t extent : array.shape) {
    ATTRACTOR_FUZZ_CHECK(extent >= 0);
    count *= static_cast<std::uint64_t>(extent);
  }
  ATTRACTOR_FUZZ_CHECK(!array.shape.empty());
  ATTRACTOR_FUZZ_CHECK(array.values.size() == count);
}

#ifdef ATTRACTOR_FUZZ_GZIP_MUTATOR
#include <zlib.h>

#include <algorithm>
#include <random>
#include <vector>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

constexpr std::size_t kMaxPlainBytes = std::size_t{1} << 20;

// The mutator's zlib streams and buffers, made once and reset for each input: a fresh deflate
// stream and a megabyte buffer per mutation would cost more than running the input.
struct Codec {
  z_stream inflater{}, deflater{};
  std::vector<std::uint8_t> plain, packed;
  bool ready = false;

  Codec() {
    ready = inflateInit2(&inflater, 16 + MAX_WBITS) == Z_OK &&
            deflateInit2(&deflater, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY) == Z_OK;
    plain.resize(kMaxPlainBytes + 1);
    packed.resize(ready ? deflateBound(&deflater, kMaxPlainBytes) : 0);
  }

  // The uncompressed size of a gzip member of at most kMaxPlainBytes, left in `plain`; or -1.
  long gunzip(const std::uint8_t* data, std::size_t size) {
    if (inflateReset(&inflater) != Z_OK) return -1;
    inflater.next_in = const_cast<Bytef*>(data);
    inflater.avail_in = static_cast<uInt>(size);
    inflater.next_out = plain.data();
    inflater.avail_out = static_cast<uInt>(plain.size());
    if (inflate(&inflater, Z_FINISH) != Z_STREAM_END) return -1;
    return inflater.total_out <= kMaxPlainBytes ? static_cast<long>(inflater.total_out) : -1;
  }

  // plain[0, size) compressed at `level` into `packed`; its size, or 0.
  std::size_t gzip(std::size_t size, int level) {
    if (deflateReset(&deflater) != Z_OK ||
        deflateParams(&deflater, level, Z_DEFAULT_STRATEGY) != Z_OK) {
      return 0;
    }
    deflater.next_in = plain.data();
    deflater.avail_in = static_cast<uInt>(size);
    deflater.next_out = packed.data();
    deflater.avail_out = static_cast<uInt>(packed.size());
    return deflate(&deflater, Z_FINISH) == Z_STREAM_END ? deflater.total_out : 0;
  }
};

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  static Codec codec;  // lives as long as the process
  std::minstd_rand rng(seed);
  long plain_size = -1;
  if (codec.ready && rng() % 4 != 0) plain_size = codec.gunzip(data, size);
  if (plain_size >= 0) {
    const auto old_size = static_cast<std::size_t>(plain_size);
    const std::size_t capacity = std::min(kMaxPlainBytes, std::max<std::size_t>(2 * old_size, 64));
    const std::size_t new_size = LLVMFuzzerMutate(codec.plain.data(), old_size, capacity);
    const std::size_t packed = codec.gzip(new_size, static_cast<int>(rng() % 10));
    if (packed > 0 && packed <= max_size) {
      std::copy(codec.packed.begin(), codec.packed.begin() + static_cast<std::ptrdiff_t>(packed),
                data);
      return packed;
    }
  }
  return LLVMFuzzerMutate(data, size, max_size);
}
#endif
