#pragma once
#include <cstdint>
#include <functional>

namespace attractor::core {

// How long work reports how far it has got: (done, total) in units the work chooses (states,
// runs, epochs, iterations), called from the calling thread; empty when nobody is watching. The
// one progress type of the library, the CLI and the Python bindings.
using ProgressFn = std::function<void(std::int64_t done, std::int64_t total)>;

}  // namespace attractor::core
