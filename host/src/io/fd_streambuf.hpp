#pragma once
// A std::streambuf over a POSIX file descriptor, so readers and writers can use iostreams on a
// file opened with the flags they need (O_NOFOLLOW, O_EXCL) and fstat/fsync that same file.
#include <unistd.h>

#include <array>
#include <cerrno>
#include <streambuf>

namespace attractor {

class FdStreambuf : public std::streambuf {
 public:
  explicit FdStreambuf(int fd) : fd_(fd) {
    setg(buffer_.data(), buffer_.data(), buffer_.data());
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  FdStreambuf(const FdStreambuf&) = delete;
  FdStreambuf& operator=(const FdStreambuf&) = delete;

 protected:
  // One buffer serves whichever direction the stream uses: a file is either read or written.
  int_type underflow() override {
    ssize_t got;
    do {
      got = ::read(fd_, buffer_.data(), buffer_.size());
    } while (got < 0 && errno == EINTR);
    if (got <= 0) return traits_type::eof();
    setg(buffer_.data(), buffer_.data(), buffer_.data() + got);
    return traits_type::to_int_type(buffer_[0]);
  }

  int_type overflow(int_type c) override {
    if (!flush_put()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }

  int sync() override { return flush_put() ? 0 : -1; }

 private:
  bool flush_put() {
    const char* at = pbase();
    while (at < pptr()) {
      const ssize_t wrote = ::write(fd_, at, static_cast<std::size_t>(pptr() - at));
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) return false;
      at += wrote;
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return true;
  }

  int fd_;
  std::array<char, 1 << 16> buffer_;
};

}  // namespace attractor
