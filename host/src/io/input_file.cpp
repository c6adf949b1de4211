#include "attractor/host/io/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "io/fd_streambuf.hpp"

namespace attractor {

class InputFile::Buffer : public FdStreambuf {
 public:
  explicit Buffer(int fd) : FdStreambuf(fd), fd_(fd) {}
  ~Buffer() override { ::close(fd_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

 private:
  int fd_;
};

InputFile::InputFile(const std::string& path, const std::string& kind) : path_(path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer for ever; it is
  // refused below, and a regular file ignores the flag.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  core::require(fd >= 0, path, std::string("cannot open: ") + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    const bool directory = S_ISDIR(info.st_mode);
    ::close(fd);
    throw core::InputError(path + ": " + (directory ? "is a directory" : "is not a regular file") +
                           ", not " + kind);
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  size_ = static_cast<std::uint64_t>(info.st_size);
  buffer_ = std::make_unique<Buffer>(fd);
  stream_ = std::make_unique<std::istream>(buffer_.get());
}

InputFile::~InputFile() = default;

void InputFile::read_exactly(void* data, std::size_t bytes) {
  stream_->read(static_cast<char*>(data), static_cast<std::streamsize>(bytes));
  core::require(static_cast<std::size_t>(stream_->gcount()) == bytes, path_,
                "truncated: the file ends early");
}

bool read_line(std::istream& stream, std::string& line, std::int64_t line_no,
               const std::string& what) {
  using traits = std::char_traits<char>;
  line.clear();
  std::streambuf& in = *stream.rdbuf();
  auto c = in.sbumpc();
  if (traits::eq_int_type(c, traits::eof())) return false;
  for (; !traits::eq_int_type(c, traits::eof()) && c != '\n'; c = in.sbumpc()) {
    if (static_cast<std::int64_t>(line.size()) == core::kMaxLineBytes) {
      throw core::InputError(what + ": line " + std::to_string(line_no) + " is longer than " +
                             std::to_string(core::kMaxLineBytes) + " bytes");
    }
    line.push_back(traits::to_char_type(c));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

std::string printable_message(std::string_view text, std::size_t max_bytes) {
  std::string out;
  for (std::size_t k = 0; k < text.size();) {
    const auto byte = static_cast<unsigned char>(text[k]);
    // The sequence's length from its first byte (RFC 3629); 0 for a byte that cannot start one.
    const std::size_t length = byte < 0x80           ? 1
                               : (byte >> 5) == 0x6  ? 2
                               : (byte >> 4) == 0xE  ? 3
                               : (byte >> 3) == 0x1E ? 4
                                                     : 0;
    bool valid = length > 0 && k + length <= text.size();
    std::uint32_t code = length == 1 ? byte : byte & (0x7Fu >> length);
    for (std::size_t i = 1; valid && i < length; ++i) {
      const auto next = static_cast<unsigned char>(text[k + i]);
      valid = (next & 0xC0) == 0x80;
      code = code << 6 | (next & 0x3Fu);
    }
    const bool control = code < 0x20 || (code >= 0x7F && code <= 0x9F);
    if (valid && !control) {
      out.append(text.substr(k, length));
      k += length;
    } else {
      out.push_back('?');
      k += valid ? length : 1;
    }
  }
  if (out.size() <= max_bytes) return out;
  // Cut on character boundaries: never inside a UTF-8 sequence.
  const auto boundary = [&](std::size_t at) {
    while (at < out.size() && (static_cast<unsigned char>(out[at]) & 0xC0) == 0x80) ++at;
    return at;
  };
  const std::size_t head = boundary(max_bytes / 3);
  const std::size_t tail = boundary(out.size() - (max_bytes - max_bytes / 3 - 3));
  return out.substr(0, head) + "..." + out.substr(tail);
}

}  // namespace attractor
