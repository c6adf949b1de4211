#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace attractor::host {

// Writes `path` all or nothing: `writer` fills a temporary file beside it, which is flushed and
// renamed over `path` only when the writer returned normally and every byte reached the disk. A
// crash or an exception leaves any earlier `path` untouched and no partial file behind.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& writer);

}  // namespace attractor::host
