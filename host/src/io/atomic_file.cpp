#include "attractor/host/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "attractor/core/error.hpp"
#include "io/fd_streambuf.hpp"

namespace attractor {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTemporaryMark = ".tmp.";
constexpr std::size_t kSuffixLength = 6;

std::string random_suffix() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
  std::string suffix(kSuffixLength, ' ');
  for (char& c : suffix) c = kAlphabet[pick(generator)];
  return suffix;
}

std::string folder_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// Creates `<prefix>.tmp.XXXXXX` exclusively; sets `name` and returns the descriptor, or −1 with
// errno set. Retries while a name is taken: its suffix is random, so a planted name only moves
// the file elsewhere.
int create_temporary(const std::string& prefix, std::string& name) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    name = prefix + std::string(kTemporaryMark) + random_suffix();
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

}  // namespace

void sync_folder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& writer) {
  std::string tmp;
  const int fd = create_temporary(path, tmp);
  if (fd < 0) throw std::runtime_error(path + ": cannot create file: " + std::strerror(errno));
  bool open = true;
  try {
    {
      FdStreambuf buffer(fd);
      std::ostream out(&buffer);
      writer(out);
      out.flush();
      if (!out) throw std::runtime_error(path + ": write failed: " + std::strerror(errno));
    }
    // fsync before rename: otherwise a crash can leave the new name pointing at empty blocks.
    const bool synced = ::fsync(fd) == 0;
    open = false;
    if (::close(fd) != 0 || !synced) {
      throw std::runtime_error(path + ": write failed: " + std::strerror(errno));
    }
  } catch (...) {
    if (open) ::close(fd);
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot rename temporary file: " + std::strerror(saved));
  }
  sync_folder(folder_of(path));
}

bool is_temporary_name(const std::string& name) {
  if (name.size() < kTemporaryMark.size() + kSuffixLength) return false;
  const std::size_t mark = name.size() - kSuffixLength - kTemporaryMark.size();
  if (name.compare(mark, kTemporaryMark.size(), kTemporaryMark) != 0) return false;
  for (std::size_t k = name.size() - kSuffixLength; k < name.size(); ++k) {
    const char c = name[k];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

std::string make_temporary_folder(const std::string& folder, const std::string& stem) {
  std::string name = folder + "/" + stem + std::string(kTemporaryMark) + "XXXXXX";
  if (::mkdtemp(name.data()) == nullptr) {
    throw std::runtime_error(folder + ": cannot create a folder in it: " + std::strerror(errno));
  }
  return name;
}

void remove_stale_temporaries(const std::string& folder) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (!is_temporary_name(entry.path().filename().string())) continue;
    // remove_all removes a link itself, not what it points to.
    fs::remove_all(entry.path(), ec);
  }
}

void require_writable_folder(const std::string& folder, const std::string& what) {
  std::string probe;
  const int fd = create_temporary(folder + "/.probe", probe);
  core::require(fd >= 0, what, folder + " is not writable: " + std::strerror(errno));
  ::close(fd);
  std::remove(probe.c_str());
}

void require_writable_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  core::require(!fs::is_directory(path, ec), what, path + " is a folder, not a file name");
  const std::string folder = folder_of(path);
  core::require(fs::is_directory(folder, ec), what, "the folder " + folder + " does not exist");
  require_writable_folder(folder, what);
}

}  // namespace attractor
