#pragma once
#include <stdexcept>
#include <string>

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

}  // namespace attractor::core
