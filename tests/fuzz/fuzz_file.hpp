#pragma once
// Shared by the libFuzzer targets of the file readers. The readers take a path, so each input is
// written to one temporary regular file (created once per process with mkstemp in $TMPDIR or
// /tmp, rewritten in place for every input, removed at exit) and the reader is called on it.
// core::InputError is the readers' one way to refuse an input; any other exception escapes to
// std::terminate and, like a crash, a sanitizer report or a failed ATTRACTOR_FUZZ_CHECK, is a
// finding.
//
// A new target is one source file:
//
//   #include "fuzz_file.hpp"
//   #include "attractor/host/io/checkpoint.hpp"
//   ATTRACTOR_FUZZ_READER(attractor::read_checkpoint)
//
// or, to check what the reader returned,
//
//   ATTRACTOR_FUZZ_READER_CHECKED(attractor::read_npy, array) {
//     ATTRACTOR_FUZZ_CHECK(array.values.size() == static_cast<std::size_t>(array.size()));
//   }
//
// plus a line in tests/fuzz/CMakeLists.txt (attractor_fuzz_target(<name> <source>)), a seed
// corpus in tests/fuzz/corpus/<name>/ and, optionally, a dictionary tests/fuzz/<name>.dict.
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "attractor/core/error.hpp"

namespace attractor::fuzz {

// The process's one input file.
class InputFile {
 public:
  static InputFile& instance() {
    static InputFile file;  // destroyed, and so removed, at exit()
    return file;
  }

  // Replaces the file's contents with data[0, size) and returns its path. The bytes are written
  // over the old ones and the file then cut to `size`: truncating to zero first would make ext4
  // flush the file to disk whenever the reader closes it (auto_da_alloc), a hundredfold slowdown.
  const std::string& write(const std::uint8_t* data, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("pwrite");
      done += static_cast<std::size_t>(n);
    }
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail("ftruncate");
    return path_;
  }

  const std::string& path() const { return path_; }

  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

 private:
  InputFile() {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern =
        std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/attractor-fuzz-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    fd_ = ::mkstemp(name.data());
    if (fd_ < 0) fail(("mkstemp " + pattern).c_str());
    path_ = name.data();
  }
  ~InputFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }

  // A harness failure, not a finding in the reader; still fatal, so it is never overlooked.
  [[noreturn]] static void fail(const char* what) {
    std::fprintf(stderr, "fuzz harness: %s: %s\n", what, std::strerror(errno));
    std::abort();
  }

  int fd_ = -1;
  std::string path_;
};

// Writes the input to the file and hands its path to `read`; core::InputError is an accepted
// outcome, everything else propagates.
template <typename Read>
int read_input(const std::uint8_t* data, std::size_t size, Read&& read) {
  const std::string& path = InputFile::instance().write(data, size);
  try {
    read(path);
  } catch (const core::InputError&) {
  }
  return 0;
}

[[noreturn]] inline void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: ATTRACTOR_FUZZ_CHECK(%s) failed on an accepted input\n", file, line,
               condition);
  std::abort();
}

}  // namespace attractor::fuzz

// An invariant of what a reader accepted; its failure aborts, which libFuzzer reports.
#define ATTRACTOR_FUZZ_CHECK(condition) \
  ((condition) ? (void)0 : ::attractor::fuzz::check_failed(#condition, __FILE__, __LINE__))

// The fuzz entry point for `reader(const std::string& path)`.
#define ATTRACTOR_FUZZ_READER(reader)                                                          \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {          \
    return ::attractor::fuzz::read_input(data, size,                                           \
                                         [](const std::string& path) { (void)reader(path); }); \
  }

// The same, followed by a block that checks the reader's result, named `result`.
#define ATTRACTOR_FUZZ_READER_CHECKED(reader, result)                                     \
  template <typename Result>                                                              \
  static void attractor_fuzz_check(const Result& result);                                 \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {     \
    return ::attractor::fuzz::read_input(                                                 \
        data, size, [](const std::string& path) { attractor_fuzz_check(reader(path)); }); \
  }                                                                                       \
  template <typename Result>                                                              \
  static void attractor_fuzz_check(const Result& result)
