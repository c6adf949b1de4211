#include "attractor/host/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace attractor::host {

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& writer) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw std::runtime_error(path + ": cannot create file: " + std::strerror(errno));
      writer(out);
      out.flush();
      if (!out) throw std::runtime_error(path + ": write failed: " + std::strerror(errno));
    }
    // fsync before rename: otherwise a crash can leave the new name pointing at empty blocks.
    if (FILE* f = std::fopen(tmp.c_str(), "rb")) {
      ::fsync(::fileno(f));
      std::fclose(f);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw std::runtime_error(path + ": cannot rename temporary file: " + std::strerror(errno));
    }
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

}  // namespace attractor::host
