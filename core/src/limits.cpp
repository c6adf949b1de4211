#include "attractor/core/limits.hpp"

#include <unistd.h>

#include <cstdio>

namespace attractor::core {

std::int64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return std::int64_t{1} << 62;  // unknown: refuse nothing here
  return static_cast<std::int64_t>(pages) * page;
}

void require_memory(std::int64_t bytes, const std::string& what) {
  const std::int64_t total = physical_memory_bytes();
  if (bytes <= total) return;
  char text[128];
  std::snprintf(text, sizeof text, "needs %.3g GiB of memory, more than this machine's %.3g GiB",
                static_cast<double>(bytes) / (1 << 30), static_cast<double>(total) / (1 << 30));
  throw InputError(what + ": " + text);
}

}  // namespace attractor::core
