// libFuzzer target: read_npy on arbitrary bytes.
#include "attractor/host/io/npy.hpp"
#include "fuzz_file.hpp"

ATTRACTOR_FUZZ_READER_CHECKED(attractor::read_npy, array) {
  std::int64_t count = 1;
  for (const std::int64_t extent : array.shape) {
    ATTRACTOR_FUZZ_CHECK(extent >= 0);
    count *= extent;
  }
  ATTRACTOR_FUZZ_CHECK(array.size() == count);
  ATTRACTOR_FUZZ_CHECK(array.values.size() == static_cast<std::size_t>(count));
}
