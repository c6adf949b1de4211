#pragma once
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace attractor::core {

// Bad input from the user: a malformed file, a wrong shape, a non-finite value, an out-of-range
// parameter. Raised before any work starts; the CLI maps it to exit code 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// At most `max_chars` characters of `text` for an error message: every byte outside printable
// ASCII (control characters, escape sequences, NULs, non-ASCII) becomes '?', and a longer text
// ends in "...". A file's content reaches a message only through this.
std::string printable_excerpt(std::string_view text, std::size_t max_chars = 40);

// Throws InputError("<what>: <problem>") unless `condition` holds.
inline void require(bool condition, const std::string& what, const std::string& problem) {
  if (!condition) throw InputError(what + ": " + problem);
}

// The value checks every reader and engine applies before using an array.
template <typename Values>  // a vector or a core::Buffer
bool all_finite(const Values& values) {
  return std::all_of(values.begin(), values.end(), [](auto v) { return std::isfinite(v); });
}

// Every entry +1 or −1: binary states and stored patterns.
template <typename Values>
bool all_signs(const Values& values) {
  using T = typename Values::value_type;
  return std::all_of(values.begin(), values.end(), [](T v) { return v == T(1) || v == T(-1); });
}

}  // namespace attractor::core
