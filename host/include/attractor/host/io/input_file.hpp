#pragma once
// Reading files other people made. Every reader opens its input through InputFile, so the rules
// that keep a hostile file from crashing the program or exhausting memory live here once:
// only regular files are read (a directory, a FIFO or /dev/zero is refused before one byte is
// read), the size is known before anything is allocated, and a line is never longer than
// core::kMaxLineBytes. Messages quote the file's text only through printable_excerpt.
#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <string_view>

#include "attractor/core/limits.hpp"

namespace attractor {

// The next line of `stream` without its '\n' (and a '\r' before it); false at the end of the
// text. InputError naming `what` and `line_no` when a line is longer than core::kMaxLineBytes.
bool read_line(std::istream& stream, std::string& line, std::int64_t line_no,
               const std::string& what);

class InputFile {
 public:
  // Opens `path` for reading; core::InputError naming `path` when it cannot be opened or is not
  // a regular file (`kind` names what was expected: "a .npy file").
  InputFile(const std::string& path, const std::string& kind);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  // The file's size when it was opened, in bytes.
  std::uint64_t size() const { return size_; }
  std::istream& stream() { return *stream_; }

  // Reads exactly `bytes` bytes; InputError("truncated") when the file ends first.
  void read_exactly(void* data, std::size_t bytes);
  // read_line() on this file.
  bool read_line(std::string& line, std::int64_t line_no) {
    return attractor::read_line(*stream_, line, line_no, path_);
  }

 private:
  class Buffer;
  std::string path_;
  std::uint64_t size_ = 0;
  std::unique_ptr<Buffer> buffer_;
  std::unique_ptr<std::istream> stream_;
};

// A whole message made safe for a terminal, as the command line prints errors: valid UTF-8 is
// kept (messages say "×" and "≥"), while control characters (C0, DEL and C1, which include
// escape sequences and newlines), NULs and bytes that are not UTF-8 become '?'; a message longer
// than `max_bytes` keeps its start and its end (where the problem is said) around "...".
std::string printable_message(std::string_view text, std::size_t max_bytes = 300);

}  // namespace attractor
