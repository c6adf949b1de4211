#include "attractor/core/activation.hpp"

#include "attractor/core/error.hpp"

namespace attractor::core {}  // namespace attractor::core
