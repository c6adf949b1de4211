#include "attractor/core/engine.hpp"

#include <cmath>

#include "attractor/core/error.hpp"

namespace attractor::core {

void RunOptions::validate() const {
  const std::string what = "run options";
  require(std::isfinite(dt) && dt > 0, what, "dt must be positive and finite");
  require(max_steps >= 0, what, "the step budget must not be negative");
  require(!std::isnan(t_end) && t_end > 0, what, "t_end must be positive");
  require(std::isfinite(tol) && tol >= 0, what, "tol must be finite and not negative");
  require(std::isfinite(rtol) && rtol > 0 && std::isfinite(atol) && atol >= 0, what,
          "rtol must be positive and atol not negative");
  require(max_period >= 1 && max_period <= 4096, what, "max_period must lie in [1, 4096]");
  require(std::isfinite(cycle_tol) && cycle_tol > 0, what, "cycle_tol must be positive");
  require(std::isfinite(temperature) && temperature > 0, what,
          "the temperature must be positive and finite");
  require(match_overlap > 0 && match_overlap <= 1, what, "match_overlap must lie in (0, 1]");
  require(record_every >= 0, what, "record_every must not be negative");
  require(stream_offset <= 0xFFFFFFFFull, what, "stream_offset must be below 2^32");
}

}  // namespace attractor::core
