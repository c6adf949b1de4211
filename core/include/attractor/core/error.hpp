#pragma once
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace attractor::core {

// Bad input from the user: a malformed file, a wrong shape, a non-finite value, an out-of-range
// parameter. Raised before any work starts; the CLI maps it to exit code 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

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
